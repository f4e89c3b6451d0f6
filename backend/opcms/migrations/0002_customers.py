import enum
import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


# The choices as this migration wrote them, frozen here: a later change to the live enum
# in the models must not rewrite what this migration did.
class CustomerStatus(str, enum.Enum):
    PROSPECT = "prospect"
    TRIAL = "trial"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class DictionaryKind(str, enum.Enum):
    INDUSTRY = "industry"
    LEVEL = "level"


class Migration(migrations.Migration):
    dependencies = [("opcms", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Customer",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("customer_code", fields.CharField(db_index=True, max_length=32)),
                ("company_name", fields.CharField(max_length=200)),
                ("short_name", fields.CharField(null=True, max_length=100)),
                ("credit_code", fields.CharField(null=True, max_length=18)),
                ("industry", fields.CharField(null=True, db_index=True, max_length=32)),
                ("level", fields.CharField(null=True, db_index=True, max_length=16)),
                (
                    "status",
                    fields.CharEnumField(
                        default=CustomerStatus.PROSPECT,
                        db_index=True,
                        description="PROSPECT: prospect\nTRIAL: trial\nACTIVE: active\nSUSPENDED: suspended\nCLOSED: closed",
                        enum_type=CustomerStatus,
                        max_length=16,
                    ),
                ),
                (
                    "owner",
                    fields.ForeignKeyField(
                        "opcms.User",
                        source_field="owner_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="customers",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("contact_name", fields.CharField(null=True, max_length=64)),
                ("contact_phone", fields.CharField(null=True, max_length=20)),
                ("contact_email", fields.CharField(null=True, max_length=254)),
                ("province", fields.CharField(null=True, db_index=True, max_length=32)),
                ("city", fields.CharField(null=True, max_length=32)),
                ("address", fields.CharField(null=True, max_length=255)),
                ("signed_at", fields.DateField(null=True, db_index=True)),
                ("contract_end_at", fields.DateField(null=True, db_index=True)),
                ("payment_terms_days", fields.IntField(default=30)),
                ("credit_limit", fields.DecimalField(default=0, max_digits=18, decimal_places=2)),
                ("remark", fields.TextField(null=True, unique=False)),
                ("code_key", fields.CharField(null=True, unique=True, max_length=32)),
                ("name_key", fields.CharField(null=True, unique=True, max_length=200)),
            ],
            options={"table": "customer", "app": "opcms", "pk_attr": "id"},
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="CustomerStatusHistory",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "opcms.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="status_history",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("from_status", fields.CharField(null=True, max_length=16)),
                ("to_status", fields.CharField(max_length=16)),
                ("reason", fields.CharField(default="", max_length=255)),
                ("actor", fields.CharField(max_length=64)),
                ("changed_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "customer_status_history",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "Every status transition: append-only.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DictionaryEntry",
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
                    "kind",
                    fields.CharEnumField(
                        description="INDUSTRY: industry\nLEVEL: level",
                        enum_type=DictionaryKind,
                        max_length=16,
                    ),
                ),
                ("code", fields.CharField(max_length=32)),
                ("label", fields.CharField(max_length=64)),
                (
                    "synonyms",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("sort_order", fields.IntField(default=0)),
                ("is_active", fields.BooleanField(default=True)),
            ],
            options={
                "table": "dictionary_entry",
                "app": "opcms",
                "unique_together": (("kind", "code"),),
                "pk_attr": "id",
                "table_description": "One value of a dictionary (e.g. level ``A``), with the synonyms the import accepts.",
            },
            bases=["AuditedModel"],
        ),
    ]
