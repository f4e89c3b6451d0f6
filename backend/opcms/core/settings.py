"""One settings object for the whole process, read from ``OPCMS_*`` variables and ``.env``.

Defaults give the embedded shape (SQLite file, server-less Celery broker); production sets
``OPCMS_ENV=production`` and real URLs. A bad value stops start-up with a message that names
the variable (see :func:`get_settings`).
"""

from __future__ import annotations

import re
import secrets
import zoneinfo
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "OPCMS_"
REPO_ROOT = Path(__file__).resolve().parents[3]
DATABASE_SCHEMES = ("sqlite", "mysql")
# the most a request body cap may be set to: the largest cap is Sanic's REQUEST_MAX_SIZE, the
# bound of any body (core/limits.py)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# an S3 bucket name (path-style addressing takes any of these)
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# the default pool of database connections per process (see Settings.db_pool_max)
DB_POOL_MAX = 32
# the default pool of an API process (see Settings.api_db_pool_max)
API_DB_POOL_MAX = 12


class SettingsError(RuntimeError):
    """Raised when the environment does not describe a process that can start."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production", "test"] = "development"
    var_dir: Path = Path("var")
    database_url: str = "sqlite://var/opcms.sqlite3"
    # Connections one process may hold (opened as needed): a worker's or beat's (an API
    # process's is api_db_pool_max). A job's steps run side by side up to their concurrency
    # settings (the usage pull's calls, the invoice run's chunks, a statement's reads), each
    # holding one connection at a time. Budget: (API processes x api_db_pool_max + (worker
    # processes + beat) x this) ≤ MySQL's max_connections; a process opens only what it uses.
    db_pool_max: int = Field(default=DB_POOL_MAX, ge=1, le=200)
    # The pool of an API process, which takes its connections in turns (first come, first served:
    # ``core.db_mysql``). A request's statements are short; what makes its answer slow under load
    # is how many statements the database runs at once on the same cores, each preempting the
    # others. Twelve per process (two processes: 24 at once) kept the customer list at 50
    # connections at p99 ~140 ms and ~750 req/s, against ~500 ms and ~500 req/s with 32
    # (``opcms bench api``, two cores); the requests beyond wait their turn in the process.
    api_db_pool_max: int = Field(default=API_DB_POOL_MAX, ge=1, le=200)
    # how long a request waits for a busy database (a free connection of the MySQL pool,
    # SQLite's write lock) before it answers 503 database_unavailable instead of queueing
    db_busy_timeout_seconds: float = Field(default=5, gt=0, le=300)
    broker_url: str = "filesystem://"
    # Redis broker: a task taken by a worker that then vanished (SIGKILL, OOM kill, a lost host)
    # is not acknowledged (acks late) and goes back to the queue once it has been out this many
    # seconds; a live worker's sweep returns it. A task still running after this long is
    # delivered a second time as well (every job is idempotent): keep it above the longest task.
    # 3,600 is Celery's own default.
    broker_visibility_timeout_seconds: int = Field(default=3600, ge=5, le=7 * 24 * 3600)
    # Empty means: derived from the broker (file results for the embedded broker).
    result_backend: str = ""
    secret_key: str = ""
    timezone: str = "Asia/Shanghai"

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1, le=64)
    # how many reverse proxies (nginx) stand in front of the API: their X-Forwarded-For
    # entries are trusted for the client IP (audit log, login throttling); 0 = none
    proxies_count: int = Field(default=0, ge=0, le=5)
    frontend_dist: Path = REPO_ROOT / "frontend" / "dist"

    access_token_ttl_seconds: int = Field(default=2 * 3600, ge=60)
    # how long an API process trusts a session it checked (live family, active user) before it
    # reads it again: the bound on how late another process honours a revocation (logout,
    # password change, sessions ended, user disabled); the revoking process honours it at once.
    # 0 reads the database on every request
    session_cache_seconds: float = Field(default=5, ge=0, le=60)
    refresh_token_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=300)
    # argon2id cost of a stored password: argon2-cffi's defaults (RFC 9106 low-memory profile);
    # a password hashed at another cost is re-hashed at this one on its next login
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=8)
    password_hash_parallelism: int = Field(default=4, ge=1)
    login_max_failures_per_user: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)
    # /metrics: with a token, only a scraper sending "Authorization: Bearer <token>" reads it;
    # without one it answers everyone, except in production, where it answers only this host
    # (a Prometheus agent beside it; nginx's proxied requests are refused with the rest)
    metrics_token: str = ""
    # how long an API process reuses the business figures it read for /metrics (counts over the
    # database: every process, on any host, reports the same), so a busy scraper costs little
    metrics_cache_seconds: float = Field(default=15, ge=0, le=3600)
    # a message still pending this long after it was queued counts as notification backlog
    notification_backlog_minutes: int = Field(default=10, ge=1, le=24 * 60)
    # Retention, applied by the daily job jobs.prune_retention. An import's uploaded workbook is
    # removed this long after the import was made (its record and report stay; its error
    # workbook can no longer be made: 404 import_file_missing)
    upload_retention_days: int = Field(default=180, ge=1, le=3650)
    # refresh tokens expired this long ago are deleted, and the sessions (token families) left
    # with none; the login and logout rows of the audit log stay
    session_retention_days: int = Field(default=30, ge=1, le=3650)
    # the body of a JSON route (every write but an upload) is refused over this size (413)
    # before it is read; login, refresh and logout take 8 KB, uploads the import size
    json_body_max_bytes: int = Field(default=1024 * 1024, ge=8 * 1024, le=MAX_UPLOAD_BYTES)

    # Excel import (DESIGN §4): files over `import_sync_rows` data rows run as a Celery task;
    # bigger files or more rows than the caps are refused with a 4xx before any parsing.
    import_sync_rows: int = Field(default=2000, ge=1, le=1_000_000)
    import_max_bytes: int = Field(default=20 * 1024 * 1024, ge=64 * 1024, le=MAX_UPLOAD_BYTES)
    import_max_rows: int = Field(default=100_000, ge=1, le=1_000_000)
    # uploads one API process reads at once (checks and inline runs): each holds its workbook in
    # memory; one more is answered 429 too_many_imports with Retry-After
    max_concurrent_imports: int = Field(default=2, ge=1, le=64)

    # Usage pull (DESIGN §6): vendor calls in flight at once (each source has its own per-call
    # timeout), how many times a failed call is retried (exponential backoff with jitter from
    # `usage_retry_base_seconds`), accounts asked for per call, rows per upsert statement, and
    # the spike rule: a day above `usage_spike_factor` × the trailing 30-day average is held.
    usage_pull_concurrency: int = Field(default=4, ge=1, le=64)
    usage_retries: int = Field(default=3, ge=0, le=10)
    usage_retry_base_seconds: float = Field(default=1.0, ge=0, le=60)
    usage_accounts_per_call: int = Field(default=200, ge=1, le=10_000)
    usage_batch_rows: int = Field(default=1000, ge=1, le=20_000)
    # Upsert statements of one pull in flight at once (MySQL; SQLite writes one at a time). A
    # pull of 10,000 customers has 50 chunks, each storing while it fetches: left unbounded,
    # they took every pooled connection (32), and on two cores the database then spent its
    # time switching between them: 600,000 rows took 9.5-10.9 s unbounded and 6.8-8.2 s at 8
    # (``opcms bench usage``'s pull, two rounds each). A database with more cores may take more.
    usage_write_concurrency: int = Field(default=8, ge=1, le=64)
    usage_spike_factor: Decimal = Field(default=Decimal(10), gt=1, le=1000)

    # Jobs (DESIGN §10): a running execution writes a heartbeat every `job_heartbeat_seconds`;
    # one silent for `job_stale_after_seconds` lost its worker and is marked failed.
    job_heartbeat_seconds: float = Field(default=15, gt=0, le=600)
    job_stale_after_seconds: int = Field(default=300, ge=2, le=24 * 3600)
    # Redis for the per-channel rate limits of notifications; empty = the broker when it is
    # Redis, else the database stands in (the embedded default has no Redis)
    redis_url: str = ""
    # Account automation (DESIGN §3): active → suspended when an invoice is overdue more days
    suspend_after_days: int = Field(default=30, ge=1, le=3650)
    # Customer value tiers (DESIGN §11): trailing-12-month invoiced at least this much (CNY)
    tier_s_min: Decimal = Field(default=Decimal(200_000), gt=0)
    tier_a_min: Decimal = Field(default=Decimal(50_000), gt=0)
    tier_b_min: Decimal = Field(default=Decimal(10_000), gt=0)
    # each block of the dashboard answers within this many seconds or is reported unavailable
    analytics_block_timeout_seconds: float = Field(default=10, gt=0, le=300)

    # Where uploaded import workbooks and exports are kept (core/storage.py): "file:" the var
    # folder (or "file:/a/folder" every host mounts), "s3://bucket/prefix" a bucket of an
    # S3-compatible store (MinIO, AWS…) that the API processes and the workers on every host
    # share. The endpoint is empty for AWS itself; the keys are empty to use boto3's own chain
    # (AWS_* variables, an instance role). The secret is never logged.
    storage_url: str = "file:"
    s3_endpoint_url: str = ""
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_region: str = "us-east-1"

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in DATABASE_SCHEMES:
            raise ValueError(
                f"scheme must be one of {', '.join(s + '://' for s in DATABASE_SCHEMES)} (got {value!r})"
            )
        if parts.scheme == "mysql" and (not parts.hostname or not parts.path.strip("/")):
            raise ValueError("a MySQL URL needs a host and a database: mysql://user:pass@host:3306/db")
        if parts.scheme == "sqlite" and not (parts.netloc or parts.path):
            raise ValueError("a SQLite URL needs a file path: sqlite://var/opcms.sqlite3")
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("filesystem", "redis", "rediss", "memory"):
            raise ValueError(f"unsupported broker scheme {scheme!r}: use filesystem:// or redis://")
        return value

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme == "file":
            return value
        if parts.scheme != "s3":
            raise ValueError(f"use file: (the var folder) or s3://bucket/prefix (got {value!r})")
        if not BUCKET_NAME.fullmatch(parts.netloc):
            raise ValueError(
                "an S3 bucket name is 3-63 lowercase letters, digits, dots and hyphens: s3://bucket/prefix"
            )
        if parts.query or parts.fragment or "//" in parts.path:
            raise ValueError("an S3 storage URL is s3://bucket or s3://bucket/prefix, nothing more")
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _s3_endpoint_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError(f"an endpoint is http(s)://host:port (got {value!r})")
        if parts.username or parts.password:
            raise ValueError("put the keys in OPCMS_S3_ACCESS_KEY and OPCMS_S3_SECRET_KEY, not in the URL")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _production_needs_real_services(self) -> Settings:
        if self.env == "production":
            if len(self.secret_key) < 32:
                raise ValueError("OPCMS_SECRET_KEY must be set to at least 32 characters in production")
            if self.database_url.startswith("sqlite"):
                raise ValueError("OPCMS_DATABASE_URL must point at MySQL in production")
        return self

    @model_validator(mode="after")
    def _s3_keys_in_pairs(self) -> Settings:
        if bool(self.s3_access_key) != bool(self.s3_secret_key.get_secret_value()):
            raise ValueError("set both OPCMS_S3_ACCESS_KEY and OPCMS_S3_SECRET_KEY, or neither")
        return self

    @model_validator(mode="after")
    def _tiers_descend(self) -> Settings:
        if not self.tier_s_min > self.tier_a_min > self.tier_b_min:
            raise ValueError(
                "value tier thresholds must descend: OPCMS_TIER_S_MIN > OPCMS_TIER_A_MIN > OPCMS_TIER_B_MIN"
            )
        return self

    # --- derived values -------------------------------------------------------------------
    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def rate_limit_redis_url(self) -> str | None:
        if self.redis_url:
            return self.redis_url
        return self.broker_url if self.broker_url.startswith(("redis://", "rediss://")) else None

    @property
    def celery_result_backend(self) -> str:
        if self.result_backend:
            return self.result_backend
        if self.broker_url.startswith("filesystem"):
            return f"file://{(self.var_dir / 'celery' / 'results').resolve()}"
        return self.broker_url

    @cached_property
    def signing_key(self) -> str:
        """The JWT signing key; an embedded install keeps a generated one under ``var/``
        (read once per process: every authenticated request needs it)."""
        if self.secret_key:
            return self.secret_key
        key_file = self.var_dir / "secret.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()

    def ensure_dirs(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        db_path = self.sqlite_path
        if db_path is not None:
            db_path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        rest = self.database_url.split("://", 1)[1].split("?", 1)[0]
        return None if rest in ("", ":memory:") else Path(rest)


def describe_error(error: ValidationError) -> str:
    lines = ["OP-CMS cannot start: invalid settings"]
    for item in error.errors():
        loc = "_".join(str(part) for part in item["loc"]).upper()
        name = f"{ENV_PREFIX}{loc}" if loc else "settings"
        lines.append(f"  {name}: {item['msg']}")
    return "\n".join(lines)


_current: Settings | None = None


def get_settings() -> Settings:
    """The validated settings, read once; raises :class:`SettingsError` naming the bad
    variable."""
    global _current
    if _current is None:
        try:
            _current = Settings()
        except ValidationError as error:
            raise SettingsError(describe_error(error)) from None
    return _current


def business_today() -> date:
    """Today in the business time zone (DESIGN §1: periods, due dates and "yesterday" are
    computed in it), whatever the server's own zone."""
    import datetime as dt

    return dt.datetime.now(get_settings().tz).date()


def reset_settings(to: Settings | None = None) -> None:
    """Forget the settings read (they are read again from the environment on next use), or
    hold ``to`` instead: tests change the environment, then give back what the rest of the
    run uses."""
    global _current
    _current = to
