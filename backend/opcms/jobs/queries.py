"""Reading task executions: one job's runs, or all of them, filtered and paged."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.metrics_core import Metric
from tortoise.functions import Count, Sum

from opcms.core.models import column_values
from opcms.core.pagination import paginate, where_given
from opcms.jobs.models import ExecutionStatus, TaskExecution
from opcms.jobs.recorder import FINISHED
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


async def metric_families() -> list[Metric]:
    """Executions by job and status, their durations, and what they counted (a usage pull's
    records, written and anomalies; an invoice run's succeeded and failed customers): in total,
    and for each job's latest finished run, on which an alert can be set."""
    finished = CounterMetricFamily(
        "opcms_task_executions", "Finished task executions by job and status", labels=["job", "status"]
    )
    active = GaugeMetricFamily(
        "opcms_task_executions_active", "Task executions queued or running", labels=["job", "status"]
    )
    durations = SummaryMetricFamily(
        "opcms_task_execution_duration_seconds", "Time finished task executions took", labels=["job"]
    )
    counted = CounterMetricFamily(
        "opcms_task_counted",
        "What finished executions counted, by job and counter",
        labels=["job", "counter"],
    )
    latest = GaugeMetricFamily(
        "opcms_task_last_run_counted",
        "What the latest finished execution of each job counted",
        labels=["job", "counter"],
    )
    rows = await (
        TaskExecution.annotate(n=Count("id"), ms=Sum("duration_ms"))
        .group_by("task_name", "status")
        .values_list("task_name", "status", "n", "ms")
    )
    seconds: dict[str, float] = defaultdict(float)
    runs: dict[str, int] = defaultdict(int)
    for job, status, n, ms in rows:
        status = ExecutionStatus(status)
        family = finished if status in FINISHED else active
        family.add_metric([job, status.value], n)
        if status in FINISHED:
            seconds[job] += (ms or 0) / 1000
            runs[job] += n
    for job in sorted(runs):
        durations.add_metric([job], runs[job], seconds[job])
    totals: dict[tuple[str, str], float] = defaultdict(float)
    last: dict[str, tuple[int, dict[str, Any]]] = {}
    outcomes = TaskExecution.filter(status__in=list(FINISHED)).values_list("id", "task_name", "counters")
    for execution_id, job, counters in await outcomes:
        numbers = {name: value for name, value in (counters or {}).items() if isinstance(value, int | float)}
        for name, value in numbers.items():
            totals[job, name] += value
        if job not in last or execution_id > last[job][0]:
            last[job] = (execution_id, numbers)
    for (job, name), value in sorted(totals.items()):
        counted.add_metric([job, name], value)
    for job, (_, numbers) in sorted(last.items()):
        for name, value in sorted(numbers.items()):
            latest.add_metric([job, name], value)
    return [finished, active, durations, counted, latest]


#: how many execution ids an alert observation names (the latest ones)
OBSERVED_IDS = 10


async def failed_executions(
    *, since: dt.datetime, until: dt.datetime, job: str | None = None
) -> list[tuple[str, int, dict[str, Any]]]:
    """Executions that ended failed in [since, until), by job: ``("job:<name>", how many,
    {job, count, executions, error})`` — what the alert condition "a job failed" reads."""
    failed = TaskExecution.filter(
        status=ExecutionStatus.FAILED, finished_at__gte=since, finished_at__lt=until
    )
    if job:
        failed = failed.filter(task_name=job)
    rows = await failed.order_by("id").values_list("id", "task_name", "error", "status_reason")
    by_job: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for execution_id, name, error, reason in rows:
        by_job[name].append((execution_id, (error or reason or "").strip()))
    return [
        (
            f"job:{name}",
            len(runs),
            {
                "job": name,
                "count": len(runs),
                "executions": [execution_id for execution_id, _ in runs[-OBSERVED_IDS:]],
                "error": runs[-1][1][:300],
            },
        )
        for name, runs in sorted(by_job.items())
    ]
