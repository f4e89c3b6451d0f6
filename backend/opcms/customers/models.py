"""Customer profiles, their status history, and the dictionaries (industry, level)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from opcms.core.models import AuditedModel, foreign_key
from opcms.core.text import fold_key

if TYPE_CHECKING:
    from opcms.auth.models import User


class CustomerStatus(str, enum.Enum):
    PROSPECT = "prospect"
    TRIAL = "trial"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


STATUS_LABELS = {
    CustomerStatus.PROSPECT: "潜在",
    CustomerStatus.TRIAL: "试用",
    CustomerStatus.ACTIVE: "正常",
    CustomerStatus.SUSPENDED: "暂停",
    CustomerStatus.CLOSED: "注销",
}
#: the same in English: each folds to its status's code, so an English export imports back
STATUS_LABELS_EN = {status: status.value.capitalize() for status in CustomerStatus}


#: the latest nightly scores kept on the customer row: written by the scoring job alone, never
#: by a profile's create, edit or import (NULL until the first scoring)
SCORE_FIELDS = ("value_tier", "lifecycle", "churn_score", "churn_level", "credit_score", "scored_on")


class Customer(AuditedModel):
    customer_code = fields.CharField(max_length=32, db_index=True)
    company_name = fields.CharField(max_length=200)
    short_name = fields.CharField(max_length=100, null=True)
    credit_code = fields.CharField(max_length=18, null=True)
    industry = fields.CharField(max_length=32, null=True, db_index=True)
    level = fields.CharField(max_length=16, null=True, db_index=True)
    status = fields.CharEnumField(
        CustomerStatus, max_length=16, default=CustomerStatus.PROSPECT, db_index=True
    )
    owner: fields.ForeignKeyNullableRelation[User] = foreign_key("opcms.User", "customers", null=True)
    owner_id: int | None
    contact_name = fields.CharField(max_length=64, null=True)
    contact_phone = fields.CharField(max_length=20, null=True)
    contact_email = fields.CharField(max_length=254, null=True)
    province = fields.CharField(max_length=32, null=True, db_index=True)
    city = fields.CharField(max_length=32, null=True)
    address = fields.CharField(max_length=255, null=True)
    signed_at = fields.DateField(null=True, db_index=True)
    contract_end_at = fields.DateField(null=True, db_index=True)
    payment_terms_days = fields.IntField(default=30)
    credit_limit = fields.DecimalField(max_digits=18, decimal_places=2, default=0)
    remark = fields.TextField(null=True)
    # The latest nightly scores (written by the analytics scoring job, history in customer_score),
    # kept on the row so that the list filters and sorts by them through its own indexes.
    value_tier = fields.CharField(max_length=1, null=True, db_index=True)
    lifecycle = fields.CharField(max_length=16, null=True, db_index=True)
    churn_score = fields.IntField(null=True, db_index=True)
    churn_level = fields.CharField(max_length=8, null=True, db_index=True)
    credit_score = fields.IntField(null=True, db_index=True)
    scored_on = fields.DateField(null=True)
    # Uniqueness among live rows, enforced by the database: the keys are NULL once a row is
    # soft-deleted (NULLs never collide); code_key is the case-free code, name_key the folded,
    # case-free name.
    code_key = fields.CharField(max_length=32, null=True, unique=True)
    name_key = fields.CharField(max_length=200, null=True, unique=True)

    # derived columns: the keys, and the scores (the scoring job's execution records their runs)
    audit_ignored = frozenset({"code_key", "name_key", *SCORE_FIELDS})

    class Meta:
        table = "customer"
        # the list's pages (migration 0016): each filter or sort key after is_deleted, then the
        # id, so the ids of a page come from the index in order, neither rows read nor sorted
        indexes = (
            ("is_deleted", "status", "customer_code", "id"),
            ("is_deleted", "status", "id"),
            ("is_deleted", "owner_id", "id"),
            ("is_deleted", "customer_code", "id"),
            ("is_deleted", "company_name", "id"),
        )

    @property
    def owner_name(self) -> str | None:
        """The owner's display name when the owner was fetched with the row (select_related)."""
        owner = self.__dict__.get("_owner")
        return (owner.display_name or owner.username) if owner is not None else None

    def refresh_keys(self) -> None:
        self.code_key = None if self.is_deleted else code_key(self.customer_code)
        self.name_key = None if self.is_deleted else name_key(self.company_name)

    async def save(
        self,
        using_db: BaseDBAsyncClient | None = None,
        update_fields: Iterable[str] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.refresh_keys()
        if update_fields is not None:
            update_fields = [*update_fields, "code_key", "name_key"]
        await super().save(using_db, update_fields, *args, **kwargs)


def code_key(customer_code: str) -> str:
    """Codes are case-free (``c001`` is ``C001``) on every database, whatever its collation."""
    return customer_code.casefold()


def name_key(company_name: str) -> str:
    """Two names are the same company when they fold to the same key (DESIGN §3)."""
    return fold_key(company_name)[:200]


class CustomerStatusHistory(Model):
    """Every status transition: append-only."""

    id = fields.BigIntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = foreign_key("opcms.Customer", "status_history")
    customer_id: int
    from_status = fields.CharField(max_length=16, null=True)
    to_status = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=255, default="")
    # set by the account automation: "overdue" on its suspensions, so that only a customer
    # suspended for overdue is reactivated when the overdue invoices are settled
    cause = fields.CharField(max_length=16, null=True)
    actor = fields.CharField(max_length=64)
    changed_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "customer_status_history"
        ordering = ("id",)


class DictionaryKind(str, enum.Enum):
    INDUSTRY = "industry"
    LEVEL = "level"


class DictionaryEntry(AuditedModel):
    """One value of a dictionary (e.g. level ``A``), with the synonyms the import accepts.

    ``label`` is the Chinese label, ``label_en`` the English one ("" when not translated yet: the
    UI then shows ``label``)."""

    kind = fields.CharEnumField(DictionaryKind, max_length=16)
    code = fields.CharField(max_length=32)
    label = fields.CharField(max_length=64)
    label_en = fields.CharField(max_length=64, default="", db_default="")
    synonyms: fields.JSONField[list[str]] = fields.JSONField(default=list)
    sort_order = fields.IntField(default=0)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "dictionary_entry"
        unique_together = (("kind", "code"),)
        ordering = ("kind", "sort_order", "id")
