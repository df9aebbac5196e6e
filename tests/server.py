"""Run the real `credit-gateway serve` in a subprocess, for tests where the network matters."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def stop(process: subprocess.Popen) -> str:
    """Stop a server the test started (terminate, then kill after 10 s); what it printed."""
    process.terminate()
    try:
        printed, _ = process.communicate(timeout=10)  # waits, and closes its output pipe
    except subprocess.TimeoutExpired:
        process.kill()
        printed, _ = process.communicate()
    return printed or ""


def wait_until_ready(process: subprocess.Popen, ready, name: str, timeout: float) -> None:
    """Poll `ready()` (an HTTP probe; its HTTP errors mean not yet) until it is true; raise, with what the
    server printed, if it exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{process.stdout.read()}")
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not answer in {timeout} s")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_process(command: list[str], ready, *, cwd=None, env: dict[str, str] | None = None, timeout: float = 60,
                    name: str = "the process"):
    """Run `command` until `ready()` is true (it may raise httpx errors while starting); then yield;
    stop it afterwards (terminate, then kill)."""
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{process.stdout.read()}")
            with contextlib.suppress(httpx.HTTPError):
                if ready():
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start in {timeout} s")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@contextlib.contextmanager
def running_gateway(data_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 120,
                    processes: list | None = None, output: list[str] | None = None, args: tuple[str, ...] = ()):
    """Start `credit-gateway serve` on a free port; yield its base URL; stop it afterwards.

    `processes`, if given, receives the server's Popen (to signal it); `output`, what it printed
    (standard output and error), once it has stopped; `args`, more `serve` options (`--workers 2`). The
    sweeper stays off (SWEEP_INTERVAL_SECONDS=0) unless `env` turns it on: the demo data is dated, and a
    test reads it as loaded."""
    port = free_port()
    environment = {**os.environ, "CREDIT_DATA_DIR": str(data_dir), "DATABASE_URL": "", "SWEEP_INTERVAL_SECONDS": "0",
                   **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--log-level", "warning", *args],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    if processes is not None:
        processes.append(process)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited with {process.returncode}:\n{process.stdout.read()}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("gateway did not become ready in time")
        yield base
    finally:
        printed = stop(process)
        if output is not None:
            output.append(printed)


def served_token(data_dir: Path, *, user: str, department: str | None, roles: tuple[str, ...]) -> str:
    """A token the served gateway accepts: signed with the development secret of its data folder."""
    from domain.catalogue import load_profile
    from domain.roles import DepartmentRegistry
    from gateway.identity import load_or_create_dev_secret, mint_token

    return mint_token(load_or_create_dev_secret(data_dir), user=user, department=department, roles=roles,
                      name=f"测试员 {user}", departments=DepartmentRegistry.of(load_profile("huancui")))
