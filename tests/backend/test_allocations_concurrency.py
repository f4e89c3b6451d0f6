"""200 allocation requests at once against the same payments and invoices (MariaDB): the row
locks keep every sum within its bound and the stored amounts equal to their allocations."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from decimal import Decimal

import pytest

from opcms.settlement.models import Allocation, Invoice, Payment, PaymentStatus
from opcms.settlement.rules import status_for
from tests.backend.conftest import TEST_DATABASE_URL, is_mysql_url
from tests.backend.factories import make_customer, make_invoice, make_payment, token_for

API = "/api/v1"
ZERO = Decimal("0.00")

pytestmark = pytest.mark.skipif(
    not is_mysql_url(TEST_DATABASE_URL),
    reason="row locks are what is tested: SQLite has none (select_for_update is a no-op) and Tortoise "
    "runs its transactions one at a time on a single connection, so nothing would race",
)


def payment_status(payment: Payment) -> PaymentStatus:
    if payment.allocated_amount == ZERO:
        return PaymentStatus.UNALLOCATED
    return (
        PaymentStatus.ALLOCATED if payment.unallocated_amount == ZERO else PaymentStatus.PARTIALLY_ALLOCATED
    )


async def test_200_concurrent_allocations_never_exceed_any_amount(client):
    """Given two payments (700.00 and 300.00) and five invoices of 150.00 (one already credited
    20.00), when 200 requests of 1–3 lines of 10.00–60.00 each run at once, then some are
    refused (there is not enough money nor debt for all), none fails, and afterwards every
    invoice and payment holds exactly the sum of its active allocations, within its bound.
    The same holds after half of them are reversed (each reversal sent twice: one 200, one
    409) while 60 more allocation requests run."""
    token = await token_for("finance")
    customer = await make_customer()
    invoices = [
        await make_invoice(customer, "150.00", credited="20.00" if n == 0 else "0.00") for n in range(5)
    ]
    main, other = await make_payment(customer, "700.00"), await make_payment(customer, "300.00")
    rng = random.Random(20240601)

    def request_body() -> dict:
        payment = main if rng.random() < 0.8 else other
        chosen = rng.sample(invoices, rng.randint(1, 3))
        return {
            "payment_id": payment.id,
            "lines": [{"invoice_id": i.id, "amount": f"{rng.randint(1, 6) * 10}.00"} for i in chosen],
        }

    bodies = [request_body() for _ in range(200)]
    responses = await asyncio.gather(
        *[client.post(f"{API}/allocations", token=token, json=b) for b in bodies]
    )

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)][:3]
    assert statuses.count(201) > 0 and statuses.count(409) > 50, statuses
    # every 201 wrote all its lines, every 409 none of them
    created = [a["id"] for r in responses if r.status_code == 201 for a in r.json()["allocations"]]
    assert sorted(created) == sorted(await Allocation.all().values_list("id", flat=True))
    expected_lines = sum(len(b["lines"]) for b, s in zip(bodies, statuses, strict=False) if s == 201)
    assert len(created) == expected_lines

    await assert_consistent(invoices, [main, other])
    # the money ran out somewhere: the debt (730.00) or the payments (1000.00)
    assert sum(await Allocation.all().values_list("amount", flat=True)) > Decimal("600.00")

    # then reversals (each one asked twice) and new allocations, all at once
    reversed_ids = created[: len(created) // 2]
    reversals = [
        client.post(f"{API}/allocations/{i}/reverse", token=token, json={"reason": "并发撤销"})
        for i in reversed_ids
        for _ in range(2)
    ]
    more = [client.post(f"{API}/allocations", token=token, json=request_body()) for _ in range(60)]
    answers = await asyncio.gather(*reversals, *more)
    undone, allocated = answers[: len(reversals)], answers[len(reversals) :]
    assert sorted(r.status_code for r in undone) == sorted([200, 409] * len(reversed_ids)), [
        r.text for r in undone
    ][:3]
    assert {r.status_code for r in allocated} <= {201, 409}, [
        r.text for r in allocated if r.status_code >= 500
    ][:3]
    assert await Allocation.filter(is_reversed=True).count() == len(reversed_ids)
    await assert_consistent(invoices, [main, other])


async def assert_consistent(invoices, payments) -> None:
    """Every invoice and payment holds exactly the sum of its active allocations, within bounds."""
    per_invoice: dict[int, Decimal] = defaultdict(lambda: ZERO)
    per_payment: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for allocation in await Allocation.filter(is_reversed=False):
        per_invoice[allocation.invoice_id] += allocation.amount
        per_payment[allocation.payment_id] += allocation.amount

    for invoice in await Invoice.filter(id__in=[i.id for i in invoices]):
        assert per_invoice[invoice.id] == invoice.paid_amount, invoice.number
        assert invoice.paid_amount + invoice.credited_amount <= invoice.total
        assert invoice.outstanding == invoice.total - invoice.credited_amount - invoice.paid_amount >= ZERO
        assert invoice.status == status_for(invoice.total, invoice.credited_amount, invoice.paid_amount)
    for payment in await Payment.filter(id__in=[p.id for p in payments]):
        assert per_payment[payment.id] == payment.allocated_amount <= payment.amount
        assert payment.unallocated_amount == payment.amount - payment.allocated_amount >= ZERO
        assert payment.status == payment_status(payment)
