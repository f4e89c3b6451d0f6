"""The usage pull: every enabled source, every day asked for, every mapped customer that can
have usage, with bounded concurrency, a per-call timeout and retries (DESIGN §6).

Accounts are asked for in chunks (``OPCMS_USAGE_ACCOUNTS_PER_CALL``); at most
``OPCMS_USAGE_PULL_CONCURRENCY`` vendor calls are in flight. A call that times out, meets a
5xx or gets malformed JSON is retried up to ``OPCMS_USAGE_RETRIES`` times with exponential
backoff and jitter; a call that still fails is counted and logged, and the rest of the pull
goes on: one source failing does not stop the others. Re-running a day rewrites the same rows
(the store upserts), so the pull is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tortoise.exceptions import IntegrityError, OperationalError

from opcms.core.audit import AuditAction, record_audit
from opcms.core.db import writer_turns
from opcms.core.errors import NotFound
from opcms.core.settings import get_settings
from opcms.jobs.recorder import ExecutionRun
from opcms.usage.adapters import AdapterError, UsageAdapter, VendorUnavailable, VendorUsage, build_adapter
from opcms.usage.ingest import (
    Classified,
    IngestContext,
    IngestOutcome,
    SpikeWindow,
    classify_rows,
    join_classified,
    store_classified,
)
from opcms.usage.late import look_up_invoiced
from opcms.usage.models import DataSource
from opcms.usage.sources.service import config_of

TASK_NAME = "usage.pull_day"
MAX_BACKFILL_DAYS = 92


def days_between(first_day: dt.date, last_day: dt.date) -> list[dt.date]:
    return [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]


async def pull_usage(
    first_day: dt.date, last_day: dt.date, run: ExecutionRun, *, source_name: str | None = None
) -> None:
    """Pull ``first_day``…``last_day`` (inclusive) from every enabled source, or one."""
    sources_query = DataSource.filter(is_enabled=True)
    if source_name:
        sources_query = sources_query.filter(name=source_name)
    sources = await sources_query.order_by("name")
    if source_name and not sources:
        raise NotFound(
            f"no enabled data source {source_name!r}",
            code="data_source_not_found",
            key="no_enabled_data_source",
            params={"name": source_name},
        )
    settings = get_settings()
    pull = _Pull(
        first_day,
        last_day,
        run,
        calls=asyncio.Semaphore(settings.usage_pull_concurrency),
        writes=writer_turns(settings.usage_write_concurrency),
    )
    await asyncio.gather(*(pull.source(source) for source in sources))
    run.count("sources", len(sources))
    await record_audit(
        AuditAction.IMPORT,
        "usage_pull",
        run.execution.id,
        after={
            "days": [first_day.isoformat(), last_day.isoformat()],
            "source": source_name,
            **dict(run.counters),
        },
        message="usage pull",
    )


@dataclass
class _Pull:
    """One pull's days, its execution, and the limits shared by all its sources' calls."""

    first_day: dt.date
    last_day: dt.date
    run: ExecutionRun
    calls: asyncio.Semaphore
    writes: contextlib.AbstractAsyncContextManager[object]

    async def source(self, source: DataSource) -> None:
        run = self.run
        context = await IngestContext.for_source(source.id, execution_id=run.execution.id)
        if not context.accounts:
            run.log(f"{source.name}: no mapped customer, nothing to pull")
            return
        try:
            adapter = build_adapter(config_of(source))
        except AdapterError as error:
            run.count("failed")
            run.count("sources_failed")
            run.log(f"{source.name}: cannot start the adapter: {error}")
            return
        names = sorted(context.accounts)
        size = get_settings().usage_accounts_per_call
        try:
            failures = await asyncio.gather(
                *(
                    self.chunk(adapter, source, names[i : i + size], context)
                    for i in range(0, len(names), size)
                )
            )
        finally:
            await adapter.aclose()
        if any(failures):
            run.count("sources_failed")

    async def chunk(
        self, adapter: UsageAdapter, source: DataSource, accounts: list[str], context: IngestContext
    ) -> int:
        """Pull every day for these accounts; returns how many days failed (asking or storing)."""
        run, failed = self.run, 0
        customer_ids = [context.accounts[a] for a in accounts]
        # each chunk has its own trailing window (history of its customers only)
        # (asked day after day: a day that has left the window is forgotten)
        window = await SpikeWindow.load(source.id, customer_ids, self.first_day, self.last_day, forward=True)
        context = context.with_window(window)
        # Days are stored in groups: consecutive days, classified one after the other, as long
        # as their rows fit in one statement (OPCMS_USAGE_BATCH_ROWS): one upsert and one
        # late-usage lookup per group, not per day (a back-fill's chunk of 200 accounts has 400
        # rows a day). A group is stored while the next one is fetched and classified (its
        # statement in flight while this process works): at most one group of the chunk stored
        # at a time. A day with a held row closes its group, and the next day is classified
        # only once that group is stored (a held row may be let through by an earlier review
        # and recorded in the spike window as it is stored).
        limit = context.batch_rows
        group: list[tuple[dt.date, Classified]] = []
        group_rows = 0
        storing: tuple[list[dt.date], asyncio.Future[IngestOutcome]] | None = None
        for day in days_between(self.first_day, self.last_day):
            run.count("processed")
            try:
                rows = await fetch_with_retries(
                    adapter, source.name, accounts, day, run, self.calls, float(source.timeout_seconds)
                )
            except AdapterError as error:
                run.count("failed")
                failed += 1
                run.log(
                    f"{source.name} {day}: {len(accounts)} accounts failed: {type(error).__name__}: {error}"
                )
                continue
            batch = classify_rows(context, rows, (day, day))
            size = len(batch.unique)
            if group and group_rows + size > limit:
                if storing is not None:
                    failed += await self.stored(source, accounts, *storing)
                storing = self.start_storing(context, customer_ids, group)
                group, group_rows = [], 0
            group.append((day, batch))
            group_rows += size
            if batch.held:
                if storing is not None:
                    failed += await self.stored(source, accounts, *storing)
                failed += await self.stored(
                    source, accounts, *self.start_storing(context, customer_ids, group)
                )
                storing, group, group_rows = None, [], 0
        if storing is not None:
            failed += await self.stored(source, accounts, *storing)
        if group:
            failed += await self.stored(source, accounts, *self.start_storing(context, customer_ids, group))
        return failed

    def start_storing(
        self, context: IngestContext, customer_ids: list[int], group: list[tuple[dt.date, Classified]]
    ) -> tuple[list[dt.date], asyncio.Future[IngestOutcome]]:
        days = [day for day, _ in group]
        return days, asyncio.ensure_future(
            self.store(context, customer_ids, days, join_classified([batch for _, batch in group]))
        )

    async def store(
        self, context: IngestContext, customer_ids: list[int], days: list[dt.date], batch: Classified
    ) -> IngestOutcome:
        # which of the days' periods are invoiced (late usage): asked just before they are
        # stored, for every customer of the chunk
        invoiced = await look_up_invoiced(dict.fromkeys(days, customer_ids))
        async with self.writes:
            return await store_classified(context, batch, invoiced)

    async def stored(
        self,
        source: DataSource,
        accounts: list[str],
        days: list[dt.date],
        storing: asyncio.Future[IngestOutcome],
    ) -> int:
        """Wait for a group of days being stored; how many days failed."""
        run = self.run
        try:
            outcome = await storing
        except (IntegrityError, OperationalError) as error:
            # e.g. another pull of the same day writing the same anomaly at the same moment:
            # this chunk's transaction rolled back whole; a re-run of the days repairs it
            run.count("failed", len(days))
            when = f"{days[0]}" if len(days) == 1 else f"{days[0]}…{days[-1]}"
            run.log(
                f"{source.name} {when}: {len(accounts)} accounts not stored: {type(error).__name__}: {error}"
            )
            return len(days)
        run.count("succeeded", len(days))
        outcome.count_on(run, source.name)
        return 0


def _retryable(error: BaseException) -> bool:
    return isinstance(error, AdapterError) and error.retryable


async def fetch_with_retries(
    adapter: UsageAdapter,
    source_name: str,
    accounts: Sequence[str],
    day: dt.date,
    run: ExecutionRun,
    calls: asyncio.Semaphore,
    timeout: float,
) -> list[VendorUsage]:
    settings = get_settings()
    base = settings.usage_retry_base_seconds

    def before_sleep(state: RetryCallState) -> None:
        run.count("retries")
        # tenacity sets the outcome before it sleeps
        error = state.outcome.exception() if state.outcome is not None else None
        run.log(f"{source_name} {day}: retry {state.attempt_number}: {error}")

    retrying = AsyncRetrying(
        stop=stop_after_attempt(settings.usage_retries + 1),
        wait=wait_exponential_jitter(initial=base, max=max(base * 30, base), jitter=base),
        retry=retry_if_exception(_retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            async with calls:
                try:
                    return await asyncio.wait_for(adapter.fetch_usage(list(accounts), day), timeout)
                except TimeoutError:
                    raise VendorUnavailable(f"no answer within {timeout:g} s") from None
    raise AssertionError("unreachable: tenacity re-raises the last error")
