"""Reading task executions: one job's runs, or all of them, filtered and paged."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opcms.core.models import column_values
from opcms.core.pagination import paginate
from opcms.jobs.models import TaskExecution
from opcms.jobs.schemas import ExecutionQuery, TaskExecutionQuery

SORTABLE = ("id", "created_at", "status")


async def list_executions(task_names: Iterable[str], query: ExecutionQuery) -> dict[str, Any]:
    """Executions of the given tasks, newest first by default."""
    qs = TaskExecution.filter(task_name__in=list(task_names))
    if query.status is not None:
        qs = qs.filter(status=query.status)
    return await paginate(qs, query, sortable=SORTABLE, default_sort="-id")


async def search_executions(query: TaskExecutionQuery) -> dict[str, Any]:
    """Every job's executions, by task, status, trigger, who triggered it and creation time."""
    qs = TaskExecution.all()
    if query.task_name:
        qs = qs.filter(task_name=query.task_name)
    if query.status is not None:
        qs = qs.filter(status=query.status)
    if query.trigger is not None:
        qs = qs.filter(trigger=query.trigger)
    if query.triggered_by:
        qs = qs.filter(triggered_by=query.triggered_by)
    if query.created_from is not None:
        qs = qs.filter(created_at__gte=query.created_from)
    if query.created_to is not None:
        qs = qs.filter(created_at__lt=query.created_to)
    return await paginate(qs, query, sortable=SORTABLE, default_sort="-id")


async def retry_ids(execution_id: int) -> list[int]:
    return await column_values(TaskExecution.filter(retry_of_id=execution_id).order_by("id"), "id")
