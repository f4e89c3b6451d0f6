"""Import reads: the list (newest first, filters by status, mode and who ran it) and the
report of one import."""

from __future__ import annotations

from typing import Any

from opcms.core.i18n import loaded
from opcms.core.pagination import paginate
from opcms.imports.models import ImportJob, ImportRowError, ImportStatus
from opcms.imports.schemas import IMPORT_SORTABLE, ImportListQuery


async def list_imports(query: ImportListQuery) -> dict[str, Any]:
    qs = ImportJob.all()
    for name in ("status", "mode", "created_by"):
        value = getattr(query, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    return await paginate(qs, query, sortable=IMPORT_SORTABLE, default_sort="-id")


def counts(job: ImportJob) -> dict[str, int]:
    return {
        "total": job.total,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "skipped_blank": job.skipped_blank,
        "failed": job.failed,
    }


async def row_errors(job: ImportJob) -> list[dict[str, Any]]:
    rows = (
        await ImportRowError.filter(job_id=job.id)
        .order_by("id")
        .values_list("row", "column_name", "value", "reason")
    )
    # a reason is kept as its code and parameters: rendered here, in the reader's language
    return [{"row": r, "column": c, "value": v, "reason": loaded(why).render()} for r, c, v, why in rows]


async def report(job: ImportJob) -> dict[str, Any] | None:
    """The report of a finished import (DESIGN §14 shape plus ``ignored_columns``)."""
    if job.status != ImportStatus.SUCCEEDED:
        return None
    return {
        **counts(job),
        "errors": await row_errors(job),
        "ignored_columns": list(job.ignored_columns or []),
    }
