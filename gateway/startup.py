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
                              issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                              max_lifetime_seconds=settings.max_token_lifetime_seconds)
    if settings.jwt_mode != "hs256":
        raise SystemExit(f"JWT_MODE={settings.jwt_mode!r}: use hs256 (development) or rs256 (production)")
    return IdentityConfig(mode="hs256", hs256_secret=load_or_create_dev_secret(settings.data_dir),
                          issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                          max_lifetime_seconds=settings.max_token_lifetime_seconds)


async def prepare_database(engine: AsyncEngine, settings: Settings, *, load_demo: bool | None = None) -> bool:
    """Migrate, load the profile's departments and catalogue, and the demo data if the store is empty.
    Returns whether the demo data was loaded now."""
    from store.bootstrap import initialise, is_empty
    from store.demo import load_demo_data

    from policies.storage import seed_if_empty

    await initialise(engine, settings.profile)
    await seed_if_empty(engine, settings.policy_file, settings.profile)
    wanted = settings.load_demo_on_empty if load_demo is None else load_demo
    if wanted and await is_empty(engine):
        log.info("empty database: loading the demo data set")
        await load_demo_data(engine, settings.profile)
        return True
    return False


def database_named(settings: Settings) -> str:
    """The configured database as an operator may see it printed: no password."""
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def why_the_database_failed(error: BaseException, settings: Settings) -> str | None:
    """A one-line reason an operator can act on, for the failures a deployment meets (another profile's
    database, a database that cannot be reached or was never created); None for anything else (a bug)."""
    from store.availability import is_database_unavailable
    from store.bootstrap import ProfileMismatch

    if isinstance(error, ProfileMismatch):
        return str(error)
    where = database_named(settings)
    text = f"{error.__cause__ or error}".strip().splitlines()
    first = text[0][:300] if text else type(error).__name__
    if "does not exist" in first and where.startswith("postgresql"):
        return (f"the PostgreSQL database of {where} does not exist: create it first "
                f"(createdb {where.rsplit('/', 1)[-1].split('?')[0]}), then start again ({first})")
    if is_database_unavailable(error):
        return f"cannot use the database {where}: {first}"
    return None


def app_from_env() -> Starlette:
    """The factory `credit-gateway serve` gives uvicorn: settings from the environment."""
    from gateway.app import create_app

    settings = Settings.from_env()
    checkpoints = log_checkpoints(settings)

    async def on_startup(engine: AsyncEngine) -> None:
        await prepare_database(engine, settings)

    return create_app(settings, on_startup=on_startup, sync_policies=True, checkpoints=checkpoints)


def log_checkpoints(settings: Settings):
    """The signer of the log chains' heads (SPEC 3.6): its key is created on first start, like the JWT secret."""
    from gateway.log_checkpoints import CheckpointPolicy, LogCheckpoints
    from store.checkpoints import CheckpointSink

    sink = CheckpointSink.for_paths(settings.checkpoint_dir, settings.checkpoint_key_file)
    return LogCheckpoints(sink, CheckpointPolicy(settings.log_checkpoint_entries, settings.log_checkpoint_seconds))
