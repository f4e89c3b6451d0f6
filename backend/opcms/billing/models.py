"""The documents billing writes: invoice lines, credit-note lines, document numbers and the
chunks of an invoice run (DESIGN §7).

The invoice and credit-note headers with their amounts and status belong to the ledger
(``opcms.settlement.models``); the lines here are written with their document and never
changed.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from opcms.core.models import foreign_key

if TYPE_CHECKING:
    from opcms.jobs.models import TaskExecution
    from opcms.pricing.models import PricingPlan, PricingPlanVersion, Subscription, UsageMetric
    from opcms.settlement.models import CreditNote, Invoice


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


class InvoiceLine(Model):
    """One subscription's charge on an invoice: written with the invoice, never changed.

    The intermediate figures keep the pricing engine's exact values (6 decimals); only
    ``amount`` is rounded, once, to 0.01 half up (DESIGN §2).
    """

    id = fields.BigIntField(primary_key=True)
    invoice: fields.ForeignKeyRelation[Invoice] = foreign_key("opcms.Invoice", "lines")
    invoice_id: int
    position = fields.IntField()
    subscription: fields.ForeignKeyNullableRelation[Subscription] = foreign_key(
        "opcms.Subscription", "invoice_lines", null=True
    )
    subscription_id: int | None
    plan: fields.ForeignKeyRelation[PricingPlan] = foreign_key("opcms.PricingPlan", "invoice_lines")
    plan_id: int
    plan_version: fields.ForeignKeyRelation[PricingPlanVersion] = foreign_key(
        "opcms.PricingPlanVersion", "invoice_lines"
    )
    plan_version_id: int
    metric: fields.ForeignKeyRelation[UsageMetric] = foreign_key("opcms.UsageMetric", "invoice_lines")
    metric_id: int
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
    breakdown: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)

    class Meta:
        table = "invoice_line"
        unique_together = (("invoice", "position"),)
        ordering = ("invoice_id", "position")


class CreditNoteLine(Model):
    """What a credit note takes off: a line of the invoice (or the invoice as a whole)."""

    id = fields.BigIntField(primary_key=True)
    credit_note: fields.ForeignKeyRelation[CreditNote] = foreign_key("opcms.CreditNote", "lines")
    credit_note_id: int
    position = fields.IntField()
    invoice_line: fields.ForeignKeyNullableRelation[InvoiceLine] = foreign_key(
        "opcms.InvoiceLine", "credit_note_lines", null=True
    )
    invoice_line_id: int | None
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
    execution: fields.ForeignKeyRelation[TaskExecution] = foreign_key("opcms.TaskExecution", "invoice_chunks")
    execution_id: int
    seq = fields.IntField()
    customer_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    status = fields.CharEnumField(ChunkStatus, max_length=16, default=ChunkStatus.PENDING)
    # created, skipped, failed, no_charge, receivable ("123.45")
    counters: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    log_excerpt = fields.TextField(null=True)
    finished_at = fields.DatetimeField(null=True)
    # the Celery worker (its node name, e.g. w1@host) whose attempt marked the chunk done; None
    # when the run billed it in its own process (``opcms bill``)
    worker = fields.CharField(max_length=155, null=True)

    class Meta:
        table = "invoice_run_chunk"
        unique_together = (("execution", "seq"),)
