"""Demo pricing and usage for the embedded default (``opcms seed-demo``).

Two metrics and three plans (graduated API calls, a bigger API plan with a monthly fee, per-unit
SMS with a monthly fee), a subscription per metric for each customer whose usage is collected,
a ``demo`` data source mapped to those customers, and the last days of usage pulled through the
real pipeline — so the pages have something to show.

With ``history_months`` (what ``opcms seed-demo`` asks for) the demo has a past as well
(demo/cast.py says who plays which part): the source's settings carry each account's profile
(size, first and last day of usage, how its level moves), subscriptions start when the customer
signed (or when the history starts), one customer moved up to the bigger plan and one down to
the cheaper one, and the usage before the pulled days is written in bulk through the usage
store — the very rows the adapter answers for those days, so a re-pull of any past day changes
nothing, and the nightly pull carries every story on.

Idempotent: nothing is added once a demo source exists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from opcms.core.settings import business_today, get_settings
from opcms.customers.models import Customer
from opcms.demo.cast import Member, PlanMove, Role, cast, history_start
from opcms.jobs.models import Trigger
from opcms.pricing import service as pricing
from opcms.pricing.models import UsageMetric
from opcms.pricing.schemas import PlanCreate, SubscriptionCreate, UsageMetricCreate
from opcms.usage.adapters.contract import SourceConfig
from opcms.usage.adapters.demo import DemoAdapter
from opcms.usage.ingest import USAGE_STATUSES
from opcms.usage.models import CustomerSourceAccount, DataSource
from opcms.usage.service import run_pull, yesterday
from opcms.usage.store import CleanUsage, upsert_usage

DEMO_SOURCE = "demo"
METRICS = (("api_calls", "API 调用", "次"), ("sms", "短信", "条"))
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
        # the bigger plan: a monthly fee with a large allowance, cheaper calls beyond it
        "code": "API-PRO",
        "name": "API 调用专业版",
        "metric": "api_calls",
        "mode": "graduated",
        "tiers": [
            {"up_to": "2000000", "unit_price": "0.005000"},
            {"up_to": None, "unit_price": "0.003000"},
        ],
        "included_quantity": "200000",
        "monthly_fee": "1500",
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
BASE = 1000


def account_of(customer: Customer) -> str:
    return f"demo-{customer.customer_code}"


async def seed_pricing_and_usage(days: int = 35, *, history_months: int = 0) -> bool:
    """Pricing, subscriptions and the last ``days`` days of usage pulled through the pipeline;
    with ``history_months``, the usage (and the plan moves) of that many months before this
    one as well. Returns False when the demo data is already there."""
    if await DataSource.with_deleted().filter(name=DEMO_SOURCE).exists():
        return False
    today = business_today()
    for code, name, unit in METRICS:
        if not await UsageMetric.filter(code=code).exists():
            await pricing.create_metric(UsageMetricCreate(code=code, name=name, unit=unit))
    pulled_from = yesterday() - dt.timedelta(days=days - 1)
    start = history_start(today) if history_months else pulled_from.replace(day=1)
    plans = {
        plan["code"]: await pricing.create_plan(PlanCreate(**plan, effective_from=start)) for plan in PLANS
    }
    customers = await Customer.filter(status__in=list(USAGE_STATUSES)).order_by("id")
    roles = (
        cast([Member(c.id, c.status.value, c.signed_at) for c in customers], today, start=start)
        if history_months
        else {}
    )
    settings: dict[str, Any] = {"metrics": [code for code, _, _ in METRICS], "base": BASE}
    if roles:
        settings["profiles"] = {account_of(c): roles[c.id].profile() for c in customers}
    source = await DataSource.create(
        name=DEMO_SOURCE,
        adapter="demo",
        settings=settings,
        remark="deterministic demo usage" + (", with each demo customer's history" if roles else ""),
    )
    for customer in customers:
        await CustomerSourceAccount.create(
            customer=customer, source=source, external_account=account_of(customer)
        )
        since = max(start, customer.signed_at or start)
        discount = Decimal("5") if customer.level in ("S", "A") else Decimal("0")
        for plan_code, plan_from, plan_to in _subscriptions(roles.get(customer.id), since):
            await pricing.create_subscription(
                SubscriptionCreate(
                    customer_id=customer.id,
                    plan_id=plans[plan_code].id,
                    effective_from=plan_from,
                    effective_to=plan_to,
                    discount_percent=discount,
                    remark="ended (demo history)" if plan_to is not None else None,
                )
            )
    if customers and roles:
        await write_history(source, start, pulled_from)
    if customers:
        await run_pull(pulled_from, yesterday(), trigger=Trigger.CLI)
    return True


def _subscriptions(role: Role | None, since: dt.date) -> list[tuple[str, dt.date, dt.date | None]]:
    """(plan code, from, to) of a customer's subscriptions: API and SMS, with its plan move,
    its pause or its leaving."""
    if role is None:
        return [("API-STD", since, None), ("SMS-STD", since, None)]
    if role.pause is not None:
        first, last = role.pause
        back = last + dt.timedelta(days=1)
        before = first - dt.timedelta(days=1)
        return [(plan, since, before) for plan in ("API-STD", "SMS-STD")] + [
            (plan, back, None) for plan in ("API-STD", "SMS-STD")
        ]
    if role.plan_move is None or role.move_day is None or role.move_day <= since:
        return [("API-STD", since, role.subscribed_until), ("SMS-STD", since, role.subscribed_until)]
    old, new = ("API-STD", "API-PRO") if role.plan_move == PlanMove.UPGRADE else ("API-PRO", "API-STD")
    return [
        (old, since, role.move_day - dt.timedelta(days=1)),
        (new, role.move_day, None),
        ("SMS-STD", since, None),
    ]


async def write_history(source: DataSource, first_day: dt.date, before: dt.date) -> int:
    """Write what the source's adapter answers for ``first_day`` … the day before ``before``,
    for every mapped customer, in bulk through the usage store; returns the rows written.

    The pull would write the same rows one day at a time (with its spike checks against a
    history that does not exist yet): this is the back-fill of a year in seconds."""
    adapter = DemoAdapter(SourceConfig(source.name, source.adapter, source.settings, {}))
    accounts = dict(
        await CustomerSourceAccount.filter(source_id=source.id).values_list("external_account", "customer_id")
    )
    metrics = dict(await UsageMetric.filter(is_active=True).values_list("code", "id"))
    names = sorted(accounts)
    records: list[CleanUsage] = []
    day = first_day
    while day < before:
        for row in await adapter.fetch_usage(names, day):
            records.append(CleanUsage(accounts[row.account], metrics[row.metric], day, Decimal(row.quantity)))
        day += dt.timedelta(days=1)
    async with in_transaction() as conn:
        return await upsert_usage(
            records,
            source_id=source.id,
            execution_id=None,
            batch_rows=get_settings().usage_batch_rows,
            conn=conn,
        )
