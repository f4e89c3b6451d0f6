"""Base pydantic models shared by every domain's schemas, and the error and page shapes."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Generic, TypeVar, get_args, get_origin

from pydantic import (
    AfterValidator,
    AliasChoices,
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from opcms.core.i18n import Invalid, Message
from opcms.core.text import REFUSED_IN_LINE_CLASS, REFUSED_IN_LINES_CLASS, blank_to_none, refused_character


def _as_utc(value: dt.datetime) -> dt.datetime:
    # a time without a zone is UTC, like every time the API answers
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


#: a time in a query or body; one given without a zone is taken as UTC
UtcDateTime = Annotated[dt.datetime, AfterValidator(_as_utc)]


class _MultiLine:
    """Marks a text field whose value may span lines (see :data:`MultiLine`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MultiLine"


#: ``Annotated[str, MultiLine]``: a text that may hold tab and line breaks (a remark, an
#: address, a reason, a template body); every other text field of a request is one line
MultiLine = _MultiLine()


def _refused_text(value: Any, *, multiline: bool) -> Message | None:
    """Why a validated field value holds text that cannot be stored, or None. Texts inside
    lists and JSON objects (settings, variables, parameters) are read too, as multi-line text
    in an object; a nested request model has checked its own fields."""
    if isinstance(value, str):
        return refused_character(value, multiline=multiline)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _refused_text(key, multiline=False) or _refused_text(item, multiline=True)
            if problem:
                return Message("in_key", {"key": key, "problem": problem}, f"{key}: {problem.fallback}")
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            problem = _refused_text(item, multiline=multiline)
            if problem:
                return problem
    return None


def _marked_multiline(annotation: Any) -> bool:
    # the mark may sit inside ``X | None`` or a list, where pydantic keeps the Annotated
    if get_origin(annotation) is Annotated:
        if any(item is MultiLine for item in get_args(annotation)[1:]):
            return True
        return _marked_multiline(get_args(annotation)[0])
    return any(_marked_multiline(arg) for arg in get_args(annotation))


@lru_cache(maxsize=4096)
def _is_multiline(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    if field is None:
        return False
    return any(item is MultiLine for item in field.metadata) or _marked_multiline(field.annotation)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)
_EXAMPLES = {"date": "2026-12-01", "date-time": "2026-12-01T08:00:00Z"}


_INTEGER = re.compile(r"-?[0-9]+")
_KINDS = {dt.datetime: "date-time", dt.date: "date", int: "integer"}


def _kind_of(annotation: Any) -> str | None:
    kind = _KINDS.get(annotation)
    if kind:
        return kind
    for arg in get_args(annotation):
        kind = _kind_of(arg)
        if kind:
            return kind
    return None


@lru_cache(maxsize=4096)
def _value_kind(model: type[BaseModel], name: str) -> str | None:
    """Whether a field holds a day ("date"), a time ("date-time") or whole numbers ("integer"),
    also inside ``X | None`` or a list."""
    field = model.model_fields.get(name)
    return None if field is None else _kind_of(field.annotation)


def _max_length_in(annotation: Any) -> int | None:
    if get_origin(annotation) is Annotated:
        for item in get_args(annotation)[1:]:
            # a constraint itself (StringConstraints, MaxLen), or a Field() holding one
            for constraint in (item, *getattr(item, "metadata", ())):
                if isinstance(getattr(constraint, "max_length", None), int):
                    return int(constraint.max_length)
    for arg in get_args(annotation):
        length = _max_length_in(arg)
        if length is not None:
            return length
    return None


@lru_cache(maxsize=4096)
def _max_length(model: type[BaseModel], name: str) -> int | None:
    """The most characters a text field takes (``Field(max_length=…)``, or a length constraint
    on its type, also inside ``X | None``)."""
    field = model.model_fields.get(name)
    if field is None:
        return None
    for item in field.metadata:
        if isinstance(getattr(item, "max_length", None), int):
            return int(item.max_length)
    return _max_length_in(field.annotation)


def _whole_number(value: Any) -> Any:
    # a query's "7" is 7; pydantic would also read "7.0" and "3923427131077766.0" as whole numbers
    if isinstance(value, str) and not _INTEGER.fullmatch(value):
        raise Invalid(
            "whole_number_text",
            "must be a whole number written in digits, not {value}",
            value=repr(value[:40]),
        )
    return value


def _text_pattern(prop: dict[str, Any], *, multiline: bool) -> None:
    """Document the text rules of :class:`Schema` on a string property: no refused character
    and, where the text may not be empty, something besides white space (it is trimmed)."""
    if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        _text_pattern(prop["items"], multiline=multiline)
    for variant in prop.get("anyOf", ()):
        _text_pattern(variant, multiline=multiline)
    if prop.get("type") != "string" or {"pattern", "enum", "const", "format"} & prop.keys():
        return
    refused = REFUSED_IN_LINES_CLASS if multiline else REFUSED_IN_LINE_CLASS
    if prop.get("minLength", 0) >= 1:
        prop["pattern"] = f"^[^{refused}]*[^\\s{refused}][^{refused}]*$"
    else:
        prop["pattern"] = f"^[^{refused}]*$"


def years_from(year: int) -> str:
    """A regex of the four-digit years from ``year`` on, place by place: 1999 →
    ``1999|[2-9][0-9][0-9][0-9]``."""
    digits = f"{year:04d}"
    parts = []
    for place in range(3, -1, -1):
        low = int(digits[place]) + (0 if place == 3 else 1)
        if low > 9:
            continue
        rest = 3 - place
        parts.append(digits[:place] + (f"[{low}-9]" if low < 9 else "9") + ("[0-9]" * rest if rest else ""))
    return "|".join(parts)


def _earliest_day_pattern(prop: dict[str, Any], field: Any) -> None:
    # JSON Schema has no minimum for a day; a day bounded from a 1 January is documented by
    # a pattern on its year, so that the document refuses what the field refuses
    earliest = next((getattr(item, "ge", None) for item in getattr(field, "metadata", ())), None)
    if not isinstance(earliest, dt.date) or (earliest.month, earliest.day) != (1, 1):
        return
    for variant in [prop, *prop.get("anyOf", ())]:
        if variant.get("format") == "date":
            variant["pattern"] = f"^({years_from(earliest.year)})-[0-9]{{2}}-[0-9]{{2}}$"


def _request_json_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    names = {field.alias or name: name for name, field in model.model_fields.items()}
    for key, prop in schema.get("properties", {}).items():
        if isinstance(prop, dict):
            name = names.get(key, key)
            _text_pattern(prop, multiline=_is_multiline(model, name))
            _earliest_day_pattern(prop, model.model_fields.get(name))


class Schema(BaseModel):
    """Request bodies and queries: unknown fields are an error, strings are trimmed, and no
    text holds a control character or a bidi control (tab and line breaks only in a field
    marked :data:`MultiLine`): what is stored can always be shown, exported and read back.
    The document says so too, as a pattern on each text field."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_request_json_schema
    )

    @field_validator("*", mode="before")
    @classmethod
    def _as_documented(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic also reads 0 or "0" as 1970-01-01, "20260101" as a date and "7.0" as 7: a
        # day or a time is taken only as ISO 8601 text ("2026-12-01", "2026-12-01T08:00Z") and
        # a whole number only in digits, as the document says
        name = info.field_name or ""
        limit = _max_length(cls, name) if isinstance(value, str) else None
        if limit is not None and len(value) > limit:
            # counted as sent, as the document's maxLength counts, not after the trimming
            raise Invalid("too_many_characters", "must be at most {limit} characters", limit=limit)
        kind = _value_kind(cls, name)
        if kind == "integer":
            return (
                [_whole_number(item) for item in value] if isinstance(value, list) else _whole_number(value)
            )
        if kind is None or value is None or isinstance(value, (dt.date, dt.datetime)):
            return value
        shape = _ISO_DATETIME if kind == "date-time" else _ISO_DATE
        if not isinstance(value, str) or not shape.fullmatch(value):
            raise Invalid(
                "iso_datetime" if kind == "date-time" else "iso_date",
                f"must be a {kind} in ISO 8601 form, such as {_EXAMPLES[kind]}",
            )
        # read here, so that the field's own check meets a day or a time, which a strict
        # reading of a body (core.http) requires once a validator has run before it
        try:
            return dt.datetime.fromisoformat(value) if kind == "date-time" else dt.date.fromisoformat(value)
        except ValueError:
            raise Invalid(
                "no_such_time" if kind == "date-time" else "no_such_day",
                f"{value!r} is not a {'time' if kind == 'date-time' else 'day'} that exists",
                value=repr(value),
            ) from None

    @field_validator("*", mode="after")
    @classmethod
    def _printable_text(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or isinstance(value, (int, float, bool, BaseModel)):
            return value
        problem = _refused_text(value, multiline=_is_multiline(cls, info.field_name or ""))
        if problem:
            raise Invalid(problem.code, problem.fallback, **problem.params)
        return value


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
    message: str = Field(description="in the request's language (Accept-Language)")
    code: str | None = Field(default=None, description="the message's code in the catalog")
    params: dict[str, Any] | None = Field(default=None, description="the values the message names")
    type: str | None = None


class ErrorInfo(BaseModel):
    code: str
    message: str = Field(description="in the request's language (Accept-Language: zh-CN by default, en-US)")
    details: list[ErrorDetail] = Field(default_factory=list)
    params: dict[str, Any] | None = Field(default=None, description="the values the message names")


class ErrorResponse(BaseModel):
    error: ErrorInfo


# Ids are BIGINT: anything outside never reaches the database (a 422, not an overflow).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class PageQuery(Schema):
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=20, ge=1, le=200)
    sort: str | None = Field(default=None, max_length=64, description="field, or -field for descending")


def sort_by(*fields: str) -> Any:
    """The ``sort`` field of a list's query over ``fields``: "field" or "-field" (descending),
    comma-separated. The document names the fields, so a client (or a fuzzer) knows which sorts
    are refused before sending one; ``core.pagination.order_by`` still checks."""
    names = "|".join(sorted(fields))
    return Field(
        default=None,
        max_length=200,
        pattern=f"^-?({names})(,-?({names}))*$",
        description=f"field, or -field for descending, comma-separated; fields: {', '.join(sorted(fields))}",
    )


class ReasonRequest(Schema):
    """The body of an action that must say why (void, regenerate, reverse)."""

    reason: Annotated[str, MultiLine] = Field(
        min_length=1, max_length=255, description="why (kept on the record and in the audit log)"
    )


class DeleteQuery(Schema):
    reason: Annotated[str, MultiLine] = Field(
        default="", max_length=255, description="why (kept in the audit log)"
    )


#: a free remark; blank is no remark
Remark = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None,
    BeforeValidator(blank_to_none),
    MultiLine,
]

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    page: int
    page_size: int


def _patch_json_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    # an empty body changes nothing (a 422); a field in ``not_null`` may be left out, not nulled
    _request_json_schema(schema, model)
    schema["minProperties"] = 1
    for name in getattr(model, "not_null", ()):
        prop = schema.get("properties", {}).get(name)
        if prop and "anyOf" in prop:
            variants = [v for v in prop.pop("anyOf") if v != {"type": "null"}]
            if len(variants) == 1:
                prop.update(variants[0])
            else:
                prop["anyOf"] = variants


class PatchSchema(Schema):
    """A PATCH body: only the fields given change. At least one must be given; those named in
    ``not_null`` may be left out but not set to null (the document says both)."""

    model_config = ConfigDict(json_schema_extra=_patch_json_schema)
    not_null: ClassVar[tuple[str, ...]] = ()


def patch_changes(
    data: BaseModel, *, required: tuple[str, ...] = (), drop_none: bool = False
) -> dict[str, Any]:
    """The fields a PATCH body sets: a ``required`` one set to null is a 422 naming it, an empty
    body is a 422 too (``drop_none`` ignores nulls instead, for bodies where null means "keep")."""
    from opcms.core.errors import ValidationFailed

    changes = data.model_dump(exclude_unset=True, exclude_none=drop_none)
    for name in required or getattr(data, "not_null", ()):
        if name in changes and changes[name] is None:
            raise ValidationFailed.field(name, "must not be empty", code="must_not_be_empty")
    if not changes:
        raise ValidationFailed(
            "Nothing to change",
            code="validation_failed",
            key="nothing_to_change",
            details=[{"field": None, "message": "no fields given", "code": "no_fields_given"}],
        )
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
