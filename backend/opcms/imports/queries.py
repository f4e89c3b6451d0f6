"""Import list reads: newest first, filters by status, mode and who ran it."""

from __future__ import annotations

from typing import Any

from opcms.core.pagination import paginate
from opcms.imports.models import ImportJob
from opcms.imports.schemas import ImportListQuery

SORTABLE = ("id", "created_at", "finished_at", "file_name", "status", "mode", "total", "failed")


async def list_imports(query: ImportListQuery) -> dict[str, Any]:
    qs = ImportJob.all()
    for name in ("status", "mode", "created_by"):
        value = getattr(query, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    return await paginate(qs, query, sortable=SORTABLE, default_sort="-id")
