"""Shared givens of the billing tests (no tests here): metrics, plans, subscriptions, usage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.core.context import acting_as, system_actor
from opcms.usage.models import DataSource, UsageRecord
from tests.backend.factories import make_customer, make_metric, make_plan, make_subscription

PERIOD = "2026-03"
MARCH_1 = dt.date(2026, 3, 1)

GRADUATED = {
    "mode": "graduated",
    "unit_price": None,
    "tiers": [
        {"up_to": "1000", "unit_price": "0.010000", "flat_fee": "0"},
        {"up_to": None, "unit_price": "0.008000", "flat_fee": "0"},
    ],
    "included_quantity": "500",
    "minimum_amount": "50",
}
PER_UNIT_WITH_FEE = {"mode": "per_unit", "unit_price": "0.010000", "monthly_fee": "100"}
VOLUME = {
    "mode": "volume",
    "unit_price": None,
    "tiers": [
        {"up_to": "1000", "unit_price": "0.050000", "flat_fee": "0"},
        {"up_to": "10000", "unit_price": "0.030000", "flat_fee": "5"},
        {"up_to": None, "unit_price": "0.020000", "flat_fee": "0"},
    ],
}


async def source() -> DataSource:
    existing = await DataSource.get_or_none(name="test-feed")
    if existing:
        return existing
    with acting_as(system_actor("test")):
        return await DataSource.create(name="test-feed", adapter="demo", settings={})


async def add_usage(customer, metric, day: dt.date | str, quantity: str | int) -> UsageRecord:
    feed = await source()
    return await UsageRecord.create(
        customer_id=customer.id,
        metric_id=metric.id,
        usage_day=dt.date.fromisoformat(str(day)),
        source_id=feed.id,
        quantity=Decimal(str(quantity)),
    )


async def customer_on(
    plan,
    *,
    effective_from: str = "2026-01-01",
    effective_to: str | None = None,
    discount: str | None = None,
    **customer_fields,
):
    customer = await make_customer(**customer_fields)
    extra = {"discount_percent": Decimal(discount)} if discount else {}
    await make_subscription(customer, plan, effective_from=effective_from, effective_to=effective_to, **extra)
    return customer


async def golden_book():
    """Four customers on March 2026, as the golden test describes them."""
    api = await make_metric("api_calls", name="API 调用", unit="次")
    sms = await make_metric("sms", name="短信", unit="条")
    storage = await make_metric("storage", name="存储", unit="GB")
    graduated = await make_plan(api, code="API-GRAD", effective_from=dt.date(2026, 1, 1), **GRADUATED)
    with_fee = await make_plan(sms, code="SMS-FEE", effective_from=dt.date(2026, 1, 1), **PER_UNIT_WITH_FEE)
    volume = await make_plan(storage, code="STO-VOL", effective_from=dt.date(2026, 1, 1), **VOLUME)
    a = await customer_on(graduated, level="A", payment_terms_days=30)
    b = await customer_on(with_fee, effective_from="2026-03-11", discount="10", payment_terms_days=15)
    c = await customer_on(volume)
    d = await customer_on(volume)  # no usage, no fee, no minimum: no invoice
    await add_usage(a, api, "2026-03-01", 12000)
    await add_usage(a, api, "2026-03-31", 8000)
    await add_usage(a, api, "2026-04-01", 7777)  # another period
    await add_usage(b, sms, "2026-03-05", 999)  # before the subscription starts: not billed
    await add_usage(b, sms, "2026-03-11", 2000)
    await add_usage(b, sms, "2026-03-20", "3000")
    await add_usage(c, storage, "2026-03-15", 4000)
    return {"a": a, "b": b, "c": c, "d": d, "api": api, "sms": sms, "storage": storage}
