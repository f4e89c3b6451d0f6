"""Schema migrations: apply on an empty MariaDB and an empty SQLite; a second run is a no-op;
the committed migrations match the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backend.conftest import TEST_DATABASE_URL, TMP, is_mysql_url, recreate_mysql_database

EXPECTED_TABLES = {"audit_log", "auth_user", "auth_token_family", "auth_refresh_token", "auth_login_throttle"}


def migrate(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPCMS_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "opcms", "migrate"], env=env, capture_output=True, text=True, timeout=120
    )


async def tables_of(url: str) -> set[str]:
    if is_mysql_url(url):
        from urllib.parse import urlsplit

        import asyncmy

        parts = urlsplit(url)
        conn = await asyncmy.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            database=parts.path.strip("/"),
        )
        async with conn.cursor() as cursor:
            await cursor.execute("SHOW TABLES")
            names = {row[0] for row in await cursor.fetchall()}
        conn.close()
        return names
    import sqlite3

    path = url.split("://", 1)[1]
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def empty_databases() -> list[str]:
    urls = [f"sqlite://{TMP}/migrate-check.sqlite3"]
    if is_mysql_url(TEST_DATABASE_URL):
        urls.append(TEST_DATABASE_URL.rsplit("/", 1)[0] + "/opcms_test_migrations")
    return urls


@pytest.mark.parametrize("url", empty_databases(), ids=lambda u: u.split(":", 1)[0])
async def test_migrations_apply_on_an_empty_database_and_twice_is_a_no_op(url):
    if is_mysql_url(url):
        await recreate_mysql_database(url)
    else:
        Path(url.split("://", 1)[1]).unlink(missing_ok=True)
    first = migrate(url)
    assert first.returncode == 0, first.stderr
    assert "0001_initial" in first.stdout
    assert await tables_of(url) >= EXPECTED_TABLES
    second = migrate(url)
    assert second.returncode == 0, second.stderr
    assert "already up to date" in second.stdout


def test_committed_migrations_match_the_models(tmp_path):
    # in a subprocess: the autodetector initialises the models against its own database
    env = {**os.environ, "OPCMS_DATABASE_URL": f"sqlite://{tmp_path}/drift.sqlite3"}
    result = subprocess.run(
        [sys.executable, "-m", "opcms", "makemigrations", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"models changed without a migration:\n{result.stdout}{result.stderr}"
    assert "models and migrations agree" in result.stdout
