"""Bank statements as stored (DESIGN §17): the statement, its lines with their proposals, the
payer accounts learned from accepted lines, and the saved column mappings.

A statement and its lines are written in one transaction. An incoming line is unique by its
``dedup_key`` (the statement's account with the bank's serial, or with the line's hash when the
bank gives no serial): the same line imported again, from the same file or an overlapping one,
is stored as a ``duplicate`` line (no key) and creates nothing.
"""

from __future__ import annotations

import enum
from typing import Any

from tortoise import fields

from opcms.core.models import AuditedModel, foreign_key


class LineKind(str, enum.Enum):
    INCOMING = "incoming"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"


class LineStatus(str, enum.Enum):
    OPEN = "open"  # waiting for a person (or accept-all)
    ACCEPTED = "accepted"  # a payment recorded, allocated to invoices
    CREDIT = "credit"  # a payment recorded, left as the customer's credit
    CONFLICT = "conflict"  # the bank reference was recorded as a payment by hand meanwhile


class Confidence(str, enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


#: a confidence and every one above it
AT_LEAST: dict[Confidence, tuple[Confidence, ...]] = {
    Confidence.HIGH: (Confidence.HIGH,),
    Confidence.MEDIUM: (Confidence.HIGH, Confidence.MEDIUM),
    Confidence.LOW: (Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW),
}


class MatchedBy(str, enum.Enum):
    AUTO = "auto"  # accepted as proposed (one line or accept-all)
    HAND = "hand"  # accepted with a customer, allocations or parts chosen by a person


class BankStatement(AuditedModel):
    """One imported file."""

    filename = fields.CharField(max_length=255)
    profile = fields.CharField(max_length=64)
    account = fields.CharField(max_length=64, null=True)
    encoding = fields.CharField(max_length=16)
    lines_total = fields.IntField(default=0)
    incoming = fields.IntField(default=0)
    skipped = fields.IntField(default=0)
    duplicates = fields.IntField(default=0)
    incoming_amount = fields.DecimalField(max_digits=18, decimal_places=2, default=0)

    audit_entity = "bank_statement"

    class Meta:
        table = "bank_statements"
        ordering = ("-id",)


class BankStatementLine(AuditedModel):
    """One row of a statement after its header: incoming (a candidate payment), skipped (with
    the reason) or a duplicate of a line imported before."""

    statement: fields.ForeignKeyRelation[BankStatement] = foreign_key("opcms.BankStatement", "lines")
    statement_id: int
    row_number = fields.IntField()
    kind = fields.CharEnumField(LineKind, max_length=16)
    reason = fields.CharField(max_length=32, null=True)
    detail = fields.CharField(max_length=255, null=True)
    booked_on = fields.DateField(null=True)
    booked_at = fields.CharField(max_length=8, null=True)  # HH:MM:SS (a time column is not portable)
    amount = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    balance = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    currency = fields.CharField(max_length=3, default="CNY")
    payer_name = fields.CharField(max_length=200, null=True)
    payer_account = fields.CharField(max_length=64, null=True)
    payer_bank = fields.CharField(max_length=200, null=True)
    summary = fields.CharField(max_length=255, null=True)
    purpose = fields.CharField(max_length=255, null=True)
    serial = fields.CharField(max_length=64, null=True)
    # sha256 of the statement's account and the line's fingerprint
    line_hash = fields.CharField(max_length=64)
    # sha256 of (account, serial) or (account, hash); set on incoming lines only: unique, so a
    # line is stored as incoming once whatever the file it comes in
    dedup_key = fields.CharField(max_length=64, null=True, unique=True)
    # the incoming line this duplicate repeats
    duplicate_of_id = fields.BigIntField(null=True)
    status = fields.CharEnumField(LineStatus, max_length=16, null=True)
    # the proposal (then, once accepted, what was done)
    customer_id = fields.BigIntField(null=True)
    allocations: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    confidence = fields.CharEnumField(Confidence, max_length=8, null=True)
    proposal_reason = fields.CharField(max_length=64, null=True)
    # accepted: the payments recorded (more than one when the line was split across customers)
    payment_id = fields.BigIntField(null=True)
    payments: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    matched_by = fields.CharEnumField(MatchedBy, max_length=8, null=True)
    accepted_at = fields.DatetimeField(null=True)
    accepted_by = fields.CharField(max_length=64, null=True)
    # a conflict: the payment that holds the line's bank reference
    conflict_payment_id = fields.BigIntField(null=True)

    audit_entity = "bank_statement_line"
    audit_ignored = frozenset({"line_hash", "dedup_key"})

    class Meta:
        table = "bank_statement_lines"
        indexes = (("statement_id", "kind", "row_number"), ("statement_id", "status", "confidence"))
        ordering = ("row_number", "id")


class BankPayerAccount(AuditedModel):
    """A payer's bank account known to be a customer's: learned when a line from it is accepted."""

    payer_account = fields.CharField(max_length=64, unique=True)
    customer_id = fields.BigIntField()
    payer_name = fields.CharField(max_length=200, null=True)
    times_matched = fields.IntField(default=1)

    audit_entity = "bank_payer_account"

    class Meta:
        table = "bank_payer_accounts"
        indexes = (("customer_id",),)


class BankStatementProfile(AuditedModel):
    """A column mapping saved by a user (field -> header text), read on top of a bank profile."""

    name = fields.CharField(max_length=64)
    base_profile = fields.CharField(max_length=32, null=True)
    mapping: fields.JSONField[dict[str, str]] = fields.JSONField(default=dict)

    audit_entity = "bank_statement_profile"

    class Meta:
        table = "bank_statement_profiles"
        indexes = (("name",),)
