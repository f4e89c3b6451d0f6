"""Base pydantic models shared by every domain's schemas, and the error and page shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from opcms.core.text import blank_to_none


def _as_utc(value: dt.datetime) -> dt.datetime:
    # a time without a zone is UTC, like every time the API answers
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


#: a time in a query or body; one given without a zone is taken as UTC
UtcDateTime = Annotated[dt.datetime, AfterValidator(_as_utc)]


class Schema(BaseModel):
    """Request bodies: unknown fields are an error, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def of_related(relation: str, attribute: str, name: str) -> AliasChoices:
    """Where an answer's field ``name`` is read from: the related row's attribute when the answer
    is built from a row with that relation loaded (``subscription.plan.code``), else the field's
    own name (a dict, a row without the relation)."""
    return AliasChoices(AliasPath(relation, attribute), name)


class PublicSchema(BaseModel):
    """Response bodies, built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    type: str | None = None


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorInfo


# Ids are BIGINT: anything outside never reaches the database (a 422, not an overflow).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class PageQuery(Schema):
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=20, ge=1, le=200)
    sort: str | None = Field(default=None, max_length=64, description="field, or -field for descending")


class ReasonRequest(Schema):
    """The body of an action that must say why (void, regenerate, reverse)."""

    reason: str = Field(
        min_length=1, max_length=255, description="why (kept on the record and in the audit log)"
    )


class DeleteQuery(Schema):
    reason: str = Field(default="", max_length=255, description="why (kept in the audit log)")


def _no_control_characters(value: str) -> str:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("must not contain control characters")
    return value


#: a name or account people type and read back: no control characters
Printable = AfterValidator(_no_control_characters)
#: a free remark; blank is no remark
Remark = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None,
    BeforeValidator(blank_to_none),
]

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    page: int
    page_size: int


def patch_changes(
    data: BaseModel, *, required: tuple[str, ...] = (), drop_none: bool = False
) -> dict[str, Any]:
    """The fields a PATCH body sets: a ``required`` one set to null is a 422 naming it, an empty
    body is a 422 too (``drop_none`` ignores nulls instead, for bodies where null means "keep")."""
    from opcms.core.errors import ValidationFailed

    changes = data.model_dump(exclude_unset=True, exclude_none=drop_none)
    for name in required:
        if name in changes and changes[name] is None:
            raise ValidationFailed.field(name, "must not be empty")
    if not changes:
        raise ValidationFailed("Nothing to change", details=[{"field": None, "message": "no fields given"}])
    return changes


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


class _RowWith:
    """A row seen with extra attributes (joined names, counts, derived values) laid over it."""

    __slots__ = ("_extra", "_row")

    def __init__(self, row: Any, extra: dict[str, Any]) -> None:
        self._row, self._extra = row, extra

    def __getattr__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._row, name)


AnswerT = TypeVar("AnswerT", bound=BaseModel)


def answer(schema: type[AnswerT], row: Any, **extra: Any) -> AnswerT:
    """``schema`` read from the row's attributes (``from_attributes``), like ``model_validate``,
    plus the values the row does not hold itself, given by name (a channel's secret names, a
    plan's current version): no answer copies fields by hand."""
    return schema.model_validate(_RowWith(row, extra) if extra else row, from_attributes=True)
