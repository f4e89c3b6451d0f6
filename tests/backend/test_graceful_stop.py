"""SIGTERM to a real `opcms api` process: it stops taking connections, answers the requests it
is serving, then exits by itself (issue 19: a rolling restart loses no request in flight)."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest

from opcms.customers.models import Customer
from tests.backend.conftest import TMP
from tests.backend.factories import make_customer
from tests.backend.processes import api_env, free_port, opcms, stop, wait_http
from tests.backend.test_pool_exhaustion import CUSTOMERS, admin_headers, on_mysql, row_locked, until_waiting


async def refused(base: str, timeout: float = 15) -> bool:
    """Whether a new connection to ``base`` is refused within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with httpx.AsyncClient(base_url=base, timeout=2) as fresh:
                await fresh.get("/healthz")
        except httpx.ConnectError:
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.slow
@on_mysql
async def test_sigterm_refuses_new_connections_answers_the_request_in_flight_and_exits(db):
    # given an API process, and a customer whose update will wait for a row lock
    headers = await admin_headers()
    customer = await make_customer()
    port = free_port()
    env = api_env(port, TMP / "graceful-stop")
    process = opcms("api", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", process)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
            async with row_locked("customer", customer.id):
                # and an update in flight: its UPDATE waits for the lock another session holds
                in_flight = asyncio.create_task(
                    api.patch(f"{CUSTOMERS}/{customer.id}", json={"remark": "in flight"})
                )
                await until_waiting("customer", 1)
                # when the process is told to stop
                process.send_signal(signal.SIGTERM)
                # then it takes no new connection, while the update is still waiting
                assert await refused(base)
                assert not in_flight.done() and process.poll() is None
            # when the lock goes, the update is answered and done
            response = await in_flight
        assert response.status_code == 200, response.text
        assert response.json()["remark"] == "in flight"
        assert (await Customer.get(id=customer.id)).remark == "in flight"
        # and the process exits by itself, cleanly
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    output = process.stdout.read()
    assert "Traceback" not in output, output


@pytest.mark.slow
async def test_sigterm_the_moment_the_api_first_answers_still_stops_it(db):
    # given an API process just started: its first answers go out while its last start-up step
    # runs, and a stop asked for then was swallowed by that step's end (it served on, deaf)
    for attempt in range(2):
        port = free_port()
        env = api_env(port, TMP / "stop-at-start")
        process = opcms("api", env=env)
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", process, every=0.005)
            # when SIGTERM reaches it the moment it first answers
            process.send_signal(signal.SIGTERM)
            # then it exits by itself, cleanly
            assert process.wait(timeout=30) == 0, attempt
        finally:
            stop(process)
        output = process.stdout.read()
        assert "Traceback" not in output, output
