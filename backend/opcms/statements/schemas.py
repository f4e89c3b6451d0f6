"""Bank statements request and response shapes (the shared contract of issue 18)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, model_validator

from opcms.core.i18n import Invalid
from opcms.core.money import NonNegativeAmount, PositiveAmount
from opcms.core.schemas import Id, Page, PageQuery, PublicSchema, Schema, sort_by
from opcms.statements.models import Confidence, LineKind, LineStatus, MatchedBy

MAX_PARTS = 20
MAX_ALLOCATIONS = 200
STATEMENT_SORTABLE = ("id", "created_at")


# --- import ------------------------------------------------------------------------------------
class StatementUploadForm(Schema):
    """multipart/form-data"""

    file: bytes = Field(json_schema_extra={"format": "binary"}, description="the statement: .xlsx or CSV")
    profile: str | None = Field(
        default=None, max_length=64, description="a bank profile's code or a saved profile's name"
    )
    mapping: str | None = Field(
        default=None, max_length=4000, description="JSON object: field -> header text (corrects the profile)"
    )
    save_profile_as: str | None = Field(
        default=None, max_length=64, description="save the mapping used under this name (import only)"
    )


class SkippedLine(PublicSchema):
    row_number: int
    reason: str | None
    detail: str | None


class StatementSummary(PublicSchema):
    id: int
    filename: str
    profile: str
    account: str | None
    encoding: str
    lines_total: int
    incoming: int
    skipped: int
    duplicates: int
    incoming_amount: NonNegativeAmount
    created_at: dt.datetime
    created_by: str | None


class StatementImported(StatementSummary):
    skipped_lines: list[SkippedLine]


class PreviewLine(PublicSchema):
    row_number: int
    kind: str
    reason: str | None
    detail: str | None
    booked_on: dt.date | None
    booked_at: dt.time | None
    amount: NonNegativeAmount | None
    balance: str | None
    payer_name: str | None
    payer_account: str | None
    payer_bank: str | None
    summary: str | None
    purpose: str | None
    serial: str | None
    currency: str


class StatementPreview(PublicSchema):
    profile: str
    encoding: str
    header_row: int
    headers: list[str]
    mapping: dict[str, str]
    fields: list[str]
    account: str | None
    lines: list[PreviewLine]


# --- report ------------------------------------------------------------------------------------
class CountAndAmount(PublicSchema):
    count: int
    amount: NonNegativeAmount


class JustCount(PublicSchema):
    count: int


class StatementReport(PublicSchema):
    auto: CountAndAmount = Field(description="lines accepted as proposed (one by one or accept-all)")
    by_hand: CountAndAmount = Field(
        description="lines accepted with a customer or allocations chosen by hand"
    )
    open: CountAndAmount = Field(description="incoming lines not accepted yet (conflicts included)")
    skipped: JustCount
    duplicates: JustCount


class StatementDetail(StatementSummary):
    report: StatementReport


class StatementListItem(StatementSummary):
    open_lines: int
    accepted_lines: int


class StatementPage(Page[StatementListItem]):
    total_is_estimate: bool = False


class StatementListQuery(PageQuery):
    sort: str | None = sort_by(*STATEMENT_SORTABLE)


# --- lines -------------------------------------------------------------------------------------
class LineAllocation(PublicSchema):
    invoice_id: int
    invoice_number: str | None = None
    amount: NonNegativeAmount


class LinePayment(PublicSchema):
    payment_id: int
    customer_id: int | None
    amount: NonNegativeAmount
    allocation_ids: list[int]


class LinePublic(PublicSchema):
    id: int
    statement_id: int
    row_number: int
    kind: LineKind
    reason: str | None
    detail: str | None
    booked_on: dt.date | None
    booked_at: dt.time | None
    amount: NonNegativeAmount | None
    currency: str
    payer_name: str | None
    payer_account: str | None
    payer_bank: str | None
    summary: str | None
    purpose: str | None
    serial: str | None
    status: LineStatus | None
    customer_id: int | None
    customer_name: str | None = None
    allocations: list[LineAllocation]
    confidence: Confidence | None
    proposal_reason: str | None
    payment_id: int | None
    payments: list[LinePayment]
    matched_by: MatchedBy | None
    accepted_at: dt.datetime | None
    accepted_by: str | None
    conflict_payment_id: int | None
    duplicate_of_id: int | None


class LinePage(Page[LinePublic]):
    total_is_estimate: bool = False


class LineListQuery(Schema):
    """A statement's lines come in row order (the file's): filters and pages, no sort."""

    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=20, ge=1, le=200)
    status: LineStatus | None = Field(default=None, description="open: open lines and conflicts")
    confidence: Confidence | None = None
    kind: LineKind | None = None


# --- accept and undo ---------------------------------------------------------------------------
class AcceptAllRequest(Schema):
    confidence: Confidence = Field(description="accept every open line at this confidence or above")


class AcceptConflict(PublicSchema):
    line_id: int
    row_number: int
    code: str
    payment_id: int | None = None


class AcceptAllResult(PublicSchema):
    accepted: int
    conflicts: list[AcceptConflict] = Field(
        description="lines left open: their bank reference was recorded as a payment meanwhile, or an "
        "invoice's outstanding changed since the proposal"
    )
    without_customer: int = Field(description="open lines at that confidence with no customer: for a person")
    remaining: int = Field(
        description="open lines at that confidence with a customer not tried by this call (one call takes "
        "at most 1,000 lines): call again while it is more than 0"
    )


class AllocationChoice(Schema):
    invoice_id: Id
    amount: PositiveAmount


class PartChoice(Schema):
    customer_id: Id
    amount: PositiveAmount
    allocations: list[AllocationChoice] = Field(default_factory=list, max_length=MAX_ALLOCATIONS)


def _one_per_invoice(allocations: list[AllocationChoice]) -> None:
    seen: set[int] = set()
    for allocation in allocations:
        if allocation.invoice_id in seen:
            raise Invalid(
                "invoice_twice",
                "invoice {id} appears twice; give one line per invoice",
                id=allocation.invoice_id,
            )
        seen.add(allocation.invoice_id)


class LineAccept(Schema):
    """Empty: accept the proposal. ``customer_id`` (with ``allocations``; ``[]`` leaves the money as
    the customer's credit): accept by hand. ``parts``: split the line across customers."""

    customer_id: Id | None = None
    allocations: list[AllocationChoice] | None = Field(default=None, max_length=MAX_ALLOCATIONS)
    parts: list[PartChoice] | None = Field(default=None, min_length=1, max_length=MAX_PARTS)

    @model_validator(mode="after")
    def _one_way(self) -> LineAccept:
        if self.parts is not None and (self.customer_id is not None or self.allocations is not None):
            raise Invalid("parts_or_customer", "give either parts or customer_id and allocations, not both")
        if self.allocations is not None and self.customer_id is None:
            raise Invalid("allocations_need_customer", "allocations need a customer_id")
        _one_per_invoice(self.allocations or [])
        for part in self.parts or []:
            _one_per_invoice(part.allocations)
        return self

    @property
    def by_hand(self) -> bool:
        return self.customer_id is not None or self.parts is not None


# --- profiles ----------------------------------------------------------------------------------
ProfileName = Annotated[str, Field(min_length=1, max_length=64)]


class ProfileCreate(Schema):
    name: ProfileName
    base_profile: str | None = Field(default=None, max_length=32, description="a bank profile's code")
    mapping: dict[str, Annotated[str, Field(max_length=200)]] = Field(
        description='field -> header text; "" for a field not read (its column ignored)', max_length=20
    )


class ProfilePublic(PublicSchema):
    id: int | None = Field(default=None, description="saved profiles only")
    code: str
    name: str
    builtin: bool
    base_profile: str | None = None
    headers: dict[str, list[str]] | None = Field(
        default=None, description="bank profiles: field -> header texts"
    )
    mapping: dict[str, str] | None = Field(default=None, description="saved profiles: field -> header text")


class ProfileList(PublicSchema):
    items: list[ProfilePublic]
    fields: list[str]


def jsonable_allocations(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "amount": str(row["amount"])} for row in rows]
