"""Invoices, their lines, credit notes, document numbers and the chunks of an invoice run
(DESIGN §7).

Money rows are never deleted and never edited once issued: an invoice is voided (a status),
a credit note reduces it as its own document. The settlement columns of an invoice
(``credited_amount``, ``paid_amount``, ``outstanding``, ``status``) are the only ones that
change after issue, and only under a row lock in the transaction that changes their cause
(a credit note, an allocation, a reversal).
"""

from __future__ import annotations

import enum
from decimal import Decimal

from tortoise import fields
from tortoise.models import Model

from opcms.core.models import AuditedModel

ZERO = Decimal("0.00")


class InvoiceStatus(str, enum.Enum):
    UNSETTLED = "unsettled"
    PARTIALLY_SETTLED = "partially_settled"
    SETTLED = "settled"
    VOID = "void"


class DocumentSequence(Model):
    """The last number given out for one kind of document in one month.

    Incremented under a row lock in the transaction that writes the document, so a rolled-back
    document gives its number back: numbers have no gaps, even under concurrency.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=8)  # INV, CN
    period = fields.CharField(max_length=6)  # YYYYMM
    last_number = fields.IntField(default=0)

    class Meta:
        table = "document_sequence"
        unique_together = (("kind", "period"),)


class Invoice(AuditedModel):
    """What one customer owes for one month."""

    number = fields.CharField(max_length=20, unique=True)
    customer = fields.ForeignKeyField("opcms.Customer", related_name="invoices", on_delete=fields.RESTRICT)
    period = fields.CharField(max_length=7)  # YYYY-MM, business time zone
    # the period while the invoice is not void, NULL once voided: unique with the customer, so
    # the database itself allows one non-void invoice per (customer, period) (NULLs never collide)
    live_period = fields.CharField(max_length=7, null=True)
    issue_date = fields.DateField()
    due_date = fields.DateField()
    currency = fields.CharField(max_length=3, default="CNY")
    # the customer as it was when invoiced (the profile may change later, the invoice may not)
    customer_code = fields.CharField(max_length=32)
    company_name = fields.CharField(max_length=200)
    subtotal = fields.DecimalField(max_digits=18, decimal_places=2)
    discount_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    total = fields.DecimalField(max_digits=18, decimal_places=2)
    # settlement: total = credited + paid + outstanding, always
    credited_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    paid_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    outstanding = fields.DecimalField(max_digits=18, decimal_places=2)
    status = fields.CharEnumField(InvoiceStatus, max_length=20, default=InvoiceStatus.UNSETTLED)
    settled_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)
    voided_by = fields.CharField(max_length=64, null=True)
    void_reason = fields.CharField(max_length=255, null=True)
    # the voided invoice this one was regenerated from
    # (a plain id, not a foreign key: a self-reference would make bulk clean-ups order-dependent)
    replaces_id = fields.BigIntField(null=True)
    # the task execution (invoice run) that issued it
    execution_id = fields.BigIntField(null=True, db_index=True)

    audit_entity = "invoice"
    audit_ignored = frozenset({"live_period"})

    class Meta:
        table = "invoice"
        unique_together = (("customer", "live_period"),)
        # (customer, due date): a customer's open invoices oldest first, read page by page
        # (reconciliation suggestions, FIFO) without sorting all of them; (customer,
        # outstanding): the invoice whose outstanding is exactly a payment's amount
        indexes = (
            ("period", "status"),
            ("status", "due_date"),
            ("customer_id", "status"),
            ("customer_id", "due_date"),
            ("customer_id", "outstanding"),
        )
        ordering = ("-id",)


class InvoiceLine(Model):
    """One subscription's charge on an invoice: written with the invoice, never changed.

    The intermediate figures keep the pricing engine's exact values (6 decimals); only
    ``amount`` is rounded, once, to 0.01 half up (DESIGN §2).
    """

    id = fields.BigIntField(primary_key=True)
    invoice = fields.ForeignKeyField("opcms.Invoice", related_name="lines", on_delete=fields.RESTRICT)
    position = fields.IntField()
    subscription = fields.ForeignKeyField(
        "opcms.Subscription", related_name="invoice_lines", null=True, on_delete=fields.RESTRICT
    )
    plan = fields.ForeignKeyField(
        "opcms.PricingPlan", related_name="invoice_lines", on_delete=fields.RESTRICT
    )
    plan_version = fields.ForeignKeyField(
        "opcms.PricingPlanVersion", related_name="invoice_lines", on_delete=fields.RESTRICT
    )
    metric = fields.ForeignKeyField(
        "opcms.UsageMetric", related_name="invoice_lines", on_delete=fields.RESTRICT
    )
    description = fields.CharField(max_length=255)
    mode = fields.CharField(max_length=16)
    # the days of the period the subscription covered (both inclusive)
    service_from = fields.DateField()
    service_to = fields.DateField()
    days_active = fields.IntField()
    days_in_period = fields.IntField()
    quantity = fields.DecimalField(max_digits=20, decimal_places=4)
    included_quantity = fields.DecimalField(max_digits=20, decimal_places=4)
    billed_quantity = fields.DecimalField(max_digits=20, decimal_places=4)
    usage_amount = fields.DecimalField(max_digits=24, decimal_places=6)
    monthly_fee = fields.DecimalField(max_digits=24, decimal_places=6)
    minimum_top_up = fields.DecimalField(max_digits=24, decimal_places=6)
    discount_percent = fields.DecimalField(max_digits=5, decimal_places=2)
    discount = fields.DecimalField(max_digits=24, decimal_places=6)
    amount = fields.DecimalField(max_digits=18, decimal_places=2)
    # [{"tier", "from", "up_to", "quantity", "unit_price", "flat_fee", "amount"}]: strings, exact
    breakdown = fields.JSONField(default=list)

    class Meta:
        table = "invoice_line"
        unique_together = (("invoice", "position"),)
        ordering = ("invoice_id", "position")


class CreditNote(AuditedModel):
    """A reduction of an issued invoice, as its own numbered document.

    ``applied_amount`` lowered the invoice's outstanding; the rest (``credit_amount``, when the
    invoice was already paid) became customer credit, which allocations can spend like an
    unallocated payment (``unallocated_amount``).
    """

    number = fields.CharField(max_length=20, unique=True)
    invoice = fields.ForeignKeyField("opcms.Invoice", related_name="credit_notes", on_delete=fields.RESTRICT)
    customer = fields.ForeignKeyField(
        "opcms.Customer", related_name="credit_notes", on_delete=fields.RESTRICT
    )
    issue_date = fields.DateField()
    currency = fields.CharField(max_length=3, default="CNY")
    amount = fields.DecimalField(max_digits=18, decimal_places=2)
    applied_amount = fields.DecimalField(max_digits=18, decimal_places=2)
    credit_amount = fields.DecimalField(max_digits=18, decimal_places=2)
    allocated_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    unallocated_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    reason = fields.CharField(max_length=255)

    audit_entity = "credit_note"

    class Meta:
        table = "credit_note"
        ordering = ("-id",)


class CreditNoteLine(Model):
    """What a credit note takes off: a line of the invoice (or the invoice as a whole)."""

    id = fields.BigIntField(primary_key=True)
    credit_note = fields.ForeignKeyField("opcms.CreditNote", related_name="lines", on_delete=fields.RESTRICT)
    position = fields.IntField()
    invoice_line = fields.ForeignKeyField(
        "opcms.InvoiceLine", related_name="credit_note_lines", null=True, on_delete=fields.RESTRICT
    )
    description = fields.CharField(max_length=255)
    amount = fields.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        table = "credit_note_line"
        unique_together = (("credit_note", "position"),)
        ordering = ("credit_note_id", "position")


class ChunkStatus(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"


class InvoiceRunChunk(Model):
    """One slice of the customers of an invoice run, billed by one Celery task.

    The run's execution is finished by whichever chunk completes last; a chunk retried after a
    crash bills only the customers not yet invoiced (the live-period key makes sure).
    """

    id = fields.BigIntField(primary_key=True)
    execution = fields.ForeignKeyField(
        "opcms.TaskExecution", related_name="invoice_chunks", on_delete=fields.RESTRICT
    )
    seq = fields.IntField()
    customer_ids = fields.JSONField(default=list)
    status = fields.CharEnumField(ChunkStatus, max_length=16, default=ChunkStatus.PENDING)
    # created, skipped, failed, no_charge, receivable ("123.45")
    counters = fields.JSONField(default=dict)
    log_excerpt = fields.TextField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invoice_run_chunk"
        unique_together = (("execution", "seq"),)
