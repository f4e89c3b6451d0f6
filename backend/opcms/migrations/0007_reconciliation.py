import enum

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from opcms.core.migration_ops import AlterFieldStateOnly


# The choices as this migration wrote them, frozen here: a later change to the live enum
# in the models must not rewrite what this migration did.
class PaymentStatus(str, enum.Enum):
    UNALLOCATED = "unallocated"
    PARTIALLY_ALLOCATED = "partially_allocated"
    ALLOCATED = "allocated"
    VOID = "void"


class Migration(migrations.Migration):
    dependencies = [("opcms", "0006_billing_payments")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Invoice",
            index=Index(fields=["customer_id", "due_date"]),
        ),
        ops.AddIndex(
            model_name="Invoice",
            index=Index(fields=["customer_id", "outstanding"]),
        ),
        # a new status value (void): the VARCHAR column is unchanged; a real AlterField would
        # rebuild the table on SQLite and lose its unique (method, reference_key) key
        AlterFieldStateOnly(
            model_name="Payment",
            name="status",
            field=fields.CharEnumField(
                default=PaymentStatus.UNALLOCATED,
                description="UNALLOCATED: unallocated\nPARTIALLY_ALLOCATED: partially_allocated\nALLOCATED: allocated\nVOID: void",
                enum_type=PaymentStatus,
                max_length=20,
            ),
        ),
        ops.AddField(
            model_name="Payment",
            name="void_reason",
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name="Payment",
            name="voided_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Payment",
            name="voided_by",
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
