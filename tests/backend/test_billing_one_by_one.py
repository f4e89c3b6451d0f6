"""The invoice run's fallback, made to happen on purpose: when the chunk's bulk write fails,
each customer is written in a transaction of its own, a customer the database refuses is
reported failed, and the numbers of the month stay gap-free (DESIGN §7). A re-run once the
refusal is lifted fills the customer in with the next number.

The refusal is a trigger planted in the test database for one customer's invoice rows — a real
failure of the INSERT after the numbers were taken, in the batch and again in that customer's
own write; nothing in the product code is replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from tortoise import connections

from opcms.billing import run
from opcms.billing.models import DocumentSequence
from opcms.core.context import acting_as, system_actor
from opcms.jobs.models import ExecutionStatus
from opcms.settlement.models import Invoice
from tests.backend.test_billing_support import PERIOD, golden_book

ISSUE = dt.date(2026, 4, 1)
TRIGGER = "refuse_invoices_of_one_customer"


async def bill():
    with acting_as(system_actor("test-bill")):
        return await run.run_period(PERIOD, issue_date=ISSUE)


@contextlib.asynccontextmanager
async def invoices_refused_for(customer_id: int, as_constraint: bool):
    """While inside, the database refuses to insert an invoice row of this customer.

    As a plain error (SIGNAL '45000' on MariaDB; on SQLite a runtime error in the trigger body,
    json() of a non-JSON text), or as a constraint violation (SQLSTATE 23000 / errno 1062 on
    MariaDB, RAISE(ABORT) on SQLite) — which the run must not mistake for "invoiced meanwhile"
    when the customer has no live invoice."""
    conn = connections.get("default")
    table = Invoice._meta.db_table
    cid = int(customer_id)
    if conn.capabilities.dialect == "mysql":
        signal = "SQLSTATE '23000' SET MYSQL_ERRNO = 1062," if as_constraint else "SQLSTATE '45000' SET"
        body = (
            f"FOR EACH ROW IF NEW.customer_id = {cid} THEN "
            f"SIGNAL {signal} MESSAGE_TEXT = 'invoice refused for this customer'; END IF"
        )
    elif as_constraint:
        body = f"WHEN NEW.customer_id = {cid} BEGIN SELECT RAISE(ABORT, 'invoice refused'); END"
    else:
        body = f"WHEN NEW.customer_id = {cid} BEGIN SELECT json('invoice refused'); END"
    await conn.execute_script(f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {table} {body}")
    try:
        yield
    finally:
        await conn.execute_script(f"DROP TRIGGER {TRIGGER}")


def numbers(*ns: int) -> list[str]:
    return [f"INV-202603-{n:06d}" for n in ns]


@pytest.mark.parametrize(
    "as_constraint, error",
    [(False, "OperationalError"), (True, "IntegrityError")],
    ids=["plain", "constraint"],
)
async def test_a_customer_refused_after_a_failed_batch_is_reported_and_the_numbers_stay_gap_free(
    db, as_constraint, error
):
    # given the golden book (a, b, c billable, d no charge: one chunk), and b's invoice refused
    book = await golden_book()
    a, b, c = book["a"], book["b"], book["c"]
    assert a.id < b.id < c.id  # written in this order: b's number is taken and given back before c's
    async with invoices_refused_for(b.id, as_constraint):
        # when March is billed
        first = await bill()
        # then the batch failed as a whole, and one by one a and c have their invoices with
        # consecutive numbers: the number b took and gave back is c's
        invoices = await Invoice.filter(live_period=PERIOD).order_by("number")
        assert [(i.customer_id, i.number) for i in invoices] == [(a.id, numbers(1)[0]), (c.id, numbers(2)[0])]
        assert (await DocumentSequence.get(kind="INV", period="202603")).last_number == 2
        # and b is reported failed, by its customer code, in the run's counters, summary and log
        assert first.status == ExecutionStatus.PARTIAL
        assert first.counters == {"processed": 4, "succeeded": 2, "skipped": 0, "failed": 1, "no_charge": 1}
        assert (first.result["invoices"], first.result["failed"]) == (2, 1)
        [reported] = first.log_excerpt.splitlines()
        assert reported.startswith(f"customer {b.customer_code}: {error}"), reported
        assert {i.execution_id for i in invoices} == {first.id}

    # when the refusal is lifted and March is billed again
    again = await bill()
    # then b is filled in with the next number, a and c are left as they were
    invoices = await Invoice.filter(live_period=PERIOD).order_by("number")
    assert [(i.customer_id, i.number) for i in invoices] == list(
        zip((a.id, c.id, b.id), numbers(1, 2, 3), strict=True)
    )
    assert again.status == ExecutionStatus.SUCCESS
    assert again.counters == {"processed": 4, "succeeded": 1, "skipped": 2, "failed": 0, "no_charge": 1}
    assert [i.execution_id for i in invoices] == [first.id, first.id, again.id]
    assert (await DocumentSequence.get(kind="INV", period="202603")).last_number == 3
