"""Demo pricing and usage for the embedded default (``opcms seed-demo``).

Two metrics with a plan each (graduated API calls, per-unit SMS with a monthly fee), a
subscription per active customer, a ``demo`` data source mapped to those customers, and the
last days of usage pulled through the real pipeline — so the pages have something to show.
Idempotent: nothing is added once a demo source exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from opcms.customers.models import Customer
from opcms.jobs.models import Trigger
from opcms.pricing import service as pricing
from opcms.pricing.models import UsageMetric
from opcms.pricing.schemas import PlanCreate, SubscriptionCreate, UsageMetricCreate
from opcms.usage.ingest import USAGE_STATUSES
from opcms.usage.models import CustomerSourceAccount, DataSource
from opcms.usage.service import run_pull, yesterday

DEMO_SOURCE = "demo"
PLANS: list[dict[str, Any]] = [
    {
        "code": "API-STD",
        "name": "API 调用标准阶梯",
        "metric": "api_calls",
        "mode": "graduated",
        "tiers": [
            {"up_to": "100000", "unit_price": "0.010000"},
            {"up_to": "1000000", "unit_price": "0.008000"},
            {"up_to": None, "unit_price": "0.005000"},
        ],
        "included_quantity": "1000",
        "minimum_amount": "100",
    },
    {
        "code": "SMS-STD",
        "name": "短信按条计费",
        "metric": "sms",
        "mode": "per_unit",
        "unit_price": "0.045000",
        "monthly_fee": "50",
    },
]


async def seed_pricing_and_usage(days: int = 35) -> bool:
    """Returns False when the demo data is already there."""
    if await DataSource.with_deleted().filter(name=DEMO_SOURCE).exists():
        return False
    for code, name, unit in (("api_calls", "API 调用", "次"), ("sms", "短信", "条")):
        if not await UsageMetric.filter(code=code).exists():
            await pricing.create_metric(UsageMetricCreate(code=code, name=name, unit=unit))
    start = yesterday() - dt.timedelta(days=days - 1)
    month_start = start.replace(day=1)
    plans = [await pricing.create_plan(PlanCreate(**plan, effective_from=month_start)) for plan in PLANS]
    source = await DataSource.create(
        name=DEMO_SOURCE,
        adapter="demo",
        settings={"metrics": ["api_calls", "sms"], "base": 1000},
        remark="deterministic demo usage",
    )
    customers = await Customer.filter(status__in=list(USAGE_STATUSES)).order_by("id")
    for customer in customers:
        await CustomerSourceAccount.create(
            customer=customer, source=source, external_account=f"demo-{customer.customer_code}"
        )
        discount = Decimal("5") if customer.level in ("S", "A") else Decimal("0")
        for plan in plans:
            await pricing.create_subscription(
                SubscriptionCreate(
                    customer_id=customer.id,
                    plan_id=plan.id,
                    effective_from=month_start,
                    discount_percent=discount,
                )
            )
    if customers:
        await run_pull(start, yesterday(), trigger=Trigger.CLI)
    return True
