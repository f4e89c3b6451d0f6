"""Usage files for ``file`` data sources: parsed in full before anything is written (a
refused file stores nothing), kept in the source's directory (where the ``file`` adapter's
pulls read it later), and ingested at once as one ``usage.upload`` task execution.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import secrets as random
from pathlib import Path

from opcms.core.audit import AuditAction, record_audit
from opcms.core.errors import Conflict
from opcms.core.excel import ZIP_MAGIC, FileRefused
from opcms.core.settings import get_settings
from opcms.jobs.models import TaskExecution, Trigger
from opcms.jobs.recorder import ExecutionRun, run_execution
from opcms.usage.adapters import AdapterError, VendorUsage, parse_usage_file
from opcms.usage.adapters.file import match_day
from opcms.usage.ingest import IngestContext, SpikeWindow, ingest_rows
from opcms.usage.models import DataSource
from opcms.usage.sources.queries import get_source
from opcms.usage.sources.service import FILE_ADAPTER, upload_directory

log = logging.getLogger("opcms.usage")

UPLOAD_TASK = "usage.upload"


_UNSAFE = re.compile(r"[^\w.\-]+")


def display_name(file_name: str | None) -> str:
    """The uploaded file's own name, without any folder part or control characters."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", (file_name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:255] or "usage.csv"


def stored_name(file_name: str, content: bytes, now: dt.datetime) -> str:
    """``20240501-083000-123456-1a2b3c-<name>.csv``: sortable, unique, never hidden, the suffix
    told by content (the adapter reads ``.csv`` and ``.xlsx`` files only)."""
    suffix = ".xlsx" if content.startswith(ZIP_MAGIC) else ".csv"
    stem = Path(file_name).stem if "." in file_name else file_name
    stem = _UNSAFE.sub("_", stem).strip("._-")[:60] or "usage"
    return f"{now:%Y%m%d-%H%M%S-%f}-{random.token_hex(3)}-{stem}{suffix}"


def _store(directory: Path, name: str, content: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    partial = directory / f".{name}.part"  # hidden: a pull reading the folder meanwhile skips it
    partial.write_bytes(content)
    os.replace(partial, target)
    return target


def normalise_days(rows: list[VendorUsage]) -> tuple[list[VendorUsage], list[dt.date]]:
    """Rows with readable days (``2024-05-01``, ``2024/5/1``) given as ISO days, as the ``file``
    adapter answers them; unreadable days stay as sent (they become anomalies)."""
    out, days = [], []
    for row in rows:
        day = match_day(row.usage_day)
        if day is None:
            out.append(row)
        else:
            days.append(day)
            out.append(VendorUsage(row.account, row.metric, day.isoformat(), row.quantity))
    return out, days


async def ingest_upload(source_id: int, content: bytes, file_name: str | None) -> TaskExecution:
    """Store one CSV/.xlsx usage file for a ``file`` source and ingest its rows now.

    The requested range is the file's first to last readable day that has happened; rows of
    other days become ``day_outside_request`` anomalies. Raises :class:`FileRefused` (4xx,
    nothing stored) for a file that cannot be read, lacks a column, or has no usable day.
    """
    source = await get_source(source_id)
    if source.adapter != FILE_ADAPTER:
        raise Conflict(
            f"data source {source.name!r} reads {source.adapter}, not uploaded files: upload to a '{FILE_ADAPTER}' source",
            code="not_a_file_source",
            params={"name": source.name, "adapter": source.adapter, "file": FILE_ADAPTER},
        )
    if not source.is_enabled:
        raise Conflict(
            f"data source {source.name!r} is disabled: enable it before uploading",
            code="data_source_disabled",
            params={"name": source.name},
        )
    name = display_name(file_name)
    rows = await asyncio.to_thread(parse_usage_file, content, name)
    if not rows:
        raise FileRefused(
            f"{name}: the file has a header but no usage rows", code="no_rows", params={"name": name}
        )
    rows, days = normalise_days(rows)
    settings = get_settings()
    now = dt.datetime.now(settings.tz)
    days = [day for day in days if day <= now.date()]
    if not days:
        raise FileRefused(
            f"{name}: no row has a usage day that can be read (YYYY-MM-DD or YYYY/M/D) and has already begun",
            code="no_usage_day",
            params={"name": name},
            details=[
                {"field": "usage_day", "message": "no readable past day in the file", "code": "no_past_day"}
            ],
        )
    first_day, last_day = min(days), max(days)
    try:
        directory = upload_directory(source)
    except AdapterError as error:  # settings edited by hand past the checks
        raise Conflict(
            f"data source {source.name!r} is misconfigured: {error}",
            code="invalid_source_config",
            params={"name": source.name, "error": str(error)},
        ) from None
    try:
        path = await asyncio.to_thread(_store, directory, stored_name(name, content, now), content)
    except OSError as error:
        log.error("cannot store an upload of data source %s in %s: %s", source.name, directory, error)
        raise Conflict(
            f"the upload directory of data source {source.name!r} cannot be written ({error.strerror or error})",
            code="upload_directory_unwritable",
            params={"name": source.name, "error": error.strerror or str(error)},
        ) from None
    parameters = {
        "source": source.name,
        "file_name": name,
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "stored_name": path.name,
    }
    try:
        async with run_execution(UPLOAD_TASK, parameters, Trigger.MANUAL) as run:
            await _ingest_file(source, rows, first_day, last_day, run, name)
    except BaseException:
        # nothing was written (one transaction): do not leave the file for the next pull either
        path.unlink(missing_ok=True)
        raise
    return run.execution


async def _ingest_file(
    source: DataSource,
    rows: list[VendorUsage],
    first_day: dt.date,
    last_day: dt.date,
    run: ExecutionRun,
    name: str,
) -> None:
    context = await IngestContext.for_source(source.id, execution_id=run.execution.id)
    # only the customers the file speaks of: their trailing window for the spike rule
    customer_ids = sorted({c for row in rows if (c := context.customer_of(row.account)) is not None})
    context.window = await SpikeWindow.load(source.id, customer_ids, first_day, last_day)
    outcome = await ingest_rows(context, rows, (first_day, last_day))
    outcome.count_on(run, source.name)
    run.log(
        f"{source.name}: {name}: {outcome.received} rows for {first_day}…{last_day}, "
        f"{outcome.written} written, {outcome.anomalies} held for review"
        + (f" ({', '.join(f'{k} {n}' for k, n in sorted(outcome.kinds.items()))})" if outcome.kinds else "")
    )
    await record_audit(
        AuditAction.IMPORT,
        "usage_upload",
        run.execution.id,
        after={
            "source": source.name,
            "file_name": name,
            "days": [first_day.isoformat(), last_day.isoformat()],
            **dict(run.counters),
        },
        message="usage file upload",
    )
