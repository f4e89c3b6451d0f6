"""Customer request and response shapes. Field rules come from ``customers.rules`` so the
API and the Excel import judge a value the same way."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from opcms.core.i18n import Invalid
from opcms.core.list_pages import TOTAL_IS_ESTIMATE
from opcms.core.money import NonNegativeAmount
from opcms.core.schemas import (
    MAX_ID,
    Id,
    MultiLine,
    Page,
    PageQuery,
    PatchSchema,
    PublicSchema,
    Schema,
    sort_by,
)
from opcms.core.text import blank_to_none, fold
from opcms.customers import rules
from opcms.customers.models import DictionaryKind

# an address whose part before the @-sign is plain dot-atom text (RFC 5322 3.2.3, ASCII): the
# library accepts such a part as it is, so only its domain needs the library's checks
_ATEXT = r"[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+"
# the domain in the characters a host name may hold (no quote, bracket or angle bracket that would
# make the library read the address another way)
_PLAIN_ADDRESS = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([a-zA-Z0-9\-.\u0080-\U0010ffff]+)")
_LONGEST_ADDRESS, _LONGEST_LOCAL_PART = 254, 64


@lru_cache(maxsize=1024)
def _accepted_domain(domain: str) -> tuple[str, str] | None:
    """The domain's normalized and IDNA ASCII forms when the library accepts it after a plain
    part, else None (the whole address then goes through the library, for its own message)."""
    try:
        checked = validate_email("a@" + domain, check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.domain, checked.ascii_domain


def _plain_email(value: str) -> str | None:
    """``validate_email(value).normalized`` for a plain address with an accepted domain, the
    domain checked once per distinct domain (an import repeats a few domains over many rows);
    None when the address needs the library's full reading."""
    plain = _PLAIN_ADDRESS.fullmatch(value)
    if plain is None:
        return None
    local, domain = plain.groups()
    if len(local) > _LONGEST_LOCAL_PART or local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
        return None
    forms = _accepted_domain(domain)
    if forms is None:
        return None
    normalized = f"{local}@{forms[0]}"
    for address in (value, normalized, f"{local}@{forms[1]}"):
        if len(address.encode()) > _LONGEST_ADDRESS:
            return None
    return normalized


def _email(value: str) -> str:
    folded = fold(value)
    plain = _plain_email(folded)
    if plain is not None:
        return plain
    try:
        return validate_email(folded, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise Invalid("email_invalid", "{error}", error=str(error)) from None


Blank = BeforeValidator(blank_to_none)
Code = Annotated[str, AfterValidator(rules.clean_customer_code)]
CompanyName = Annotated[str, AfterValidator(rules.clean_company_name)]
CreditCode = Annotated[str | None, Blank, AfterValidator(lambda v: v and rules.clean_credit_code(v))]
Phone = Annotated[str | None, Blank, AfterValidator(lambda v: v and rules.clean_phone(v))]
Email = Annotated[str | None, Blank, AfterValidator(lambda v: v and _email(v))]
# optional text of at most N characters (the column's length), blank meaning none
Text16 = Annotated[Annotated[str, Field(max_length=16)] | None, Blank]
Text32 = Annotated[Annotated[str, Field(max_length=32)] | None, Blank]
Text64 = Annotated[Annotated[str, Field(max_length=64)] | None, Blank]
Text100 = Annotated[Annotated[str, Field(max_length=100)] | None, Blank]
Text255 = Annotated[Annotated[str, Field(max_length=255)] | None, Blank]
Text2000 = Annotated[Annotated[str, Field(max_length=2000)] | None, Blank]
Status = Literal["prospect", "trial", "active", "suspended", "closed"]
# the customer's latest scores, written by the nightly scoring (DESIGN §11)
Lifecycle = Literal["new", "growing", "stable", "declining", "dormant", "closed"]
ChurnLevel = Literal["none", "watch", "high"]


class CustomerFields(Schema):
    short_name: Text100 = None
    credit_code: CreditCode = None
    industry: Text32 = Field(default=None, description="code, Chinese label or synonym")
    level: Text16 = Field(default=None, description="code, Chinese label or synonym")
    owner_id: Id | None = None
    contact_name: Text64 = None
    contact_phone: Phone = None
    contact_email: Email = None
    province: Text32 = None
    city: Text32 = None
    address: Annotated[Text255, MultiLine] = None
    signed_at: dt.date | None = None
    contract_end_at: dt.date | None = None
    remark: Annotated[Text2000, MultiLine] = None

    @field_validator("contract_end_at")
    @classmethod
    def _contract_dates(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        # a field validator (not a model one) so the error names contract_end_at
        signed = info.data.get("signed_at")
        if value and signed and value < signed:
            raise Invalid("not_before", "must not be before {other}", other="signed_at")
        return value


class CustomerCreate(CustomerFields):
    customer_code: Code
    company_name: CompanyName
    status: Status = "prospect"
    payment_terms_days: int = Field(default=30, ge=0, le=3650)
    credit_limit: NonNegativeAmount = Decimal("0")


class CustomerUpdate(CustomerFields, PatchSchema):
    """Partial update: only the fields sent change (null clears an optional one). Status moves
    through /status."""

    not_null = ("customer_code", "company_name", "payment_terms_days", "credit_limit")

    customer_code: Code | None = None
    company_name: CompanyName | None = None
    payment_terms_days: int | None = Field(default=None, ge=0, le=3650)
    credit_limit: NonNegativeAmount | None = None


class StatusHistoryPublic(PublicSchema):
    from_status: str | None
    to_status: str
    reason: str
    actor: str
    changed_at: dt.datetime


class CustomerPublic(PublicSchema):
    id: int
    customer_code: str
    company_name: str
    short_name: str | None
    credit_code: str | None
    industry: str | None
    level: str | None
    status: Status
    owner_id: int | None
    owner_name: str | None = Field(default=None, description="display name of the owner")
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    province: str | None
    city: str | None
    address: str | None
    signed_at: dt.date | None
    contract_end_at: dt.date | None
    payment_terms_days: int
    credit_limit: NonNegativeAmount
    remark: str | None
    value_tier: Literal["S", "A", "B", "C"] | None = Field(
        default=None, description="value tier from trailing-12-month invoiced (latest nightly scores)"
    )
    lifecycle: Lifecycle | None = None
    churn_score: int | None = None
    churn_level: ChurnLevel | None = None
    credit_score: int | None = None
    scored_on: dt.date | None = Field(default=None, description="the day the scores above were computed for")
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    updated_by: str | None
    is_deleted: bool
    deleted_at: dt.datetime | None
    deleted_by: str | None


class AuditEntry(PublicSchema):
    occurred_at: dt.datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    message: str


class CustomerDetail(CustomerPublic):
    status_history: list[StatusHistoryPublic]
    audit_trail: list[AuditEntry]


class CustomerPage(Page[CustomerPublic]):
    total_is_estimate: bool = Field(default=False, description=TOTAL_IS_ESTIMATE)


#: who may read soft-deleted customers (their list, a record, its credit): admins and auditors
SEES_DELETED = "customers_deleted:read"


class CustomerRecordQuery(Schema):
    include_deleted: bool = Field(
        default=False,
        description="true: answer a soft-deleted customer too (needs customers_deleted:read); "
        "without it a deleted customer is a 404",
    )


SORTABLE = (
    "id",
    "customer_code",
    "company_name",
    "status",
    "level",
    "industry",
    "province",
    "signed_at",
    "contract_end_at",
    "credit_limit",
    "churn_score",
    "credit_score",
    "created_at",
    "updated_at",
)


class CustomerListQuery(PageQuery):
    keyword: str | None = Field(
        default=None, max_length=100, description="code, name, short name, contact or phone"
    )
    status: Status | None = None
    level: str | None = Field(default=None, max_length=16)
    industry: str | None = Field(default=None, max_length=32)
    owner_id: int | None = Field(default=None, ge=0, le=MAX_ID, description="0 = no owner")
    province: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=32)
    signed_from: dt.date | None = None
    signed_to: dt.date | None = None
    contract_ending_within_days: int | None = Field(default=None, ge=0, le=3650)
    value_tier: Literal["S", "A", "B", "C"] | None = None
    lifecycle: Lifecycle | None = None
    churn_level: ChurnLevel | None = None
    credit_score_min: int | None = Field(default=None, ge=0, le=100)
    credit_score_max: int | None = Field(default=None, ge=0, le=100)
    sort: str | None = sort_by(*SORTABLE)


class StatusChange(Schema):
    status: Status
    reason: Annotated[str, MultiLine] = Field(min_length=1, max_length=255)


def _null_among_statuses(schema: dict[str, Any]) -> None:
    # OpenAPI 3.0 takes a nullable enum's null only when the enum lists it (an argument another
    # action needs may be sent as null, like owner_id and level)
    for variant in schema.get("anyOf", ()):
        if "enum" in variant and None not in variant["enum"]:
            variant["enum"] = [*variant["enum"], None]


#: the batch actions that must say why (kept in the status history and the audit log)
REASON_NEEDED = ("change_status", "soft_delete")


class BatchAction(Schema):
    """One action over many customers. Each action reads its own argument (owner_id, level or
    status); the others may be left out or null."""

    action: Literal["assign_owner", "change_level", "change_status", "soft_delete"]
    customer_ids: list[Id] = Field(min_length=1, max_length=1000)
    owner_id: Id | None = Field(default=None, description="assign_owner")
    level: str | None = Field(default=None, max_length=32, description="change_level")
    status: Status | None = Field(
        default=None, description="change_status", json_schema_extra=_null_among_statuses
    )
    # validate_default: a reason left out is checked against the action too
    reason: Annotated[str, MultiLine] = Field(
        default="",
        max_length=255,
        validate_default=True,
        description=f"why; required (not blank) for {' and '.join(REASON_NEEDED)}",
    )

    @field_validator("reason")
    @classmethod
    def _reason_for_action(cls, value: str, info: ValidationInfo) -> str:
        action = info.data.get("action")
        if action in REASON_NEEDED and not value:  # trimmed: a blank reason is empty
            raise Invalid("action_needs_reason", "{action} needs a reason", action=action)
        return value

    @model_validator(mode="after")
    def _argument_for_action(self) -> BatchAction:
        needed = {"assign_owner": "owner_id", "change_level": "level", "change_status": "status"}.get(
            self.action
        )
        if needed and getattr(self, needed) is None:
            raise Invalid("action_needs_field", "{action} needs {field}", action=self.action, field=needed)
        return self


class BatchResult(Schema):
    action: str
    affected: int


class DictionaryQuery(Schema):
    include_inactive: bool = False


class DictionaryEntryPublic(PublicSchema):
    id: int
    kind: DictionaryKind
    code: str
    label: str
    label_en: str = Field(description="The English label; empty when not translated (show `label`).")
    synonyms: list[str]
    sort_order: int
    is_active: bool


class DictionaryList(Schema):
    items: list[DictionaryEntryPublic]


class DictionaryEntryCreate(Schema):
    code: str = Field(pattern=r"^[A-Za-z0-9_]{1,32}$")
    label: str = Field(min_length=1, max_length=64)
    label_en: str = Field(default="", max_length=64)
    synonyms: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    sort_order: int = Field(default=0, ge=0, le=10000)


class DictionaryEntryUpdate(PatchSchema):
    not_null = ("label", "label_en", "synonyms", "sort_order", "is_active")

    label: str | None = Field(default=None, min_length=1, max_length=64)
    label_en: str | None = Field(default=None, max_length=64)
    synonyms: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=50
    )
    sort_order: int | None = Field(default=None, ge=0, le=10000)
    is_active: bool | None = None
