"""Invoices over HTTP: detail, void, regenerate (late usage), credit notes, runs, errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.billing import run
from opcms.core.context import acting_as, system_actor
from opcms.settlement.models import Allocation, CreditNote, Invoice, InvoiceStatus, Payment, PaymentMethod
from opcms.usage.models import UsageRecord
from opcms.usage.store import CleanUsage, upsert_usage
from tests.backend.factories import token_for
from tests.backend.test_billing_support import PERIOD, golden_book, source

ISSUE = dt.date(2026, 4, 1)


async def billed_book():
    book = await golden_book()
    with acting_as(system_actor("test-bill")):
        await run.run_period(PERIOD, issue_date=ISSUE)
    book["invoice"] = {i.customer_id: i for i in await Invoice.all()}
    return book


async def allocate(invoice: Invoice, amount: str) -> Allocation:
    """An active allocation, written directly (the payments helper owns the real use case)."""
    with acting_as(system_actor("test")):
        payment = await Payment.create(
            customer_id=invoice.customer_id,
            amount=Decimal(amount),
            received_on=ISSUE,
            method=PaymentMethod.CASH,
            unallocated_amount=Decimal("0"),
        )
        return await Allocation.create(
            payment=payment, invoice=invoice, customer_id=invoice.customer_id, amount=Decimal(amount)
        )


async def test_the_detail_shows_lines_breakdown_and_overdue(client):
    book = await billed_book()
    token = await token_for("auditor")
    a = book["invoice"][book["a"].id]
    answer = await client.get(f"/api/v1/invoices/{a.id}", token=token)
    assert answer.status_code == 200, answer.text
    detail = answer.json()
    assert (detail["number"], detail["total"], detail["outstanding"], detail["status"]) == (
        "INV-202603-000001",
        "158.00",
        "158.00",
        "unsettled",
    )
    (line,) = detail["lines"]
    assert (line["metric_code"], line["plan_code"], line["plan_version"], line["billed_quantity"]) == (
        "api_calls",
        "API-GRAD",
        1,
        "19500.0000",
    )
    assert [(t["tier"], t["from"], t["up_to"], t["amount"]) for t in line["breakdown"]] == [
        (1, "0", "1000", "10.00"),
        (2, "1000", None, "148.00"),
    ]
    # due 2026-05-01, long passed
    assert detail["overdue"] is True and detail["days_overdue"] > 100
    assert detail["credit_notes"] == [] and detail["allocations"] == [] and detail["replaced_by_id"] is None
    assert (await client.get("/api/v1/invoices/999999", token=token)).status_code == 404


async def test_late_usage_is_flagged_and_regenerate_picks_it_up(client):
    book = await billed_book()
    token = await token_for("finance")
    a = book["invoice"][book["a"].id]
    # given usage arriving for March after its invoice (through the real store)
    feed = await source()
    await upsert_usage(
        [CleanUsage(book["a"].id, book["api"].id, dt.date(2026, 3, 15), Decimal("1000"))],
        source_id=feed.id,
        execution_id=None,
    )
    late = await UsageRecord.get(customer_id=book["a"].id, usage_day=dt.date(2026, 3, 15))
    assert late.is_late is True
    # when the invoice is regenerated
    answer = await client.post(
        f"/api/v1/invoices/{a.id}/regenerate", token=token, json={"reason": "late usage"}
    )
    # then the old one is void and a new one bills 21,000: 10 + 19,500 × 0.008 = 166.00
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["voided"]["status"] == "void" and body["voided"]["voided_by"].startswith("finance")
    assert body["voided"]["outstanding"] == "0.00"
    new = body["invoice"]
    assert (new["total"], new["replaces_id"], new["number"]) == ("166.00", a.id, "INV-202603-000004")
    assert (await client.get(f"/api/v1/invoices/{a.id}", token=token)).json()["replaced_by_id"] == new["id"]
    # and a run of March now skips the customer (its live invoice is the new one)
    with acting_as(system_actor("test-bill")):
        again = await run.run_period(PERIOD, issue_date=ISSUE)
    assert again.counters["skipped"] == 3 and await Invoice.filter(live_period=PERIOD).count() == 3
    # voiding is a status: the rows stay
    assert await Invoice.all().count() == 4


async def test_void_and_regenerate_are_refused_with_an_active_allocation(client):
    book = await billed_book()
    token = await token_for("finance")
    a = book["invoice"][book["a"].id]
    allocation = await allocate(a, "50.00")
    for action in ("void", "regenerate"):
        answer = await client.post(f"/api/v1/invoices/{a.id}/{action}", token=token, json={"reason": "x"})
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"]["code"] == "invoice_has_allocations"
        assert "reverse the allocations first" in answer.json()["error"]["message"]
    assert (await Invoice.get(id=a.id)).status == InvoiceStatus.UNSETTLED
    # a reversed allocation no longer blocks
    allocation.is_reversed = True
    await allocation.save()
    voided = await client.post(
        f"/api/v1/invoices/{a.id}/void", token=token, json={"reason": "wrong customer"}
    )
    assert (
        voided.status_code == 200
        and voided.json()["status"] == "void"
        and voided.json()["void_reason"] == "wrong customer"
    )
    assert (await Invoice.get(id=a.id)).live_period is None
    again = await client.post(f"/api/v1/invoices/{a.id}/void", token=token, json={"reason": "again"})
    assert again.status_code == 409


async def test_a_credit_note_on_an_unpaid_invoice_lowers_the_outstanding(client):
    book = await billed_book()
    token = await token_for("finance")
    a = book["invoice"][book["a"].id]
    answer = await client.post(
        "/api/v1/credit-notes",
        token=token,
        json={"invoice_id": a.id, "amount": "58.00", "reason": "goodwill"},
    )
    assert answer.status_code == 201, answer.text
    note = answer.json()
    assert note["number"].startswith("CN-") and note["number"].endswith("-000001")
    assert (note["applied_amount"], note["credit_amount"], note["unallocated_amount"]) == (
        "58.00",
        "0.00",
        "0.00",
    )
    assert [(line["position"], line["amount"]) for line in note["lines"]] == [(1, "58.00")]
    invoice = await Invoice.get(id=a.id)
    assert (invoice.credited_amount, invoice.outstanding, invoice.status) == (
        Decimal("58.00"),
        Decimal("100.00"),
        InvoiceStatus.PARTIALLY_SETTLED,
    )
    # more than what is left to credit (158 − 58 = 100) is a 409 and changes nothing
    too_much = await client.post(
        "/api/v1/credit-notes", token=token, json={"invoice_id": a.id, "amount": "100.01", "reason": "x"}
    )
    assert too_much.status_code == 409 and too_much.json()["error"]["code"] == "credit_exceeds_invoice"
    # a credited invoice can no longer be voided
    assert (
        await client.post(f"/api/v1/invoices/{a.id}/void", token=token, json={"reason": "x"})
    ).status_code == 409
    assert await CreditNote.all().count() == 1
    listed = (await client.get(f"/api/v1/credit-notes?invoice_id={a.id}", token=token)).json()
    assert listed["total"] == 1 and listed["items"][0]["invoice_number"] == a.number


async def test_a_credit_note_sent_twice_with_its_key_is_issued_once(client):
    # given an unpaid invoice
    book = await billed_book()
    token = await token_for("finance")
    a = book["invoice"][book["a"].id]
    body = {"invoice_id": a.id, "amount": "10.00", "reason": "goodwill"}
    # when the same credit note is sent twice with one key
    first = await client.post(
        "/api/v1/credit-notes", token=token, json=body, headers={"Idempotency-Key": "cn-1"}
    )
    again = await client.post(
        "/api/v1/credit-notes", token=token, json=body, headers={"Idempotency-Key": "cn-1"}
    )
    # then one credit note exists and the invoice was reduced once
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json()["number"] == first.json()["number"] and await CreditNote.all().count() == 1
    assert (await Invoice.get(id=a.id)).credited_amount == Decimal("10.00")


async def test_a_credit_note_on_a_settled_invoice_becomes_customer_credit(client):
    book = await billed_book()
    token = await token_for("finance")
    c = book["invoice"][book["c"].id]
    # given the invoice paid in full (settlement as the payments module applies it)
    from opcms.settlement.rules import SETTLEMENT_FIELDS, resettle

    await allocate(c, "125.00")
    resettle(c, paid_delta=Decimal("125.00"))
    await c.save(update_fields=list(SETTLEMENT_FIELDS))
    line_id = (await client.get(f"/api/v1/invoices/{c.id}", token=token)).json()["lines"][0]["id"]
    # when a credit note takes 25.00 off its line
    answer = await client.post(
        "/api/v1/credit-notes",
        token=token,
        json={
            "invoice_id": c.id,
            "amount": "25.00",
            "reason": "SLA breach",
            "lines": [{"invoice_line_id": line_id, "description": "SLA", "amount": "25.00"}],
        },
    )
    # then all of it is customer credit and the invoice stays settled
    assert answer.status_code == 201, answer.text
    note = answer.json()
    assert (note["applied_amount"], note["credit_amount"], note["unallocated_amount"]) == (
        "0.00",
        "25.00",
        "25.00",
    )
    invoice = await Invoice.get(id=c.id)
    assert (invoice.status, invoice.outstanding, invoice.credited_amount) == (InvoiceStatus.SETTLED, 0, 0)
    # a line of another invoice is a 422; more than the line has left is a 409
    other = (await client.get(f"/api/v1/invoices/{book['invoice'][book['a'].id].id}", token=token)).json()[
        "lines"
    ][0]["id"]
    wrong = await client.post(
        "/api/v1/credit-notes",
        token=token,
        json={
            "invoice_id": c.id,
            "amount": "1.00",
            "reason": "x",
            "lines": [{"invoice_line_id": other, "description": "x", "amount": "1.00"}],
        },
    )
    assert wrong.status_code == 422, wrong.text
    over = await client.post(
        "/api/v1/credit-notes",
        token=token,
        json={
            "invoice_id": c.id,
            "amount": "100.01",
            "reason": "x",
            "lines": [{"invoice_line_id": line_id, "description": "x", "amount": "100.01"}],
        },
    )
    assert over.status_code == 409 and over.json()["error"]["code"] == "credit_exceeds_line"
    mismatch = await client.post(
        "/api/v1/credit-notes",
        token=token,
        json={
            "invoice_id": c.id,
            "amount": "2.00",
            "reason": "x",
            "lines": [{"description": "x", "amount": "1.00"}],
        },
    )
    assert mismatch.status_code == 422
    assert await CreditNote.all().count() == 1


async def test_runs_over_http_need_permission_and_a_valid_period(client):
    operator, finance = await token_for("operator"), await token_for("finance")
    assert (
        await client.post("/api/v1/invoice-runs", token=operator, json={"period": PERIOD})
    ).status_code == 403
    for bad in ({"period": "2026-3"}, {"period": "2099-01"}, {"period": PERIOD, "extra": 1}, {}):
        answer = await client.post("/api/v1/invoice-runs", token=finance, json=bad)
        assert answer.status_code == 422, (bad, answer.text)
    unknown = await client.post(
        "/api/v1/invoice-runs", token=finance, json={"period": PERIOD, "customer_id": 999999}
    )
    assert unknown.status_code == 404
    assert (await client.post("/api/v1/credit-notes", token=operator, json={})).status_code == 403
    assert (
        await client.post(
            "/api/v1/credit-notes", token=finance, json={"invoice_id": 1, "amount": "0", "reason": "x"}
        )
    ).status_code == 422
    assert (
        await client.post("/api/v1/invoices/1/void", token=finance, json={"reason": ""})
    ).status_code == 422
    assert (await client.get("/api/v1/invoice-runs", token=operator)).json()["total"] == 0


async def test_a_finished_run_is_listed_with_its_summary(client):
    await billed_book()
    token = await token_for("auditor")
    page = (await client.get("/api/v1/invoice-runs", token=token)).json()
    assert page["total"] == 1
    shown = (await client.get(f"/api/v1/invoice-runs/{page['items'][0]['id']}", token=token)).json()
    assert shown["task_name"] == "billing.run_period" and shown["status"] == "success"
    assert shown["result"]["receivable_total"] == "388.97" and shown["counters"]["succeeded"] == 3


async def test_a_run_is_refused_with_503_when_the_broker_is_down(client):
    from tests.backend.processes import celery_sends_to

    token = await token_for("finance")
    with celery_sends_to("redis://127.0.0.1:1/0"):
        answer = await client.post("/api/v1/invoice-runs", token=token, json={"period": PERIOD})
    assert answer.status_code == 503, answer.text
    assert (await run.TaskExecution.filter(task_name=run.TASK_NAME).get()).status.value == "failed"


async def test_the_invoice_list_answers_public_invoices_with_the_overdue_flag(client):
    book = await billed_book()
    token = await token_for("auditor")
    page = (await client.get(f"/api/v1/invoices?customer_id={book['a'].id}", token=token)).json()
    assert page["total"] == 1
    (item,) = page["items"]
    assert (item["number"], item["total"], item["overdue"]) == ("INV-202603-000001", "158.00", True)
    assert item["days_overdue"] > 0 and item["customer_code"] == book["a"].customer_code
