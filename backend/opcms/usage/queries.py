"""Usage reads: records, anomalies and pulls, filtered and paged."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from opcms.core.db import counts_by
from opcms.core.pagination import paginate, where_given
from opcms.jobs.models import TaskExecution
from opcms.jobs.queries import list_executions
from opcms.jobs.recorder import FINISHED
from opcms.jobs.schemas import ExecutionQuery
from opcms.usage.models import AnomalyKind, AnomalyStatus, UsageAnomaly, UsageRecord
from opcms.usage.pull import TASK_NAME
from opcms.usage.schemas import (
    ANOMALY_SORTABLE,
    RECORD_SORTABLE,
    AnomalyQuery,
    DailyUsageQuery,
    UsageRecordPublic,
    UsageRecordQuery,
)
from opcms.usage.uploads import UPLOAD_TASK

PULL_TASKS = (TASK_NAME, UPLOAD_TASK)
#: the usage days a query's day_from and day_to bound (both inclusive)
_DAYS = {"usage_day__gte": "day_from", "usage_day__lte": "day_to"}


async def list_records(query: UsageRecordQuery) -> dict[str, Any]:
    records = UsageRecord.all().select_related("metric", "customer")
    qs = where_given(
        records, query, "customer_id", "source_id", metric__code="metric", is_late="late", **_DAYS
    )
    page = await paginate(qs, query, sortable=RECORD_SORTABLE, default_sort="-usage_day")
    # the metric travels as its code (the row's `metric` is the related object), the customer
    # with its code and name (people read those, not ids)
    own = [
        name
        for name in UsageRecordPublic.model_fields
        if name not in ("metric", "customer_code", "company_name")
    ]
    page["items"] = [
        {
            **{name: getattr(r, name) for name in own},
            "metric": r.metric.code,
            "customer_code": r.customer.customer_code,
            "company_name": r.customer.company_name,
        }
        for r in page["items"]
    ]
    return page


async def daily_usage(query: DailyUsageQuery) -> list[dict[str, Any]]:
    """A customer's billable usage per day and metric, all sources summed (in Decimal: SQLite
    would sum DECIMAL text as floats)."""
    rows = await UsageRecord.filter(
        customer_id=query.customer_id, usage_day__gte=query.day_from, usage_day__lte=query.day_to
    ).values_list("usage_day", "metric__code", "quantity")
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for day, metric, quantity in rows:
        totals[(day, metric)] += Decimal(quantity)
    return [
        {"usage_day": day, "metric": metric, "quantity": q} for (day, metric), q in sorted(totals.items())
    ]


async def list_anomalies(query: AnomalyQuery) -> dict[str, Any]:
    qs = UsageAnomaly.all().select_related("customer")
    if query.status != "all":
        qs = qs.filter(status=query.status)
    qs = where_given(qs, query, "kind", "source_id", "customer_id", **_DAYS)
    page = await paginate(qs, query, sortable=ANOMALY_SORTABLE, default_sort="-id")
    for anomaly in page["items"]:
        customer = anomaly.customer  # an unknown account has none
        anomaly.customer_code = customer.customer_code if customer else None
        anomaly.company_name = customer.company_name if customer else None
    return page


async def list_pulls(query: ExecutionQuery) -> dict[str, Any]:
    return await list_executions(PULL_TASKS, query)


#: what a pull or an upload counted for each source, and the metric each becomes
SOURCE_COUNTERS = {
    "records": ("opcms_usage_records_fetched", "Vendor rows received by pulls and uploads, by source"),
    "written": ("opcms_usage_records_written", "Usage records written by pulls and uploads, by source"),
    "anomalies": (
        "opcms_usage_records_held",
        "Vendor rows held as anomalies by pulls and uploads, by source",
    ),
}


async def metric_families() -> list[Metric]:
    """What the finished pulls and uploads fetched, wrote and held, by source (their executions'
    breakdown); and the vendor rows held as anomalies now, by source, kind and status: an open
    one waits for review and its usage is not billed."""
    families = {
        counter: CounterMetricFamily(name, help_text, labels=["source"])
        for counter, (name, help_text) in SOURCE_COUNTERS.items()
    }
    totals: dict[tuple[str, str], int] = defaultdict(int)
    results = TaskExecution.filter(
        task_name__in=(TASK_NAME, UPLOAD_TASK), status__in=list(FINISHED), result__isnull=False
    ).values_list("result", flat=True)
    for result in await results:
        breakdown: dict[str, dict[str, int]] = (
            result.get("breakdown") if isinstance(result, dict) else None
        ) or {}
        for source, counted in breakdown.items():
            for counter in SOURCE_COUNTERS:
                totals[source, counter] += int(counted.get(counter, 0))
    for (source, counter), n in sorted(totals.items()):
        families[counter].add_metric([source], n)
    held = GaugeMetricFamily(
        "opcms_usage_anomalies",
        "Vendor rows held as anomalies, by source, kind and status",
        labels=["source", "kind", "status"],
    )
    rows = await counts_by(UsageAnomaly.all(), "source__name", "kind", "status")
    for source, kind, status, n in sorted(rows, key=lambda row: tuple(str(v) for v in row[:3])):
        held.add_metric([source, AnomalyKind(kind).value, AnomalyStatus(status).value], n)
    return [*families.values(), held]
