"""Small factories: build the data a test needs in the domain's own words."""

from __future__ import annotations

import itertools

from opcms.auth import tokens
from opcms.auth.models import TokenFamily, User
from opcms.auth.schemas import UserCreate
from opcms.auth.service import IssuedTokens, _issue, create_user
from opcms.core.context import acting_as, system_actor

PASSWORD = "Correct-Horse-9"
_seq = itertools.count(1)


async def make_user(
    role: str = "admin", *, username: str | None = None, password: str = PASSWORD, **extra
) -> User:
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
        return await create_metric(
            UsageMetricCreate(code=code or f"metric_{next(_pricing_seq)}", name=name, unit=unit)
        )


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
        return await create_plan(
            PlanCreate(
                code=code or f"PLAN-{n}",
                name=f"测试价目{n}",
                effective_from=effective_from,
                **document,
            )
        )


async def make_subscription(
    customer=None, plan=None, *, effective_from="2024-01-01", effective_to=None, **extra
):
    """A subscription through the real service (a customer and a plan are made when missing;
    the plan's version 1 starts on the subscription's first day then)."""
    import datetime as dt

    from opcms.pricing.schemas import SubscriptionCreate
    from opcms.pricing.service import create_subscription

    customer = customer or await make_customer()
    plan = plan or await make_plan(effective_from=dt.date.fromisoformat(str(effective_from)))
    with acting_as(system_actor("test-factory")):
        return await create_subscription(
            SubscriptionCreate(
                customer_id=customer.id,
                plan_id=plan.id,
                effective_from=effective_from,
                effective_to=effective_to,
                **extra,
            )
        )


# --- invoices and payments ----------------------------------------------------------------------
_invoice_seq = itertools.count(1)
_period_seq = itertools.count(0)


def next_period() -> str:
    """A month not used yet in this process (2001-01, 2001-02, …): one live invoice per
    customer and period is a database rule."""
    n = next(_period_seq)
    return f"{2001 + n // 12:04d}-{n % 12 + 1:02d}"


def invoice_values(
    customer, total, *, period: str | None = None, due_date=None, credited="0.00", paid="0.00", **extra
) -> dict:
    """The columns of an issued invoice with consistent settlement (outstanding and status)."""
    import datetime as dt
    from decimal import Decimal

    from opcms.settlement.rules import status_for

    period = period or next_period()
    year, month = int(period[:4]), int(period[5:])
    issue_date = dt.date(year + month // 12, month % 12 + 1, 1)
    total, credited, paid = Decimal(str(total)), Decimal(str(credited)), Decimal(str(paid))
    values = {
        "number": f"INV-{period.replace('-', '')}-{next(_invoice_seq):06d}",
        "customer_id": customer.id,
        "period": period,
        "live_period": period,
        "issue_date": issue_date,
        "due_date": due_date or issue_date + dt.timedelta(days=30),
        "customer_code": customer.customer_code,
        "company_name": customer.company_name,
        "subtotal": total,
        "discount_amount": Decimal("0.00"),
        "total": total,
        "credited_amount": credited,
        "paid_amount": paid,
        "outstanding": total - credited - paid,
        "status": status_for(total, credited, paid),
        "created_by": "test-factory",
        "updated_by": "test-factory",
    }
    return {**values, **extra}


async def make_invoice(customer=None, total="1000.00", **fields):
    """An issued invoice with one line, written directly (not through an invoice run): number
    INV-YYYYMM-NNNNNN, a period of its own unless given, due 30 days after issue unless given."""
    import datetime as dt

    from opcms.billing.models import InvoiceLine
    from opcms.pricing.models import PricingPlan, PricingPlanVersion
    from opcms.settlement.models import Invoice

    customer = customer or await make_customer()
    plan = await PricingPlan.get_or_none(code="INVOICE-TEST") or await make_plan(
        code="INVOICE-TEST", effective_from=dt.date(2000, 1, 1)
    )
    version = await PricingPlanVersion.filter(plan_id=plan.id).order_by("version").first()
    values = invoice_values(customer, total, **fields)
    with acting_as(system_actor("test-factory")):
        invoice = await Invoice.create(**values)
    await InvoiceLine.create(
        invoice=invoice,
        position=1,
        plan_id=plan.id,
        plan_version_id=version.id,
        metric_id=plan.metric_id,
        description="API 调用",
        mode="per_unit",
        service_from=invoice.issue_date,
        service_to=invoice.issue_date,
        days_active=1,
        days_in_period=1,
        quantity=values["total"] * 100,
        included_quantity=0,
        billed_quantity=values["total"] * 100,
        usage_amount=values["total"],
        monthly_fee=0,
        minimum_top_up=0,
        discount_percent=0,
        discount=0,
        amount=values["total"],
    )
    return invoice


async def make_invoices_bulk(customer, totals: list, *, first_due=None) -> int:
    """Many open invoices for one customer in one bulk insert (no lines, no audit rows: for
    volume tests of reads); due dates one day apart from ``first_due``. Returns how many."""
    import datetime as dt

    from opcms.settlement.models import Invoice

    first_due = first_due or dt.date(2001, 1, 1)
    rows = [
        Invoice(**invoice_values(customer, total, due_date=first_due + dt.timedelta(days=n)))
        for n, total in enumerate(totals)
    ]
    await Invoice.bulk_create(rows, batch_size=1000)
    return len(rows)


async def make_payment(customer=None, amount="1000.00", **fields):
    """A payment through the real service (received today unless said; no customer when
    ``customer`` is None)."""
    from opcms.core.settings import business_today
    from opcms.payments.schemas import PaymentCreate
    from opcms.payments.service import create_payment

    data = {"amount": str(amount), "received_on": business_today(), "method": "bank_transfer", **fields}
    with acting_as(system_actor("test-factory")):
        return await create_payment(PaymentCreate(customer_id=customer.id if customer else None, **data))
