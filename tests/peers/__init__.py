"""Peers from the ecosystem that check the gateway: npm packages pinned in package-lock.json beside this file."""

from __future__ import annotations

import shutil
from pathlib import Path

PEERS = Path(__file__).parent


def missing(package: str) -> str | None:
    """Why a peer cannot run here (no node, or the pinned packages not installed), or None."""
    if shutil.which("node") is None:
        return "node is not installed: install Node.js 18+ and run `npm ci --prefix tests/peers` to enable this test"
    if not (PEERS / "node_modules" / package).is_dir():
        return f"{package} is not installed: run `npm ci --prefix tests/peers` to enable this test"
    return None
