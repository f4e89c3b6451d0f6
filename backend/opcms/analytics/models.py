"""The nightly customer scores, one row per customer per day, kept as history.

The latest scores are also copied onto the customer row (``Customer.value_tier`` …) by the
same job, so the customer list filters and sorts by them with its own indexes.
"""

from __future__ import annotations

import enum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from opcms.core.models import foreign_key


class ValueTier(str, enum.Enum):
    S = "S"
    A = "A"
    B = "B"
    C = "C"


class Lifecycle(str, enum.Enum):
    NEW = "new"
    GROWING = "growing"
    STABLE = "stable"
    DECLINING = "declining"
    DORMANT = "dormant"
    CLOSED = "closed"


class ChurnLevel(str, enum.Enum):
    NONE = "none"
    WATCH = "watch"
    HIGH = "high"


class CustomerScore(Model):
    """What the scoring job concluded about one customer on one day, with its reasons.

    Derived data, written in bulk by the job (its task execution records the run): re-running a
    day replaces that day's rows, so the job is idempotent per date."""

    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Model] = foreign_key("opcms.Customer", "scores")
    customer_id: int
    score_day = fields.DateField()
    value_tier = fields.CharField(max_length=1)
    trailing_invoiced = fields.DecimalField(max_digits=18, decimal_places=2)
    lifecycle = fields.CharField(max_length=16)
    churn_score = fields.IntField()
    churn_level = fields.CharField(max_length=8)
    # [{"code", "points", "value", "message"}]: why the churn score is what it is
    churn_reasons: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    credit_score = fields.IntField()
    # [{"code", "points", "max_points", "value", "message"}]: points add up to credit_score
    credit_factors: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    computed_at = fields.DatetimeField()
    execution_id = fields.BigIntField(null=True)

    class Meta:
        table = "customer_score"
        unique_together = (("customer", "score_day"),)
        indexes = (("score_day", "churn_level"),)
        ordering = ("-score_day",)
