"""The import pipeline: read and clean every row, plan against the database, write in one
transaction (DESIGN §4). ``service`` runs it for the API, the CLI and the worker."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.auth.models import User
from opcms.core.audit import AuditAction
from opcms.core.errors import Conflict
from opcms.core.excel import FileRefused
from opcms.core.i18n import Message, stored
from opcms.core.models import utcnow
from opcms.core.settings import get_settings
from opcms.customers import dictionaries
from opcms.customers.models import STATUS_LABELS, Customer, CustomerStatus, code_key, name_key
from opcms.customers.status import can_move
from opcms.imports.cleaning import Cleaner, CleanRow, Owners, RowError, display
from opcms.imports.models import ImportJob, ImportMode, ImportRowError, ImportStage, ImportStatus
from opcms.imports.queries import counts
from opcms.imports.reader import Sheet, SheetColumn
from opcms.imports.writer import BulkWriter, created_audit, updated_audit

log = logging.getLogger("opcms.imports")

#: rows per multi-row statement in the write phase
BATCH_SIZE = 1000
#: progress is committed every this many rows read
PROGRESS_ROWS = 500
#: codes/names per lookup query
LOOKUP_CHUNK = 1000
IMPORT_ACTION = AuditAction.IMPORT.value


async def _progress(job: ImportJob, using: BaseDBAsyncClient | None = None, **values: Any) -> None:
    for name, value in values.items():
        setattr(job, name, value)
    query = ImportJob.filter(id=job.id)
    if using is not None:
        query = query.using_db(using)
    await query.update(**values, updated_at=utcnow())


@dataclass(slots=True)
class Update:
    row: CleanRow
    customer_id: int
    changes: dict[str, Any]  # field → new value (status included)
    before: dict[str, Any]  # field → old value


@dataclass
class Outcome:
    total: int = 0
    skipped_blank: int = 0
    failed_rows: set[int] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)
    accepted: list[CleanRow] = field(default_factory=list)
    creates: list[CleanRow] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: int = 0

    def fail(self, error: RowError) -> None:
        self.errors.append(error)
        self.failed_rows.add(error.row)


async def execute(job: ImportJob, sheet: Sheet) -> None:
    outcome = await _read(job, sheet)
    await _plan(job, sheet, outcome)
    if job.mode == ImportMode.VALIDATE:
        async with in_transaction() as conn:
            await _finish(job, outcome, sheet, conn)
        return
    await _write(job, sheet, outcome)


async def _read(job: ImportJob, sheet: Sheet) -> Outcome:
    settings = get_settings()
    users = await User.filter(is_active=True).values_list("id", "username", "display_name")
    cleaner = Cleaner(sheet.layout, await dictionaries.load_all(), Owners(users), sheet.epoch)
    header_of = {c.column.field: c for c in sheet.layout.columns}
    code_column, name_column = header_of["customer_code"], header_of["company_name"]
    outcome = Outcome()
    first_code: dict[str, int] = {}
    first_name: dict[str, int] = {}
    pending_blank = rows = 0
    for number, values in sheet.data_rows():
        if cleaner.is_blank(values):
            pending_blank += 1  # counted only when a non-blank row follows (trailing blanks are not rows)
            continue
        outcome.skipped_blank += pending_blank
        pending_blank = 0
        rows += 1
        if rows > settings.import_max_rows:
            raise FileRefused(
                f"The sheet has more than {settings.import_max_rows:,} rows (OPCMS_IMPORT_MAX_ROWS)",
                code="too_many_rows",
                status=413,
                params={"limit": settings.import_max_rows},
            )
        code, key = cleaner.keys(values)
        repeats = (
            _repeat(first_code, code and code.casefold(), number, values, code_column, "same_code_as_row"),
            _repeat(first_name, key, number, values, name_column, "same_name_as_row"),
        )
        duplicates = [error for error in repeats if error is not None]
        result = cleaner.clean(number, values)
        if isinstance(result, list) or duplicates:
            problems = (result if isinstance(result, list) else []) + duplicates
            problems.sort(key=lambda e: e.position)
            for problem in problems:
                outcome.fail(problem)
        else:
            outcome.accepted.append(result)
        if rows % PROGRESS_ROWS == 0:
            await _progress(job, processed=rows + outcome.skipped_blank)
    outcome.total = rows + outcome.skipped_blank
    await _progress(job, processed=outcome.total, total=outcome.total)
    return outcome


def _cell(values: tuple[Any, ...], position: int) -> Any:
    return values[position] if position < len(values) else None


def _repeat(
    first_row: dict[str, int],
    key: str | None,
    number: int,
    values: tuple[Any, ...],
    column: SheetColumn,
    what: str,
) -> RowError | None:
    """The error of row ``number`` when an earlier row of the file has the same ``key`` (its
    code or name key); ``first_row`` remembers the first row of each key."""
    if key is None:
        return None
    first = first_row.setdefault(key, number)
    if first == number:
        return None
    return RowError(
        number,
        column.header,
        display(_cell(values, column.position)),
        Message(what, {"row": first}),
        column.position,
    )


async def _lookup(
    rows: list[CleanRow], keys: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[int, str]]]:
    """The live customers with these rows' codes (by case-free code), and the live holders of
    these company-name keys (name key → (id, code))."""
    from opcms.imports.writer import PROFILE_FIELDS

    codes = [code_key(r.data["customer_code"]) for r in rows]
    existing = {
        row["customer_code"].casefold(): row
        for row in await Customer.filter(code_key__in=codes).values("id", *PROFILE_FIELDS)
    }
    holders = {
        key: (customer_id, code)
        for key, customer_id, code in await Customer.filter(name_key__in=keys).values_list(
            "name_key", "id", "customer_code"
        )
    }
    return existing, holders


async def _plan(job: ImportJob, sheet: Sheet, outcome: Outcome) -> None:
    """Sort accepted rows into creates, updates and unchanged, against the database (looked up
    a chunk of rows at a time, so memory does not grow with the customers already there)."""
    header_of = {c.column.field: c for c in sheet.layout.columns}

    def fail(row: CleanRow, field: str, reason: Message) -> None:
        column = header_of["owner" if field == "owner_id" else field]
        value = row.data[field]
        if field == "status":
            value = STATUS_LABELS[CustomerStatus(value)]
        outcome.fail(RowError(row.row, column.header, display(value), reason, column.position))

    for chunk in _chunks(outcome.accepted, LOOKUP_CHUNK):
        keys = [name_key(r.data["company_name"]) for r in chunk]
        existing, holders = await _lookup(chunk, keys)
        for row, key in zip(chunk, keys, strict=True):
            data = row.data
            current = existing.get(data["customer_code"].casefold())
            holder = holders.get(key)
            if current is not None and job.mode == ImportMode.CREATE:
                fail(row, "customer_code", Message("code_exists_create_mode"))
                continue
            if holder is not None and (current is None or holder[0] != current["id"]):
                fail(row, "company_name", Message("name_belongs_to_customer", {"code": holder[1]}))
                continue
            if current is None:
                outcome.creates.append(row)
                continue
            changes = {name: data[name] for name in row.fields if data[name] != current[name]}
            if not changes:
                outcome.unchanged += 1
                continue
            if "status" in changes:
                old, new = CustomerStatus(current["status"]), CustomerStatus(changes["status"])
                if not can_move(old, new):
                    moves = {
                        "from": STATUS_LABELS[old],
                        "from_code": old,
                        "to": STATUS_LABELS[new],
                        "to_code": new,
                    }
                    fail(row, "status", Message("status_move_refused", moves))
                    continue
            before = {name: current[name] for name in changes}
            if "status" in before:
                before["status"] = CustomerStatus(before["status"]).value
            outcome.updates.append(Update(row, current["id"], changes, before))
    outcome.accepted = []  # sorted into creates and updates; unchanged rows are no longer needed
    outcome.errors.sort(key=lambda e: (e.row, e.position))


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _write(job: ImportJob, sheet: Sheet, outcome: Outcome) -> None:
    base = connections.get("default")  # outside the transaction: progress a poller can see
    progress_outside = base.capabilities.dialect != "sqlite"  # SQLite has one connection
    # the counts are known now: a poller shows written / (created + updated)
    await _progress(
        job,
        stage=ImportStage.WRITING,
        created=len(outcome.creates),
        updated=len(outcome.updates),
        unchanged=outcome.unchanged,
        skipped_blank=outcome.skipped_blank,
        failed=len(outcome.failed_rows),
    )
    now = utcnow()
    reason = f"import #{job.id}"
    try:
        async with in_transaction() as conn:
            await _write_all(job, sheet, outcome, conn, base if progress_outside else None, now, reason)
    except IntegrityError as error:
        # a unique key caught what the checks could not see: a concurrent write of the same
        # customers (another import, the API). Everything was rolled back.
        log.warning("import %s lost a race: %s", job.id, error)
        raise Conflict(
            "Some customers of this file were created or renamed by someone else meanwhile; nothing was written. "
            "Run the import again.",
            code="import_conflict",
        ) from None


async def _write_all(
    job: ImportJob,
    sheet: Sheet,
    outcome: Outcome,
    conn: BaseDBAsyncClient,
    progress_on: BaseDBAsyncClient | None,
    now: dt.datetime,
    reason: str,
) -> None:
    """Every write of the import, on ``conn`` (the one transaction); progress on ``progress_on``."""
    writer = BulkWriter(conn, message=reason, now=now)
    written = 0
    for batch in _chunks(outcome.creates, BATCH_SIZE):
        await _create_batch(writer, batch, reason)
        written += len(batch)
        if progress_on is not None:
            await _progress(job, progress_on, written=written)
    for batch in _chunks(outcome.updates, BATCH_SIZE):
        await _update_batch(writer, batch, reason)
        written += len(batch)
        if progress_on is not None:
            await _progress(job, progress_on, written=written)
    await _finish(job, outcome, sheet, conn, writer=writer)


async def _create_batch(writer: BulkWriter, batch: list[CleanRow], reason: str) -> None:
    rows = [r.data for r in batch]
    ids = await writer.create_customers(rows)
    await writer.record_status(
        [(cid, None, row["status"]) for cid, row in zip(ids, rows, strict=True)], reason
    )
    await writer.audit([created_audit(cid, row) for cid, row in zip(ids, rows, strict=True)])


async def _update_batch(writer: BulkWriter, batch: list[Update], reason: str) -> None:
    await writer.update_customers([(u.customer_id, u.changes, u.row.data) for u in batch])
    entries = []
    moves = []
    for u in batch:
        fields = {k: v for k, v in u.changes.items() if k != "status"}
        if fields:
            entries.append(
                updated_audit(u.customer_id, {k: u.before[k] for k in fields}, fields, AuditAction.UPDATE)
            )
        if "status" in u.changes:
            moves.append((u.customer_id, u.before["status"], u.changes["status"]))
            entries.append(
                updated_audit(
                    u.customer_id,
                    {"status": u.before["status"]},
                    {"status": u.changes["status"]},
                    AuditAction.STATUS_CHANGE,
                )
            )
    await writer.record_status(moves, reason)
    await writer.audit(entries)


async def _finish(
    job: ImportJob, outcome: Outcome, sheet: Sheet, conn: BaseDBAsyncClient, writer: BulkWriter | None = None
) -> None:
    """The import's record, its row errors and (for writes) its audit row: in the caller's transaction."""
    job.status = ImportStatus.SUCCEEDED
    job.stage = ImportStage.DONE
    job.header_row = sheet.layout.header_row
    job.ignored_columns = sheet.layout.ignored
    job.total = job.processed = outcome.total
    job.skipped_blank = outcome.skipped_blank
    job.failed = len(outcome.failed_rows)
    job.unchanged = outcome.unchanged
    job.created = len(outcome.creates)
    job.updated = len(outcome.updates)
    job.written = 0 if writer is None else job.created + job.updated
    job.finished_at = utcnow()
    await job.save(using_db=conn)
    for batch in _chunks(outcome.errors, BATCH_SIZE):
        await ImportRowError.bulk_create(
            [
                ImportRowError(
                    job_id=job.id,
                    row=e.row,
                    column_name=e.column[:255],
                    value=e.value,
                    reason=stored(e.reason, 500),
                )
                for e in batch
            ],
            using_db=conn,
        )
    if writer is not None:
        await writer.audit(
            [
                (
                    IMPORT_ACTION,
                    "import",
                    job.id,
                    None,
                    {"file_name": job.file_name, "mode": job.mode.value, **counts(job)},
                )
            ],
            message=job.file_name,
        )
