"""Bank statements (issue 18): the imported statements, their lines with the proposals, the
payer accounts learned from accepted lines, and the saved column mappings."""

import enum
import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


# The choices as this migration wrote them, frozen here: a later change to the live enums in
# the models must not rewrite what this migration did.
class LineKind(str, enum.Enum):
    INCOMING = "incoming"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"


class LineStatus(str, enum.Enum):
    OPEN = "open"
    ACCEPTED = "accepted"
    CREDIT = "credit"
    CONFLICT = "conflict"


class Confidence(str, enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class MatchedBy(str, enum.Enum):
    AUTO = "auto"
    HAND = "hand"


class Migration(migrations.Migration):
    dependencies = [("opcms", "0016_list_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="BankPayerAccount",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("payer_account", fields.CharField(unique=True, max_length=64)),
                ("customer_id", fields.BigIntField()),
                ("payer_name", fields.CharField(null=True, max_length=200)),
                ("times_matched", fields.IntField(default=1)),
            ],
            options={
                "table": "bank_payer_accounts",
                "app": "opcms",
                "indexes": [Index(fields=["customer_id"])],
                "pk_attr": "id",
                "table_description": "A payer's bank account known to be a customer's: learned when a line from it is accepted.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="BankStatement",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("filename", fields.CharField(max_length=255)),
                ("profile", fields.CharField(max_length=64)),
                ("account", fields.CharField(null=True, max_length=64)),
                ("encoding", fields.CharField(max_length=16)),
                ("lines_total", fields.IntField(default=0)),
                ("incoming", fields.IntField(default=0)),
                ("skipped", fields.IntField(default=0)),
                ("duplicates", fields.IntField(default=0)),
                ("incoming_amount", fields.DecimalField(default=0, max_digits=18, decimal_places=2)),
            ],
            options={
                "table": "bank_statements",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "One imported file.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="BankStatementLine",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                (
                    "statement",
                    fields.ForeignKeyField(
                        "opcms.BankStatement",
                        source_field="statement_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("row_number", fields.IntField()),
                (
                    "kind",
                    fields.CharEnumField(
                        description="INCOMING: incoming\nSKIPPED: skipped\nDUPLICATE: duplicate",
                        enum_type=LineKind,
                        max_length=16,
                    ),
                ),
                ("reason", fields.CharField(null=True, max_length=32)),
                ("detail", fields.CharField(null=True, max_length=255)),
                ("booked_on", fields.DateField(null=True)),
                ("booked_at", fields.CharField(null=True, max_length=8)),
                ("amount", fields.DecimalField(null=True, max_digits=18, decimal_places=2)),
                ("balance", fields.DecimalField(null=True, max_digits=18, decimal_places=2)),
                ("currency", fields.CharField(default="CNY", max_length=3)),
                ("payer_name", fields.CharField(null=True, max_length=200)),
                ("payer_account", fields.CharField(null=True, max_length=64)),
                ("payer_bank", fields.CharField(null=True, max_length=200)),
                ("summary", fields.CharField(null=True, max_length=255)),
                ("purpose", fields.CharField(null=True, max_length=255)),
                ("serial", fields.CharField(null=True, max_length=64)),
                ("line_hash", fields.CharField(max_length=64)),
                ("dedup_key", fields.CharField(null=True, unique=True, max_length=64)),
                ("duplicate_of_id", fields.BigIntField(null=True)),
                (
                    "status",
                    fields.CharEnumField(
                        null=True,
                        description="OPEN: open\nACCEPTED: accepted\nCREDIT: credit\nCONFLICT: conflict",
                        enum_type=LineStatus,
                        max_length=16,
                    ),
                ),
                ("customer_id", fields.BigIntField(null=True)),
                (
                    "allocations",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "confidence",
                    fields.CharEnumField(
                        null=True,
                        description="HIGH: high\nMEDIUM: medium\nLOW: low",
                        enum_type=Confidence,
                        max_length=8,
                    ),
                ),
                ("proposal_reason", fields.CharField(null=True, max_length=64)),
                ("payment_id", fields.BigIntField(null=True)),
                (
                    "payments",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "matched_by",
                    fields.CharEnumField(
                        null=True, description="AUTO: auto\nHAND: hand", enum_type=MatchedBy, max_length=8
                    ),
                ),
                ("accepted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("accepted_by", fields.CharField(null=True, max_length=64)),
                ("conflict_payment_id", fields.BigIntField(null=True)),
            ],
            options={
                "table": "bank_statement_lines",
                "app": "opcms",
                "indexes": [
                    Index(fields=["statement_id", "kind", "row_number"]),
                    Index(fields=["statement_id", "status", "confidence"]),
                ],
                "pk_attr": "id",
                "table_description": "One row of a statement after its header: incoming (a candidate payment), skipped (with",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="BankStatementProfile",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("name", fields.CharField(max_length=64)),
                ("base_profile", fields.CharField(null=True, max_length=32)),
                (
                    "mapping",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
            ],
            options={
                "table": "bank_statement_profiles",
                "app": "opcms",
                "indexes": [Index(fields=["name"])],
                "pk_attr": "id",
                "table_description": "A column mapping saved by a user (field -> header text), read on top of a bank profile.",
            },
            bases=["AuditedModel"],
        ),
    ]
