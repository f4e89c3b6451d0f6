"""Waiting for a condition in a test instead of sleeping for a fixed time.

A fixed sleep is either too short on a slow machine (the test flakes) or longer than needed
everywhere (the suite crawls), and it fails far from the cause. :func:`wait_until` polls the
real condition — a database row, a process's output — and fails naming what it waited for.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def finished(shown: dict[str, Any]) -> bool:
    """An execution (a run, a pull, a job) as the API shows it has ended, whichever way."""
    return shown["status"] not in ("pending", "running")


async def wait_until(
    condition: Callable[[], Awaitable[T] | T],
    *,
    timeout: float,
    what: str,
    done: Callable[[T], object] = bool,
    interval: float = 0.2,
) -> T:
    """Call ``condition`` (plain or async) every ``interval`` seconds until ``done`` of what it
    returns is true (by default: until it returns something truthy), and return that value.
    Once ``timeout`` seconds have passed first, fail naming ``what`` and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value: Any = condition()
        if inspect.isawaitable(value):
            value = await value
        if done(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}; last seen: {value!r}")
        await asyncio.sleep(interval)
