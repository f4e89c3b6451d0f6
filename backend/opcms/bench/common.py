"""Plumbing shared by the benchmarks (``opcms bench …``): a throw-away database, migrated, and
the bench customers."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncmy
import httpx
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
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


async def driver_connection(database_url: str, *, autocommit: bool = False) -> Any:
    """One plain driver connection to the bench's MySQL database: what the floors write and read
    through, the cheapest known means (no pool, no ORM)."""
    parts = urlsplit(database_url)
    return await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        db=parts.path.strip("/"),
        charset="utf8mb4",
        autocommit=autocommit,
    )


async def fresh_database(settings: Settings, bench: str) -> None:
    """Drop, re-create and migrate the bench database; Tortoise is left initialised on it."""

    check_database_url(settings.database_url, bench)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        await recreate_database(settings)
        await migrate(config=config_from_settings(settings))
        await Tortoise.close_connections()
    await init_db(settings)


async def run_sql(settings: Settings, *statements: str) -> list[Any]:
    """Run statements on a connection of their own; the last one's rows."""
    conn = await driver_connection(settings.database_url, autocommit=True)
    try:
        async with conn.cursor() as cursor:
            for statement in statements:
                await cursor.execute(statement)
            return list(await cursor.fetchall())
    finally:
        conn.close()


async def settle(settings: Settings, seconds: float = 20.0) -> None:
    """Wait (at most ``seconds``) for the server to flush what the last writer left dirty (an
    earlier bench, the seeding, a truncated table), so the next one timed does not pay for it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ((_, dirty),) = await run_sql(settings, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")
        if int(dirty) < 500:
            return
        await asyncio.sleep(0.5)


async def insert_customers(
    conn: BaseDBAsyncClient,
    count: int,
    now: dt.datetime,
    *,
    levels: Sequence[str] = (),
    industries: Sequence[str] = (),
    batch: int = 2000,
) -> list[int]:
    """``count`` active customers ``B0000000``… ("bench customer i"), by raw batched INSERTs
    (through the ORM, the set-up would take longer than what is measured); customer i has
    ``levels[i % len(levels)]`` and likewise an industry when they are given. Answers the
    customers' ids in order."""
    for first in range(0, count, batch):
        await conn.execute_many(
            "INSERT INTO `customer` (customer_code, company_name, status, payment_terms_days, credit_limit, code_key,"
            " name_key, level, industry, created_at, updated_at, is_deleted)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                [
                    f"B{i:07d}",
                    f"bench customer {i}",
                    "active",
                    30,
                    0,
                    f"b{i:07d}",
                    f"bench customer {i}",
                    levels[i % len(levels)] if levels else None,
                    industries[i % len(industries)] if industries else None,
                    now,
                    now,
                    False,
                ]
                for i in range(first, min(count, first + batch))
            ],
        )
    return [row["id"] for row in await conn.execute_query_dict("SELECT id FROM `customer` ORDER BY id")]


def figure(
    bench: str,
    value: float,
    floor: float,
    *,
    unit: str,
    better: str = "lower",
    places: int = 3,
    **details: Any,
) -> dict[str, Any]:
    """What a bench prints last as one JSON line: its figure, the honest floor beside it, their
    ratio (``value / floor``; lower is better when ``better`` is "lower"), then the bench's own
    details (targets, counts, the parts timed)."""
    return {
        "bench": bench,
        "value": round(value, places),
        "floor": round(floor, places + 1),
        "ratio": round(value / floor, 3) if floor else None,
        "unit": unit,
        "better": better,
        **details,
    }


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening_sockets(port: int) -> int:
    """How many sockets of this machine listen on TCP ``port`` (each API process has its own)."""
    found = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 3 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found += 1
    return found


@contextlib.contextmanager
def running_api(bench: str, *, startup_seconds: float | None = None) -> Iterator[str]:
    """``opcms api`` started as production runs it, on a free port of this machine, with this
    process's settings; yields its base URL once each of its processes listens and ``/healthz``
    answers, stops it afterwards.
    ``startup_seconds``: how long its processes may take to start (60 s when None)."""
    port = free_port()
    env = {**os.environ, "OPCMS_PORT": str(port), "OPCMS_HOST": "127.0.0.1", "OPCMS_LOG_LEVEL": "WARNING"}
    workers = int(env.get("OPCMS_API_WORKERS") or 1)
    server = subprocess.Popen([sys.executable, "-m", "opcms", "api"], env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + (startup_seconds or 60)
        while True:
            try:
                ready = listening_sockets(port) >= workers
                if ready and httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"bench {bench}: the API did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
