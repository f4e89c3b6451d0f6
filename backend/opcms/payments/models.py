"""Payments received and their allocations to invoices (收款核销, DESIGN §8).

Nothing here is deleted or edited after the fact: an allocation is reversed (it stays, marked
reversed), and the running amounts of a payment change only under its row lock in the same
transaction as the allocation or reversal that changes them.
"""

from __future__ import annotations

import enum
from decimal import Decimal

from tortoise import fields

from opcms.core.models import AuditedModel

ZERO = Decimal("0.00")


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


class Payment(AuditedModel):
    """Money received. Its unallocated remainder is the customer's credit."""

    customer = fields.ForeignKeyField(
        "opcms.Customer", related_name="payments", null=True, on_delete=fields.RESTRICT
    )
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
    voided_at = fields.DatetimeField(null=True)
    voided_by = fields.CharField(max_length=64, null=True)
    void_reason = fields.CharField(max_length=255, null=True)

    audit_entity = "payment"
    audit_ignored = frozenset({"reference_key"})

    class Meta:
        table = "payment"
        unique_together = (("method", "reference_key"),)
        indexes = (("customer_id", "status"), ("received_on",))
        ordering = ("-id",)


class AllocationSource(str, enum.Enum):
    MANUAL = "manual"
    AUTO = "auto"  # auto-reconcile: a payment with a single exact match


class Allocation(AuditedModel):
    """Part of a payment (or of a credit note's credit) applied to one invoice."""

    payment = fields.ForeignKeyField(
        "opcms.Payment", related_name="allocations", null=True, on_delete=fields.RESTRICT
    )
    credit_note = fields.ForeignKeyField(
        "opcms.CreditNote", related_name="allocations", null=True, on_delete=fields.RESTRICT
    )
    invoice = fields.ForeignKeyField("opcms.Invoice", related_name="allocations", on_delete=fields.RESTRICT)
    customer = fields.ForeignKeyField("opcms.Customer", related_name="allocations", on_delete=fields.RESTRICT)
    amount = fields.DecimalField(max_digits=18, decimal_places=2)
    source = fields.CharEnumField(AllocationSource, max_length=8, default=AllocationSource.MANUAL)
    is_reversed = fields.BooleanField(default=False)
    reversed_at = fields.DatetimeField(null=True)
    reversed_by = fields.CharField(max_length=64, null=True)
    reverse_reason = fields.CharField(max_length=255, null=True)

    audit_entity = "allocation"

    class Meta:
        table = "allocation"
        indexes = (("invoice_id", "is_reversed"), ("payment_id", "is_reversed"))
        ordering = ("-id",)
