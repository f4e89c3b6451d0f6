"""Importing customer lists from Excel (DESIGN §4): one service for the API, the CLI, the
worker and the benchmark.

``submit`` refuses an unsafe or unreadable upload before anything is written (no import row,
no customers), stores the file under ``var_dir/imports``, records the import and runs it:
inline for small files, on a Celery worker above ``OPCMS_IMPORT_SYNC_ROWS`` rows.

``run`` reads and checks every row (progress ``processed/total`` is committed as it goes),
checks the survivors against the database, and — in ``create``/``upsert`` mode — writes all
valid rows in ONE transaction in batches (``written`` progress is committed on a separate
connection so a poller sees it; SQLite, with one connection, shows it at the end). Any error
rolls the whole write back and the import is marked failed. ``validate`` writes nothing and
reports what an upsert would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.auth.models import User
from opcms.core.audit import AuditAction
from opcms.core.context import Actor, acting_as, current_actor, current_client_ip, current_request_id
from opcms.core.errors import AppError, Conflict, ValidationFailed
from opcms.core.excel import FileRefused, inspect_xlsx
from opcms.core.models import get_or_404, utcnow
from opcms.core.settings import get_settings
from opcms.customers import dictionaries
from opcms.customers.models import STATUS_LABELS, Customer, CustomerStatus, code_key, name_key
from opcms.customers.status import can_move
from opcms.imports.cleaning import Cleaner, CleanRow, Owners, RowError, display
from opcms.imports.models import ImportJob, ImportMode, ImportRowError, ImportStage, ImportStatus
from opcms.imports.reader import Sheet, peek_layout
from opcms.imports.writer import BulkWriter, created_audit, updated_audit

log = logging.getLogger("opcms.imports")

#: rows per multi-row statement in the write phase
BATCH_SIZE = 1000
#: progress is committed every this many rows read
PROGRESS_ROWS = 500
#: codes/names per lookup query
LOOKUP_CHUNK = 1000
IMPORT_ACTION = AuditAction.IMPORT.value
#: a running import whose progress has not moved for this long lost its worker
STALE_AFTER = dt.timedelta(minutes=30)


def uploads_dir() -> Path:
    return get_settings().var_dir / "imports"


def stored_path(job: ImportJob) -> Path:
    return uploads_dir() / job.stored_name


def parse_mode(value: Any) -> ImportMode:
    try:
        return ImportMode(value)
    except ValueError:
        raise ValidationFailed.field("mode", "must be validate, create or upsert") from None


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def clean_file_name(name: str | None) -> str:
    name = _UNSAFE_NAME.sub("", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:255] or "upload.xlsx"


# --- submit ---------------------------------------------------------------------------------------
async def submit(data: bytes, file_name: str | None, mode: Any, *, background: bool | None = None) -> ImportJob:
    """Check, store, record and run (or queue) one import. ``background=None``: by row count.

    Raises :class:`FileRefused` (4xx, nothing written) for a file that must not be read, and
    :class:`ValidationFailed` for a bad mode.
    """
    settings = get_settings()
    mode = parse_mode(mode)
    info = await asyncio.to_thread(inspect_xlsx, data, max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows)
    layout = await asyncio.to_thread(peek_layout, data, info.sheet_part)  # refuses missing columns
    estimate = max(0, info.row_elements - layout.header_row)
    if background is None:
        background = estimate > settings.import_sync_rows
    # a file run here is opened now (openpyxl reads all shared strings); a worker opens its own
    sheet = None if background else await asyncio.to_thread(Sheet, io.BytesIO(data))
    try:
        stored_name = f"{uuid.uuid4().hex}.xlsx"
        folder = uploads_dir()
        folder.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread((folder / stored_name).write_bytes, data)
        actor = current_actor.get()
        job = await ImportJob.create(
            created_by=actor.name[:64], created_by_user_id=actor.user_id,
            request_id=current_request_id.get(), client_ip=current_client_ip.get(),
            file_name=clean_file_name(file_name), file_size=len(data), file_sha256=hashlib.sha256(data).hexdigest(),
            stored_name=stored_name, mode=mode, background=background, total=estimate,
        )
        if sheet is None:
            await _dispatch(job)
            return job
        await run(job, sheet)
        return job
    finally:
        if sheet is not None:
            sheet.close()


class QueueUnavailable(AppError):
    status, code, message = 503, "queue_unavailable", "The job queue is unavailable; try again later"


async def _dispatch(job: ImportJob) -> None:
    from opcms.imports.tasks import run_import

    try:
        await asyncio.to_thread(run_import.delay, job.id)
    except Exception as error:  # the broker is down: say so, and keep the record honest
        log.warning("import %s could not be queued: %s", job.id, error)
        await _fail(job, "queue_unavailable", f"could not queue the import: {error}")
        raise QueueUnavailable() from None


async def run_by_id(import_id: int) -> ImportJob | None:
    """The worker's entry: run a pending import once. A finished one, or one another worker is
    running (progress seen within ``STALE_AFTER``), is left alone; a stale one (its worker
    died: everything it wrote was rolled back) is run again."""
    claimed = await ImportJob.filter(id=import_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, updated_at=utcnow()
    )
    if not claimed:
        stale = utcnow() - STALE_AFTER
        claimed = await ImportJob.filter(id=import_id, status=ImportStatus.RUNNING, updated_at__lt=stale).update(
            updated_at=utcnow()
        )
    job = await ImportJob.get_or_none(id=import_id)
    if job is None or not claimed:
        return job
    try:
        await run(job)
    except FileRefused:
        pass  # recorded on the import; nothing to retry
    return job


# --- run ----------------------------------------------------------------------------------------
@contextlib.contextmanager
def _as_submitter(job: ImportJob) -> Iterator[None]:
    """Rows written by a worker are the submitter's writes (created_by, audit actor, request id)."""
    actor = current_actor.get()
    if actor.name != job.created_by or actor.user_id != job.created_by_user_id:
        actor = Actor(name=job.created_by, user_id=job.created_by_user_id)
    request_token = current_request_id.set(job.request_id)
    ip_token = current_client_ip.set(job.client_ip)
    try:
        with acting_as(actor):
            yield
    finally:
        current_request_id.reset(request_token)
        current_client_ip.reset(ip_token)


async def run(job: ImportJob, sheet: Sheet | None = None) -> ImportJob:
    with _as_submitter(job):
        job.status = ImportStatus.RUNNING
        job.stage = ImportStage.READING
        job.started_at = utcnow()
        job.processed = job.written = 0
        await job.save(update_fields=["status", "stage", "started_at", "processed", "written", "updated_at"])
        try:
            if sheet is None:
                sheet = await asyncio.to_thread(_open_stored, stored_path(job))
            await _execute(job, sheet)
        except AppError as error:  # refused file, or a conflict with a concurrent change
            await _fail(job, error.code, error.message)
            raise
        except Exception as error:
            log.exception("import %s failed", job.id)
            await _fail(job, "import_failed", f"{type(error).__name__}: {error}")
            raise
        except asyncio.CancelledError:  # the client went away mid-import: the write rolled back
            await asyncio.shield(_fail(job, "cancelled", "the import was interrupted; nothing was written"))
            raise
        finally:
            if sheet is not None:
                sheet.close()
    return job


def _open_stored(path: Path) -> Sheet:
    if not path.is_file():
        raise FileRefused(f"The stored upload {path.name} is gone", code="file_missing", status=410)
    return Sheet(path.open("rb"))


async def _fail(job: ImportJob, code: str, message: str) -> None:
    job.status = ImportStatus.FAILED
    job.stage = ImportStage.DONE
    job.error_code = code[:64]
    job.error_message = message[:2000]
    job.finished_at = utcnow()
    await job.save(update_fields=["status", "stage", "error_code", "error_message", "finished_at", "updated_at"])


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


async def _execute(job: ImportJob, sheet: Sheet) -> None:
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
                code="too_many_rows", status=413,
            )
        duplicates: list[RowError] = []
        code, key = cleaner.keys(values)
        if code is not None:
            first = first_code.setdefault(code.casefold(), number)
            if first != number:
                duplicates.append(RowError(number, code_column.header, display(_cell(values, code_column.position)),
                                           f"same customer code as row {first}", code_column.position))
        if key is not None:
            first = first_name.setdefault(key, number)
            if first != number:
                duplicates.append(RowError(number, name_column.header, display(_cell(values, name_column.position)),
                                           f"same company name as row {first}", name_column.position))
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


async def _lookup(rows: list[CleanRow], keys: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[int, str]]]:
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
        for key, customer_id, code in await Customer.filter(name_key__in=keys).values_list("name_key", "id", "customer_code")
    }
    return existing, holders


async def _plan(job: ImportJob, sheet: Sheet, outcome: Outcome) -> None:
    """Sort accepted rows into creates, updates and unchanged, against the database (looked up
    a chunk of rows at a time, so memory does not grow with the customers already there)."""
    header_of = {c.column.field: c for c in sheet.layout.columns}

    def fail(row: CleanRow, field: str, reason: str) -> None:
        column = header_of["owner" if field == "owner_id" else field]
        value = row.data[field]
        if field == "status":
            value = STATUS_LABELS[CustomerStatus(value)]
        outcome.fail(RowError(row.row, column.header, display(value), reason, column.position))

    for chunk in _chunks(outcome.accepted, LOOKUP_CHUNK):
        keys = [name_key(r.data["company_name"]) for r in chunk]
        existing, holders = await _lookup(chunk, keys)
        for row, key in zip(chunk, keys):
            data = row.data
            current = existing.get(data["customer_code"].casefold())
            holder = holders.get(key)
            if current is not None and job.mode == ImportMode.CREATE:
                fail(row, "customer_code", "customer code already exists (create mode only adds new customers)")
                continue
            if holder is not None and (current is None or holder[0] != current["id"]):
                fail(row, "company_name", f"company name already belongs to customer {holder[1]}")
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
                    fail(row, "status", f"cannot move from {STATUS_LABELS[old]} ({old.value}) to {STATUS_LABELS[new]} ({new.value})")
                    continue
            before = {name: current[name] for name in changes}
            if "status" in before:
                before["status"] = CustomerStatus(before["status"]).value
            outcome.updates.append(Update(row, current["id"], changes, before))
    outcome.accepted = []  # sorted into creates and updates; unchanged rows are no longer needed
    outcome.errors.sort(key=lambda e: (e.row, e.position))


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def _write(job: ImportJob, sheet: Sheet, outcome: Outcome) -> None:
    base = connections.get("default")  # outside the transaction: progress a poller can see
    progress_outside = base.capabilities.dialect != "sqlite"  # SQLite has one connection
    # the counts are known now: a poller shows written / (created + updated)
    await _progress(job, stage=ImportStage.WRITING, created=len(outcome.creates), updated=len(outcome.updates),
                    unchanged=outcome.unchanged, skipped_blank=outcome.skipped_blank, failed=len(outcome.failed_rows))
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
            "Run the import again.", code="import_conflict",
        ) from None


async def _write_all(job: ImportJob, sheet: Sheet, outcome: Outcome, conn: BaseDBAsyncClient,
                     progress_on: BaseDBAsyncClient | None, now: dt.datetime, reason: str) -> None:
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
    await writer.record_status([(cid, None, row["status"]) for cid, row in zip(ids, rows)], reason)
    await writer.audit([created_audit(cid, row) for cid, row in zip(ids, rows)])


async def _update_batch(writer: BulkWriter, batch: list[Update], reason: str) -> None:
    await writer.update_customers([(u.customer_id, u.changes, u.row.data) for u in batch])
    entries = []
    moves = []
    for u in batch:
        fields = {k: v for k, v in u.changes.items() if k != "status"}
        if fields:
            entries.append(updated_audit(u.customer_id, {k: u.before[k] for k in fields}, fields, AuditAction.UPDATE))
        if "status" in u.changes:
            moves.append((u.customer_id, u.before["status"], u.changes["status"]))
            entries.append(updated_audit(u.customer_id, {"status": u.before["status"]}, {"status": u.changes["status"]},
                                         AuditAction.STATUS_CHANGE))
    await writer.record_status(moves, reason)
    await writer.audit(entries)


async def _finish(job: ImportJob, outcome: Outcome, sheet: Sheet, conn: BaseDBAsyncClient, writer: BulkWriter | None = None) -> None:
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
            [ImportRowError(job_id=job.id, row=e.row, column_name=e.column[:255], value=e.value, reason=e.reason[:500]) for e in batch],
            using_db=conn,
        )
    if writer is not None:
        await writer.audit(
            [(IMPORT_ACTION, "import", job.id, None, {"file_name": job.file_name, "mode": job.mode.value, **counts(job)})],
            message=job.file_name,
        )


# --- reading results ----------------------------------------------------------------------------
def counts(job: ImportJob) -> dict[str, int]:
    return {
        "total": job.total, "created": job.created, "updated": job.updated, "unchanged": job.unchanged,
        "skipped_blank": job.skipped_blank, "failed": job.failed,
    }


async def row_errors(job: ImportJob) -> list[dict[str, Any]]:
    rows = await ImportRowError.filter(job_id=job.id).order_by("id").values_list("row", "column_name", "value", "reason")
    return [{"row": r, "column": c, "value": v, "reason": why} for r, c, v, why in rows]


async def report(job: ImportJob) -> dict[str, Any] | None:
    """The report of a finished import (DESIGN §14 shape plus ``ignored_columns``)."""
    if job.status != ImportStatus.SUCCEEDED:
        return None
    return {**counts(job), "errors": await row_errors(job), "ignored_columns": list(job.ignored_columns or [])}


async def get_import(import_id: int) -> ImportJob:
    return await get_or_404(ImportJob, import_id, "import")

