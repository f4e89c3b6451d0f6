"""Failed-login throttling per username and per client IP, stored in the database so every
API process shares it. After N failures inside the window the key is locked for the lockout
period; the caller gets a 429 with ``Retry-After``.
"""

from __future__ import annotations

import datetime as dt
import math

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.auth.models import LoginThrottle
from opcms.core.errors import TooManyRequests
from opcms.core.models import utcnow
from opcms.core.settings import get_settings


def throttle_keys(username: str, ip: str | None) -> list[tuple[str, int]]:
    settings = get_settings()
    keys = [(f"user:{username.lower()[:100]}", settings.login_max_failures_per_user)]
    if ip:
        keys.append((f"ip:{ip}", settings.login_max_failures_per_ip))
    return keys


async def ensure_not_locked(username: str, ip: str | None) -> None:
    now = utcnow()
    keys = [key for key, _ in throttle_keys(username, ip)]
    locked = await LoginThrottle.filter(key__in=keys, locked_until__gt=now).order_by("-locked_until").first()
    if locked is not None and locked.locked_until is not None:
        wait = math.ceil((locked.locked_until - now).total_seconds())
        raise TooManyRequests(
            "Too many failed logins; try again later", code="too_many_attempts", retry_after=wait
        )


async def record_failure(username: str, ip: str | None) -> None:
    settings = get_settings()
    window = dt.timedelta(seconds=settings.login_lockout_seconds)
    for key, limit in throttle_keys(username, ip):
        for _attempt in range(2):  # a concurrent first failure may insert the row first
            try:
                async with in_transaction():
                    now = utcnow()
                    row = await LoginThrottle.filter(key=key).select_for_update().first()
                    if row is None:
                        row = LoginThrottle(key=key, failures=0, window_started_at=now)
                    elif row.window_started_at + window <= now:
                        row.failures, row.window_started_at, row.locked_until = 0, now, None
                    row.failures += 1
                    if row.failures >= limit:
                        row.locked_until = now + window
                    await row.save()
                break
            except IntegrityError:
                continue


async def clear_user_failures(username: str) -> None:
    key, _ = throttle_keys(username, None)[0]
    await LoginThrottle.filter(key=key).delete()
