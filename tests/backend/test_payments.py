"""Payments through the HTTP API: recorded once per method and bank reference, Idempotency-Key
replay, customer assignment, lists and detail, customer credit."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from opcms.core.audit import AuditLog
from opcms.core.idempotency import IdempotencyRecord
from opcms.core.settings import business_today
from opcms.settlement.models import CreditNote, Payment
from tests.backend.factories import make_customer, make_invoice, make_payment, token_for

API = "/api/v1"


@pytest.fixture
async def finance(db):
    return await token_for("finance")


def payment_body(**fields) -> dict:
    return {
        "amount": "1200.00",
        "received_on": business_today().isoformat(),
        "method": "bank_transfer",
        **fields,
    }


async def post_payment(client, token, key: str | None = None, **fields):
    headers = {"Idempotency-Key": key} if key is not None else None
    return await client.post(f"{API}/payments", token=token, json=payment_body(**fields), headers=headers)


# --- create -------------------------------------------------------------------------------------
async def test_a_payment_is_recorded_with_all_of_it_unallocated(client, finance):
    customer = await make_customer(company_name="星辰科技有限公司")
    response = await post_payment(
        client,
        finance,
        customer_id=customer.id,
        amount="1200.5",
        payer_name="星辰科技",
        bank_reference="BR-001",
        remark="一月服务费",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (
        body["amount"] == "1200.50"
        and body["unallocated_amount"] == "1200.50"
        and body["allocated_amount"] == "0.00"
    )
    assert (body["status"], body["customer_code"], body["company_name"]) == (
        "unallocated",
        customer.customer_code,
        "星辰科技有限公司",
    )
    assert body["currency"] == "CNY" and body["created_by"].startswith("finance")
    assert (
        await AuditLog.filter(entity_type="payment", entity_id=str(body["id"]), action="create").count() == 1
    )


@pytest.mark.parametrize("variant", ["BR-001", " br-001 ", "Br-001", "ＢＲ－００１"])
async def test_the_same_bank_reference_and_method_twice_is_a_409_naming_the_first(client, finance, variant):
    first = (await post_payment(client, finance, bank_reference="BR-001")).json()
    again = await post_payment(client, finance, bank_reference=variant, amount="5.00")
    assert again.status_code == 409, again.text
    error = again.json()["error"]
    assert error["code"] == "payment_duplicate" and f"payment {first['id']}" in error["message"]
    assert error["details"][0]["payment_id"] == first["id"]
    assert await Payment.all().count() == 1


async def test_the_same_bank_reference_with_another_method_is_another_payment(client, finance):
    assert (await post_payment(client, finance, bank_reference="BR-9")).status_code == 201
    other = await post_payment(client, finance, bank_reference="BR-9", method="cheque")
    assert other.status_code == 201, other.text
    # payments without a bank reference never collide
    assert (await post_payment(client, finance)).status_code == 201
    assert (await post_payment(client, finance)).status_code == 201
    assert await Payment.all().count() == 4


@pytest.mark.parametrize("with_keys", [False, True])
async def test_concurrent_payments_with_one_bank_reference_make_one_row(client, finance, with_keys):
    responses = await asyncio.gather(
        *[
            post_payment(client, finance, key=f"key-{n}" if with_keys else None, bank_reference="RACE-1")
            for n in range(8)
        ]
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7, [r.text for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"payment_duplicate"}
    assert await Payment.all().count() == 1
    assert await IdempotencyRecord.all().count() == (1 if with_keys else 0)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        # a callable is resolved when the test runs: a run that crosses midnight must not collect "today"
        (lambda: {"received_on": (business_today() + dt.timedelta(days=1)).isoformat()}, "received_on"),
        ({"bank_reference": "x" * 65}, "bank_reference"),
    ],
)
async def test_bad_payments_are_422_and_change_nothing(client, finance, fields, field):
    response = await post_payment(client, finance, **(fields() if callable(fields) else fields))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field
    assert await Payment.all().count() == 0


async def test_an_unknown_customer_is_a_404(client, finance):
    response = await post_payment(client, finance, customer_id=999999)
    assert response.status_code == 404 and response.json()["error"]["code"] == "customer_not_found"


# --- idempotency --------------------------------------------------------------------------------
async def test_the_same_key_and_body_answer_the_first_response_without_a_new_row(client, finance):
    first = await post_payment(client, finance, key="k-1", bank_reference="BR-7")
    again = await post_payment(client, finance, key="k-1", bank_reference="BR-7")
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert await Payment.all().count() == 1 and await IdempotencyRecord.all().count() == 1
    # the body is compared as data, not as text: another key order and "1200" are the same request
    reordered = {
        "method": "bank_transfer",
        "bank_reference": "BR-7",
        "amount": "1200",
        "received_on": business_today().isoformat(),
    }
    third = await client.post(
        f"{API}/payments", token=finance, json=reordered, headers={"Idempotency-Key": "k-1"}
    )
    assert third.status_code == 201 and third.json()["id"] == first.json()["id"]


async def test_the_same_key_with_another_body_is_a_409(client, finance):
    await post_payment(client, finance, key="k-2")
    other = await post_payment(client, finance, key="k-2", amount="99.00")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert await Payment.all().count() == 1


async def test_keys_that_differ_only_in_letter_case_are_two_keys(client, finance):
    # given a payment recorded under one key
    first = await post_payment(client, finance, key="Key-Abc", bank_reference="BR-8")
    # when another payment is sent under the same key in other letter case
    second = await post_payment(client, finance, key="key-abc", bank_reference="BR-9", amount="7.00")
    # then it is a new request (on MariaDB too, whose collation ignores case), not a reused key
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert second.json()["id"] != first.json()["id"] and await Payment.all().count() == 2


async def test_a_failed_request_is_not_replayed(client, finance):
    late = (business_today() + dt.timedelta(days=3)).isoformat()
    assert (await post_payment(client, finance, key="k-3", received_on=late)).status_code == 422
    assert await IdempotencyRecord.all().count() == 0
    assert (await post_payment(client, finance, key="k-3")).status_code == 201


async def test_concurrent_requests_with_one_key_make_one_payment(client, finance):
    responses = await asyncio.gather(*[post_payment(client, finance, key="k-race") for _ in range(10)])
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await Payment.all().count() == 1


@pytest.mark.parametrize("key", ["x" * 129, "   "])
async def test_an_unusable_key_is_a_422(client, finance, key):
    response = await post_payment(client, finance, key=key)
    assert (
        response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "Idempotency-Key"
    )
    assert await Payment.all().count() == 0


# --- assign, list, detail -----------------------------------------------------------------------
async def test_a_payment_without_customer_is_assigned_one_until_something_is_allocated(client, finance):
    customer = await make_customer()
    payment = await make_payment(None, "300.00", payer_name="某某")
    url = f"{API}/payments/{payment.id}"
    assigned = await client.patch(url, token=finance, json={"customer_id": customer.id})
    assert assigned.status_code == 200 and assigned.json()["customer_id"] == customer.id
    invoice = await make_invoice(customer, "100.00")
    made = await client.post(
        f"{API}/allocations",
        token=finance,
        json={
            "payment_id": payment.id,
            "lines": [{"invoice_id": invoice.id, "amount": "100.00"}],
        },
    )
    assert made.status_code == 201, made.text
    other = await make_customer()
    refused = await client.patch(url, token=finance, json={"customer_id": other.id})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "payment_allocated"
    assert (await Payment.get(id=payment.id)).customer_id == customer.id


async def test_payments_are_listed_filtered_and_shown_with_allocations(client, finance):
    customer = await make_customer(company_name="银河网络有限公司")
    paid = await make_payment(customer, "100.00", payer_name="银河网络", method="cash")
    await make_payment(None, "50.00", payer_name="不知名")
    invoice = await make_invoice(customer, "40.00")
    await client.post(
        f"{API}/allocations",
        token=finance,
        json={
            "payment_id": paid.id,
            "lines": [{"invoice_id": invoice.id, "amount": "40.00"}],
        },
    )

    async def ids(**params):
        response = await client.get(f"{API}/payments", token=finance, params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    assert len(await ids()) == 2
    assert await ids(unassigned="true") != [paid.id] and len(await ids(unassigned="true")) == 1
    assert await ids(customer_id=customer.id) == [paid.id]
    assert await ids(status="partially_allocated") == [paid.id]
    assert await ids(method="cash") == [paid.id]
    assert await ids(q="银河") == [paid.id]
    assert len(await ids(sort="amount")) == 2
    bad = await client.get(f"{API}/payments", token=finance, params={"sort": "payer_name"})
    assert bad.status_code == 422

    detail = (await client.get(f"{API}/payments/{paid.id}", token=finance)).json()
    assert (detail["allocated_amount"], detail["unallocated_amount"]) == ("40.00", "60.00")
    assert [(a["invoice_number"], a["amount"]) for a in detail["allocations"]] == [(invoice.number, "40.00")]


async def test_reading_needs_payments_read_and_writing_payments_write(client):
    auditor = await token_for("auditor")
    assert (await client.get(f"{API}/payments", token=auditor)).status_code == 200
    assert (await post_payment(client, auditor)).status_code == 403


# --- credit -------------------------------------------------------------------------------------
async def test_customer_credit_is_unallocated_payments_plus_credit_notes(client, finance):
    customer = await make_customer()
    await make_payment(customer, "100.10")
    await make_payment(customer, "0.20")
    await make_payment(await make_customer(), "999.00")  # someone else's
    invoice = await make_invoice(customer, "50.00", paid="50.00")
    await CreditNote.create(
        number="CN-200101-000001",
        invoice=invoice,
        customer=customer,
        issue_date=business_today(),
        amount=Decimal("30.00"),
        applied_amount=Decimal("0.00"),
        credit_amount=Decimal("30.00"),
        allocated_amount=Decimal("0.00"),
        unallocated_amount=Decimal("30.00"),
        reason="多收退回",
    )
    response = await client.get(f"{API}/customers/{customer.id}/credit", token=finance)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "customer_id": customer.id,
        "currency": "CNY",
        "payments_unallocated": "100.30",
        "credit_notes_unallocated": "30.00",
        "total": "130.30",
    }
    assert (await client.get(f"{API}/customers/999999/credit", token=finance)).status_code == 404


# --- void ---------------------------------------------------------------------------------------
async def test_a_payment_entered_by_mistake_is_voided_and_its_bank_reference_freed(client, finance):
    # given a payment recorded with the wrong amount
    customer = await make_customer()
    wrong = (
        await post_payment(client, finance, customer_id=customer.id, amount="1200.00", bank_reference="BR-50")
    ).json()
    # when it is voided with a reason
    response = await client.post(
        f"{API}/payments/{wrong['id']}/void", token=finance, json={"reason": "wrong amount"}
    )
    # then it stays, marked void, holding no money, and the same bank line can be entered right
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["unallocated_amount"], body["void_reason"]) == (
        "void",
        "0.00",
        "wrong amount",
    )
    assert body["voided_by"].startswith("finance") and body["voided_at"]
    assert (
        await AuditLog.filter(entity_type="payment", entity_id=str(wrong["id"]), action="void").count() == 1
    )
    right = await post_payment(
        client, finance, customer_id=customer.id, amount="1020.00", bank_reference="BR-50"
    )
    assert right.status_code == 201, right.text
    credit = (await client.get(f"{API}/customers/{customer.id}/credit", token=finance)).json()
    assert credit["payments_unallocated"] == "1020.00"
    # and a void payment can be neither voided again, assigned nor allocated from
    again = await client.post(f"{API}/payments/{wrong['id']}/void", token=finance, json={"reason": "again"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "payment_void"
    other = await make_customer()
    assigned = await client.patch(
        f"{API}/payments/{wrong['id']}", token=finance, json={"customer_id": other.id}
    )
    assert assigned.status_code == 409 and assigned.json()["error"]["code"] == "payment_void"
    invoice = await make_invoice(customer, "100.00")
    allocated = await client.post(
        f"{API}/allocations",
        token=finance,
        json={"payment_id": wrong["id"], "lines": [{"invoice_id": invoice.id, "amount": "100.00"}]},
    )
    assert allocated.status_code == 409 and allocated.json()["error"]["code"] == "payment_void"


async def test_a_payment_with_allocations_cannot_be_voided_until_they_are_reversed(client, finance):
    # given a payment partly allocated
    customer = await make_customer()
    invoice = await make_invoice(customer, "100.00")
    payment = await make_payment(customer, "300.00")
    made = await client.post(
        f"{API}/allocations",
        token=finance,
        json={"payment_id": payment.id, "lines": [{"invoice_id": invoice.id, "amount": "100.00"}]},
    )
    allocation_id = made.json()["allocations"][0]["id"]
    # when it is voided: refused, nothing changes
    refused = await client.post(f"{API}/payments/{payment.id}/void", token=finance, json={"reason": "x"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "payment_allocated"
    assert (await Payment.get(id=payment.id)).status.value == "partially_allocated"
    # then, once its allocation is reversed, it can be voided; a blank reason is a 422
    await client.post(
        f"{API}/allocations/{allocation_id}/reverse", token=finance, json={"reason": "wrong invoice"}
    )
    blank = await client.post(f"{API}/payments/{payment.id}/void", token=finance, json={"reason": ""})
    assert blank.status_code == 422
    voided = await client.post(
        f"{API}/payments/{payment.id}/void", token=finance, json={"reason": "duplicate entry"}
    )
    assert voided.status_code == 200 and voided.json()["status"] == "void"


async def test_the_database_itself_refuses_a_second_payment_with_the_same_bank_line(db):
    # given a payment written straight to the table (no service checks in the way)
    from tortoise.exceptions import IntegrityError

    row = {
        "amount": "10.00",
        "received_on": business_today(),
        "method": "bank_transfer",
        "bank_reference": "BR-1",
        "reference_key": "br-1",
        "allocated_amount": "0.00",
        "unallocated_amount": "10.00",
    }
    await Payment.create(**row)
    # when the same (method, reference key) is written again, then the unique key refuses it
    # (on SQLite too, whose table rebuilds by migrations must keep their unique keys)
    with pytest.raises(IntegrityError):
        await Payment.create(**row)
    assert await Payment.all().count() == 1
