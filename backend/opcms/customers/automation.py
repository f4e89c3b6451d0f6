"""Account automation (DESIGN §3): the daily job that suspends and reactivates for overdue.

- ``active → suspended`` when one of the customer's open invoices is overdue *more than*
  ``suspend_after_days`` days (due 2026-10-01, threshold 30: still active on 10-31, day 30;
  suspended on 11-01, day 31). The status history row says cause ``"overdue"`` and names the
  invoices.
- ``suspended → active`` (cause ``"settled"``) when the customer's latest suspension has cause
  ``"overdue"`` and none of its open invoices is overdue any more (not even by one day: the
  *last* overdue invoice has to be settled). A customer suspended by a person — cause empty —
  is never reactivated here.
- A person who reactivated a customer on purpose while its invoice was already past the
  threshold is not overruled: invoices that crossed the threshold before that reactivation do
  not suspend again (a newer one does).

Every move goes through :func:`opcms.customers.service.move_status`, so the status machine,
the audit log and the status history apply as for a person, with the actor
``system:customers.account_automation``. Each customer is moved in its own transaction with
its row locked, after checking again under the lock: re-runs and concurrent runs move nobody
twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from tortoise.transactions import in_transaction

from opcms.core.context import acting_as, system_actor
from opcms.core.models import column_values
from opcms.core.settings import business_today, get_settings
from opcms.customers.models import Customer, CustomerStatus, CustomerStatusHistory
from opcms.customers.service import move_status
from opcms.settlement.queries import overdue_invoices

log = logging.getLogger("opcms.customers.automation")

JOB_NAME = "customers.account_automation"
OVERDUE = "overdue"  # the cause of the automation's suspensions
SETTLED = "settled"  # the cause of its reactivations
REACTIVATION_REASON = "overdue invoices settled"
BATCH = 500
MAX_NAMED_INVOICES = 5


class _Counter:
    """What the job counts; the task passes its execution run (same ``count``/``log``)."""

    def count(self, name: str, n: int = 1) -> None:  # pragma: no cover - a no-op sink
        pass

    def log(self, line: str) -> None:  # pragma: no cover
        pass


def suspension_cutoff(day: dt.date, suspend_after_days: int) -> dt.date:
    """Invoices due *before* this date are overdue more than ``suspend_after_days`` on ``day``."""
    return day - dt.timedelta(days=suspend_after_days)


def _chunks(ids: list[int], size: int = BATCH) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _suspension_reason(numbers: list[str], suspend_after_days: int) -> str:
    named = ", ".join(numbers[:MAX_NAMED_INVOICES])
    more = f" and {len(numbers) - MAX_NAMED_INVOICES} more" if len(numbers) > MAX_NAMED_INVOICES else ""
    return f"invoice {named}{more} overdue more than {suspend_after_days} days"


async def run_automation(
    run=None, *, suspend_after_days: int | None = None, day: dt.date | None = None
) -> dict[str, int]:
    """One pass of the automation on ``day`` (business today); returns the counters."""
    run = run or _Counter()
    threshold = suspend_after_days if suspend_after_days is not None else get_settings().suspend_after_days
    day = day or business_today()
    counters = {"suspended": 0, "reactivated": 0, "failed": 0}
    # whoever started it, the moves are the automation's (status history, audit)
    with acting_as(system_actor(JOB_NAME)):
        for customer_id in await _suspension_candidates(day, threshold):
            await _attempt(run, counters, "suspended", customer_id, _suspend(customer_id, day, threshold))
        for customer_id in await _reactivation_candidates(day):
            await _attempt(run, counters, "reactivated", customer_id, _reactivate(customer_id, day))
    for name in ("suspended", "reactivated"):
        run.count(name, counters[name])
    run.count("processed", counters["suspended"] + counters["reactivated"] + counters["failed"])
    run.count("succeeded", counters["suspended"] + counters["reactivated"])
    if counters["failed"]:
        run.count("failed", counters["failed"])
    return counters


async def _attempt(run, counters: dict[str, int], name: str, customer_id: int, move) -> None:
    try:
        if await move:
            counters[name] += 1
    except Exception as error:  # one customer's problem must not stop the others
        log.exception("account automation: customer %s failed", customer_id)
        counters["failed"] += 1
        run.log(f"customer {customer_id}: {type(error).__name__}: {error}")


# --- suspension ---------------------------------------------------------------------------------
async def _suspension_candidates(day: dt.date, threshold: int) -> list[int]:
    rows = await column_values(
        overdue_invoices(
            suspension_cutoff(day, threshold),
            customer__status=CustomerStatus.ACTIVE,
            customer__is_deleted=False,
        ).distinct(),
        "customer_id",
    )
    return sorted(set(rows))


async def _suspend(customer_id: int, day: dt.date, threshold: int) -> bool:
    async with in_transaction():
        customer = await Customer.filter(id=customer_id).select_for_update().first()
        if customer is None or customer.status != CustomerStatus.ACTIVE:
            return False  # moved meanwhile (a person, or another run)
        overdue = (
            await overdue_invoices(suspension_cutoff(day, threshold), customer_id=customer_id)
            .order_by("due_date", "id")
            .values_list("number", "due_date")
        )
        grace_from = await _manual_activation_day(customer_id)
        if grace_from is not None:
            # a person reactivated it knowing these: only invoices that crossed the threshold
            # after that day count
            overdue = [(n, due) for n, due in overdue if due + dt.timedelta(days=threshold + 1) > grace_from]
        if not overdue:
            return False
        reason = _suspension_reason([number for number, _ in overdue], threshold)
        await move_status(customer, CustomerStatus.SUSPENDED, reason, cause=OVERDUE)
        return True


async def _manual_activation_day(customer_id: int) -> dt.date | None:
    """The business day a person last moved the customer to active from suspended, if that is
    its latest status change."""
    latest = await CustomerStatusHistory.filter(customer_id=customer_id).order_by("-id").first()
    if latest is None or latest.to_status != CustomerStatus.ACTIVE.value:
        return None
    if latest.from_status != CustomerStatus.SUSPENDED.value or latest.actor.startswith("system:"):
        return None
    return latest.changed_at.astimezone(get_settings().tz).date()


# --- reactivation -------------------------------------------------------------------------------
async def _latest_causes(customer_ids: list[int]) -> dict[int, str | None]:
    """The cause of each customer's latest status change (its suspension, for suspended ones)."""
    latest: dict[int, tuple[int, str | None]] = {}
    rows = await CustomerStatusHistory.filter(customer_id__in=customer_ids).values_list(
        "customer_id", "id", "cause"
    )
    for customer_id, row_id, cause in rows:
        if customer_id not in latest or row_id > latest[customer_id][0]:
            latest[customer_id] = (row_id, cause)
    return {customer_id: cause for customer_id, (_, cause) in latest.items()}


async def _reactivation_candidates(day: dt.date) -> list[int]:
    suspended = await column_values(Customer.filter(status=CustomerStatus.SUSPENDED).order_by("id"), "id")
    found: list[int] = []
    for ids in _chunks(list(suspended)):
        causes = await _latest_causes(ids)
        for_overdue = [cid for cid in ids if causes.get(cid) == OVERDUE]
        if not for_overdue:
            continue
        still_overdue = set(
            await column_values(overdue_invoices(day, customer_id__in=for_overdue).distinct(), "customer_id")
        )
        found += [cid for cid in for_overdue if cid not in still_overdue]
    return found


async def _reactivate(customer_id: int, day: dt.date) -> bool:
    async with in_transaction():
        customer = await Customer.filter(id=customer_id).select_for_update().first()
        if customer is None or customer.status != CustomerStatus.SUSPENDED:
            return False
        if (await _latest_causes([customer_id])).get(customer_id) != OVERDUE:
            return False  # a person suspended it (again) meanwhile
        if await overdue_invoices(day, customer_id=customer_id).exists():
            return False
        await move_status(customer, CustomerStatus.ACTIVE, REACTIVATION_REASON, cause=SETTLED)
        return True
