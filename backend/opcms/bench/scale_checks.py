"""What ``opcms scale-check`` asserts once its processes are done (bench/scale_check.py).

Each check reads the database as it is and answers the problems it found, as sentences (an
empty list: the check holds). They read the rows themselves, not the run's counters: a run
that counted right but wrote wrong must fail here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal

from opcms.billing.models import ChunkStatus, DocumentSequence, InvoiceRunChunk
from opcms.billing.numbering import INVOICE, month_key
from opcms.settlement.models import Invoice, InvoiceStatus
from opcms.usage.models import UsageRecord

# (customer id, metric code, day)
UsageKey = tuple[int, str, dt.date]
# how many ids a sentence names before it says "…"
SHOWN = 5


def _some(ids: Iterable[object]) -> str:
    listed = list(ids)
    shown = ", ".join(str(i) for i in listed[:SHOWN])
    return shown + (f", … ({len(listed)} in all)" if len(listed) > SHOWN else "")


async def one_invoice_each(period: str, customer_ids: Iterable[int]) -> list[str]:
    """Exactly one invoice that is not void for each of ``customer_ids`` in ``period``, and none
    for anybody else (whatever its live_period column says: a live invoice is one not void)."""
    live = Counter(
        await Invoice.filter(period=period)
        .exclude(status=InvoiceStatus.VOID)
        .values_list("customer_id", flat=True)
    )
    billable = set(customer_ids)
    problems = []
    if missing := sorted(billable - set(live)):
        problems.append(f"{len(missing)} billable customers have no invoice for {period}: {_some(missing)}")
    if doubled := sorted(cid for cid, n in live.items() if n > 1):
        problems.append(
            f"{len(doubled)} customers have more than one live invoice for {period}: {_some(doubled)}"
        )
    if strangers := sorted(set(live) - billable):
        problems.append(
            f"{len(strangers)} customers were invoiced for {period} without being billable: {_some(strangers)}"
        )
    return problems


async def gap_free_numbers(period: str) -> list[str]:
    """The invoice numbers of the period's month (void ones included: a number once issued stays
    taken) are 1…N with no gap and no repeat, and the month's sequence stands at N."""
    month = month_key(period)
    numbers = await Invoice.filter(number__startswith=f"{INVOICE}-{month}-").values_list("number", flat=True)
    taken = Counter(int(str(number).rsplit("-", 1)[1]) for number in numbers)
    problems = []
    if repeated := sorted(n for n, times in taken.items() if times > 1):
        problems.append(f"invoice numbers of {month} issued twice: {_some(repeated)}")
    if gaps := sorted(set(range(1, max(taken, default=0) + 1)) - set(taken)):
        problems.append(f"invoice numbers of {month} missing (gaps): {_some(gaps)}")
    sequence = await DocumentSequence.get_or_none(kind=INVOICE, period=month)
    last = sequence.last_number if sequence is not None else 0
    if last != max(taken, default=0):
        problems.append(
            f"the {INVOICE} sequence of {month} stands at {last}, the highest number issued is {max(taken, default=0)}"
        )
    return problems


async def usage_as_the_vendor_sent(expected: Mapping[UsageKey, Decimal]) -> list[str]:
    """The stored usage is exactly the vendor's rows: each (customer, metric, day) once, with the
    vendor's quantity; none missing, none extra (from any source), none doubled."""
    stored = await UsageRecord.all().values_list("customer_id", "metric__code", "usage_day", "quantity")
    times = Counter((cid, code, day) for cid, code, day, _ in stored)
    problems = []
    if doubled := sorted(key for key, n in times.items() if n > 1):
        problems.append(f"{len(doubled)} usage rows stored more than once: {_some(doubled)}")
    if missing := sorted(set(expected) - set(times)):
        problems.append(
            f"{len(missing)} of the vendor's {len(expected)} usage rows are missing: {_some(missing)}"
        )
    if extra := sorted(set(times) - set(expected)):
        problems.append(f"{len(extra)} usage rows stored that the vendor never sent: {_some(extra)}")
    wrong = sorted(
        (cid, code, day)
        for cid, code, day, quantity in stored
        if (cid, code, day) in expected and Decimal(str(quantity)) != expected[(cid, code, day)]
    )
    if wrong:
        problems.append(f"{len(wrong)} usage rows differ from the vendor's quantity: {_some(wrong)}")
    return problems


async def chunks_by_worker(execution_id: int) -> dict[str, int]:
    """How many chunks of the run each worker billed (by the node name recorded on the chunk)."""
    names = await InvoiceRunChunk.filter(execution_id=execution_id).values_list("worker", flat=True)
    return dict(Counter(str(name) for name in names if name))


async def shared_by_workers(execution_id: int, workers: Iterable[str]) -> list[str]:
    """Every chunk of the run is done and names its worker, and each of ``workers`` (node name
    prefixes, e.g. ``scale-w1@``) billed at least one."""
    chunks = await InvoiceRunChunk.filter(execution_id=execution_id).values_list("seq", "status", "worker")
    problems = []
    if not chunks:
        problems.append(f"the invoice run {execution_id} has no chunks")
    if pending := sorted(seq for seq, status, _ in chunks if status != ChunkStatus.DONE):
        problems.append(f"chunks of the invoice run not done: {_some(pending)}")
    if unnamed := sorted(seq for seq, _, worker in chunks if not worker):
        problems.append(f"chunks that name no worker: {_some(unnamed)}")
    for prefix in workers:
        if not any(str(worker or "").startswith(prefix) for _, _, worker in chunks):
            problems.append(f"worker {prefix}… billed no chunk of the invoice run")
    return problems
