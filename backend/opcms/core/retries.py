"""Running a transaction again when the database gave it up to break a deadlock."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tortoise.exceptions import OperationalError, TransactionManagementError

from opcms.core.errors import Conflict

log = logging.getLogger("opcms.db")

# MariaDB/MySQL: 1213 deadlock (the transaction was rolled back), 1205 lock wait timeout
RETRYABLE_CODES = frozenset({1213, 1205})
MAX_ATTEMPTS = 5
T = TypeVar("T")


def is_retryable(error: BaseException) -> bool:
    """A deadlock, a lock wait timeout, or SQLite's "database is locked": nothing was written
    and the same transaction may well succeed when run again."""
    if not isinstance(error, (OperationalError, TransactionManagementError)):
        return False
    seen: list[BaseException] = [error]
    while seen:
        current = seen.pop()
        args = getattr(current, "args", ())
        if args and isinstance(args[0], int) and args[0] in RETRYABLE_CODES:
            return True
        if "database is locked" in str(current).lower():
            return True
        seen += [a for a in args if isinstance(a, BaseException)]
        seen += [e for e in (current.__cause__, current.__context__) if e is not None and e is not current]
    return False


def retry_on_deadlock(func: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Run a whole transaction again (up to MAX_ATTEMPTS, short random backoff) when the
    database gave it up to break a deadlock; then a 409 asking to try again, never a 500."""

    @wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(is_retryable),
                stop=stop_after_attempt(MAX_ATTEMPTS),
                wait=wait_random_exponential(multiplier=0.02, max=0.5),
            ):
                with attempt:
                    return await func(*args, **kwargs)
        except RetryError as error:
            log.warning(
                "%s gave up after %d attempts: %s",
                func.__name__,
                MAX_ATTEMPTS,
                error.last_attempt.exception(),
            )
            raise Conflict(
                "concurrent changes to the same rows kept colliding with this one; nothing was changed, try again",
                code="busy_retry",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
