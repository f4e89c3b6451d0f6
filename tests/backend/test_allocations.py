"""Allocations through the HTTP API: amounts and statuses to the cent, all-or-nothing refusals,
reversal, credit-note credit, auto-reconcile. The concurrency test is in
test_allocations_concurrency.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opcms.core.audit import AuditLog
from opcms.core.settings import business_today
from opcms.settlement.models import Allocation, AllocationSource, CreditNote, Invoice, InvoiceStatus, Payment
from tests.backend.factories import make_customer, make_invoice, make_payment, token_for

API = "/api/v1"


@pytest.fixture
async def finance(db):
    return await token_for("finance")


async def allocate(client, token, *, payment=None, credit_note=None, lines, key=None):
    body = {"lines": [{"invoice_id": invoice.id, "amount": amount} for invoice, amount in lines]}
    if payment is not None:
        body["payment_id"] = payment.id
    if credit_note is not None:
        body["credit_note_id"] = credit_note.id
    headers = {"Idempotency-Key": key} if key else None
    return await client.post(f"{API}/allocations", token=token, json=body, headers=headers)


async def state(invoice) -> tuple[str, str, str]:
    fresh = await Invoice.get(id=invoice.id)
    return str(fresh.paid_amount), str(fresh.outstanding), fresh.status.value


async def payment_state(payment) -> tuple[str, str, str]:
    fresh = await Payment.get(id=payment.id)
    return str(fresh.allocated_amount), str(fresh.unallocated_amount), fresh.status.value


# --- allocate -----------------------------------------------------------------------------------
async def test_an_allocation_sent_twice_with_its_key_allocates_once(client, finance):
    # given a payment that could pay the invoice twice over
    customer = await make_customer()
    invoice = await make_invoice(customer, "1000.00")
    payment = await make_payment(customer, "5000.00")
    # when the same allocation is sent again with the same key (a double click, a retry)
    first = await allocate(client, finance, payment=payment, lines=[(invoice, "300.00")], key="alloc-1")
    again = await allocate(client, finance, payment=payment, lines=[(invoice, "300.00")], key="alloc-1")
    # then the first answer comes back and the money moved once
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert await Allocation.all().count() == 1
    assert await state(invoice) == ("300.00", "700.00", "partially_settled")
    # and the same key with other lines is refused, changing nothing
    other = await allocate(client, finance, payment=payment, lines=[(invoice, "1.00")], key="alloc-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert await payment_state(payment) == ("300.00", "4700.00", "partially_allocated")


async def test_a_partial_then_full_allocation_moves_the_statuses(client, finance):
    customer = await make_customer()
    invoice = await make_invoice(customer, "1000.00")
    payment = await make_payment(customer, "1500.00")

    response = await allocate(client, finance, payment=payment, lines=[(invoice, "400.10")])
    assert response.status_code == 201, response.text
    [made] = response.json()["allocations"]
    assert (made["invoice_number"], made["amount"], made["source"], made["is_reversed"]) == (
        invoice.number,
        "400.10",
        "manual",
        False,
    )
    assert await state(invoice) == ("400.10", "599.90", "partially_settled")
    assert await payment_state(payment) == ("400.10", "1099.90", "partially_allocated")

    assert (await allocate(client, finance, payment=payment, lines=[(invoice, "599.90")])).status_code == 201
    assert await state(invoice) == ("1000.00", "0.00", "settled")
    assert (await Invoice.get(id=invoice.id)).settled_at is not None
    assert await payment_state(payment) == ("1000.00", "500.00", "partially_allocated")
    actions = await AuditLog.filter(entity_type="allocation", entity_id=str(made["id"])).values_list(
        "action", flat=True
    )
    assert actions == ["allocate"]


async def test_one_payment_settles_several_invoices_at_once(client, finance):
    customer = await make_customer()
    first, second = await make_invoice(customer, "300.00"), await make_invoice(customer, "200.00")
    payment = await make_payment(customer, "500.00")
    response = await allocate(client, finance, payment=payment, lines=[(second, "200.00"), (first, "300.00")])
    assert response.status_code == 201, response.text
    assert sorted(a["invoice_id"] for a in response.json()["allocations"]) == sorted([first.id, second.id])
    assert await state(first) == ("300.00", "0.00", "settled") and await state(second) == (
        "200.00",
        "0.00",
        "settled",
    )
    assert await payment_state(payment) == ("500.00", "0.00", "allocated")


async def test_several_payments_settle_one_invoice(client, finance):
    customer = await make_customer()
    invoice = await make_invoice(customer, "100.00")
    payments = [await make_payment(customer, amount) for amount in ("30.00", "45.55", "24.45")]
    for payment in payments:
        assert (
            await allocate(client, finance, payment=payment, lines=[(invoice, str(payment.amount))])
        ).status_code == 201
        assert (await payment_state(payment))[2] == "allocated"
    assert await state(invoice) == ("100.00", "0.00", "settled")


async def test_more_than_the_invoice_outstanding_is_a_409_that_changes_nothing(client, finance):
    customer = await make_customer()
    small, big = (
        await make_invoice(customer, "100.00", credited="20.00"),
        await make_invoice(customer, "500.00"),
    )
    payment = await make_payment(customer, "1000.00")
    response = await allocate(client, finance, payment=payment, lines=[(big, "100.00"), (small, "80.01")])
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "allocation_exceeds_outstanding" and "80.00" in error["message"]
    assert error["details"][0]["field"] == "lines.1.amount"
    assert await Allocation.all().count() == 0
    assert await state(big) == ("0.00", "500.00", "unsettled") and await state(small) == (
        "0.00",
        "80.00",
        "partially_settled",
    )
    assert await payment_state(payment) == ("0.00", "1000.00", "unallocated")


async def test_more_than_the_payment_has_left_is_a_409_that_changes_nothing(client, finance):
    customer = await make_customer()
    first, second = await make_invoice(customer, "600.00"), await make_invoice(customer, "600.00")
    payment = await make_payment(customer, "1000.00")
    response = await allocate(client, finance, payment=payment, lines=[(first, "600.00"), (second, "400.01")])
    assert (
        response.status_code == 409 and response.json()["error"]["code"] == "allocation_exceeds_unallocated"
    )
    assert await Allocation.all().count() == 0
    assert await state(first) == ("0.00", "600.00", "unsettled")
    assert await payment_state(payment) == ("0.00", "1000.00", "unallocated")


async def test_refusals_name_their_reason(client, finance):
    customer, other = await make_customer(), await make_customer()
    mine, theirs = await make_invoice(customer, "100.00"), await make_invoice(other, "100.00")
    void = await make_invoice(customer, "100.00", status=InvoiceStatus.VOID, live_period=None)
    payment = await make_payment(customer, "100.00")
    unassigned = await make_payment(None, "100.00")

    async def code(**kwargs):
        response = await allocate(client, finance, **kwargs)
        assert response.status_code in (404, 409, 422), response.text
        return response.status_code, response.json()["error"]["code"]

    assert await code(payment=payment, lines=[(theirs, "10.00")]) == (409, "invoice_other_customer")
    assert await code(payment=payment, lines=[(void, "10.00")]) == (409, "invoice_void")
    assert await code(payment=unassigned, lines=[(mine, "10.00")]) == (409, "payment_unassigned")
    assert await code(payment=payment, lines=[(mine, "0.00")]) == (422, "validation_failed")
    assert await code(payment=payment, lines=[(mine, "10.00"), (mine, "5.00")]) == (422, "validation_failed")
    assert await code(lines=[(mine, "10.00")]) == (422, "validation_failed")
    gone = Invoice(id=987654)
    assert await code(payment=payment, lines=[(gone, "10.00")]) == (404, "invoice_not_found")
    assert await Allocation.all().count() == 0


# --- reverse ------------------------------------------------------------------------------------
async def test_reversal_restores_the_invoice_and_the_payment_and_twice_is_a_409(client, finance):
    customer = await make_customer()
    invoice = await make_invoice(customer, "100.00")
    payment = await make_payment(customer, "100.00")
    made = (await allocate(client, finance, payment=payment, lines=[(invoice, "100.00")])).json()[
        "allocations"
    ][0]
    assert await state(invoice) == ("100.00", "0.00", "settled")

    url = f"{API}/allocations/{made['id']}/reverse"
    response = await client.post(url, token=finance, json={"reason": "客户付错发票"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (
        body["is_reversed"] is True
        and body["reverse_reason"] == "客户付错发票"
        and body["reversed_by"].startswith("finance")
    )
    assert body["reversed_at"] is not None and body["amount"] == "100.00"
    fresh = await Invoice.get(id=invoice.id)
    assert await state(invoice) == ("0.00", "100.00", "unsettled") and fresh.settled_at is None
    assert await payment_state(payment) == ("0.00", "100.00", "unallocated")

    again = await client.post(url, token=finance, json={"reason": "再来一次"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "allocation_reversed"
    assert await payment_state(payment) == ("0.00", "100.00", "unallocated")
    assert await Allocation.all().count() == 1  # kept, never deleted
    actions = (
        await AuditLog.filter(entity_type="allocation", entity_id=str(made["id"]))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["allocate", "reverse"]

    listed = await client.get(f"{API}/allocations", token=finance, params={"payment_id": payment.id})
    assert listed.json()["total"] == 0
    listed = await client.get(
        f"{API}/allocations", token=finance, params={"payment_id": payment.id, "include_reversed": "true"}
    )
    assert [a["id"] for a in listed.json()["items"]] == [made["id"]]
    # the money is free again
    assert (await allocate(client, finance, payment=payment, lines=[(invoice, "100.00")])).status_code == 201


async def test_reversing_one_of_two_allocations_leaves_the_invoice_partly_settled(client, finance):
    customer = await make_customer()
    invoice = await make_invoice(customer, "100.00")
    first, second = await make_payment(customer, "60.00"), await make_payment(customer, "40.00")
    made = (await allocate(client, finance, payment=first, lines=[(invoice, "60.00")])).json()["allocations"][
        0
    ]
    await allocate(client, finance, payment=second, lines=[(invoice, "40.00")])
    await client.post(f"{API}/allocations/{made['id']}/reverse", token=finance, json={"reason": "退回"})
    assert await state(invoice) == ("40.00", "60.00", "partially_settled")
    assert await payment_state(first) == ("0.00", "60.00", "unallocated")
    assert await payment_state(second) == ("40.00", "0.00", "allocated")


async def test_reversal_needs_a_reason_and_a_known_allocation(client, finance):
    assert (
        await client.post(f"{API}/allocations/1/reverse", token=finance, json={"reason": ""})
    ).status_code == 422
    missing = await client.post(f"{API}/allocations/424242/reverse", token=finance, json={"reason": "x"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "allocation_not_found"


# --- credit notes -------------------------------------------------------------------------------
async def test_credit_of_a_credit_note_is_shown_and_spent_on_another_invoice(client, finance):
    customer = await make_customer()
    paid = await make_invoice(customer, "500.00", paid="500.00")
    note = await CreditNote.create(
        number="CN-200101-000001",
        invoice=paid,
        customer=customer,
        issue_date=business_today(),
        amount=Decimal("120.00"),
        applied_amount=Decimal("0.00"),
        credit_amount=Decimal("120.00"),
        unallocated_amount=Decimal("120.00"),
        reason="多收",
    )
    later = await make_invoice(customer, "200.00")
    credit = (await client.get(f"{API}/customers/{customer.id}/credit", token=finance)).json()
    assert credit["credit_notes_unallocated"] == "120.00" and credit["total"] == "120.00"

    too_much = await allocate(client, finance, credit_note=note, lines=[(later, "120.01")])
    assert (
        too_much.status_code == 409 and too_much.json()["error"]["code"] == "allocation_exceeds_unallocated"
    )
    response = await allocate(client, finance, credit_note=note, lines=[(later, "120.00")])
    assert response.status_code == 201, response.text
    made = response.json()["allocations"][0]
    assert (made["credit_note_id"], made["payment_id"]) == (note.id, None)
    assert await state(later) == ("120.00", "80.00", "partially_settled")
    fresh = await CreditNote.get(id=note.id)
    assert (fresh.allocated_amount, fresh.unallocated_amount) == (Decimal("120.00"), Decimal("0.00"))
    assert (await client.get(f"{API}/customers/{customer.id}/credit", token=finance)).json()[
        "total"
    ] == "0.00"

    await client.post(f"{API}/allocations/{made['id']}/reverse", token=finance, json={"reason": "撤销"})
    fresh = await CreditNote.get(id=note.id)
    assert (fresh.allocated_amount, fresh.unallocated_amount) == (Decimal("0.00"), Decimal("120.00"))
    assert await state(later) == ("0.00", "200.00", "unsettled")


# --- auto-reconcile -----------------------------------------------------------------------------
async def test_auto_reconcile_allocates_only_single_exact_matches(client, finance):
    customer = await make_customer()
    single = await make_invoice(customer, "300.00")
    twin_a, twin_b = await make_invoice(customer, "250.00"), await make_invoice(customer, "250.00")
    await make_invoice(customer, "999.00")
    exact = await make_payment(customer, "300.00")
    ambiguous = await make_payment(customer, "250.00")  # two invoices match: a person decides
    no_match = await make_payment(customer, "123.00")
    unassigned = await make_payment(None, "300.00")  # no customer: not considered

    dry = await client.post(f"{API}/allocations/auto", token=finance, json={"dry_run": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["allocations"] == [] and [p["payment_id"] for p in dry.json()["planned"]] == [exact.id]
    assert await Allocation.all().count() == 0

    response = await client.post(f"{API}/allocations/auto", token=finance, json={"customer_id": customer.id})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["considered"], result["allocated"], result["waiting"]) == (3, 1, 2)
    [made] = result["allocations"]
    assert (made["payment_id"], made["invoice_id"], made["amount"], made["source"]) == (
        exact.id,
        single.id,
        "300.00",
        "auto",
    )
    assert await state(single) == ("300.00", "0.00", "settled")
    for untouched in (twin_a, twin_b):
        assert await state(untouched) == ("0.00", "250.00", "unsettled")
    for payment in (ambiguous, no_match, unassigned):
        assert (await payment_state(payment))[0] == "0.00"
    assert await Allocation.filter(source=AllocationSource.AUTO).count() == 1

    # run again: nothing new
    again = (await client.post(f"{API}/allocations/auto", token=finance, json={})).json()
    assert (again["considered"], again["allocated"]) == (2, 0)


async def test_two_payments_for_one_exact_invoice_allocate_once(client, finance):
    customer = await make_customer()
    invoice = await make_invoice(customer, "80.00")
    first, second = await make_payment(customer, "80.00"), await make_payment(customer, "80.00")
    dry = (await client.post(f"{API}/allocations/auto", token=finance, json={"dry_run": True})).json()
    assert (dry["allocated"], dry["waiting"]) == (1, 1)
    result = (await client.post(f"{API}/allocations/auto", token=finance, json={})).json()
    assert (result["allocated"], result["waiting"]) == (1, 1)
    assert await state(invoice) == ("80.00", "0.00", "settled")
    assert sorted([(await payment_state(first))[2], (await payment_state(second))[2]]) == [
        "allocated",
        "unallocated",
    ]
