"""A real `opcms api` whose database connections are all busy waits a bounded time
(``OPCMS_DB_BUSY_TIMEOUT_SECONDS``) and then answers 503 ``database_unavailable`` with
Retry-After, instead of waiting as long as the connections stay busy; once they come free it
serves again by itself. On MariaDB the busy connections are the pool's, on SQLite the file's
write lock."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError as ORMOperationalError

from opcms.core.outages import DatabaseBusy, is_database_outage
from opcms.core.settings import get_settings
from tests.backend.conftest import TEST_DATABASE_URL, TMP, is_mysql_url
from tests.backend.factories import make_customer, make_user, session_for
from tests.backend.processes import api_env, free_port, opcms, stop, wait_http
from tests.backend.test_database_outage import assert_database_unavailable

CUSTOMERS = "/api/v1/customers"
WAIT = 1.0  # the API's OPCMS_DB_BUSY_TIMEOUT_SECONDS
MARGIN = 3.0  # a request's own work on a shared two-core machine
on_mysql = pytest.mark.skipif(not is_mysql_url(TEST_DATABASE_URL), reason="the pool is MySQL's")
on_sqlite = pytest.mark.skipif(is_mysql_url(TEST_DATABASE_URL), reason="the file lock is SQLite's")


def test_a_busy_database_counts_as_an_outage_and_a_bad_statement_does_not(tmp_path):
    # given a SQLite file (write-ahead log) whose write lock one connection holds
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        # when another writes, or asks for a table that is not there
        with pytest.raises(sqlite3.OperationalError, match="database is locked") as locked:
            writer.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.OperationalError, match="no such table") as wrong:
            writer.execute("SELECT x FROM nowhere")
    finally:
        holder.rollback()
        holder.close()
        writer.close()

    # then, as Tortoise raises them, the lock is an outage (503) and the statement a bug (500)
    assert is_database_outage(ORMOperationalError(locked.value))
    assert not is_database_outage(ORMOperationalError(wrong.value))
    # and so is a pool whose every connection stayed busy
    assert is_database_outage(DatabaseBusy("no database connection came free within 1s"))


@contextlib.contextmanager
def api_process(name: str, **settings: str) -> Iterator[str]:
    """An `opcms api` on the test database that waits WAIT seconds for a busy database; its
    base URL. Whatever it answered, it never logged a trace."""
    port = free_port()
    env = api_env(port, TMP / name, OPCMS_DB_BUSY_TIMEOUT_SECONDS=str(WAIT), **settings)
    process = opcms("api", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", process)
        yield base
    finally:
        stop(process)
    output = process.stdout.read()
    assert "internal_error" not in output and "Traceback" not in output, output


async def admin_headers() -> dict[str, str]:
    admin = await make_user("admin")
    # the answers are read in English (without Accept-Language the API answers in Chinese)
    return {"Authorization": f"Bearer {(await session_for(admin)).access_token}", "Accept-Language": "en-US"}


async def timed(request) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def updates_running(table: str) -> int:
    """UPDATEs of ``table`` that the test database's server is running for a session of this
    test's database (not another's on the same server)."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT COUNT(*) AS running FROM information_schema.processlist "
        "WHERE db = DATABASE() AND command = 'Query' AND info LIKE %s",
        [f"UPDATE `{table}` %"],
    )
    return int(rows[0]["running"])


async def until_waiting(table: str, count: int, timeout: float = 20) -> None:
    """Until ``count`` UPDATEs of ``table`` run (they wait for a row lock the test holds)."""
    deadline = time.monotonic() + timeout
    while await updates_running(table) < count:
        assert time.monotonic() < deadline, f"{count} updates of {table} never started"
        await asyncio.sleep(0.05)


def driver_arguments() -> dict[str, Any]:
    """The test database as the driver's connect() takes it."""
    parts = urlsplit(TEST_DATABASE_URL)
    return {
        "host": parts.hostname,
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
        "db": parts.path.strip("/"),
    }


@contextlib.asynccontextmanager
async def row_locked(table: str, row_id: int):
    """Another session of the database holds a write lock on one row until the block ends."""
    import asyncmy

    session = await asyncmy.connect(**driver_arguments())
    try:
        async with session.cursor() as cursor:
            await cursor.execute("BEGIN")
            await cursor.execute(f"SELECT id FROM `{table}` WHERE id = %s FOR UPDATE", [row_id])
        yield
    finally:
        await session.rollback()
        session.close()


@pytest.mark.slow
@on_mysql
async def test_with_every_pooled_connection_busy_a_request_answers_503_in_time_and_the_api_recovers(db):
    # given an API whose pool holds two connections, and a customer
    headers = await admin_headers()
    customer = await make_customer()
    with api_process("pool", OPCMS_API_DB_POOL_MAX="2") as base:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
            assert (await api.get(CUSTOMERS)).status_code == 200
            async with row_locked("customer", customer.id):
                # and two updates of a row another session has locked, each holding a pooled
                # connection while its UPDATE waits for the lock
                held = [
                    asyncio.create_task(api.patch(f"{CUSTOMERS}/{customer.id}", json={"remark": f"held {n}"}))
                    for n in range(2)
                ]
                await until_waiting("customer", 2)

                # when another request needs a connection
                response, elapsed = await timed(api.get(CUSTOMERS, timeout=WAIT + MARGIN + 5))

                # then it waited the bounded time, no longer, and was told to come back
                assert_database_unavailable(response)
                assert WAIT * 0.9 <= elapsed < WAIT + MARGIN, elapsed
                assert not any(task.done() for task in held)
            # when the lock goes, the held updates finish and the API serves again
            assert [(await task).status_code for task in held] == [200, 200]
            listed = await api.get(CUSTOMERS)
            assert listed.status_code == 200 and listed.json()["total"] == 1
            assert (await api.get("/readyz")).status_code == 200


@pytest.mark.slow
@on_sqlite
async def test_a_write_lock_held_past_the_busy_timeout_answers_503_and_the_write_succeeds_after(db):
    # given an API on the SQLite file, and a customer
    headers = await admin_headers()
    customer = await make_customer()
    path = get_settings().sqlite_path
    assert path is not None
    with api_process("sqlite-lock") as base:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
            assert (await api.get(CUSTOMERS)).status_code == 200
            # and another process of the file holding its write lock
            other = sqlite3.connect(path, isolation_level=None, timeout=0)
            try:
                other.execute("BEGIN EXCLUSIVE")
                # when a write comes
                write = api.patch(f"{CUSTOMERS}/{customer.id}", json={"remark": "after the lock"})
                response, elapsed = await timed(write)

                # then it waited the busy timeout, no longer, and was told to come back
                assert_database_unavailable(response)
                assert WAIT * 0.9 <= elapsed < WAIT + MARGIN, elapsed
                # while reads go on (write-ahead log)
                assert (await api.get(CUSTOMERS)).status_code == 200
            finally:
                other.rollback()
                other.close()

            # when the lock goes, the same write succeeds
            again = await api.patch(f"{CUSTOMERS}/{customer.id}", json={"remark": "after the lock"})
            assert again.status_code == 200, again.text
            assert again.json()["remark"] == "after the lock"


@on_mysql
async def test_a_connection_that_comes_free_goes_to_the_request_waiting_for_it_not_to_a_newcomer(db):
    import asyncmy

    from opcms.core.db_mysql import WaitingPool

    # given a pool of one connection, taken, and a request waiting for it
    driver_pool = await asyncmy.create_pool(**driver_arguments(), minsize=1, maxsize=1)
    pool = WaitingPool(driver_pool, seconds=5)
    served: list[str] = []

    async def request(name: str) -> None:
        connection = await pool.acquire()
        served.append(name)
        async with connection.cursor() as cursor:
            await cursor.execute("SELECT 1")
        await pool.release(connection)

    try:
        taken = await pool.acquire()
        waiting = asyncio.create_task(request("waited"))
        await asyncio.sleep(0.05)
        assert not served
        # when the connection is given back and a new request asks for one at that moment
        await asyncio.gather(pool.release(taken), request("newcomer"), waiting)
        # then the request that waited was served first
        assert served == ["waited", "newcomer"]
    finally:
        driver_pool.close()
        await driver_pool.wait_closed()
