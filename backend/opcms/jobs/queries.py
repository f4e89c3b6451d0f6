"""Reading task executions: one job's runs, filtered and paged."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opcms.core.pagination import paginate
from opcms.jobs.models import TaskExecution
from opcms.jobs.schemas import ExecutionQuery

SORTABLE = ("id", "created_at", "status")


async def list_executions(task_names: Iterable[str], query: ExecutionQuery) -> dict[str, Any]:
    """Executions of the given tasks, newest first by default."""
    qs = TaskExecution.filter(task_name__in=list(task_names))
    if query.status is not None:
        qs = qs.filter(status=query.status)
    return await paginate(qs, query, sortable=SORTABLE, default_sort="-id")
