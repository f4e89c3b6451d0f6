"""Importing customer lists from Excel (DESIGN §4): one service for the API, the CLI, the
worker and the benchmark.

``submit`` refuses an unsafe or unreadable upload before anything is written (no import row,
no customers), keeps the file in the file store (``imports/<year>/<month>/<id>.xlsx``,
``core/storage.py``: a worker on another host reads it there), records the import and runs it:
inline for small files, on a Celery worker above ``OPCMS_IMPORT_SYNC_ROWS`` rows or the XML
such rows take (a validation as much as a write). A process reads at most
``OPCMS_MAX_CONCURRENT_IMPORTS`` uploads at once; one more is a 429 ``too_many_imports``.

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
import threading
import uuid
from collections.abc import Iterator
from typing import IO, Any

from opcms.core.context import Actor, acting_as, current_actor, current_client_ip, current_request_id
from opcms.core.errors import AppError, QueueUnavailable, TooManyRequests, ValidationFailed
from opcms.core.excel import FileRefused, inspect_xlsx
from opcms.core.i18n import Message, stored
from opcms.core.models import get_or_404, utcnow
from opcms.core.settings import get_settings
from opcms.core.storage import StoredFileMissing, get_store
from opcms.imports import pipeline
from opcms.imports.models import ImportJob, ImportMode, ImportStage, ImportStatus
from opcms.imports.reader import Sheet, peek_layout

log = logging.getLogger("opcms.imports")

#: a running import whose progress has not moved for this long lost its worker
STALE_AFTER = dt.timedelta(minutes=30)
#: the XML a data row may take and still run inline (real rows: about 1 KB): a file whose XML
#: passes ``OPCMS_IMPORT_SYNC_ROWS`` such rows goes to a worker whatever its row count, so a
#: few rows of long cells are not read inside the API
SYNC_XML_BYTES_PER_ROW = 4 * 1024
#: what a refused client is told to wait: an inline import takes seconds
BUSY_RETRY_AFTER_SECONDS = 5


#: the folder of the file store that keeps the uploads
UPLOADS = "imports/"


def upload_key(stored_name: str) -> str:
    """The file store key of an upload: ``stored_name`` is ``<year>/<month>/<id>.xlsx`` (or, for
    an upload kept before the file store, ``<id>.xlsx``: the same place in the var folder)."""
    return UPLOADS + stored_name


def stored_key(job: ImportJob) -> str:
    return upload_key(job.stored_name)


async def open_upload(job: ImportJob) -> IO[bytes]:
    """The stored upload of ``job`` as a local file to read (the caller closes it);
    :class:`StoredFileMissing` once retention removed it."""
    return await get_store().open_local(stored_key(job))


def parse_mode(value: Any) -> ImportMode:
    try:
        return ImportMode(value)
    except ValueError:
        raise ValidationFailed.field(
            "mode", "must be validate, create or upsert", code="import_mode_invalid"
        ) from None


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def clean_file_name(name: str | None) -> str:
    name = _UNSAFE_NAME.sub("", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:255] or "upload.xlsx"


# --- submit ---------------------------------------------------------------------------------------
class ImportSlots:
    """How many uploads this process reads at once (checks, and runs inline): each holds the
    workbook and its parse in memory, so beyond ``OPCMS_MAX_CONCURRENT_IMPORTS`` one more is
    refused at once (429 with Retry-After) rather than queued in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # reads run in threads; a count checked and taken at once
        self.busy = 0

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        limit = get_settings().max_concurrent_imports
        with self._lock:
            if self.busy >= limit:
                raise TooManyRequests(
                    f"{limit} imports are being read already (OPCMS_MAX_CONCURRENT_IMPORTS); "
                    "try again in a few seconds",
                    code="too_many_imports",
                    params={"limit": limit},
                    retry_after=BUSY_RETRY_AFTER_SECONDS,
                )
            self.busy += 1
        try:
            yield
        finally:
            with self._lock:
                self.busy -= 1


slots = ImportSlots()


def runs_inline(row_estimate: int, xml_size: int) -> bool:
    """Whether an import of this size runs in the request (else on a worker): by its rows, and
    by the XML it parses (long cells make a few rows as costly as thousands)."""
    sync_rows = get_settings().import_sync_rows
    return row_estimate <= sync_rows and xml_size <= sync_rows * SYNC_XML_BYTES_PER_ROW


async def submit(
    data: bytes, file_name: str | None, mode: Any, *, background: bool | None = None
) -> ImportJob:
    """Check, store, record and run (or queue) one import. ``background=None``: by size
    (:func:`runs_inline`).

    Raises :class:`FileRefused` (4xx, nothing written) for a file that must not be read,
    :class:`ValidationFailed` for a bad mode and :class:`TooManyRequests` (429) when this
    process is reading as many uploads as it may.
    """
    mode = parse_mode(mode)
    with slots.hold():
        return await _submit(data, file_name, mode, background)


async def _submit(data: bytes, file_name: str | None, mode: ImportMode, background: bool | None) -> ImportJob:
    settings = get_settings()
    info = await asyncio.to_thread(
        inspect_xlsx, data, max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows
    )
    # refuses missing columns
    layout = await asyncio.to_thread(peek_layout, data, info.sheet_part, info.sheet_name)
    estimate = max(0, info.row_elements - layout.header_row)
    if background is None:
        background = not runs_inline(estimate, info.xml_size)
    # a file run here is opened now (openpyxl reads all shared strings); a worker opens its own
    sheet = None if background else await asyncio.to_thread(Sheet, io.BytesIO(data))
    try:
        stored_name = f"{utcnow():%Y/%m}/{uuid.uuid4().hex}.xlsx"
        await get_store().put_bytes(upload_key(stored_name), data)
        actor = current_actor.get()
        job = await ImportJob.create(
            created_by=actor.name[:64],
            created_by_user_id=actor.user_id,
            request_id=current_request_id.get(),
            client_ip=current_client_ip.get(),
            file_name=clean_file_name(file_name),
            file_size=len(data),
            file_sha256=hashlib.sha256(data).hexdigest(),
            stored_name=stored_name,
            mode=mode,
            background=background,
            total=estimate,
        )
        if sheet is None:
            await _dispatch(job)
            return job
        await run(job, sheet)
        return job
    finally:
        if sheet is not None:
            sheet.close()


async def _dispatch(job: ImportJob) -> None:
    from opcms.imports.tasks import run_import

    try:
        await asyncio.to_thread(run_import.delay, job.id)
    except Exception as error:  # the broker is down: say so, and keep the record honest
        log.warning("import %s could not be queued: %s", job.id, error)
        await _fail(job, "queue_unavailable", Message("import_not_queued", {"error": str(error)}))
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
        claimed = await ImportJob.filter(
            id=import_id, status=ImportStatus.RUNNING, updated_at__lt=stale
        ).update(updated_at=utcnow())
    job = await ImportJob.get_or_none(id=import_id)
    if job is None or not claimed:
        return job
    with contextlib.suppress(FileRefused):  # recorded on the import; nothing to retry
        await run(job)
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
                sheet = await _open_stored(job)
            await pipeline.execute(job, sheet)
        except AppError as error:  # refused file, or a conflict with a concurrent change
            await _fail(job, error.code, error.text)
            raise
        except Exception as error:
            log.exception("import %s failed", job.id)
            await _fail(job, "import_failed", Message("text", {"text": f"{type(error).__name__}: {error}"}))
            raise
        except asyncio.CancelledError:  # the client went away mid-import: the write rolled back
            await asyncio.shield(_fail(job, "cancelled", Message("import_interrupted")))
            raise
        finally:
            if sheet is not None:
                sheet.close()
    return job


async def _open_stored(job: ImportJob) -> Sheet:
    try:
        upload = await open_upload(job)
    except StoredFileMissing:
        name = job.stored_name.rsplit("/", 1)[-1]
        raise FileRefused(
            f"The stored upload {name} is gone",
            code="file_missing",
            key="stored_upload_gone",
            params={"name": name},
            status=410,
        ) from None
    try:
        return await asyncio.to_thread(Sheet, upload)  # the sheet closes the file with itself
    except BaseException:
        upload.close()
        raise


async def _fail(job: ImportJob, code: str, message: Message) -> None:
    job.status = ImportStatus.FAILED
    job.stage = ImportStage.DONE
    job.error_code = code[:64]
    job.error_message = stored(message, 2000)  # rendered in the reader's language (api._fields)
    job.finished_at = utcnow()
    await job.save(
        update_fields=["status", "stage", "error_code", "error_message", "finished_at", "updated_at"]
    )


async def get_import(import_id: int) -> ImportJob:
    return await get_or_404(ImportJob, import_id, "import")


async def prune_uploads(now: dt.datetime) -> int:
    """Remove the uploaded workbooks of imports made more than ``upload_retention_days`` ago and
    ended (succeeded or failed): the import's record, counts and row errors stay. Answers how
    many files it removed; run again, it finds them gone. Only the files still stored are
    removed (one listing of the store, not one question per import ever made)."""
    before = now - dt.timedelta(days=get_settings().upload_retention_days)
    names = await ImportJob.filter(
        status__in=(ImportStatus.SUCCEEDED, ImportStatus.FAILED), created_at__lt=before
    ).values_list("stored_name", flat=True)
    if not names:
        return 0
    store = get_store()
    stored = {item.key for item in await store.list(UPLOADS)}
    removed = 0
    for key in sorted(stored.intersection(upload_key(str(name)) for name in names)):
        removed += await store.delete(key)
    return removed
