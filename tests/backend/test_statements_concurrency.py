"""Accept-all on a 500-line statement while finance records payments by hand with some of the
same bank references, and allocates them, at the same time (through the real app): no invoice
or payment is over-allocated, no bank reference is held twice, every line is accepted once or
left open, named."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from opcms.core.money import ZERO
from opcms.settlement.models import Allocation, Invoice, Payment, PaymentStatus
from opcms.statements.models import BankStatementLine
from tests.backend.factories import make_customer, make_invoices_bulk, token_for
from tests.backend.factories_statements import API, csv_file, line, upload

CUSTOMERS = 50
PER_CUSTOMER = 10  # 500 lines, one per invoice


def amount_of(customer: int, k: int) -> Decimal:
    return Decimal(1000 + customer) + Decimal(k * 10000) + Decimal("0.25")


async def test_accept_all_of_500_lines_with_payments_recorded_by_hand_at_the_same_time(client):
    """Given 50 customers with 10 open invoices each and a statement paying each invoice exactly
    (500 high-confidence lines), when two accept-alls run while 40 payments are recorded by hand
    with the serials of 40 of the lines (and allocated to the same invoices), then each line is
    accepted once or left open as a conflict, no bank reference is held twice, and every
    invoice and payment holds exactly its active allocations, within its bounds."""
    token = await token_for("finance")
    customers = []
    for c in range(CUSTOMERS):
        customer = await make_customer(company_name=f"并发测试客户{c:03d}有限公司")
        await make_invoices_bulk(customer, [amount_of(c, k) for k in range(PER_CUSTOMER)])
        customers.append(customer)
    invoices = {(i.customer_id, i.total): i.id for i in await Invoice.all()}
    lines = [
        line(
            str(amount_of(c, k)),
            customers[c].company_name,
            f"6222 {c:04d} {k:04d}",
            f"CC{c:03d}{k:02d}",
            on=dt.date(2026, 11, 1) + dt.timedelta(days=k),
        )
        for c in range(CUSTOMERS)
        for k in range(PER_CUSTOMER)
    ]
    statement = await upload(client, token, csv_file(lines, bank="generic", encoding="utf-8"))
    assert statement.status_code == 201, statement.text
    statement_id = statement.json()["id"]
    assert await BankStatementLine.filter(statement_id=statement_id, confidence="high").count() == 500

    # finance types in 40 of the same bank lines by hand, and allocates each to its invoice
    by_hand = [(c, k) for c in range(0, CUSTOMERS, 5) for k in (3, 7, 8, 9)]

    async def record_by_hand(c: int, k: int) -> tuple[int, int | None]:
        created = await client.post(
            f"{API}/payments",
            token=token,
            json={
                "customer_id": customers[c].id,
                "amount": str(amount_of(c, k)),
                "received_on": "2026-11-20",
                "method": "bank_transfer",
                "bank_reference": f"cc{c:03d}{k:02d}",
            },
        )
        if created.status_code != 201:
            return created.status_code, None
        invoice_id = invoices[(customers[c].id, amount_of(c, k))]
        allocated = await client.post(
            f"{API}/allocations",
            token=token,
            json={
                "payment_id": created.json()["id"],
                "lines": [{"invoice_id": invoice_id, "amount": str(amount_of(c, k))}],
            },
        )
        return created.status_code, allocated.status_code

    accept = [
        client.post(f"{API}/bank-statements/{statement_id}/accept", token=token, json={"confidence": "high"})
        for _ in range(2)
    ]
    answers = await asyncio.gather(*accept, *[record_by_hand(c, k) for c, k in by_hand])
    accepted_answers, hand = answers[:2], answers[2:]
    for answer in accepted_answers:
        assert answer.status_code == 200, answer.text
    assert {status for status, _ in hand} <= {201, 409}
    assert {allocated for _, allocated in hand} <= {201, 409, None}

    accepted = sum(a.json()["accepted"] for a in accepted_answers)
    stored = await BankStatementLine.filter(statement_id=statement_id, kind="incoming")
    done = [s for s in stored if s.status in ("accepted", "credit")]
    assert accepted == len(done)  # each line accepted once, by one of the two calls
    assert all(s.status in ("accepted", "open", "conflict") for s in stored)

    # no bank reference twice among live payments; each accepted line's payment carries its serial
    references = [p.reference_key for p in await Payment.exclude(status=PaymentStatus.VOID)]
    assert len(references) == len(set(references))
    from_lines = {p.id: p for p in await Payment.filter(id__in=[s.payment_id for s in done])}
    assert len(from_lines) == len(done)
    for s in done:
        assert from_lines[s.payment_id].bank_reference == s.serial
    hand_won = {
        f"CC{c:03d}{k:02d}" for (c, k), (status, _) in zip(by_hand, hand, strict=True) if status == 201
    }
    for s in stored:
        if s.serial in hand_won:
            assert s.status != "accepted", s.serial
    assert len(hand_won) + len(done) + sum(1 for s in stored if s.status == "open") >= 500 - len(by_hand)

    # the ledger holds: every invoice and payment equals its active allocations, within bounds
    per_invoice: dict[int, Decimal] = defaultdict(lambda: ZERO)
    per_payment: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for allocation in await Allocation.filter(is_reversed=False):
        per_invoice[allocation.invoice_id] += allocation.amount
        per_payment[allocation.payment_id] += allocation.amount
    for invoice in await Invoice.all():
        assert per_invoice[invoice.id] == invoice.paid_amount <= invoice.total, invoice.number
        assert invoice.outstanding == invoice.total - invoice.paid_amount >= ZERO
    for payment in await Payment.all():
        assert per_payment[payment.id] == payment.allocated_amount <= payment.amount
        assert payment.unallocated_amount == payment.amount - payment.allocated_amount
