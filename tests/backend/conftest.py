"""Test harness: a real database (MariaDB from OPCMS_TEST_DATABASE_URL, or SQLite), migrated
once per session with the real migrations, emptied after every test; the real app served
in-process over ASGI.

Tests that use the ``db`` fixture (directly or through ``client``) are marked ``db`` and are
run a second time on SQLite by ``make test``.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr

TMP = Path(tempfile.mkdtemp(prefix="opcms-test-"))
TEST_DATABASE_URL = os.environ.get("OPCMS_TEST_DATABASE_URL") or f"sqlite://{TMP}/test.sqlite3"
TEST_REDIS_URL = os.environ.get("OPCMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# The environment every test process (and every subprocess it starts) sees.
TEST_ENV = {
    "OPCMS_ENV": "test",
    "OPCMS_VAR_DIR": str(TMP / "var"),
    "OPCMS_DATABASE_URL": TEST_DATABASE_URL,
    "OPCMS_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "OPCMS_BROKER_URL": "filesystem://",
    "OPCMS_LOG_FORMAT": "text",
    "OPCMS_LOG_LEVEL": "WARNING",
    "OPCMS_LOGIN_MAX_FAILURES_PER_USER": "3",
    "OPCMS_LOGIN_MAX_FAILURES_PER_IP": "6",
    # vendor retries back off for real, but briefly
    "OPCMS_USAGE_RETRY_BASE_SECONDS": "0.01",
    # argon2id at its cheapest: most tests create a user, and the default cost (about 0.1 s of
    # CPU a hash here) was minutes of every run; test_passwords.py checks the default cost
    "OPCMS_PASSWORD_HASH_TIME_COST": "1",
    "OPCMS_PASSWORD_HASH_MEMORY_KIB": "8",
    "OPCMS_PASSWORD_HASH_PARALLELISM": "1",
}
os.environ.update(TEST_ENV)

from opcms.core.i18n import EN, set_default_language  # noqa: E402
from opcms.core.settings import get_settings, reset_settings  # noqa: E402
from opcms.wiring import wire  # noqa: E402
from tests.backend.fake_vendor import FakeVendor  # noqa: E402
from tests.backend.fake_wecom import FakeSmtp, FakeWeCom  # noqa: E402

reset_settings()
# the suite reads English: requests send Accept-Language: en-US (the ``client`` fixture) and
# code outside a request speaks English; test_i18n.py asks for Chinese, and for no language
set_default_language(EN)
# the suite runs the domains in this process as the app and the workers do: wired
wire()


SEED_STATEMENTS = [
    *importlib.import_module("opcms.migrations.0003_seed_dictionaries").SEED,
    *importlib.import_module("opcms.migrations.0014_dictionary_label_translations").SEED,
]


def is_mysql_url(url: str) -> bool:
    return url.startswith("mysql")


async def recreate_mysql_database(url: str) -> None:
    """Drop and create the throw-away database named in the URL."""
    import asyncmy

    parts = urlsplit(url)
    name = parts.path.strip("/")
    conn = await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
    )
    async with conn.cursor() as cursor:
        await cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        await cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()


async def migrate(url: str) -> None:
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate as run_migrations

    from opcms.core.db import tortoise_config

    await run_migrations(config=tortoise_config(url))
    await Tortoise.close_connections()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def settings():
    return get_settings()


@pytest.fixture(autouse=True)
def _settings_given_back(settings) -> Iterator[None]:
    """After each test, the process holds the run's settings again: a test that re-reads the
    environment (reset_settings) would otherwise leave every later test reading another object
    than the one the ``settings`` fixture and the app hold, and their changes to it unseen."""
    yield
    reset_settings(to=settings)


@pytest.fixture(scope="session")
async def database(settings) -> AsyncIterator[str]:
    from opcms.core.db import close_db, init_db

    if is_mysql_url(TEST_DATABASE_URL):
        await recreate_mysql_database(TEST_DATABASE_URL)
    await migrate(TEST_DATABASE_URL)
    await init_db(settings)
    yield TEST_DATABASE_URL
    await close_db()


def _tables_children_first() -> list[str]:
    """Tables ordered so that rows pointing at a table are deleted before it."""
    from tortoise import Tortoise

    models = set(Tortoise.apps.get_models_iterable())

    def parents(model) -> set:
        return {model._meta.fields_map[name].related_model for name in model._meta.fk_fields}

    ordered: list = []
    while models:
        ready = {m for m in models if not any(m in parents(o) for o in models if o is not m)}
        if not ready:
            raise RuntimeError(f"foreign-key cycle among {models}")
        ordered += sorted(ready, key=lambda m: m._meta.db_table)
        models -= ready
    return [m._meta.db_table for m in ordered]


@pytest.fixture
async def db(database) -> AsyncIterator[None]:
    """A clean database for one test."""
    yield
    from tortoise import connections

    conn = connections.get("default")
    # a table pointing at itself (an execution retrying another) is not emptied in one
    # statement on MariaDB: cut those links first
    await conn.execute_script(f"UPDATE {_quote('task_execution')} SET retry_of_id = NULL")
    for table in _tables_children_first():
        await conn.execute_script(f"DELETE FROM {_quote(table)}")
    for statement in SEED_STATEMENTS:  # reference data the migrations seed
        await conn.execute_script(statement)


def _quote(table: str) -> str:
    return f"`{table}`" if is_mysql_url(TEST_DATABASE_URL) else f'"{table}"'


@pytest.fixture(scope="session")
async def app(database, settings):
    from sanic import Blueprint

    from opcms.app import create_app
    from opcms.core.http import endpoint

    app = create_app(settings, name="opcms_test", manage_db=False)

    # a route that fails on purpose, to prove a 500 keeps the error shape and hides the trace
    boom = Blueprint("test_boom", url_prefix="/api/v1/test")

    @boom.get("/boom")
    @endpoint(public=True)
    async def explode(request):
        raise RuntimeError("secret internals")

    app.blueprint(boom)
    app.asgi = True
    await app._startup()
    await app._server_event("init", "before")
    await app._server_event("init", "after")
    yield app
    await app._server_event("shutdown", "before")
    await app._server_event("shutdown", "after")


class Api(httpx.AsyncClient):
    """An HTTP client on the in-process app; ``token=`` adds the bearer header."""

    async def call(self, method: str, url: str, *, token: str | None = None, **kwargs) -> httpx.Response:
        if token:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {token}"}
        return await self.request(method, url, **kwargs)

    async def get(self, url, **kwargs):  # type: ignore[override]
        return await self.call("GET", url, **kwargs)

    async def post(self, url, **kwargs):  # type: ignore[override]
        return await self.call("POST", url, **kwargs)

    async def patch(self, url, **kwargs):  # type: ignore[override]
        return await self.call("PATCH", url, **kwargs)

    async def put(self, url, **kwargs):  # type: ignore[override]
        return await self.call("PUT", url, **kwargs)

    async def delete(self, url, **kwargs):  # type: ignore[override]
        return await self.call("DELETE", url, **kwargs)


@pytest.fixture
async def client(app, db) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 40000))
    async with Api(transport=transport, base_url="http://opcms.test", headers={"Accept-Language": EN}) as api:
        yield api


@pytest.fixture
def wecom() -> Iterator[FakeWeCom]:
    """A WeCom on loopback (group bot webhook and application API), with no access token cached."""
    from opcms.notifications.channels.wecom_app import forget_tokens

    forget_tokens()
    with FakeWeCom() as fake:
        yield fake
    forget_tokens()


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    """An SMTP server on loopback that keeps what it is sent."""
    with FakeSmtp() as fake:
        yield fake


@pytest.fixture
def fake_vendor() -> Iterator[FakeVendor]:
    """A vendor HTTP server on loopback (tests/backend/fake_vendor.py), stopped after the test."""
    with FakeVendor() as vendor:
        yield vendor


@pytest.fixture(scope="session")
def fake_s3():
    """An S3-compatible server on loopback (tests/backend/fake_s3.py, moto's), one per run;
    each test makes its own bucket."""
    from tests.backend.fake_s3 import FakeS3  # moto and flask load only for the tests that ask

    server = FakeS3().start()
    yield server
    server.stop()


@pytest.fixture
def s3_storage(settings, fake_s3, monkeypatch):
    """This process keeps its files in a fresh bucket of ``fake_s3`` for one test (as
    OPCMS_STORAGE_URL=s3://… would): answers the bucket's name."""
    bucket = fake_s3.bucket()
    for name, value in fake_s3.settings_for(bucket, "opcms").items():
        monkeypatch.setattr(settings, name, SecretStr(value) if name == "s3_secret_key" else value)
    return bucket
