"""Failed-login throttling per username and per client IP, stored in the database so every
API process shares it.

Each key (``user:<name>``, ``ip:<address>``) counts the failures of its window plus the
attempts still in flight: an attempt takes a slot on its keys *before* its password is checked,
with one atomic upsert per key, and an attempt whose slot is beyond the limit is refused (429 with
``Retry-After``) without a check. So wrong passwords arriving all at once get no more checks
than the limit, however many processes serve them. A failed attempt keeps its slots, and the
failure that reaches the limit locks the key for the lockout period; a successful one clears the
user's key and gives its address slot back; a refused one gives back what it took.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from tortoise import connections
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from opcms.auth.models import LoginThrottle
from opcms.core.db import UpsertSpelling, dialect, sql_timestamp
from opcms.core.errors import TooManyRequests
from opcms.core.models import utcnow
from opcms.core.retries import retry_on_deadlock
from opcms.core.settings import get_settings

TABLE = LoginThrottle._meta.db_table


@dataclass(frozen=True)
class Slot:
    """One place an attempt holds on one key, in the window it was taken in."""

    key: str
    limit: int
    window_started_at: dt.datetime


@dataclass(frozen=True)
class Attempt:
    """A login attempt admitted past the throttle: its slots, the user's first."""

    slots: tuple[Slot, ...]


def throttle_keys(username: str, ip: str | None) -> list[tuple[str, int]]:
    settings = get_settings()
    keys = [(f"user:{username.lower()[:100]}", settings.login_max_failures_per_user)]
    if ip:
        keys.append((f"ip:{ip}", settings.login_max_failures_per_ip))
    return keys


def _lockout() -> dt.timedelta:
    return dt.timedelta(seconds=get_settings().login_lockout_seconds)


def take_slot_sql(dialect_name: str) -> str:
    """One statement that counts an attempt on a key: a new key starts at 1; a key whose window
    and lock are both over starts again at 1 (unlocked, window from now); any other adds 1.

    Parameters: key, now (the values of a new row), then the window's start before which a window
    is over and now again, once for each of the three assignments."""
    sql = UpsertSpelling(dialect_name)
    failures, started, locked = sql.name("failures"), sql.name("window_started_at"), sql.name("locked_until")
    mark = "%s" if sql.mysql else "?"
    over = f"({started} <= {mark} AND ({locked} IS NULL OR {locked} <= {mark}))"
    # MySQL applies the assignments left to right and the later ones see the earlier results:
    # window_started_at, which `over` reads, is assigned last
    assignments = {
        "failures": sql.choose(over, "1", f"{failures} + 1"),
        "locked_until": sql.choose(over, "NULL", locked),
        "window_started_at": sql.choose(over, sql.incoming("window_started_at"), started),
    }
    return sql.statement(TABLE, ("key", "failures", "window_started_at"), ("key",), assignments)


@retry_on_deadlock
async def _take_slot(key: str) -> LoginThrottle:
    """Count one attempt on ``key``; the row as this attempt left it."""
    now = utcnow()
    window_over = sql_timestamp(now - _lockout())
    at = sql_timestamp(now)
    async with in_transaction():
        # inside the transaction "default" is its connection: the row stays locked by this
        # upsert until the read below has seen what it wrote
        conn = connections.get("default")
        await conn.execute_query(take_slot_sql(dialect()), [key, 1, at, *[window_over, at] * 3])
        return await LoginThrottle.get(key=key)


def _in_its_window(slot: Slot) -> QuerySet[LoginThrottle]:
    # a window started since the slot was taken counts afresh: the slot is not in it
    return LoginThrottle.filter(key=slot.key, window_started_at=slot.window_started_at)


@retry_on_deadlock
async def _give_back(slot: Slot) -> None:
    await _in_its_window(slot).filter(failures__gt=0).update(failures=F("failures") - 1)


@retry_on_deadlock
async def _lock_if_at_limit(slot: Slot) -> None:
    await _in_its_window(slot).filter(failures__gte=slot.limit).update(locked_until=utcnow() + _lockout())


@retry_on_deadlock
async def _clear(key: str) -> None:
    await LoginThrottle.filter(key=key).delete()


def _refusal(row: LoginThrottle) -> TooManyRequests:
    # the key frees up when its lock ends, or its window when no failure has locked it (yet)
    now = utcnow()
    until = max(row.window_started_at + _lockout(), row.locked_until or now)
    return TooManyRequests(
        "Too many failed logins; try again later",
        code="too_many_attempts",
        retry_after=math.ceil((until - now).total_seconds()),
    )


async def admit(username: str, ip: str | None) -> Attempt:
    """Take a slot on the user's key, then on the address's; refuse the attempt (429) when a key
    is locked or its slots are all taken, giving back the slots this attempt took."""
    slots: list[Slot] = []
    try:
        for key, limit in throttle_keys(username, ip):
            row = await _take_slot(key)
            slot = Slot(key, limit, row.window_started_at)
            slots.append(slot)
            if row.failures > limit or (row.locked_until is not None and row.locked_until > utcnow()):
                raise _refusal(row)
    except BaseException:
        for taken in reversed(slots):
            await _give_back(taken)
        raise
    return Attempt(tuple(slots))


async def record_failure(attempt: Attempt) -> None:
    """The password was wrong (or the user unknown or disabled): the slots stay counted, and a
    key whose count reached its limit is locked for the lockout period."""
    for slot in attempt.slots:
        await _lock_if_at_limit(slot)


async def record_success(attempt: Attempt) -> None:
    """The user's key is cleared (their earlier failures are forgiven); the address's slot is
    given back, since this attempt was no failure."""
    user, *others = attempt.slots
    await _clear(user.key)
    for slot in others:
        await _give_back(slot)
