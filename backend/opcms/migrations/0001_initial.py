import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="AuditLog",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("occurred_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ("actor", fields.CharField(db_index=True, max_length=64)),
                ("actor_user_id", fields.BigIntField(null=True)),
                ("action", fields.CharField(db_index=True, max_length=32)),
                ("entity_type", fields.CharField(max_length=64)),
                ("entity_id", fields.CharField(null=True, max_length=64)),
                (
                    "before",
                    fields.JSONField(
                        null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "after",
                    fields.JSONField(
                        null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("message", fields.CharField(default="", max_length=255)),
                ("request_id", fields.CharField(null=True, max_length=64)),
                ("client_ip", fields.CharField(null=True, max_length=45)),
            ],
            options={
                "table": "audit_log",
                "app": "opcms",
                "indexes": [Index(fields=["entity_type", "entity_id"])],
                "pk_attr": "id",
                "table_description": "An immutable record of one write. Never updated, never deleted.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LoginThrottle",
            fields=[
                ("key", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=128)),
                ("failures", fields.IntField(default=0)),
                ("window_started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("locked_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "auth_login_throttle",
                "app": "opcms",
                "pk_attr": "key",
                "table_description": "Failed-login counter for one key (``user:<name>`` or ``ip:<address>``).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("created_by", fields.CharField(null=True, max_length=64)),
                ("updated_by", fields.CharField(null=True, max_length=64)),
                ("is_deleted", fields.BooleanField(default=False, db_index=True)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_by", fields.CharField(null=True, max_length=64)),
                ("username", fields.CharField(unique=True, max_length=64)),
                ("display_name", fields.CharField(default="", max_length=128)),
                ("role", fields.CharField(max_length=16)),
                ("password_hash", fields.CharField(max_length=255)),
                ("is_active", fields.BooleanField(default=True)),
                ("last_login_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "auth_user", "app": "opcms", "pk_attr": "id"},
            bases=["AuditedModel"],
        ),
        ops.CreateModel(
            name="TokenFamily",
            fields=[
                ("id", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "opcms.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="token_families",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_reason", fields.CharField(null=True, max_length=32)),
            ],
            options={
                "table": "auth_token_family",
                "app": "opcms",
                "pk_attr": "id",
                "table_description": "One login: every access and refresh token it begets shares the family.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RefreshToken",
            fields=[
                ("jti", fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                (
                    "family",
                    fields.ForeignKeyField(
                        "opcms.TokenFamily",
                        source_field="family_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="refresh_tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("issued_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "auth_refresh_token",
                "app": "opcms",
                "pk_attr": "jti",
                "table_description": "A refresh token is single use: using it marks it used and issues its successor.",
            },
            bases=["Model"],
        ),
    ]
