"""A real `opcms api` whose database is out answers 503 ``database_unavailable`` with
Retry-After on every route, and serves again by itself once the database is back."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from tortoise.exceptions import DBConnectionError, IntegrityError
from tortoise.exceptions import OperationalError as ORMOperationalError

from opcms.core.outages import is_database_outage
from tests.backend.conftest import TEST_DATABASE_URL, TMP, is_mysql_url
from tests.backend.factories import PASSWORD, make_user, session_for
from tests.backend.processes import api_env, free_port, opcms, stop, wait_http

pytestmark = pytest.mark.slow

LOGIN = "/api/v1/auth/login"
CUSTOMERS = "/api/v1/customers"
USERS = "/api/v1/users"


def driver_error(number: int, message: str) -> Exception:
    from asyncmy.errors import OperationalError, ProgrammingError

    return (ProgrammingError if number == 1064 else OperationalError)(number, message)


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (DBConnectionError("Can't connect to MySQL server"), True),
        (ORMOperationalError(driver_error(2003, "Can't connect to MySQL server")), True),
        (ORMOperationalError(driver_error(2013, "Lost connection to server during query")), True),
        (driver_error(2006, "MySQL server has gone away"), True),
        (ORMOperationalError(driver_error(1040, "Too many connections")), True),
        # a wrong statement, a deadlock or a duplicate is about the data, not the server
        (ORMOperationalError(driver_error(1064, "You have an error in your SQL syntax")), False),
        (ORMOperationalError(driver_error(1213, "Deadlock found")), False),
        (IntegrityError(driver_error(1062, "Duplicate entry")), False),
        (ConnectionRefusedError(111, "a broker, not the database"), False),
        (KeyError("a bug"), False),
    ],
)
def test_only_connection_failures_count_as_an_outage(error, outage):
    assert is_database_outage(error) is outage


class Forwarder:
    """A TCP port in front of the database that can be switched off and on, as a database
    server going away and coming back looks to the API."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.Task] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for pipe in list(self.pipes):  # the open connections are cut too
            pipe.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)
        await self.server.wait_closed()
        self.server = None

    async def _forward(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        pipes = [
            asyncio.create_task(self._pipe(client_reader, server_writer)),
            asyncio.create_task(self._pipe(server_reader, client_writer)),
        ]
        self.pipes.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            self.pipes.difference_update(pipes)
            for writer in (client_writer, server_writer):
                writer.close()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def database_url_on_port(port: int) -> str:
    """The test database's URL (user, password, name) but reached through ``port``."""
    if not is_mysql_url(TEST_DATABASE_URL):
        return f"mysql://root@127.0.0.1:{port}/opcms_outage"
    parts = urlsplit(TEST_DATABASE_URL)
    userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{userinfo}127.0.0.1:{port}"))


def assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == {
        "error": {
            "code": "database_unavailable",
            "message": "The database is unavailable; try again shortly",
            "details": [],
        }
    }
    assert int(response.headers["Retry-After"]) > 0


def business_figures_read(response: httpx.Response) -> float:
    """The value of ``opcms_business_metrics_up`` in a /metrics answer (which carries the HTTP
    figures too)."""
    assert response.status_code == 200, response.text
    assert "opcms_http_requests_total" in response.text
    (line,) = [line for line in response.text.splitlines() if line.startswith("opcms_business_metrics_up ")]
    return float(line.split()[1])


async def assert_every_route_waits(api: httpx.AsyncClient, token: str) -> None:
    assert_database_unavailable(await api.post(LOGIN, json={"username": "admin", "password": PASSWORD}))
    assert_database_unavailable(await api.get(CUSTOMERS, headers={"Authorization": f"Bearer {token}"}))
    assert_database_unavailable(await api.get(USERS, headers={"Authorization": f"Bearer {token}"}))
    assert (await api.get("/readyz")).status_code == 503


async def comes_back(api: httpx.AsyncClient, token: str, database_port: int) -> None:
    # when the database appears on that port, the same process serves again
    target = urlsplit(TEST_DATABASE_URL)
    database = Forwarder(database_port, (target.hostname or "127.0.0.1", target.port or 3306))
    await database.start()
    try:
        login = await api.post(LOGIN, json={"username": "admin", "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert business_figures_read(await api.get("/metrics")) == 1
        listed = await api.get(USERS, headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200 and listed.json()["total"] >= 1
        assert (await api.get("/readyz")).status_code == 200
        # when it goes away again, with connections already pooled, it is 503 again
        await database.stop()
        await assert_every_route_waits(api, token)
        # and when it comes back, the API recovers once more
        await database.start()
        listed = await api.get(USERS, headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200, listed.text
    finally:
        if database.server is not None:
            await database.stop()


async def test_an_outage_answers_503_everywhere_and_the_api_recovers_without_a_restart(db):
    # given an admin with a valid token, and an API whose database port has nobody listening
    admin = await make_user("admin", username="admin")
    token = (await session_for(admin)).access_token
    database_port, api_port = free_port(), free_port()
    env = api_env(api_port, TMP / "outage", OPCMS_DATABASE_URL=database_url_on_port(database_port))
    process = opcms("api", env=env)
    base = f"http://127.0.0.1:{api_port}"
    try:
        wait_http(f"{base}/healthz", process)
        # (the answers are read in English: without Accept-Language the API answers in Chinese)
        async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Accept-Language": "en-US"}) as api:
            # then login, lists and readiness all say the database is unavailable, not 500
            await assert_every_route_waits(api, token)
            # and /metrics answers, saying the business figures could not be read
            assert business_figures_read(await api.get("/metrics")) == 0
            if is_mysql_url(TEST_DATABASE_URL):  # recovery needs a database server to come back
                await comes_back(api, token, database_port)
    finally:
        stop(process)
    output = process.stdout.read()
    assert "internal_error" not in output and "Traceback" not in output, output
