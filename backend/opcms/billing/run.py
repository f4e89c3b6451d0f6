"""The invoice run of a period: a task execution fanned out in chunks (DESIGN §7, §15).

``billing.run_period`` plans the run: the customers to bill, split into ``invoice_run_chunk``
rows of ``chunk_size`` (default :data:`CHUNK_SIZE`). Each chunk is billed by :func:`bill_chunk`
— by a Celery task of a ``group`` on workers, or one after another in this process when there
is no broker (``opcms bill``, tests): the same function either way. A chunk:

- skips customers that already have a live invoice for the period (counted ``skipped``, or
  ``created`` when that invoice is this run's own: a chunk retried after a crash counts what
  its first attempt wrote, and creates nothing twice — the database's unique (customer,
  live_period) key has the last word);
- writes the other customers' invoices in one transaction, in bulk (multi-row statements,
  numbers taken under one lock); if that fails — a concurrent run invoiced one of them, or a
  row is refused — nothing of it was written and each invoice is written in its own
  transaction instead, so one customer's problem never stops the others;
- marks itself done with ``UPDATE … WHERE status = 'pending'`` (only one attempt wins).

The chunk that finds no chunk pending finalizes the execution (status, counters, ``result`` =
the summary) with a conditional UPDATE, so it happens once, and then calls the callbacks
registered with :func:`on_run_finished` (the notifications module, issue 7, registers there to
send the summary to the finance channel).

The run is the job ``billing.run_period`` (billing/tasks.py): it is started through
``opcms.jobs.service`` (API, Beat, retry, ``opcms bill``) under the run lock of its period, and
the lock is released where the execution ends (:func:`finalize`, :func:`_fail`). Each chunk
keeps the execution's heartbeat fresh while it bills, and a chunk whose execution is no
longer running (failed by the reaper, cancelled) writes nothing.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.billing.invoicing import (
    DraftError,
    InvoiceDraft,
    billable_customer_ids,
    draft_invoices,
    write_invoice,
    write_invoices,
)
from opcms.billing.models import ChunkStatus, InvoiceRunChunk
from opcms.billing.numbering import INVOICE, ensure_sequence
from opcms.core.errors import NotFound, ValidationFailed
from opcms.core.models import column_values, utcnow
from opcms.core.money import ZERO
from opcms.core.periods import period_bounds
from opcms.core.retries import retry_on_deadlock
from opcms.core.settings import business_today
from opcms.customers.models import Customer
from opcms.jobs import service as jobs
from opcms.jobs.locks import keep_alive
from opcms.jobs.models import ExecutionStatus, TaskExecution, Trigger
from opcms.jobs.recorder import FINISHED, LOG_EXCERPT_CHARS, create_execution
from opcms.settlement.models import Invoice

log = logging.getLogger("opcms.billing")

TASK_NAME = "billing.run_period"
CHUNK_TASK = "billing.run_chunk"
CHUNK_SIZE = 200
COUNTERS = ("processed", "succeeded", "skipped", "failed", "no_charge")

# what a callback answers is not used (the summary notice answers how many it sent)
RunCallback = Callable[[TaskExecution], Awaitable[object] | None]
_finished: list[RunCallback] = []


def on_run_finished(callback: RunCallback) -> RunCallback:
    """Register a callback called once with each finished run (usable as a decorator)."""
    if callback not in _finished:
        _finished.append(callback)
    return callback


def remove_run_callback(callback: RunCallback) -> None:
    if callback in _finished:
        _finished.remove(callback)


# --- requests -----------------------------------------------------------------------------------
async def check_request(period: str, customer_id: int | None = None) -> None:
    """422 for a malformed period or one after the current business month; 404 for an unknown customer."""
    try:
        first, _ = period_bounds(period)
    except ValueError as error:
        raise ValidationFailed.field("period", error) from None
    today = business_today()
    if first > today.replace(day=1):
        raise ValidationFailed.field(
            "period",
            f"{period} has not started yet (today is {today})",
            code="period_not_started",
            params={"period": period, "today": today},
        )
    if customer_id is not None and not await Customer.with_deleted().filter(id=customer_id).exists():
        raise NotFound.entity("customer", customer_id)


def run_parameters(
    period: str, customer_id: int | None, issue_date: dt.date | None, chunk_size: int
) -> dict[str, Any]:
    return {
        "period": period,
        "customer_id": customer_id,
        "issue_date": (issue_date or business_today()).isoformat(),
        "chunk_size": chunk_size,
    }


async def request_run(
    period: str,
    customer_id: int | None = None,
    issue_date: dt.date | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> TaskExecution:
    """Queue a run for the workers; the pending execution is answered at once (409: this period's
    run is live, 503: no broker)."""
    return await jobs.trigger(
        TASK_NAME, run_parameters(period, customer_id, issue_date, chunk_size), Trigger.MANUAL
    )


async def run_period(
    period: str,
    *,
    customer_id: int | None = None,
    issue_date: dt.date | None = None,
    trigger: Trigger = Trigger.CLI,
    chunk_size: int = CHUNK_SIZE,
    execution_id: int | None = None,
) -> TaskExecution:
    """Run the whole period now, in this process, chunk after chunk; returns the finished execution.

    Without ``execution_id`` the run takes no lock (tests, demo data): ``opcms bill`` goes through
    ``opcms.jobs.service.run_now`` instead."""
    if execution_id is None:
        await check_request(period, customer_id)
        execution = await create_execution(
            TASK_NAME, run_parameters(period, customer_id, issue_date, chunk_size), trigger
        )
        execution_id = execution.id
    return await run_execution_here(execution_id)


async def run_execution_here(execution_id: int) -> TaskExecution:
    """Plan a pending run and bill its chunks one after another in this process."""
    try:
        for chunk_id in await plan_run(execution_id):
            await bill_chunk(chunk_id)
    except BaseException as error:
        await _fail(execution_id, error)
        raise
    return await TaskExecution.get(id=execution_id)


# --- planning -----------------------------------------------------------------------------------
async def plan_run(execution_id: int) -> list[int]:
    """Start the execution and split its customers into chunks; returns the pending chunk ids.

    Idempotent: a redelivered coordinator finds its chunks and answers the pending ones."""
    execution = await TaskExecution.get(id=execution_id)
    if execution.status in FINISHED:
        return []
    if execution.status == ExecutionStatus.PENDING:
        now = utcnow()
        started = await TaskExecution.filter(id=execution_id, status=ExecutionStatus.PENDING).update(
            status=ExecutionStatus.RUNNING, started_at=now, heartbeat_at=now
        )
        if not started:  # cancelled (or started by another copy) meanwhile
            return await plan_run(execution_id)
    if not await InvoiceRunChunk.filter(execution_id=execution_id).exists():
        params = execution.parameters
        try:
            ids = await billable_customer_ids(params["period"], params.get("customer_id"))
            await ensure_sequence(INVOICE, params["period"])
            size = max(1, int(params.get("chunk_size") or CHUNK_SIZE))
            await InvoiceRunChunk.bulk_create(
                [
                    InvoiceRunChunk(
                        execution_id=execution_id, seq=seq, customer_ids=ids[start : start + size]
                    )
                    for seq, start in enumerate(range(0, len(ids), size), start=1)
                ]
            )
        except IntegrityError:
            pass  # another copy of the coordinator planned it at the same moment
        except Exception as error:
            await _fail(execution_id, error)
            raise
    pending = await column_values(
        InvoiceRunChunk.filter(execution_id=execution_id, status=ChunkStatus.PENDING).order_by("seq"), "id"
    )
    if not pending:
        await finalize(execution_id)
    return list(pending)


async def _fail(execution_id: int, error: BaseException) -> None:
    await TaskExecution.filter(
        id=execution_id, status__in=[ExecutionStatus.PENDING, ExecutionStatus.RUNNING]
    ).update(
        status=ExecutionStatus.FAILED,
        finished_at=utcnow(),
        error=f"{type(error).__name__}: {error}"[:4000],
        active_key=None,
    )


# --- chunks -------------------------------------------------------------------------------------
async def bill_chunk(chunk_id: int, worker: str | None = None) -> dict[str, Any]:
    """Bill the customers of one chunk, mark it done, finalize the run when it was the last.

    ``worker``: the Celery worker billing it (its node name), recorded on the chunk."""
    chunk = await InvoiceRunChunk.get(id=chunk_id)
    if chunk.status == ChunkStatus.DONE:
        await finalize(chunk.execution_id)  # the attempt that marked it may have died before this
        return chunk.counters
    execution = await TaskExecution.get(id=chunk.execution_id)
    if execution.status != ExecutionStatus.RUNNING:
        # the run was failed (its worker looked lost) or cancelled: a late or redelivered
        # chunk must not write invoices under it; a retry bills these customers
        log.info(
            "chunk %s of execution %s not billed: the execution is %s",
            chunk.id,
            execution.id,
            execution.status.value,
        )
        return chunk.counters
    params = execution.parameters
    async with keep_alive(execution.id):
        counters, lines = await bill_customers(
            list(chunk.customer_ids),
            params["period"],
            dt.date.fromisoformat(params["issue_date"]),
            execution.id,
        )
    marked = await InvoiceRunChunk.filter(id=chunk.id, status=ChunkStatus.PENDING).update(
        status=ChunkStatus.DONE,
        counters=counters,
        log_excerpt="\n".join(lines)[:LOG_EXCERPT_CHARS] or None,
        finished_at=utcnow(),
        worker=worker[:155] if worker else None,
    )
    if marked:
        await finalize(execution.id)
    return counters


async def bill_customers(
    customer_ids: list[int], period: str, issue_date: dt.date, execution_id: int | None
) -> tuple[dict[str, Any], list[str]]:
    """Invoice each customer of the list (one transaction each); returns counters and log lines."""
    counters: dict[str, Any] = {name: 0 for name in COUNTERS}
    lines: list[str] = []
    counters["processed"] = len(customer_ids)
    existing = dict(
        await Invoice.filter(customer_id__in=customer_ids, live_period=period).values_list(
            "customer_id", "execution_id"
        )
    )
    todo = [cid for cid in customer_ids if cid not in existing]
    for cid in customer_ids:
        if cid in existing:
            counters[
                "succeeded" if execution_id is not None and existing[cid] == execution_id else "skipped"
            ] += 1
    started = time.perf_counter()
    drafts = await draft_invoices(todo, period) if todo else {}
    log.info("drafted %s invoices in %.3f s", len(todo), time.perf_counter() - started)
    ready: list[InvoiceDraft] = []
    for cid in todo:
        draft = drafts.get(cid)
        if isinstance(draft, DraftError) or draft is None:
            counters["failed"] += 1
            lines.append(f"customer {cid}: {draft or 'not found'}")
        elif not draft.lines or draft.no_charge:
            counters["no_charge"] += 1
        else:
            ready.append(draft)
    if not ready:
        return counters, lines
    try:
        # the fast path: the chunk's invoices in one transaction, in bulk
        async with in_transaction():
            await write_invoices(ready, period, issue_date, execution_id=execution_id)
        counters["succeeded"] += len(ready)
        log.info("wrote %s invoices in %.3f s", len(ready), time.perf_counter() - started)
        return counters, lines
    except Exception as error:
        # a concurrent run or a bad row: nothing of the batch was written; one by one now
        log.info("chunk of %s customers written one by one: %s", len(ready), error)
    frozen: set[int] = set()
    for draft in ready:
        cid = draft.customer_id
        try:
            await _write_alone(draft, period, issue_date, execution_id, frozen)
        except Exception as error:  # one customer's failure must not stop the run
            if isinstance(error, IntegrityError):
                # a live invoice appeared meanwhile (a concurrent run, or another attempt of this
                # chunk); without one, the refused row is this customer's failure like any other
                owner = await column_values(
                    Invoice.filter(customer_id=cid, live_period=period), "execution_id"
                )
                if owner:
                    mine = execution_id is not None and owner[0] == execution_id
                    counters["succeeded" if mine else "skipped"] += 1
                    continue
            log.exception("invoice of customer %s for %s failed", cid, period)
            counters["failed"] += 1
            lines.append(f"customer {draft.customer['customer_code']}: {type(error).__name__}: {error}")
            continue
        frozen |= draft.version_ids
        counters["succeeded"] += 1
    return counters, lines


@retry_on_deadlock
async def _write_alone(
    draft: InvoiceDraft, period: str, issue_date: dt.date, execution_id: int | None, frozen: set[int]
) -> None:
    # workers writing side by side collide now and then (a MariaDB deadlock on the sequence
    # row, SQLite's "database is locked" for a second writer): nothing was written, run it again
    async with in_transaction():
        await write_invoice(draft, period, issue_date, execution_id=execution_id, frozen=frozen)


# --- the end of a run ---------------------------------------------------------------------------
async def summary_of(execution_id: int, period: str, counters: dict[str, int]) -> dict[str, Any]:
    """The run's summary: its invoices, receivable total, by level and by industry (exact sums)."""
    rows = await Invoice.filter(execution_id=execution_id).values_list(
        "total", "customer__level", "customer__industry"
    )
    receivable = ZERO
    # [invoices, total] per group
    by_level: dict[str | None, list[Any]] = defaultdict(lambda: [0, ZERO])
    by_industry: dict[str | None, list[Any]] = defaultdict(lambda: [0, ZERO])
    for total, level, industry in rows:
        total = Decimal(str(total))
        receivable += total
        for bucket in (by_level[level], by_industry[industry]):
            bucket[0] += 1
            bucket[1] += total

    def listed(groups: dict[str | None, list[Any]], name: str) -> list[dict[str, Any]]:
        ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))
        return [{name: key, "invoices": n, "total": str(total)} for key, (n, total) in ordered]

    return {
        "period": period,
        "invoices": len(rows),
        "receivable_total": str(receivable),
        "skipped": counters.get("skipped", 0),
        "failed": counters.get("failed", 0),
        "no_charge": counters.get("no_charge", 0),
        "by_level": listed(by_level, "level"),
        "by_industry": listed(by_industry, "industry"),
    }


async def finalize(execution_id: int) -> bool:
    """Finish the execution once no chunk is pending; True for the one call that did."""
    if await InvoiceRunChunk.filter(execution_id=execution_id, status=ChunkStatus.PENDING).exists():
        return False
    execution = await TaskExecution.get(id=execution_id)
    if execution.status not in (ExecutionStatus.PENDING, ExecutionStatus.RUNNING):
        return False
    chunks = await InvoiceRunChunk.filter(execution_id=execution_id).order_by("seq")
    counters = {name: 0 for name in COUNTERS}
    for chunk in chunks:
        for name in COUNTERS:
            counters[name] += int((chunk.counters or {}).get(name, 0))
    result = await summary_of(execution_id, execution.parameters["period"], counters)
    if counters["failed"] and counters["succeeded"]:
        status = ExecutionStatus.PARTIAL
    elif counters["failed"]:
        status = ExecutionStatus.FAILED
    else:
        status = ExecutionStatus.SUCCESS
    log_excerpt = "\n".join(c.log_excerpt for c in chunks if c.log_excerpt)[:LOG_EXCERPT_CHARS] or None
    now = utcnow()
    started = execution.started_at or now
    won = await TaskExecution.filter(
        id=execution_id, status__in=[ExecutionStatus.PENDING, ExecutionStatus.RUNNING]
    ).update(
        status=status,
        finished_at=now,
        duration_ms=max(0, int((now - started).total_seconds() * 1000)),
        counters=counters,
        result=result,
        log_excerpt=log_excerpt,
        active_key=None,
    )
    if not won:
        return False
    finished = await TaskExecution.get(id=execution_id)
    for callback in list(_finished):
        try:
            outcome = callback(finished)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:  # a notification problem must not undo a finished run
            log.exception("run-finished callback %r failed for execution %s", callback, execution_id)
    return True
