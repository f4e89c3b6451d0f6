"""What ``opcms scale-check`` asserts once its processes are done (bench/scale_check.py).

Each check reads the database as it is and answers the problems it found, as sentences (an
empty list: the check holds). They read the rows themselves, not the run's counters: a run
that counted right but wrote wrong must fail here. The file checks read what the processes
handed back (the workbooks downloaded, the objects in the bucket, the var folders), not what
the processes say they did.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

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


# --- files every host reads (the shared file store) ------------------------------------------------
#: the folders of the file store a process would write in its own var folder with a folder store
STORE_FOLDERS = ("imports", "exports", "tmp/exports")


def import_ran_on_a_worker(
    queued: Mapping[str, Any], done: Mapping[str, Any], ran_by: Mapping[str, int], good: int, bad: int
) -> list[str]:
    """The import the API was given went to a worker (the API answered it queued, 202), ran to
    the end with ``good`` customers created and ``bad`` rows failed, and exactly one worker ran
    its task once (``ran_by``: worker node → how many ``opcms.imports.run`` it ran)."""
    problems = []
    if not queued.get("background"):
        problems.append(f"import {queued.get('id')} was not queued for a worker: the API ran it itself")
    if done.get("status") != "succeeded":
        problems.append(
            f"import {done.get('id')} ended {done.get('status')}: "
            f"{done.get('error_code')} {done.get('error_message')}"
        )
    report = done.get("report") or {}
    counts = (report.get("created"), report.get("failed"))
    if done.get("status") == "succeeded" and counts != (good, bad):
        problems.append(
            f"import {done.get('id')} created {counts[0]} and failed {counts[1]} rows; "
            f"the file has {good} good and {bad} bad rows"
        )
    ran = {node: times for node, times in ran_by.items() if times}
    if not ran:
        problems.append("no worker says it ran the import task")
    elif sum(ran.values()) > 1:
        problems.append(f"the import task ran more than once: {ran}")
    return problems


def read_sheet(content: bytes, what: str) -> tuple[list[tuple[Any, ...]], list[str]]:
    """The first sheet's rows, or no rows and a sentence saying the bytes are no workbook."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    except Exception as error:  # whatever the bytes are, the sentence says it
        return [], [f"the {what} downloaded is not a workbook ({len(content)} bytes): {type(error).__name__}"]
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)], []
    finally:
        workbook.close()


def error_workbook_names(content: bytes, bad_rows: Mapping[int, str]) -> list[str]:
    """The error workbook downloaded names exactly the bad rows: below its header, each row is
    (reason, Excel row number, the row as uploaded…), so column 2 is the row and column 3 the
    customer code uploaded on it (``bad_rows``: row → code)."""
    rows, problems = read_sheet(content, "error workbook")
    if problems:
        return problems
    named = {row[1]: row[2] if len(row) > 2 else None for row in rows[1:] if len(row) > 1}
    if missing := sorted(set(bad_rows) - set(named)):
        problems.append(f"the error workbook does not name bad rows {_some(missing)}")
    if extra := sorted(set(named) - set(bad_rows), key=str):
        problems.append(f"the error workbook names rows that were good: {_some(extra)}")
    if wrong := sorted(row for row, code in bad_rows.items() if row in named and named[row] != code):
        problems.append(f"the error workbook shows other customers on rows {_some(wrong)}")
    if any(not row[0] for row in rows[1:]):
        problems.append("the error workbook has rows without a reason")
    return problems


def export_lists(content: bytes, codes: Iterable[str]) -> list[str]:
    """The customers export downloaded is a workbook with each of ``codes`` on a row of its own."""
    rows, problems = read_sheet(content, "customers export")
    if problems:
        return problems
    listed = Counter(value for row in rows for value in row if isinstance(value, str))
    wanted = list(codes)
    if missing := [code for code in wanted if not listed[code]]:
        problems.append(
            f"{len(missing)} of {len(wanted)} customers are missing from the export: {_some(missing)}"
        )
    if doubled := [code for code in wanted if listed[code] > 1]:
        problems.append(f"customers listed more than once in the export: {_some(doubled)}")
    return problems


def files_in_the_shared_store(
    stored: Mapping[str, int],
    upload_key: str,
    upload_size: int,
    var_dirs: Mapping[str, Path],
    requests: Mapping[tuple[str, str], int],
) -> list[str]:
    """The files went through the shared store and nowhere else: the upload is in the bucket
    (``stored``: key under the store's prefix → size) whole, no export was left there, no
    process kept an upload or an export in its own var folder, and the store was asked to keep
    and give back both an upload and an export (``requests``: (method, folder) → how many)."""
    problems = []
    if upload_key not in stored:
        problems.append(f"the upload {upload_key} is not in the bucket (it holds {_some(sorted(stored))})")
    elif stored[upload_key] != upload_size:
        problems.append(f"the upload in the bucket has {stored[upload_key]} bytes, {upload_size} were sent")
    if left := sorted(key for key in stored if key.startswith("exports/")):
        problems.append(f"exports left in the bucket after they were sent: {_some(left)}")
    for name, var_dir in var_dirs.items():
        kept = sorted(
            path.relative_to(var_dir).as_posix()
            for folder in STORE_FOLDERS
            if (var_dir / folder).is_dir()
            for path in (var_dir / folder).rglob("*")
            if path.is_file()
        )
        if kept:
            problems.append(f"{name} kept files in its own var folder, not the shared store: {_some(kept)}")
    for method, folder in (("PUT", "imports"), ("GET", "imports"), ("PUT", "exports"), ("GET", "exports")):
        if not requests.get((method, folder)):
            problems.append(f"the S3 server answered no {method} of a file under {folder}/")
    return problems
