"""The ledger: what an invoice owes and what settles it (DESIGN §7, §8).

Invoices (their settlement columns), credit notes (as sources of credit), payments and the
allocations between them. Nothing here is deleted or edited after the fact: an invoice is
voided (a status), a credit note reduces it as its own document, an allocation is reversed (it
stays, marked reversed). The settlement columns of an invoice (``credited_amount``,
``paid_amount``, ``outstanding``, ``status``) and the running amounts of a payment or credit
note change only under their row locks, in the transaction that changes their cause (a credit
note, an allocation, a reversal: :mod:`opcms.settlement.rules`,
:mod:`opcms.settlement.allocations`).

Billing writes the lines of invoices and credit notes (``opcms.billing.models``); payments
records money received. Both write money only through this room.
"""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model

from opcms.core.models import AuditedModel, foreign_key
from opcms.core.money import ZERO


class Voidable:
    """Who voided a document, when and why: a voided invoice or payment is kept, with these."""

    voided_at = fields.DatetimeField(null=True)
    voided_by = fields.CharField(max_length=64, null=True)
    void_reason = fields.CharField(max_length=255, null=True)


# --- invoices and credit notes ------------------------------------------------------------------
class InvoiceStatus(str, enum.Enum):
    UNSETTLED = "unsettled"
    PARTIALLY_SETTLED = "partially_settled"
    SETTLED = "settled"
    VOID = "void"


class Invoice(Voidable, AuditedModel):
    """What one customer owes for one month."""

    number = fields.CharField(max_length=20, unique=True)
    # customers' Customer, typed as a plain row: settlement imports no other domain (not even
    # for the type checker), and reads nothing of a customer but its id
    customer: fields.ForeignKeyRelation[Model] = foreign_key("opcms.Customer", "invoices")
    customer_id: int
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
            # (issue date): what was invoiced in a date range (the analytics dashboard)
            ("issue_date", "customer_id"),
            # the list's pages by status, customer or period, newest first (migration 0016)
            ("is_deleted", "status", "id"),
            ("is_deleted", "customer_id", "id"),
            ("is_deleted", "period", "id"),
        )
        ordering = ("-id",)


class CreditNote(AuditedModel):
    """A reduction of an issued invoice, as its own numbered document.

    ``applied_amount`` lowered the invoice's outstanding; the rest (``credit_amount``, when the
    invoice was already paid) became customer credit, which allocations can spend like an
    unallocated payment (``unallocated_amount``).
    """

    number = fields.CharField(max_length=20, unique=True)
    invoice: fields.ForeignKeyRelation[Invoice] = foreign_key("opcms.Invoice", "credit_notes")
    invoice_id: int
    customer: fields.ForeignKeyRelation[Model] = foreign_key("opcms.Customer", "credit_notes")
    customer_id: int
    issue_date = fields.DateField()
    currency = fields.CharField(max_length=3, default="CNY")
    amount = fields.DecimalField(max_digits=18, decimal_places=2)
    applied_amount = fields.DecimalField(max_digits=18, decimal_places=2)
    credit_amount = fields.DecimalField(max_digits=18, decimal_places=2)
    allocated_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    unallocated_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    reason = fields.CharField(max_length=255)

    class Meta:
        table = "credit_note"
        ordering = ("-id",)


# --- payments and allocations -------------------------------------------------------------------
class PaymentMethod(str, enum.Enum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CHEQUE = "cheque"
    ONLINE = "online"


class PaymentStatus(str, enum.Enum):
    UNALLOCATED = "unallocated"
    PARTIALLY_ALLOCATED = "partially_allocated"
    ALLOCATED = "allocated"
    VOID = "void"  # entered by mistake: kept, with who voided it, when and why


#: statuses of a payment with money left to allocate (its customer's credit)
WITH_MONEY_LEFT = (PaymentStatus.UNALLOCATED, PaymentStatus.PARTIALLY_ALLOCATED)


class Payment(Voidable, AuditedModel):
    """Money received. Its unallocated remainder is the customer's credit."""

    customer: fields.ForeignKeyNullableRelation[Model] = foreign_key("opcms.Customer", "payments", null=True)
    customer_id: int | None
    amount = fields.DecimalField(max_digits=18, decimal_places=2)
    currency = fields.CharField(max_length=3, default="CNY")
    received_on = fields.DateField()
    method = fields.CharEnumField(PaymentMethod, max_length=16)
    payer_name = fields.CharField(max_length=200, null=True)
    bank_reference = fields.CharField(max_length=64, null=True)
    # the bank reference as compared (trimmed, case-free), NULL when there is none: unique
    # with the method, so the same bank line cannot be entered twice
    reference_key = fields.CharField(max_length=64, null=True)
    remark = fields.CharField(max_length=255, null=True)
    allocated_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    unallocated_amount = fields.DecimalField(max_digits=18, decimal_places=2)
    status = fields.CharEnumField(PaymentStatus, max_length=20, default=PaymentStatus.UNALLOCATED)

    audit_entity = "payment"
    audit_ignored = frozenset({"reference_key"})

    class Meta:
        table = "payment"
        unique_together = (("method", "reference_key"),)
        indexes = (
            ("customer_id", "status"),
            ("received_on",),
            # the list's pages by status or customer, newest first (migration 0016)
            ("is_deleted", "status", "id"),
            ("is_deleted", "customer_id", "id"),
        )
        ordering = ("-id",)


class AllocationSource(str, enum.Enum):
    MANUAL = "manual"
    AUTO = "auto"  # auto-reconcile: a payment with a single exact match
    SUGGESTION = "suggestion"  # a reconciliation suggestion applied as it was offered


class Allocation(AuditedModel):
    """Part of a payment (or of a credit note's credit) applied to one invoice."""

    payment: fields.ForeignKeyNullableRelation[Payment] = foreign_key(
        "opcms.Payment", "allocations", null=True
    )
    payment_id: int | None
    credit_note: fields.ForeignKeyNullableRelation[CreditNote] = foreign_key(
        "opcms.CreditNote", "allocations", null=True
    )
    credit_note_id: int | None
    invoice: fields.ForeignKeyRelation[Invoice] = foreign_key("opcms.Invoice", "allocations")
    invoice_id: int
    customer: fields.ForeignKeyRelation[Model] = foreign_key("opcms.Customer", "allocations")
    customer_id: int
    amount = fields.DecimalField(max_digits=18, decimal_places=2)
    source = fields.CharEnumField(AllocationSource, max_length=16, default=AllocationSource.MANUAL)
    is_reversed = fields.BooleanField(default=False)
    reversed_at = fields.DatetimeField(null=True)
    reversed_by = fields.CharField(max_length=64, null=True)
    reverse_reason = fields.CharField(max_length=255, null=True)

    class Meta:
        table = "allocation"
        indexes = (("invoice_id", "is_reversed"), ("payment_id", "is_reversed"))
        ordering = ("-id",)
