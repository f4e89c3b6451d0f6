"""Usage reads: records, anomalies and pulls, filtered and paged."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from opcms.core.db import counts_by
from opcms.core.pagination import paginate, where_given
from opcms.core.settings import business_today
from opcms.customers.models import Customer
from opcms.jobs.models import TaskExecution
from opcms.jobs.queries import list_executions
from opcms.jobs.recorder import FINISHED
from opcms.jobs.schemas import ExecutionQuery
from opcms.pricing.models import UsageMetric
from opcms.usage.ingest import SpikeWindow
from opcms.usage.models import AnomalyKind, AnomalyStatus, DataSource, UsageAnomaly, UsageRecord
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


async def pulled_rows_by_source(
    *, since: dt.datetime, until: dt.datetime, source: str | None = None
) -> list[tuple[str, int, dict[str, Any]]]:
    """What each source's pull that finished in [since, until) fetched: ``("source:<name>",
    vendor rows received, {source, execution_id, first_day, last_day})`` for each pull and each
    source it asked — what the alert condition "a usage pull fetched zero rows" reads. A source
    whose every day failed counted nothing and is not here (the pull failed: "a job failed")."""
    pulls = await (
        TaskExecution.filter(
            task_name=TASK_NAME, status__in=list(FINISHED), finished_at__gte=since, finished_at__lt=until
        )
        .order_by("id")
        .values_list("id", "parameters", "result")
    )
    found = []
    for execution_id, parameters, result in pulls:
        breakdown = (result.get("breakdown") if isinstance(result, dict) else None) or {}
        for name, counted in sorted(breakdown.items()):
            if source and name != source:
                continue
            found.append(
                (
                    f"source:{name}",
                    int(counted.get("records", 0)),
                    {
                        "source": name,
                        "execution_id": execution_id,
                        "first_day": (parameters or {}).get("first_day"),
                        "last_day": (parameters or {}).get("last_day"),
                        "records": int(counted.get("records", 0)),
                    },
                )
            )
    return found


#: the days of a pull an alert looks at: those within this many days before today (a back-fill
#: of last year is not news)
RECENT_DAYS = 7
_RATIO = Decimal("0.01")


async def usage_against_trailing_average(
    *, since: dt.datetime, until: dt.datetime, source: str | None = None, metric: str | None = None
) -> list[tuple[str, Decimal, dict[str, Any]]]:
    """Each customer's daily quantity that a pull finished in [since, until) brought, against
    its trailing average: ``("customer:<id>:<metric>", quantity ÷ average, {…})`` — what the
    alert condition "usage above/below N× its trailing average" reads.

    The average is the spike rule's own (:class:`opcms.usage.ingest.SpikeWindow`: the days with
    records among the 30 before, once there are 7), and the quantities are the records the pull
    wrote and the spikes it held back as anomalies (a spike is not a record until reviewed).
    A day with no average yet is not observed; nor is a day the vendor sent nothing for."""
    pulls = await (
        TaskExecution.filter(
            task_name=TASK_NAME, status__in=list(FINISHED), finished_at__gte=since, finished_at__lt=until
        )
        .order_by("id")
        .values_list("id", "parameters")
    )
    recent = business_today() - dt.timedelta(days=RECENT_DAYS)
    # (source, customer, metric, day) → quantity, from each pull's own days
    quantities: dict[tuple[int, int, int, dt.date], Decimal] = {}
    for execution_id, parameters in pulls:
        try:
            first = max(dt.date.fromisoformat(parameters["first_day"]), recent)
            last = dt.date.fromisoformat(parameters["last_day"])
        except (KeyError, TypeError, ValueError):
            continue
        if last < first:
            continue
        days = {"usage_day__gte": first, "usage_day__lte": last, "execution_id": execution_id}
        if source:
            days["source__name"] = source
        if metric:
            days["metric__code"] = metric
        for row in await UsageRecord.filter(**days).values_list(
            "source_id", "customer_id", "metric_id", "usage_day", "quantity"
        ):
            quantities[row[:4]] = Decimal(row[4])
        spikes = UsageAnomaly.filter(
            kind=AnomalyKind.SPIKE,
            customer_id__isnull=False,
            metric_id__isnull=False,
            quantity__isnull=False,
            **days,
        )
        for row in await spikes.values_list("source_id", "customer_id", "metric_id", "usage_day", "quantity"):
            quantities.setdefault(row[:4], Decimal(row[4]))
    if not quantities:
        return []
    by_source: dict[int, list[tuple[int, int, int, dt.date]]] = defaultdict(list)
    for key in quantities:
        by_source[key[0]].append(key)
    customers = (
        await Customer.with_deleted()
        .filter(id__in=list({key[1] for key in quantities}))
        .values_list("id", "customer_code", "company_name")
    )
    names = {cid: (code, name) for cid, code, name in customers}
    metrics = (
        await UsageMetric.with_deleted()
        .filter(id__in=list({key[2] for key in quantities}))
        .values_list("id", "code")
    )
    metric_codes: dict[int, str] = dict(metrics)
    sources: dict[int, str] = dict(
        await DataSource.with_deleted().filter(id__in=list(by_source)).values_list("id", "name")
    )
    observed = []
    for source_id, keys in sorted(by_source.items()):
        days_seen = [key[3] for key in keys]
        window = await SpikeWindow.load(
            source_id, sorted({key[1] for key in keys}), min(days_seen), max(days_seen)
        )
        source_name = sources.get(source_id, str(source_id))
        for key in sorted(keys):
            _, customer_id, metric_id, day = key
            average = window.average((customer_id, metric_id), day)
            if not average:
                continue
            quantity = quantities[key]
            code, company = names.get(customer_id, ("", ""))
            metric_code = metric_codes.get(metric_id, str(metric_id))
            observed.append(
                (
                    f"customer:{customer_id}:{metric_code}",
                    (quantity / average).quantize(_RATIO),
                    {
                        "customer_id": customer_id,
                        "customer_code": code,
                        "company_name": company,
                        "metric": metric_code,
                        "source": source_name,
                        "day": day.isoformat(),
                        "quantity": str(quantity),
                        "average": str(average.quantize(Decimal("0.0001"))),
                    },
                )
            )
    return observed
