"""Small factories: build the data a test needs in the domain's own words."""

from __future__ import annotations

import itertools

from opcms.auth import tokens
from opcms.auth.models import TokenFamily, User
from opcms.auth.schemas import UserCreate
from opcms.auth.services.sessions import IssuedTokens, _issue
from opcms.auth.services.users import create_user
from opcms.core.context import acting_as, system_actor

PASSWORD = "Correct-Horse-9"
_seq = itertools.count(1)


async def make_user(role: str = "admin", *, username: str | None = None, password: str = PASSWORD, **extra) -> User:
    with acting_as(system_actor("test-factory")):
        user = await create_user(
            UserCreate(username=username or f"{role}{next(_seq)}", role=role, password=password, **extra)
        )
    return user


async def session_for(user: User) -> IssuedTokens:
    """Tokens for a user without going through the login endpoint (no argon2, no audit)."""
    family = await TokenFamily.create(id=tokens.new_id(), user=user)
    return await _issue(user, family.id)


async def token_for(role: str) -> str:
    return (await session_for(await make_user(role))).access_token


_customer_seq = itertools.count(1)


def credit_code(seed: int) -> str:
    """A valid unified social credit code (GB 32100-2015) derived from a number."""
    from opcms.customers.rules import credit_code_check_char

    first17 = f"91310000{seed:09d}"[:17]
    return first17 + credit_code_check_char(first17)


async def make_customer(**fields):
    """A live customer through the real service (dictionary words, owner and rules apply)."""
    from opcms.customers.schemas import CustomerCreate
    from opcms.customers.service import create_customer

    n = next(_customer_seq)
    data = {"customer_code": f"C{n:05d}", "company_name": f"测试客户{n}有限公司", **fields}
    with acting_as(system_actor("test-factory")):
        return await create_customer(CustomerCreate(**data))


def workbook_bytes(rows: list[list], *, merge: str | None = None, title: str = "客户") -> bytes:
    """An .xlsx made with openpyxl from rows of cell values (``[]`` is a blank row)."""
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def customer_rows(count: int, *, start: int = 1, prefix: str = "K") -> list[list]:
    """A header and ``count`` valid customer rows (code, name, level, phone)."""
    rows: list[list] = [["客户编号", "公司名称", "客户等级", "联系电话"]]
    for n in range(start, start + count):
        rows.append([f"{prefix}{n:05d}", f"批量客户{prefix}{n}有限公司", "A", f"139{n:08d}"])
    return rows


# --- pricing ------------------------------------------------------------------------------------
_pricing_seq = itertools.count(1)

PER_UNIT = {"mode": "per_unit", "unit_price": "0.010000"}


async def make_metric(code: str | None = None, *, name: str = "API 调用", unit: str = "次"):
    """A live, active usage metric through the real service."""
    from opcms.pricing.schemas import UsageMetricCreate
    from opcms.pricing.service import create_metric

    with acting_as(system_actor("test-factory")):
        return await create_metric(UsageMetricCreate(code=code or f"metric_{next(_pricing_seq)}", name=name, unit=unit))


async def make_plan(metric=None, *, code: str | None = None, effective_from=None, **terms):
    """A plan with its version 1 (per unit at 0.01 unless ``terms`` say otherwise); ``metric``
    is a UsageMetric or a code (made when missing)."""
    from opcms.pricing.models import UsageMetric
    from opcms.pricing.schemas import PlanCreate
    from opcms.pricing.service import create_plan

    if metric is None or isinstance(metric, str):
        existing = await UsageMetric.get_or_none(code=metric) if metric else None
        metric = existing or await make_metric(metric)
    n = next(_pricing_seq)
    document = {"metric": metric.code, **(terms or PER_UNIT)}
    with acting_as(system_actor("test-factory")):
        return await create_plan(PlanCreate(
            code=code or f"PLAN-{n}", name=f"测试价目{n}", effective_from=effective_from, **document,
        ))


async def make_subscription(customer=None, plan=None, *, effective_from="2024-01-01", effective_to=None, **extra):
    """A subscription through the real service (a customer and a plan are made when missing;
    the plan's version 1 starts on the subscription's first day then)."""
    import datetime as dt

    from opcms.pricing.schemas import SubscriptionCreate
    from opcms.pricing.service import create_subscription

    customer = customer or await make_customer()
    plan = plan or await make_plan(effective_from=dt.date.fromisoformat(str(effective_from)))
    with acting_as(system_actor("test-factory")):
        return await create_subscription(SubscriptionCreate(
            customer_id=customer.id, plan_id=plan.id, effective_from=effective_from, effective_to=effective_to, **extra,
        ))
