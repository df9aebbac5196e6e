"""Configuration from environment variables, with defaults that need no configuration at all.

Every variable is listed in the README. Nothing below the gateway reads the environment:
settings are handed down as plain values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gateway.proxies import parse_trusted_proxies


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    profile: str = "huancui"
    host: str = "127.0.0.1"
    port: int = 8000
    load_demo_on_empty: bool = True
    # Identity (SPEC 4): hs256 for development, rs256 with a public key file or a JWKS URL.
    jwt_mode: str = "hs256"
    jwt_public_key_file: Path | None = None
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # The longest a token may live, `exp - iat` (SPEC 3.1): 12 hours unless configured.
    max_token_lifetime_seconds: int = 12 * 3600
    # Hostile input (SPEC 3.6).
    max_query_depth: int = 12
    max_query_tokens: int = 4000
    max_query_aliases: int = 30  # per operation, fragments expanded (schema/document_cost.py)
    max_query_fields: int = 1000  # field selections per operation, fragments expanded
    max_list_codes: int = 100
    max_page_size: int = 100
    graphiql: bool = True
    policy_file: Path | None = None  # default: the shipped policies/default.csv
    max_upload_bytes: int = 20 * 1024 * 1024
    # A GraphQL request's body (or GET query string): 1,000 submitted records fit in well under 4 MB.
    max_request_bytes: int = 4 * 1024 * 1024
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses, CIDR ranges); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Subjects' opaque ids (SPEC 3.1): 128 hex characters, the same on every host; default: data_dir/subject-id-key.
    subject_id_key: str | None = None
    # Signed checkpoints of the log chains (SPEC 3.6, store/checkpoints.py): where they are appended, the
    # Ed25519 key that signs them (default: data_dir/log-checkpoints and data_dir/log-checkpoint-key), how often.
    log_checkpoint_dir: Path | None = None
    log_checkpoint_key_file: Path | None = None
    log_checkpoint_entries: int = 100
    log_checkpoint_seconds: float = 10.0
    # Database connections each serving process keeps open (store/engine.py: no overflow, so none are opened
    # and closed under load).
    database_pool_size: int = 20
    # Where `POST /import` keeps each job's file (until it is imported) and its error report; default data_dir/imports.
    import_dir: Path | None = None
    # Objections' evidence files (POST /evidence): where their bytes are kept (default data_dir/evidence), and the
    # largest file taken (10 MiB).
    evidence_dir: Path | None = None
    max_evidence_bytes: int = 10 * 1024 * 1024
    # The sweeper inside serve (gateway/sweeper.py): seconds between rounds; 0 runs none (cron runs `sweep`).
    # Off unless configured here; from the environment (SWEEP_INTERVAL_SECONDS) it defaults to hourly.
    sweep_interval_seconds: float = 0.0
    # Webhook deliveries (gateway/webhooks.py): sent by serve's worker when on (WEBHOOK_DELIVERY, default on);
    # attempts before giving up, and the first retry's delay (doubling after each failed attempt).
    webhook_delivery: bool = False
    webhook_max_attempts: int = 8
    webhook_retry_seconds: float = 30.0
    # Federated sources (issue 18, gateway/source_client.py): each call's deadline (well under a client's),
    # the consecutive failures that open a source's circuit, and the cool-down before a trial call.
    source_deadline_seconds: float = 2.0
    source_failures_to_open: int = 5
    source_cool_down_seconds: float = 30.0
    # When set, `_entities` answers only calls a router signed with it (domain/source_signing.py).
    router_secret: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'credit-gateway.sqlite3').resolve()}"

    @property
    def import_folder(self) -> Path:
        return self.import_dir or self.data_dir / "imports"

    @property
    def evidence_folder(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"

    @property
    def checkpoint_dir(self) -> Path:
        return self.log_checkpoint_dir or self.data_dir / "log-checkpoints"

    @property
    def checkpoint_key_file(self) -> Path:
        return self.log_checkpoint_key_file or self.data_dir / "log-checkpoint-key"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        key_file = env.get("JWT_PUBLIC_KEY_FILE")
        return cls(
            data_dir=Path(env.get("CREDIT_DATA_DIR", "data")),
            database_url=env.get("DATABASE_URL", ""),
            profile=env.get("CREDIT_PROFILE", "huancui"),
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            load_demo_on_empty=_bool(env.get("LOAD_DEMO_ON_EMPTY"), True),
            jwt_mode=env.get("JWT_MODE", "hs256").lower(),
            jwt_public_key_file=Path(key_file) if key_file else None,
            jwks_url=env.get("JWKS_URL") or None,
            jwt_issuer=env.get("JWT_ISSUER") or None,
            jwt_audience=env.get("JWT_AUDIENCE") or None,
            max_token_lifetime_seconds=int(env.get("MAX_TOKEN_LIFETIME_SECONDS", str(12 * 3600))),
            max_query_depth=int(env.get("MAX_QUERY_DEPTH", "12")),
            max_query_tokens=int(env.get("MAX_QUERY_TOKENS", "4000")),
            max_query_aliases=int(env.get("MAX_QUERY_ALIASES", "30")),
            max_query_fields=int(env.get("MAX_QUERY_FIELDS", "1000")),
            graphiql=_bool(env.get("GRAPHIQL"), True),
            policy_file=Path(env["POLICY_FILE"]) if env.get("POLICY_FILE") else None,
            max_upload_bytes=int(env.get("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
            max_request_bytes=int(env.get("MAX_REQUEST_BYTES", str(4 * 1024 * 1024))),
            trusted_proxies=parse_trusted_proxies(env.get("TRUSTED_PROXIES")),
            subject_id_key=env.get("SUBJECT_ID_KEY") or None,
            log_checkpoint_dir=Path(env["LOG_CHECKPOINT_DIR"]) if env.get("LOG_CHECKPOINT_DIR") else None,
            log_checkpoint_key_file=(Path(env["LOG_CHECKPOINT_KEY_FILE"]) if env.get("LOG_CHECKPOINT_KEY_FILE")
                                     else None),
            log_checkpoint_entries=max(1, int(env.get("LOG_CHECKPOINT_ENTRIES", "100"))),
            log_checkpoint_seconds=max(0.1, float(env.get("LOG_CHECKPOINT_SECONDS", "10"))),
            database_pool_size=max(1, int(env.get("DATABASE_POOL_SIZE", "20"))),
            import_dir=Path(env["IMPORT_DIR"]) if env.get("IMPORT_DIR") else None,
            evidence_dir=Path(env["EVIDENCE_DIR"]) if env.get("EVIDENCE_DIR") else None,
            max_evidence_bytes=max(1, int(env.get("MAX_EVIDENCE_BYTES", str(10 * 1024 * 1024)))),
            sweep_interval_seconds=max(0.0, float(env.get("SWEEP_INTERVAL_SECONDS", "3600"))),
            webhook_delivery=_bool(env.get("WEBHOOK_DELIVERY"), True),
            webhook_max_attempts=max(1, int(env.get("WEBHOOK_MAX_ATTEMPTS", "8"))),
            webhook_retry_seconds=max(0.1, float(env.get("WEBHOOK_RETRY_SECONDS", "30"))),
            source_deadline_seconds=max(0.05, float(env.get("SOURCE_DEADLINE_SECONDS", "2"))),
            source_failures_to_open=max(1, int(env.get("SOURCE_FAILURES_TO_OPEN", "5"))),
            source_cool_down_seconds=max(0.1, float(env.get("SOURCE_COOL_DOWN_SECONDS", "30"))),
            router_secret=env.get("CREDIT_GATEWAY_ROUTER_SECRET") or None,
        )
