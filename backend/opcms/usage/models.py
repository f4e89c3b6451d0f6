"""Where usage comes from (data sources, account mappings), what was measured (usage records)
and what needs a person's eye before it is billed (usage anomalies). DESIGN §6.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from opcms.core.models import AuditedModel, foreign_key

if TYPE_CHECKING:
    from opcms.customers.models import Customer
    from opcms.pricing.models import UsageMetric


class DataSource(AuditedModel):
    """A vendor feed: which adapter reads it, its settings, and its secrets (encrypted)."""

    name = fields.CharField(max_length=64, unique=True)
    adapter = fields.CharField(max_length=32)
    settings: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # Fernet token of the JSON secrets (core/secrets.py); never answered by the API
    secrets_encrypted = fields.TextField(null=True)
    is_enabled = fields.BooleanField(default=True)
    timeout_seconds = fields.IntField(default=30)
    remark = fields.CharField(max_length=255, null=True)

    audit_masked = frozenset({"secrets_encrypted"})

    class Meta:
        table = "data_source"
        ordering = ("name",)


class CustomerSourceAccount(AuditedModel):
    """The account id a vendor uses for one of our customers."""

    customer: fields.ForeignKeyRelation[Customer] = foreign_key("opcms.Customer", "source_accounts")
    customer_id: int
    source: fields.ForeignKeyRelation[DataSource] = foreign_key("opcms.DataSource", "accounts")
    source_id: int
    external_account = fields.CharField(max_length=64)
    # unique among live mappings: NULL once soft-deleted (NULLs never collide). Case-free, as
    # vendor rows are matched (account_key_of): `ACCT-1` and `acct-1` are one account on every
    # database, whatever its collation
    account_key = fields.CharField(max_length=64, null=True)

    audit_ignored = frozenset({"account_key"})

    class Meta:
        table = "customer_source_account"
        unique_together = (("source", "account_key"),)

    async def save(
        self,
        using_db: BaseDBAsyncClient | None = None,
        update_fields: Iterable[str] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.account_key = None if self.is_deleted else account_key_of(self.external_account)
        if update_fields is not None:
            update_fields = [*update_fields, "account_key"]
        await super().save(using_db, update_fields, *args, **kwargs)


def account_key_of(external_account: str) -> str:
    """How a vendor account is compared: without regard to letter case."""
    return external_account.casefold()[:64]


class UsageRecord(Model):
    """Billable usage of one customer, metric and day as one source reported it.

    Written in bulk by the pull (one audit row per pull, not per record: the task execution
    says what was written). A re-pull updates the row in place, never adds a second one.
    """

    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = foreign_key("opcms.Customer", "usage_records")
    customer_id: int
    metric: fields.ForeignKeyRelation[UsageMetric] = foreign_key("opcms.UsageMetric", "usage_records")
    metric_id: int
    usage_day = fields.DateField()
    source: fields.ForeignKeyRelation[DataSource] = foreign_key("opcms.DataSource", "usage_records")
    source_id: int
    quantity = fields.DecimalField(max_digits=20, decimal_places=4)
    # written for a period that already had a non-void invoice: regenerate picks it up
    is_late = fields.BooleanField(default=False)
    late_at = fields.DatetimeField(null=True)
    # the anomaly whose acceptance or correction produced this value, if any
    anomaly_id = fields.BigIntField(null=True)
    execution_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "usage_record"
        unique_together = (("customer", "metric", "usage_day", "source"),)
        indexes = (("usage_day", "customer_id"),)


class AnomalyKind(str, enum.Enum):
    UNKNOWN_ACCOUNT = "unknown_account"
    UNKNOWN_METRIC = "unknown_metric"
    INVALID_QUANTITY = "invalid_quantity"
    NEGATIVE_QUANTITY = "negative_quantity"
    DAY_OUTSIDE_REQUEST = "day_outside_request"
    SPIKE = "spike"


class AnomalyStatus(str, enum.Enum):
    OPEN = "open"
    ACCEPTED = "accepted"
    CORRECTED = "corrected"
    REJECTED = "rejected"


class UsageAnomaly(AuditedModel):
    """A vendor row held back from billing until an operator accepts, corrects or rejects it."""

    source: fields.ForeignKeyRelation[DataSource] = foreign_key("opcms.DataSource", "anomalies")
    source_id: int
    kind = fields.CharEnumField(AnomalyKind, max_length=24)
    status = fields.CharEnumField(AnomalyStatus, max_length=16, default=AnomalyStatus.OPEN)
    # the row as the vendor sent it
    external_account = fields.CharField(max_length=64)
    metric_code = fields.CharField(max_length=64)
    raw_day = fields.CharField(max_length=32)
    raw_quantity = fields.CharField(max_length=64)
    # what we could make of it
    customer: fields.ForeignKeyNullableRelation[Customer] = foreign_key(
        "opcms.Customer", "usage_anomalies", null=True
    )
    customer_id: int | None
    metric: fields.ForeignKeyNullableRelation[UsageMetric] = foreign_key(
        "opcms.UsageMetric", "anomalies", null=True
    )
    metric_id: int | None
    usage_day = fields.DateField(null=True)
    quantity = fields.DecimalField(max_digits=20, decimal_places=4, null=True)
    detail = fields.CharField(max_length=255, default="")
    # the review
    corrected_quantity = fields.DecimalField(max_digits=20, decimal_places=4, null=True)
    resolution_reason = fields.CharField(max_length=255, null=True)
    resolved_by = fields.CharField(max_length=64, null=True)
    resolved_at = fields.DatetimeField(null=True)
    execution_id = fields.BigIntField(null=True)
    # one anomaly per vendor row: (source, account, metric, day) — a re-pull updates it
    row_key = fields.CharField(max_length=191, unique=True)

    audit_ignored = frozenset({"row_key"})

    class Meta:
        table = "usage_anomaly"
        indexes = (("status", "kind"),)
        ordering = ("-id",)
