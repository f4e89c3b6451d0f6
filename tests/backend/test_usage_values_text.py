"""The usage store writes its VALUES as text (MySQL) and reads whole-number quantities on a
short path: the same numbers must land in the table, whatever their written form, and a row
that was held is still held."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from opcms.core.context import acting_as, system_actor
from opcms.pricing.models import UsageMetric
from opcms.usage.adapters import VendorUsage
from opcms.usage.ingest import MIN_HISTORY_DAYS, IngestContext, ingest_rows, parse_quantity
from opcms.usage.models import (
    AnomalyKind,
    CustomerSourceAccount,
    DataSource,
    UsageAnomaly,
    UsageRecord,
)
from opcms.usage.store import CleanUsage, date_text, int_text, quantity_text, upsert_usage
from tests.backend.factories import make_customer

DAY = dt.date(2026, 3, 10)
ODD = ["1E+3", "0.0001", "-0", "0E-10", "1e-4", "9999999999999999.9999", "123.45", "7.00000"]


def test_quantity_text_is_plain_digits_with_four_decimals():
    # given quantities in every written form a Decimal may take
    # when they are written as SQL text
    texts = [quantity_text(Decimal(v)) for v in ODD]
    # then each is plain digits with 4 decimals, never an exponent
    assert texts == [
        "1000.0000",
        "0.0001",
        "-0.0000",
        "0.0000",
        "0.0001",
        "9999999999999999.9999",
        "123.4500",
        "7.0000",
    ]


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), 1.5, "1", 3])
def test_quantity_text_refuses_anything_but_a_finite_decimal(value):
    with pytest.raises(TypeError):
        quantity_text(value)


@pytest.mark.parametrize("value", ["1; DROP TABLE usage_record", True, 1.0, Decimal(1)])
def test_an_id_that_is_not_an_int_is_refused(value):
    with pytest.raises(TypeError):
        int_text(value)


def test_ids_and_days_have_one_text():
    assert (int_text(42), int_text(None), int_text(-3)) == ("42", "NULL", "-3")
    assert date_text(dt.date(987, 1, 2)) == "'0987-01-02'"
    with pytest.raises(TypeError):
        date_text(dt.datetime(2026, 1, 2, 3, 4))


@pytest.mark.parametrize(
    "text", ["0", "7", "0012", "9999999999999999", "10000000000000000", "٣", "12", " 7 "]
)
def test_a_whole_number_reads_as_the_long_path_reads_it(text):
    # given a whole number as a vendor writes it; when parsed; then the same answer as Decimal's checks
    value, kind, _ = parse_quantity(text)
    slow = Decimal(text.strip())
    if slow >= Decimal("1e16"):
        assert (value, kind) == (None, AnomalyKind.INVALID_QUANTITY)
    else:
        assert (value, kind) == (slow, None)
        assert value is not None and value.as_tuple() == slow.as_tuple()


async def test_odd_decimals_are_stored_as_the_same_numbers(db):
    # given a customer and a metric
    source = await DataSource.create(name="odd", adapter="demo", settings={})
    metric = await UsageMetric.create(code="api_calls", name="api_calls", unit="次")
    customer = await make_customer(status="active")
    records = [
        CleanUsage(customer.id, metric.id, DAY + dt.timedelta(days=n), Decimal(v)) for n, v in enumerate(ODD)
    ]
    # when they are upserted (twice: the second is an update of the same keys)
    await upsert_usage(records, source_id=source.id, execution_id=None)
    await upsert_usage(records, source_id=source.id, execution_id=None)
    # then every quantity reads back as the same number, once per day
    stored = (
        await UsageRecord.filter(source_id=source.id)
        .order_by("usage_day")
        .values_list("usage_day", "quantity")
    )
    assert [day for day, _ in stored] == [r.usage_day for r in records]
    assert [Decimal(q) for _, q in stored] == [r.quantity for r in records]


async def test_a_spike_in_a_whole_number_is_still_held(db):
    # given a week of steady whole-number usage
    source = await DataSource.create(name="spiky", adapter="demo", settings={})
    await UsageMetric.create(code="api_calls", name="api_calls", unit="次")
    customer = await make_customer(status="active")
    await CustomerSourceAccount.create(customer=customer, source=source, external_account="acct-a")
    with acting_as(system_actor("test")):
        ctx = await IngestContext.for_source(source.id, execution_id=None)
        for n in range(MIN_HISTORY_DAYS):
            day = DAY + dt.timedelta(days=n)
            await ingest_rows(ctx, [VendorUsage("acct-a", "api_calls", day.isoformat(), "100")], (day, day))
        # when the next day brings far more, written as a plain whole number
        spike_day = DAY + dt.timedelta(days=MIN_HISTORY_DAYS)
        outcome = await ingest_rows(
            ctx, [VendorUsage("acct-a", "api_calls", spike_day.isoformat(), "100000")], (spike_day, spike_day)
        )
    # then it is held as a spike and not billed
    assert outcome.anomalies == 1 and outcome.written == 0
    held = await UsageAnomaly.get(source_id=source.id)
    assert held.kind == AnomalyKind.SPIKE and held.raw_quantity == "100000"
    assert not await UsageRecord.filter(source_id=source.id, usage_day=spike_day).exists()
    assert await UsageRecord.filter(source_id=source.id).count() == MIN_HISTORY_DAYS
