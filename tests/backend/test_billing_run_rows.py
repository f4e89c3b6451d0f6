"""The invoice run writes its invoices as plain multi-row INSERTs (no model object per row): the
rows, and the audit log's image of each, are what the model would have written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.billing import run
from opcms.billing.invoicing import invoice_audit_values, invoice_values
from opcms.billing.models import InvoiceLine
from opcms.core.audit import AuditLog
from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.settlement.models import Invoice, InvoiceStatus
from tests.backend.factories import make_metric, make_plan
from tests.backend.test_billing_support import PERIOD, add_usage, customer_on, golden_book

ISSUE = dt.date(2026, 4, 1)


async def bill():
    with acting_as(system_actor("test-bill")):
        return await run.run_period(PERIOD, issue_date=ISSUE)


async def test_each_invoice_row_and_its_audit_image_are_what_the_model_holds(db):
    # given the golden customers and one whose usage is all within the included units (0.00)
    book = await golden_book()
    api = await make_metric("api_calls_free", name="免费额度", unit="次")
    free_plan = await make_plan(
        api,
        code="API-FREE",
        effective_from=dt.date(2026, 1, 1),
        mode="per_unit",
        unit_price="0.010000",
        included_quantity="1000",
    )
    free = await customer_on(free_plan)
    await add_usage(free, api, "2026-03-02", 10)

    # when March is billed
    execution = await bill()

    # then four invoices, numbered in customer order, one of them settled at once at 0.00
    assert execution.counters["succeeded"] == 4
    invoices = await Invoice.all().order_by("id")
    assert [i.customer_id for i in invoices] == [book["a"].id, book["b"].id, book["c"].id, free.id]
    assert [i.number for i in invoices] == [f"INV-202603-{n:06d}" for n in range(1, 5)]
    zero = invoices[-1]
    assert (zero.total, zero.status) == (Decimal("0.00"), InvoiceStatus.SETTLED)
    assert zero.settled_at is not None
    for invoice in invoices:
        assert invoice.execution_id == execution.id and invoice.live_period == PERIOD
        assert (invoice.created_by, invoice.updated_by) == ("system:test-bill", "system:test-bill")
        assert not invoice.is_deleted and invoice.voided_at is None
        assert invoice.subtotal - invoice.discount_amount == invoice.total == invoice.outstanding
        # and its one audit row holds the row as read back, field for field
        (audit,) = await AuditLog.filter(entity_type="invoice", entity_id=str(invoice.id))
        assert audit.action == "create" and audit.before is None
        assert audit.message == "issued by an invoice run" and audit.actor == "system:test-bill"
        assert audit.after == invoice.audit_values()
        # and its lines are numbered from 1 and add up to it
        lines = await InvoiceLine.filter(invoice_id=invoice.id).order_by("position")
        assert [line.position for line in lines] == list(range(1, len(lines) + 1))
        assert sum((line.amount for line in lines), Decimal(0)) == invoice.total


def test_the_plain_row_is_the_model_s_own():
    # given the columns of an invoice the run writes
    now = utcnow()
    given = {
        "customer_id": 7,
        "period": PERIOD,
        "live_period": PERIOD,
        "issue_date": ISSUE,
        "due_date": ISSUE + dt.timedelta(days=30),
        "currency": "CNY",
        "customer_code": "C001",
        "company_name": "某某科技",
        "subtotal": Decimal("110.5"),
        "discount_amount": Decimal("10.5"),
        "total": Decimal("100"),
        "outstanding": Decimal("100"),
        "status": "unsettled",
        "settled_at": None,
        "replaces_id": None,
        "execution_id": 3,
        "created_by": "run",
        "updated_by": "run",
        "created_at": now,
        "updated_at": now,
    }

    # when built as a plain row and as a model
    values = invoice_values(given)
    model = Invoice(**given)

    # then every field holds the same value (converted, defaults filled), and so does the audit image
    for name in Invoice._meta.fields_db_projection:
        if name != "id":
            assert values[name] == getattr(model, name), name
    assert values["subtotal"] == Decimal("110.50") and str(values["total"]) == "100.00"
    model.id = values["id"] = 42
    assert invoice_audit_values(values) == model.audit_values()
