"""Bringing a deployment up: identity configuration, database preparation, the uvicorn factory."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from gateway.identity import IdentityConfig, load_or_create_dev_secret
from gateway.settings import Settings

log = logging.getLogger("gateway")


def identity_config(settings: Settings) -> IdentityConfig:
    """HS256 with a secret generated into the data folder (development), or RS256 (production)."""
    if settings.jwt_mode == "rs256":
        key = settings.jwt_public_key_file.read_bytes() if settings.jwt_public_key_file else None
        return IdentityConfig(mode="rs256", rs256_public_key_pem=key, jwks_url=settings.jwks_url,
                              issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    if settings.jwt_mode != "hs256":
        raise SystemExit(f"JWT_MODE={settings.jwt_mode!r}: use hs256 (development) or rs256 (production)")
    return IdentityConfig(mode="hs256", hs256_secret=load_or_create_dev_secret(settings.data_dir),
                          issuer=settings.jwt_issuer, audience=settings.jwt_audience)


async def prepare_database(engine: AsyncEngine, settings: Settings, *, load_demo: bool | None = None) -> None:
    """Migrate, load the profile's departments and catalogue, and the demo data if the store is empty."""
    from store.bootstrap import initialise, is_empty
    from store.demo import load_demo_data

    from policies.storage import seed_if_empty

    await initialise(engine, settings.profile)
    await seed_if_empty(engine, settings.policy_file, settings.profile)
    wanted = settings.load_demo_on_empty if load_demo is None else load_demo
    if wanted and await is_empty(engine):
        log.info("empty database: loading the demo data set")
        await load_demo_data(engine, settings.profile)


def app_from_env() -> Starlette:
    """The factory `credit-gateway serve` gives uvicorn: settings from the environment."""
    from gateway.app import create_app

    settings = Settings.from_env()

    async def on_startup(engine: AsyncEngine) -> None:
        await prepare_database(engine, settings)

    return create_app(settings, on_startup=on_startup, sync_policies=True)
