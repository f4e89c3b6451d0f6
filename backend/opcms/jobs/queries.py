"""Reading task executions: one job's runs, or all of them, filtered and paged."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opcms.core.models import column_values
from opcms.core.pagination import paginate, where_given
from opcms.jobs.models import TaskExecution
from opcms.jobs.schemas import EXECUTION_SORTABLE, ExecutionQuery, TaskExecutionQuery

#: creation times a query's created_from (inclusive) and created_to (exclusive) bound
CREATED = {"created_at__gte": "created_from", "created_at__lt": "created_to"}


async def list_executions(task_names: Iterable[str], query: ExecutionQuery) -> dict[str, Any]:
    """Executions of the given tasks, newest first by default."""
    qs = where_given(TaskExecution.filter(task_name__in=list(task_names)), query, "status")
    return await paginate(qs, query, sortable=EXECUTION_SORTABLE, default_sort="-id")


async def search_executions(query: TaskExecutionQuery) -> dict[str, Any]:
    """Every job's executions, by task, status, trigger, who triggered it and creation time."""
    names = ("task_name", "status", "trigger", "triggered_by")
    qs = where_given(TaskExecution.all(), query, *names, **CREATED)
    return await paginate(qs, query, sortable=EXECUTION_SORTABLE, default_sort="-id")


async def retry_ids(execution_id: int) -> list[int]:
    return await column_values(TaskExecution.filter(retry_of_id=execution_id).order_by("id"), "id")
