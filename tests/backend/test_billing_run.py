"""The invoice run: golden amounts to the cent, idempotency, concurrent runs, chunks, summary."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from opcms.billing import run
from opcms.billing.models import ChunkStatus, DocumentSequence, InvoiceLine, InvoiceRunChunk
from opcms.billing.numbering import ensure_sequence, next_number
from opcms.core.context import acting_as, system_actor
from opcms.core.periods import period_bounds, previous_period
from opcms.jobs.models import ExecutionStatus, Trigger
from opcms.pricing.models import PricingPlanVersion
from opcms.settlement.models import Invoice, InvoiceStatus
from tests.backend.conftest import TEST_DATABASE_URL, is_mysql_url
from tests.backend.factories import make_metric, make_plan
from tests.backend.test_billing_support import GRADUATED, PERIOD, add_usage, customer_on, golden_book

ISSUE = dt.date(2026, 4, 1)


async def bill(period: str = PERIOD, **kwargs):
    with acting_as(system_actor("test-bill")):
        return await run.run_period(period, issue_date=ISSUE, **kwargs)


def tiers(line: InvoiceLine) -> list[tuple]:
    return [(t["tier"], t["quantity"], t["amount"]) for t in line.breakdown]


async def test_golden_invoices_to_the_cent_with_their_breakdown(db):
    # given four customers: graduated with included units, prorated fee with a discount, volume, no usage
    book = await golden_book()
    # when March is billed
    execution = await bill()
    # then three invoices, one customer without charge
    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.counters == {"processed": 4, "succeeded": 3, "skipped": 0, "failed": 0, "no_charge": 1}
    invoices = {i.customer_id: i for i in await Invoice.all()}
    assert book["d"].id not in invoices

    # A: 20,000 used, 500 included → billed 19,500: 1,000 × 0.01 + 18,500 × 0.008 = 10 + 148
    a = invoices[book["a"].id]
    (line_a,) = await InvoiceLine.filter(invoice_id=a.id)
    assert (line_a.quantity, line_a.included_quantity, line_a.billed_quantity) == (20000, 500, 19500)
    assert tiers(line_a) == [(1, "1000", "10.00"), (2, "18500", "148.00")]
    assert (a.subtotal, a.discount_amount, a.total, a.outstanding) == (
        Decimal("158.00"),
        0,
        Decimal("158.00"),
        Decimal("158.00"),
    )
    assert a.number == "INV-202603-000001" and a.status == InvoiceStatus.UNSETTLED
    assert (a.issue_date, a.due_date) == (ISSUE, ISSUE + dt.timedelta(days=30))

    # B: from March 11: 21 of 31 days; usage of the 5th is before it; 5,000 × 0.01 = 50,
    # fee 100 × 21/31 = 67.741935…, charge 117.741935…, 10% off 11.774193… → 105.967741… → 105.97
    b = invoices[book["b"].id]
    (line_b,) = await InvoiceLine.filter(invoice_id=b.id)
    assert (line_b.days_active, line_b.days_in_period, line_b.quantity) == (21, 31, 5000)
    assert (line_b.service_from, line_b.service_to) == (dt.date(2026, 3, 11), dt.date(2026, 3, 31))
    assert line_b.monthly_fee == Decimal("67.741935") and line_b.discount == Decimal("11.774194")
    assert line_b.amount == Decimal("105.97")
    assert (b.subtotal, b.discount_amount, b.total) == (
        Decimal("117.74"),
        Decimal("11.77"),
        Decimal("105.97"),
    )
    assert b.subtotal - b.discount_amount == b.total and b.due_date == ISSUE + dt.timedelta(days=15)

    # C: volume, 4,000 falls in tier 2: 4,000 × 0.03 + flat 5 = 125
    c = invoices[book["c"].id]
    (line_c,) = await InvoiceLine.filter(invoice_id=c.id)
    assert tiers(line_c) == [(2, "4000", "125.00")] and c.total == Decimal("125.00")

    # numbers have no gaps; every version used is frozen
    assert sorted(i.number for i in invoices.values()) == [f"INV-202603-{n:06d}" for n in (1, 2, 3)]
    assert (
        await PricingPlanVersion.filter(
            billed_at=None, plan__code__in=["API-GRAD", "SMS-FEE", "STO-VOL"]
        ).count()
        == 0
    )

    # the summary is on the execution
    assert execution.result["invoices"] == 3 and execution.result["receivable_total"] == "388.97"
    assert execution.result["no_charge"] == 1
    assert {"level": "A", "invoices": 1, "total": "158.00"} in execution.result["by_level"]


async def test_the_minimum_tops_up_and_a_mid_month_version_change_is_not_used(db):
    # given a graduated plan whose minimum is 50, and a v2 from March 15 (not in force on the 1st)
    api = await make_metric("api_calls")
    plan = await make_plan(api, code="API-MIN", effective_from=dt.date(2026, 1, 1), **GRADUATED)
    await PricingPlanVersion.create(
        plan=plan,
        version=2,
        effective_from=dt.date(2026, 3, 15),
        mode="per_unit",
        unit_price=Decimal("9"),
        tiers=[],
    )
    customer = await customer_on(plan)
    await add_usage(customer, api, "2026-03-20", 1200)
    # when
    await bill()
    # then v1 prices it: 700 billed × 0.01 = 7.00, raised to the minimum 50.00
    (line,) = await InvoiceLine.all()
    assert (line.usage_amount, line.minimum_top_up, line.amount) == (
        Decimal("7"),
        Decimal("43"),
        Decimal("50.00"),
    )
    assert (await PricingPlanVersion.get(id=line.plan_version_id)).version == 1


async def test_a_rerun_creates_nothing_and_reports_skipped(db):
    await golden_book()
    first = await bill()
    again = await bill()
    assert again.status == ExecutionStatus.SUCCESS
    assert again.counters == {"processed": 4, "succeeded": 0, "skipped": 3, "failed": 0, "no_charge": 1}
    assert again.result["invoices"] == 0 and again.result["skipped"] == 3
    assert await Invoice.all().count() == 3 and first.id != again.id


async def test_one_customer_can_be_billed_alone_in_chunks_of_one(db):
    book = await golden_book()
    execution = await bill(customer_id=book["b"].id, chunk_size=1)
    assert execution.counters["processed"] == 1 and execution.counters["succeeded"] == 1
    assert [i.customer_id for i in await Invoice.all()] == [book["b"].id]
    everyone = await bill(chunk_size=2)
    assert await InvoiceRunChunk.filter(execution_id=everyone.id).count() == 2
    assert everyone.counters == {"processed": 4, "succeeded": 2, "skipped": 1, "failed": 0, "no_charge": 1}


async def test_a_retried_chunk_creates_nothing_twice_and_counts_its_own_invoices(db):
    # given a run planned in chunks of 2 whose first chunk wrote its invoices, then "crashed"
    # before marking itself done
    await golden_book()
    with acting_as(system_actor("test-bill")):
        execution = await run.create_execution(
            run.TASK_NAME, run.run_parameters(PERIOD, None, ISSUE, 2), Trigger.CLI
        )
        chunk_ids = await run.plan_run(execution.id)
        first = await InvoiceRunChunk.get(id=chunk_ids[0])
        await run.bill_customers(first.customer_ids, PERIOD, ISSUE, execution.id)
        written = await Invoice.all().count()
        # when the chunks run (the first one again)
        for chunk_id in chunk_ids:
            await run.bill_chunk(chunk_id)
        await run.bill_chunk(chunk_ids[0])  # a late duplicate delivery changes nothing
    # then nothing is doubled and the counters are exact
    done = await run.TaskExecution.get(id=execution.id)
    assert written == 2 and await Invoice.all().count() == 3
    assert done.counters["succeeded"] == 3 and done.counters["skipped"] == 0
    assert await InvoiceRunChunk.filter(execution_id=execution.id, status=ChunkStatus.PENDING).count() == 0
    # billed in this process, not by a Celery worker: no worker is named
    assert set(await InvoiceRunChunk.filter(execution_id=execution.id).values_list("worker", flat=True)) == {
        None
    }


async def test_the_last_chunk_calls_the_run_finished_callbacks_once(db):
    await golden_book()
    seen = []

    async def remember(execution):
        seen.append((execution.id, execution.result["invoices"]))

    run.on_run_finished(remember)
    try:
        execution = await bill(chunk_size=1)
    finally:
        run.remove_run_callback(remember)
    assert seen == [(execution.id, 3)]


async def test_periods_after_the_current_month_are_refused(db):
    from opcms.core.errors import ValidationFailed
    from opcms.core.settings import business_today

    today = business_today()
    next_month = (today.replace(day=28) + dt.timedelta(days=10)).strftime("%Y-%m")
    for period in (next_month, "2026-13", "26-01"):
        with pytest.raises(ValidationFailed):
            await bill(period)
    assert previous_period(dt.date(2026, 1, 1)) == "2025-12"
    assert period_bounds("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))


async def test_two_runs_at_once_create_one_invoice_per_customer_without_number_gaps(db):
    # given 12 customers with usage
    api = await make_metric("api_calls")
    plan = await make_plan(
        api, code="API-STD", effective_from=dt.date(2026, 1, 1), mode="per_unit", unit_price="0.01"
    )
    for n in range(12):
        customer = await customer_on(plan)
        await add_usage(customer, api, "2026-03-02", 100 * (n + 1))
    # when two runs start at the same moment (separate pooled connections on MariaDB)
    first, second = await asyncio.gather(bill(chunk_size=3), bill(chunk_size=5))
    # then one invoice per customer, numbered 1..12 with no gap, each counted once
    numbers = sorted(await Invoice.all().values_list("number", flat=True))
    assert numbers == [f"INV-202603-{n:06d}" for n in range(1, 13)]
    assert first.counters["succeeded"] + second.counters["succeeded"] == 12
    assert first.counters["skipped"] + second.counters["skipped"] == 12
    assert (await DocumentSequence.get(kind="INV", period="202603")).last_number == 12


@pytest.mark.skipif(not is_mysql_url(TEST_DATABASE_URL), reason="row locks need MariaDB")
async def test_numbers_taken_concurrently_have_no_gaps_and_rolled_back_ones_come_back(db):
    from tortoise.transactions import in_transaction

    await ensure_sequence("CN", "2026-05")

    async def take(fail: bool) -> str | None:
        try:
            async with in_transaction():
                number = await next_number("CN", dt.date(2026, 5, 3))
                if fail:
                    raise RuntimeError("rolled back")
                return number
        except RuntimeError:
            return None

    taken = await asyncio.gather(*(take(fail=n % 4 == 0) for n in range(20)))
    assert sorted(t for t in taken if t) == [f"CN-202605-{n:06d}" for n in range(1, 16)]


async def test_each_issued_invoice_has_its_audit_row(db):
    from opcms.core.audit import AuditLog

    await golden_book()
    await bill()
    invoices = await Invoice.all()
    audits = await AuditLog.filter(entity_type="invoice", action="create")
    assert sorted(a.entity_id for a in audits) == sorted(str(i.id) for i in invoices)
    assert {a.after["number"] for a in audits} == {i.number for i in invoices}
    assert all(a.actor == "system:test-bill" for a in audits)
