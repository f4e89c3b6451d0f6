"""The Celery Beat scheduler that reads the job schedules from the database.

``celery beat --scheduler opcms.jobs.beat:DatabaseScheduler`` (``opcms beat`` and the embedded
``opcms run`` set it). Celery's own schedule (``beat_schedule``, the shelve file) is not used:
each tick runs :func:`opcms.jobs.schedules.tick` — lease, reaper, due schedules — on this
process's own event loop, with Tortoise initialised on it (like a worker, core/tasks.py).
Exactly one Beat fires: the one holding the lease; others keep trying to take it over, and do
within ``LEASE_TICKS`` ticks of the active one going away. The jobs and the every-minute chores
it knows are those :func:`opcms.wiring.wire` registered (``opcms beat`` calls it first).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from typing import Any

from celery.beat import Scheduler

from opcms.core.context import acting_as, system_actor

log = logging.getLogger("opcms.jobs.beat")

TICK_SECONDS = 15.0
LEASE_TICKS = 3  # the lease outlives two missed ticks


class DatabaseScheduler(Scheduler):
    tick_seconds = TICK_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state: Any = None
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        from opcms.core.db import init_db
        from opcms.jobs.schedules import BeatState

        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(init_db())
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._state = BeatState(holder=holder, lease_seconds=self.tick_seconds * LEASE_TICKS)
        log.info("beat %s reads the job schedules from the database", holder)

    def _run(self, coroutine: Any) -> Any:
        assert self._loop is not None
        with acting_as(system_actor("beat")):
            return self._loop.run_until_complete(coroutine)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        from opcms.jobs.schedules import tick

        try:
            for fired in self._run(tick(self._state)):
                log.info(
                    "schedule %s fired %s: %s (execution %s)",
                    fired.schedule,
                    fired.task_name,
                    fired.outcome,
                    fired.execution_id,
                )
        except Exception:  # the database is away for a moment: try again next tick
            log.exception("beat tick failed")
        return min(self.tick_seconds, self.max_interval or self.tick_seconds)

    @property
    def schedule(self) -> dict[str, Any]:
        return {}

    def sync(self) -> None:
        pass

    def close(self) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        from opcms.core.db import close_db
        from opcms.jobs.schedules import release_lease

        try:
            # let another Beat take over at once instead of after the lease expires
            self._run(release_lease(self._state.holder))
            self._loop.run_until_complete(close_db())
        except Exception:
            log.exception("beat could not release its lease")
        finally:
            self._loop.close()

    @property
    def info(self) -> str:
        return f"    . db schedules (opcms.jobs.beat), holder {self._state.holder if self._state else '-'}"
