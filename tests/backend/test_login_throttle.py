"""The login throttle under concurrency: an attempt takes a slot on its user and IP counters
before its password is checked, so wrong passwords arriving all at once get no more checks than
the limit, never a 500, and lock the account (issue 15, finding 3)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import httpx
import pytest

from opcms.auth import throttle
from opcms.auth.models import LoginThrottle
from opcms.core.audit import AuditLog
from opcms.core.errors import TooManyRequests
from opcms.core.models import utcnow
from tests.backend.conftest import TMP
from tests.backend.factories import PASSWORD, make_user
from tests.backend.processes import api_env, free_port, opcms, stop, wait_http

LOGIN = "/api/v1/auth/login"
ATTEMPTS = 30
USER_LIMIT = 5  # the default of login_max_failures_per_user


@pytest.mark.slow
async def test_thirty_concurrent_wrong_passwords_get_the_limit_of_checks_and_lock_the_account(db):
    # given a user, and a real API process (concurrent requests each on a pooled connection of
    # their own) that allows 5 failures per user and, so that only the user counter is at stake,
    # many per IP. One process: under load a second one may miss Sanic's start-up deadline.
    await make_user("operator", username="target")
    port = free_port()
    env = api_env(
        port,
        TMP / "login-throttle",
        OPCMS_LOGIN_MAX_FAILURES_PER_USER=str(USER_LIMIT),
        OPCMS_LOGIN_MAX_FAILURES_PER_IP="1000",
    )
    process = opcms("api", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", process)
        limits = httpx.Limits(max_connections=ATTEMPTS, max_keepalive_connections=ATTEMPTS)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as api:
            # when 30 wrong passwords for that user arrive at once, each on its own connection
            guesses = [
                api.post(LOGIN, json={"username": "target", "password": f"Wrong-guess-{i:02}"})
                for i in range(ATTEMPTS)
            ]
            answers = await asyncio.gather(*guesses)
            statuses = Counter(answer.status_code for answer in answers)
            # then none fails with a 500: exactly the limit were checked (401), the rest refused (429)
            assert statuses == {401: USER_LIMIT, 429: ATTEMPTS - USER_LIMIT}, statuses
            for refused in (answer for answer in answers if answer.status_code == 429):
                assert refused.json()["error"]["code"] == "too_many_attempts"
                assert int(refused.headers["Retry-After"]) >= 1
            # and a password was checked (and the failure audited) only for the 401s
            assert await AuditLog.filter(action="login_failed").count() == USER_LIMIT
            # and the account is locked now: even the right password is refused
            right = await api.post(LOGIN, json={"username": "target", "password": PASSWORD})
            assert right.status_code == 429, right.text
            assert right.json()["error"]["code"] == "too_many_attempts"
            assert 1 <= int(right.headers["Retry-After"]) <= 900
    finally:
        stop(process)
    output = process.stdout.read()
    assert "internal_error" not in output and "Traceback" not in output, output


async def fail(username: str, ip: str | None = None) -> None:
    """One attempt whose password turned out wrong."""
    attempt = await throttle.admit(username, ip)
    await throttle.record_failure(attempt)


async def test_an_expired_window_starts_the_count_again(db, settings):
    # given a user locked after the limit of failures (3 in the tests)
    for _ in range(settings.login_max_failures_per_user):
        await fail("wendy")
    with pytest.raises(TooManyRequests):
        await throttle.admit("wendy", None)
    # when both its window and its lock are over
    past = utcnow() - dt.timedelta(seconds=settings.login_lockout_seconds + 1)
    await LoginThrottle.filter(key="user:wendy").update(window_started_at=past, locked_until=past)
    # then the next attempt is admitted and counts as the first of a new window, unlocked
    before = utcnow()
    await throttle.admit("wendy", None)
    row = await LoginThrottle.get(key="user:wendy")
    assert row.failures == 1 and row.locked_until is None
    assert row.window_started_at >= before - dt.timedelta(seconds=1)


async def test_a_lock_outlasting_its_window_still_refuses(db, settings):
    # given a user locked by failures whose window is over but whose lock still runs
    for _ in range(settings.login_max_failures_per_user):
        await fail("lena")
    past = utcnow() - dt.timedelta(seconds=settings.login_lockout_seconds + 1)
    await LoginThrottle.filter(key="user:lena").update(window_started_at=past)
    locked_until = (await LoginThrottle.get(key="user:lena")).locked_until
    # when another attempt comes
    with pytest.raises(TooManyRequests) as refused:
        await throttle.admit("lena", None)
    # then it is refused until the lock ends, and the window is not started again
    assert refused.value.code == "too_many_attempts" and refused.value.retry_after >= 1
    row = await LoginThrottle.get(key="user:lena")
    assert row.window_started_at == past and row.locked_until == locked_until


async def test_attempts_in_flight_hold_the_slots_until_their_outcome(db, settings):
    # given as many attempts in flight as the per-user limit, none of them answered yet
    limit = settings.login_max_failures_per_user
    in_flight = [await throttle.admit("pia", "192.0.2.1") for _ in range(limit)]
    # when one more comes, it is refused before any password is checked, without a lock
    with pytest.raises(TooManyRequests):
        await throttle.admit("pia", "192.0.2.1")
    row = await LoginThrottle.get(key="user:pia")
    assert row.failures == limit and row.locked_until is None
    # and the refusal took no slot from the address either
    assert (await LoginThrottle.get(key="ip:192.0.2.1")).failures == limit
    # when one of them turns out right, the user's counter is cleared and its IP slot given back
    await throttle.record_success(in_flight[0])
    assert not await LoginThrottle.exists(key="user:pia")
    assert (await LoginThrottle.get(key="ip:192.0.2.1")).failures == limit - 1
    # then the next attempt is admitted again
    await throttle.admit("pia", "192.0.2.1")


async def test_a_failure_at_the_limit_locks_the_user_and_the_address(db, settings):
    # given failures from one address up to its limit (6 in the tests), over several users
    for i in range(settings.login_max_failures_per_ip):
        await fail(f"guess{i % 2}", "198.51.100.7")
    # then the address is locked for the lockout period, whoever it tries next
    row = await LoginThrottle.get(key="ip:198.51.100.7")
    assert row.locked_until is not None
    remaining = (row.locked_until - utcnow()).total_seconds()
    assert settings.login_lockout_seconds - 5 <= remaining <= settings.login_lockout_seconds
    with pytest.raises(TooManyRequests):
        await throttle.admit("someone-else", "198.51.100.7")
    # and the refused attempt gave back the slot it took on that user's counter
    assert (await LoginThrottle.get(key="user:someone-else")).failures == 0
