import enum
import functools
from decimal import Decimal
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


# The choices as this migration wrote them, frozen here: a later change to the live enum
# in the models must not rewrite what this migration did.
class ChunkStatus(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"


class AllocationSource(str, enum.Enum):
    MANUAL = "manual"
    AUTO = "auto"


class InvoiceStatus(str, enum.Enum):
    UNSETTLED = "unsettled"
    PARTIALLY_SETTLED = "partially_settled"
    SETTLED = "settled"
    VOID = "void"


class PaymentMethod(str, enum.Enum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CHEQUE = "cheque"
    ONLINE = "online"


class PaymentStatus(str, enum.Enum):
    UNALLOCATED = "unallocated"
    PARTIALLY_ALLOCATED = "partially_allocated"
    ALLOCATED = "allocated"


class Migration(migrations.Migration):
    dependencies = [("opcms", "0005_pricing_usage_jobs")]

    initial = False

    operations = [
        ops.CreateModel(
            name="DocumentSequence",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("kind", fields.CharField(max_length=8)),
                ("period", fields.CharField(max_length=6)),
                ("last_number", fields.IntField(default=0)),
            ],
            options={
                "table": "document_sequence",
                "app": "opcms",
                "unique_together": (("kind", "period"),),
                "pk_attr": "id",
                "table_description": "The last number given out for one kind of document in one month.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="IdempotencyRecord",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("scope", fields.CharField(max_length=64)),
                ("key", fields.CharField(max_length=128)),
                ("actor", fields.CharField(max_length=64)),
                ("request_hash", fields.CharField(max_length=64)),
                ("response_status", fields.IntField()),
                (
                    "response_body",
                    fields.JSONField(encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "idempotency_record",
                "app": "opcms",
                "unique_together": (("scope", "key"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Invoice",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("number", fields.CharField(unique=True, max_length=20)),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="invoices",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("period", fields.CharField(max_length=7)),
                ("live_period", fields.CharField(null=True, max_length=7)),
                ("issue_date", fields.DateField()),
                ("due_date", fields.DateField()),
                ("currency", fields.CharField(default="CNY", max_length=3)),
                ("customer_code", fields.CharField(max_length=32)),
                ("company_name", fields.CharField(max_length=200)),
                ("subtotal", fields.DecimalField(max_digits=18, decimal_places=2)),
                (
                    "discount_amount",
                    fields.DecimalField(default=Decimal("0.00"), max_digits=18, decimal_places=2),
                ),
                ("total", fields.DecimalField(max_digits=18, decimal_places=2)),
                (
                    "credited_amount",
                    fields.DecimalField(default=Decimal("0.00"), max_digits=18, decimal_places=2),
                ),
                (
                    "paid_amount",
                    fields.DecimalField(default=Decimal("0.00"), max_digits=18, decimal_places=2),
                ),
                ("outstanding", fields.DecimalField(max_digits=18, decimal_places=2)),
                (
                    "status",
                    fields.CharEnumField(
                        default=InvoiceStatus.UNSETTLED,
                        description="UNSETTLED: unsettled\nPARTIALLY_SETTLED: partially_settled\nSETTLED: settled\nVOID: void",
                        enum_type=InvoiceStatus,
                        max_length=20,
                    ),
                ),
                ("settled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("voided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("voided_by", fields.CharField(null=True, max_length=64)),
                ("void_reason", fields.CharField(null=True, max_length=255)),
                ("replaces_id", fields.BigIntField(null=True)),
                ("execution_id", fields.BigIntField(null=True, db_index=True)),
            ],
            options={
                "table": "invoice",
                "app": "opcms",
                "unique_together": (("customer", "live_period"),),
                "indexes": [
                    Index(fields=["period", "status"]),
                    Index(fields=["status", "due_date"]),
                    Index(fields=["customer_id", "status"]),
                ],
                "pk_attr": "id",
                "table_description": "What one customer owes for one month.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="CreditNote",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("number", fields.CharField(unique=True, max_length=20)),
                (
                    "invoice",
                    fields.ForeignKeyField(
                        "opcms.Invoice",
                        source_field="invoice_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="credit_notes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="credit_notes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("issue_date", fields.DateField()),
                ("currency", fields.CharField(default="CNY", max_length=3)),
                ("amount", fields.DecimalField(max_digits=18, decimal_places=2)),
                ("applied_amount", fields.DecimalField(max_digits=18, decimal_places=2)),
                ("credit_amount", fields.DecimalField(max_digits=18, decimal_places=2)),
                (
                    "allocated_amount",
                    fields.DecimalField(default=Decimal("0.00"), max_digits=18, decimal_places=2),
                ),
                (
                    "unallocated_amount",
                    fields.DecimalField(default=Decimal("0.00"), max_digits=18, decimal_places=2),
                ),
                ("reason", fields.CharField(max_length=255)),
            ],
            options={
                "table": "credit_note",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "A reduction of an issued invoice, as its own numbered document.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="InvoiceLine",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "invoice",
                    fields.ForeignKeyField(
                        "opcms.Invoice",
                        source_field="invoice_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("position", fields.IntField()),
                (
                    "subscription",
                    fields.ForeignKeyField(
                        "opcms.Subscription",
                        source_field="subscription_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="invoice_lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "plan",
                    fields.ForeignKeyField(
                        "opcms.PricingPlan",
                        source_field="plan_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="invoice_lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "plan_version",
                    fields.ForeignKeyField(
                        "opcms.PricingPlanVersion",
                        source_field="plan_version_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="invoice_lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "metric",
                    fields.ForeignKeyField(
                        "opcms.UsageMetric",
                        source_field="metric_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="invoice_lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("description", fields.CharField(max_length=255)),
                ("mode", fields.CharField(max_length=16)),
                ("service_from", fields.DateField()),
                ("service_to", fields.DateField()),
                ("days_active", fields.IntField()),
                ("days_in_period", fields.IntField()),
                ("quantity", fields.DecimalField(max_digits=20, decimal_places=4)),
                ("included_quantity", fields.DecimalField(max_digits=20, decimal_places=4)),
                ("billed_quantity", fields.DecimalField(max_digits=20, decimal_places=4)),
                ("usage_amount", fields.DecimalField(max_digits=24, decimal_places=6)),
                ("monthly_fee", fields.DecimalField(max_digits=24, decimal_places=6)),
                ("minimum_top_up", fields.DecimalField(max_digits=24, decimal_places=6)),
                ("discount_percent", fields.DecimalField(max_digits=5, decimal_places=2)),
                ("discount", fields.DecimalField(max_digits=24, decimal_places=6)),
                ("amount", fields.DecimalField(max_digits=18, decimal_places=2)),
                (
                    "breakdown",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
            ],
            options={
                "table": "invoice_line",
                "app": "opcms",
                "unique_together": (("invoice", "position"),),
                "pk_attr": "id",
                "table_description": "One subscription's charge on an invoice: written with the invoice, never changed.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CreditNoteLine",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "credit_note",
                    fields.ForeignKeyField(
                        "opcms.CreditNote",
                        source_field="credit_note_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("position", fields.IntField()),
                (
                    "invoice_line",
                    fields.ForeignKeyField(
                        "opcms.InvoiceLine",
                        source_field="invoice_line_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="credit_note_lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("description", fields.CharField(max_length=255)),
                ("amount", fields.DecimalField(max_digits=18, decimal_places=2)),
            ],
            options={
                "table": "credit_note_line",
                "app": "opcms",
                "unique_together": (("credit_note", "position"),),
                "pk_attr": "id",
                "table_description": "What a credit note takes off: a line of the invoice (or the invoice as a whole).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="InvoiceRunChunk",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "execution",
                    fields.ForeignKeyField(
                        "opcms.TaskExecution",
                        source_field="execution_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="invoice_chunks",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("seq", fields.IntField()),
                (
                    "customer_ids",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=ChunkStatus.PENDING,
                        description="PENDING: pending\nDONE: done",
                        enum_type=ChunkStatus,
                        max_length=16,
                    ),
                ),
                (
                    "counters",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("log_excerpt", fields.TextField(null=True, unique=False)),
                ("finished_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "invoice_run_chunk",
                "app": "opcms",
                "unique_together": (("execution", "seq"),),
                "pk_attr": "id",
                "table_description": "One slice of the customers of an invoice run, billed by one Celery task.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Payment",
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
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="payments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount", fields.DecimalField(max_digits=18, decimal_places=2)),
                ("currency", fields.CharField(default="CNY", max_length=3)),
                ("received_on", fields.DateField()),
                (
                    "method",
                    fields.CharEnumField(
                        description="BANK_TRANSFER: bank_transfer\nCASH: cash\nCHEQUE: cheque\nONLINE: online",
                        enum_type=PaymentMethod,
                        max_length=16,
                    ),
                ),
                ("payer_name", fields.CharField(null=True, max_length=200)),
                ("bank_reference", fields.CharField(null=True, max_length=64)),
                ("reference_key", fields.CharField(null=True, max_length=64)),
                ("remark", fields.CharField(null=True, max_length=255)),
                (
                    "allocated_amount",
                    fields.DecimalField(default=Decimal("0.00"), max_digits=18, decimal_places=2),
                ),
                ("unallocated_amount", fields.DecimalField(max_digits=18, decimal_places=2)),
                (
                    "status",
                    fields.CharEnumField(
                        default=PaymentStatus.UNALLOCATED,
                        description="UNALLOCATED: unallocated\nPARTIALLY_ALLOCATED: partially_allocated\nALLOCATED: allocated",
                        enum_type=PaymentStatus,
                        max_length=20,
                    ),
                ),
            ],
            options={
                "table": "payment",
                "app": "opcms",
                "unique_together": (("method", "reference_key"),),
                "indexes": [Index(fields=["customer_id", "status"]), Index(fields=["received_on"])],
                "pk_attr": "id",
                "table_description": "Money received. Its unallocated remainder is the customer's credit.",
            },
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="Allocation",
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
                    "payment",
                    fields.ForeignKeyField(
                        "opcms.Payment",
                        source_field="payment_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="allocations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "credit_note",
                    fields.ForeignKeyField(
                        "opcms.CreditNote",
                        source_field="credit_note_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="allocations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "invoice",
                    fields.ForeignKeyField(
                        "opcms.Invoice",
                        source_field="invoice_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="allocations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="allocations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount", fields.DecimalField(max_digits=18, decimal_places=2)),
                (
                    "source",
                    fields.CharEnumField(
                        default=AllocationSource.MANUAL,
                        description="MANUAL: manual\nAUTO: auto",
                        enum_type=AllocationSource,
                        max_length=8,
                    ),
                ),
                ("is_reversed", fields.BooleanField(default=False)),
                ("reversed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("reversed_by", fields.CharField(null=True, max_length=64)),
                ("reverse_reason", fields.CharField(null=True, max_length=255)),
            ],
            options={
                "table": "allocation",
                "app": "opcms",
                "indexes": [
                    Index(fields=["invoice_id", "is_reversed"]),
                    Index(fields=["payment_id", "is_reversed"]),
                ],
                "pk_attr": "id",
                "table_description": "Part of a payment (or of a credit note's credit) applied to one invoice.",
            },
            bases=["AuditedModel"],
        ),
        ops.AddField(
            model_name="TaskExecution",
            name="result",
            field=fields.JSONField(
                null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
    ]
