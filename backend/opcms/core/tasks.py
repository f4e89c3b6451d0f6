"""Run the async services from Celery tasks.

Each worker process keeps one event loop and initialises Tortoise once (after the fork, on
first use); a task is a plain function that sets the actor to ``system:<task>`` and runs its
coroutine on that loop.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from celery.signals import worker_process_shutdown

from opcms.core.celery_app import celery_app
from opcms.core.context import acting_as, system_actor
from opcms.core.db import close_db, init_db

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _worker_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        _loop_pid = os.getpid()
        _loop.run_until_complete(init_db())
    return _loop


def run_async(task_name: str, coroutine_fn: Callable[[], Awaitable[T]]) -> T:
    loop = _worker_loop()
    with acting_as(system_actor(task_name)):
        return loop.run_until_complete(coroutine_fn())


@worker_process_shutdown.connect  # type: ignore[untyped-decorator]  # celery ships no type hints
def _close_worker_loop(**_: Any) -> None:
    global _loop
    if _loop is not None and _loop_pid == os.getpid() and not _loop.is_closed():
        _loop.run_until_complete(close_db())
        _loop.close()
    _loop = None


def async_task(name: str, **options: Any) -> Callable[[Callable[..., Awaitable[T]]], Any]:
    """Turn an async service function into a Celery task named ``name``."""

    def decorate(fn: Callable[..., Awaitable[T]]) -> Any:
        @celery_app.task(name=name, **options)  # type: ignore[untyped-decorator]  # celery ships no type hints
        @functools.wraps(fn)
        def task(*args: Any, **kwargs: Any) -> T:
            return run_async(name, lambda: fn(*args, **kwargs))

        return task

    return decorate
