"""Properties of ingesting vendor rows, whatever the rows: every distinct row ends up either
billable (a usage record) or held (an anomaly), never both and never twice; ingesting the same
rows again changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opcms.core.context import acting_as, system_actor
from opcms.pricing.models import UsageMetric
from opcms.usage.adapters import VendorUsage
from opcms.usage.ingest import IngestContext, SpikeWindow, ingest_rows
from opcms.usage.models import CustomerSourceAccount, DataSource, UsageAnomaly, UsageRecord
from tests.backend.factories import make_customer

DAY = dt.date(2026, 9, 30)

rows = st.lists(
    st.builds(
        VendorUsage,
        account=st.sampled_from(["acct-a", "acct-b", "stranger"]),
        metric=st.sampled_from(["api_calls", "sms", "bogus"]),
        usage_day=st.sampled_from([DAY.isoformat(), "2026-10-01", "30/09/2026"]),
        quantity=st.one_of(
            st.decimals(min_value=-5, max_value=10**6, places=4, allow_nan=False).map(str),
            st.sampled_from(["", "n/a", "1e3", "0.00001", "12,5", " 7 "]),
        ),
    ),
    max_size=12,
)


async def given_source() -> IngestContext:
    source = await DataSource.create(name="props", adapter="demo", settings={})
    for code in ("api_calls", "sms"):
        await UsageMetric.create(code=code, name=code, unit="次")
    for account in ("acct-a", "acct-b"):
        customer = await make_customer(status="active")
        await CustomerSourceAccount.create(customer=customer, source=source, external_account=account)
    return await IngestContext.for_source(source.id, execution_id=None)


async def state() -> tuple[list, list]:
    records = sorted(
        await UsageRecord.all().values_list("customer_id", "metric_id", "usage_day", "quantity", "updated_at")
    )
    anomalies = sorted(await UsageAnomaly.all().values_list("row_key", "kind", "status", "raw_quantity"))
    return records, anomalies


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=rows)
async def test_every_row_is_billed_or_held_once_and_a_replay_changes_nothing(db, batch):
    # hypothesis runs many examples inside one test: each starts from empty usage tables
    await UsageRecord.all().delete()
    for model in (UsageAnomaly, CustomerSourceAccount, DataSource, UsageMetric):
        await model.with_deleted().all().delete()
    with acting_as(system_actor("test")):
        context = await given_source()
        outcome = await ingest_rows(context, batch, (DAY, DAY))
        first = await state()
        context.window = SpikeWindow()
        await ingest_rows(context, batch, (DAY, DAY))
        second = await state()

    distinct = {(r.account, r.metric, r.usage_day) for r in batch}
    records, anomalies = first
    assert len(records) + len(anomalies) == len(distinct)
    assert outcome.written == len(records) and outcome.anomalies == len(anomalies)
    assert all(Decimal(q) >= 0 for *_, q, _ in records)
    assert second == first
