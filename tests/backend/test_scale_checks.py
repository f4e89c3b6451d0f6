"""The checks ``opcms scale-check`` ends with (bench/scale_checks.py) pass on a correct invoice
run and fail on each fault they look for: a doubled invoice, a gap in the numbers, a missing,
extra or changed usage row, a worker that billed nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.bench import scale_checks
from opcms.billing import run
from opcms.billing.models import DocumentSequence, InvoiceRunChunk
from opcms.core.context import acting_as, system_actor
from opcms.jobs.models import Trigger
from opcms.settlement.models import Invoice, InvoiceStatus
from opcms.usage.models import DataSource, UsageRecord
from tests.backend.factories import make_invoice
from tests.backend.test_billing_support import PERIOD, golden_book

ISSUE = dt.date(2026, 4, 1)


async def billed_book():
    """The golden customers billed for March in chunks of one: a, b and c invoiced (d has no
    charge); answers the book and the run's execution id."""
    book = await golden_book()
    with acting_as(system_actor("test-bill")):
        execution = await run.run_period(PERIOD, issue_date=ISSUE, chunk_size=1)
    return book, execution.id


async def vendor_rows() -> dict[scale_checks.UsageKey, Decimal]:
    """What 'the vendor sent': the usage rows as stored by the set-up."""
    rows = await UsageRecord.all().values_list("customer_id", "metric__code", "usage_day", "quantity")
    return {(cid, code, day): Decimal(str(quantity)) for cid, code, day, quantity in rows}


async def test_a_correct_run_passes_every_check(db):
    # given March billed once, correctly
    book, execution_id = await billed_book()
    billable = [book[name].id for name in "abc"]
    # then no check finds anything
    assert await scale_checks.one_invoice_each(PERIOD, billable) == []
    assert await scale_checks.gap_free_numbers(PERIOD) == []
    assert await scale_checks.usage_as_the_vendor_sent(await vendor_rows()) == []


async def test_a_second_live_invoice_of_a_customer_fails_and_a_void_one_does_not(db):
    # given March billed, then a second invoice for customer a that is not void (its live_period
    # column empty, as a faulty write could leave it: the database's key does not stop it)
    book, _ = await billed_book()
    billable = [book[name].id for name in "abc"]
    second = await make_invoice(book["a"], period=PERIOD, live_period=None, number="INV-202603-000004")
    await DocumentSequence.filter(kind="INV", period="202603").update(last_number=4)
    # then the check names the customer
    problems = await scale_checks.one_invoice_each(PERIOD, billable)
    assert (
        len(problems) == 1
        and "more than one live invoice" in problems[0]
        and str(book["a"].id) in problems[0]
    )
    # and once that invoice is void, a has one live invoice again
    await Invoice.filter(id=second.id).update(status=InvoiceStatus.VOID)
    assert await scale_checks.one_invoice_each(PERIOD, billable) == []


async def test_a_missing_invoice_and_one_for_a_customer_not_billable_fail(db):
    book, _ = await billed_book()
    # when c's invoice is void (no live one left), and d (no charge) is invoiced
    await Invoice.filter(customer_id=book["c"].id).update(status=InvoiceStatus.VOID, live_period=None)
    await make_invoice(book["d"], period=PERIOD, number="INV-202603-000004")
    problems = await scale_checks.one_invoice_each(PERIOD, [book[name].id for name in "abc"])
    assert any("have no invoice" in p and str(book["c"].id) in p for p in problems), problems
    assert any("without being billable" in p and str(book["d"].id) in p for p in problems), problems


async def test_a_gap_or_a_repeat_in_the_numbers_fails(db):
    await billed_book()
    numbers = sorted(await Invoice.filter(period=PERIOD).values_list("number", flat=True))
    assert numbers == ["INV-202603-000001", "INV-202603-000002", "INV-202603-000003"]
    # when number 2 is renumbered 9: a gap of 2 and 4…8, and the sequence stands at 3
    await Invoice.filter(number="INV-202603-000002").update(number="INV-202603-000009")
    problems = await scale_checks.gap_free_numbers(PERIOD)
    assert any("missing (gaps): 2, 4, 5, 6, 7, … (6 in all)" in p for p in problems), problems
    assert any("stands at 3, the highest number issued is 9" in p for p in problems), problems
    # when the sequence moved on without an invoice (a number taken and lost)
    await Invoice.filter(number="INV-202603-000009").update(number="INV-202603-000002")
    await DocumentSequence.filter(kind="INV", period="202603").update(last_number=4)
    assert await scale_checks.gap_free_numbers(PERIOD) == [
        "the INV sequence of 202603 stands at 4, the highest number issued is 3"
    ]


async def test_a_missing_a_doubled_an_extra_or_a_changed_usage_row_fails(db):
    book, _ = await billed_book()
    sent = await vendor_rows()
    a, api = book["a"], book["api"]
    # when one of a's rows is lost
    lost = await UsageRecord.get(customer_id=a.id, usage_day=dt.date(2026, 3, 31))
    await lost.delete()
    assert await scale_checks.usage_as_the_vendor_sent(sent) == [
        f"1 of the vendor's {len(sent)} usage rows are missing: {(a.id, 'api_calls', dt.date(2026, 3, 31))}"
    ]
    # when it comes back twice: once more from another source
    with acting_as(system_actor("test")):
        other = await DataSource.create(name="other-feed", adapter="demo", settings={})
    for feed in (lost.source_id, other.id):
        await UsageRecord.create(
            customer_id=a.id, metric_id=api.id, usage_day=dt.date(2026, 3, 31), source_id=feed, quantity=8000
        )
    problems = await scale_checks.usage_as_the_vendor_sent(sent)
    assert len(problems) == 1 and problems[0].startswith("1 usage rows stored more than once"), problems
    # when a row the vendor never sent is stored, and another's quantity differs
    await UsageRecord.filter(source_id=other.id).update(usage_day=dt.date(2026, 3, 30))
    await UsageRecord.filter(customer_id=a.id, usage_day=dt.date(2026, 3, 1)).update(
        quantity=Decimal("12001")
    )
    problems = await scale_checks.usage_as_the_vendor_sent(sent)
    assert any("the vendor never sent" in p for p in problems), problems
    assert any("differ from the vendor's quantity" in p for p in problems), problems


async def test_a_worker_that_billed_no_chunk_fails(db):
    # given a run of two chunks, both billed by worker 1
    await golden_book()
    with acting_as(system_actor("test-bill")):
        execution = await run.create_execution(
            run.TASK_NAME, run.run_parameters(PERIOD, None, ISSUE, 2), Trigger.MANUAL
        )
        for chunk_id in await run.plan_run(execution.id):
            await run.bill_chunk(chunk_id, worker="scale-w1@host")
    # then worker 2's missing share is named, and the shares are counted by worker
    assert await scale_checks.shared_by_workers(execution.id, ["scale-w1@", "scale-w2@"]) == [
        "worker scale-w2@… billed no chunk of the invoice run"
    ]
    assert await scale_checks.chunks_by_worker(execution.id) == {"scale-w1@host": 2}
    # and a chunk left pending (its worker lost) is named too
    await InvoiceRunChunk.filter(execution_id=execution.id, seq=2).update(status="pending", worker=None)
    problems = await scale_checks.shared_by_workers(execution.id, ["scale-w1@"])
    assert problems == ["chunks of the invoice run not done: 2", "chunks that name no worker: 2"]
