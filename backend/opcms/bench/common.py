"""Plumbing shared by the benchmarks (``opcms bench …``): a throw-away database, migrated."""

from __future__ import annotations

import warnings
from urllib.parse import urlsplit

import asyncmy
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from opcms.core.db import config_from_settings, init_db
from opcms.core.settings import Settings


def check_database_url(url: str, bench: str) -> str:
    """A bench drops and re-creates its database: refuse any whose name lacks "bench"."""
    parts = urlsplit(url)
    name = parts.path.strip("/") if url.startswith("mysql") else parts.path
    if "bench" not in name.rsplit("/", 1)[-1]:
        raise SystemExit(
            f"opcms bench {bench} drops and re-creates its database: OPCMS_DATABASE_URL must name a throw-away "
            f"database whose name contains 'bench' (e.g. mysql://root@127.0.0.1:3306/opcms_bench); got {url!r}"
        )
    return url


async def recreate_database(settings: Settings) -> None:
    url = settings.database_url
    if url.startswith("mysql"):
        parts = urlsplit(url)
        conn = await asyncmy.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
        )
        name = parts.path.strip("/")
        async with conn.cursor() as cursor:
            await cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            await cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        conn.close()
    elif settings.sqlite_path is not None:
        settings.sqlite_path.unlink(missing_ok=True)


async def fresh_database(settings: Settings, bench: str) -> None:
    """Drop, re-create and migrate the bench database; Tortoise is left initialised on it."""

    check_database_url(settings.database_url, bench)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        await recreate_database(settings)
        await migrate(config=config_from_settings(settings))
        await Tortoise.close_connections()
    await init_db(settings)
