"""Cleaning one row of a customer list (DESIGN §4) and judging it like the API does.

Cells arrive as openpyxl gives them (str, int, float, datetime, bool, None). Each column kind
turns its cell into the value ``CustomerCreate`` expects, or a reason finance understands:

- text: trimmed; numbers stored as numbers become their digits (``13800138000.0`` → ``"13800138000"``);
  codes, phones and e-mails are folded full-width → half-width by the shared rules;
- dates: real date cells, Excel serial numbers, ``20240305`` and the text forms ``2024-03-05``,
  ``2024/3/5``, ``2024.3.5``, ``2024年3月5日`` (full-width digits too);
- whole numbers and money: numbers or text (``"30"``, ``"30天"``, ``"¥50,000.00"``);
- industry and level: code, Chinese label or a synonym (the dictionaries, loaded once);
- status: code or Chinese label; owner: a username or a display name;
- blank optional cells are null; blank status, payment terms or credit limit take the default
  for a new customer and leave an existing one unchanged.
- a formula cell is its saved result; one saved without a result (a program wrote the
  formula, nothing calculated it) fails its row, never reads as blank.

Then the row goes through ``CustomerCreate`` (the API's schema), whose errors are reported
against the file's own column headers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from openpyxl.utils.datetime import from_excel
from pydantic import ValidationError

from opcms.core.excel import UncachedFormula, uncached_formula_hint, unescape_cell
from opcms.core.i18n import Invalid, Message, as_message, pydantic_message
from opcms.core.money import CENT
from opcms.core.text import fold, fold_key
from opcms.customers import rules
from opcms.customers.dictionaries import Dictionary
from opcms.customers.models import STATUS_LABELS, DictionaryKind, name_key
from opcms.customers.schemas import CustomerCreate
from opcms.imports.reader import Layout

#: optional columns, where a blank cell means "no value" (null): CustomerCreate's fields that
#: default to None. A blank cell in a column with another default means "the default" (a new
#: customer) or "keep" (an existing one); in a required column, CustomerCreate refuses it.
NULLABLE = frozenset(
    name
    for name, field in CustomerCreate.model_fields.items()
    if not field.is_required() and field.default is None
)
MAX_VALUE_CHARS = 1000


@dataclass(slots=True)
class RowError:
    row: int
    column: str
    value: str | None
    reason: Message  # rendered in the reader's language (stored as its code and parameters)
    position: int = 0  # the column's place in the file, to order a row's errors


@dataclass(slots=True)
class CleanRow:
    row: int
    data: dict[str, Any]  # CustomerCreate's fields, validated (owner as owner_id)
    fields: tuple[str, ...]  # model fields this row sets: an update compares only these


# --- cell conversions ----------------------------------------------------------------------------
def display(value: Any) -> str | None:
    """A cell as the report shows it."""
    if value is None:
        return None
    return to_text(value)[:MAX_VALUE_CHARS]


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
DATE_HINT = "not a date; write it like 2024-03-05"


def to_date(value: Any, epoch: dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise Invalid("not_a_date", DATE_HINT)
    if isinstance(value, (int, float)):
        return _date_from_number(value, epoch)
    text = fold(str(value))
    match = _DATE_TEXT.match(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise Invalid("not_a_real_date", "{text} is not a real date", text=text) from None
    if text.isdigit():
        return _date_from_number(int(text), epoch)
    raise Invalid("not_a_date", DATE_HINT)


def _date_from_number(number: float, epoch: dt.datetime) -> dt.date:
    if not math.isfinite(number):
        raise Invalid("not_a_date", DATE_HINT)
    if float(number).is_integer() and 19000101 <= number <= 29991231:  # 20240305
        text = str(int(number))
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise Invalid("not_a_real_date", "{text} is not a real date", text=text) from None
    if 1 <= number < 2958466:  # an Excel serial number (1 = 1900-01-01, the last is 9999-12-31)
        result = from_excel(number, epoch)
        return result.date() if isinstance(result, dt.datetime) else result
    raise Invalid("not_a_date", DATE_HINT)


_INT_TEXT = re.compile(r"^[+-]?\d+(?:\.0*)?$")


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise Invalid("not_a_whole_number", "must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise Invalid("not_a_whole_number", "must be a whole number")
    text = fold(to_text(value)).replace(",", "").replace(" ", "").removesuffix("天")
    if _INT_TEXT.match(text):
        return int(text.split(".", 1)[0])  # "30.00" is 30; the pattern allows only zeros after the point
    raise Invalid("not_a_whole_number", "must be a whole number")


_MONEY_NOISE = re.compile(r"[,\s¥$]|元|RMB|CNY", re.IGNORECASE)


def to_money(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise Invalid("not_an_amount", "not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Invalid("not_an_amount", "not an amount")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    text = _MONEY_NOISE.sub("", fold(to_text(value)))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Invalid("not_an_amount", "not an amount") from None
    if not amount.is_finite():
        raise Invalid("not_an_amount", "not an amount")
    return amount


_STATUS_WORDS: dict[str, str] = {}
for _status, _label in STATUS_LABELS.items():
    _STATUS_WORDS[fold_key(_status.value)] = _status.value
    _STATUS_WORDS[fold_key(_label)] = _status.value
STATUS_HINT = ", ".join(f"{label} ({status.value})" for status, label in STATUS_LABELS.items())


def to_status(value: Any) -> str:
    status = _STATUS_WORDS.get(fold_key(to_text(value)))
    if status is None:
        raise Invalid("unknown_status", "unknown status; use one of {choices}", choices=STATUS_HINT)
    return status


class Owners:
    """Active users by username, then by display name (folded, case-free)."""

    def __init__(self, users: list[tuple[int, str, str]]) -> None:
        self.by_username: dict[str, int] = {}
        self.by_name: dict[str, int | None] = {}  # None: several users share the name
        for user_id, username, display_name in users:
            self.by_username[fold_key(username)] = user_id
            if display_name:
                key = fold_key(display_name)
                self.by_name[key] = None if key in self.by_name and self.by_name[key] != user_id else user_id

    def resolve(self, value: Any) -> int:
        key = fold_key(to_text(value))
        user_id = self.by_username.get(key)
        if user_id is not None:
            return user_id
        if key in self.by_name:
            user_id = self.by_name[key]
            if user_id is None:
                raise Invalid("owner_ambiguous", "several users have this name; write the username")
            return user_id
        raise Invalid("owner_unknown", "no active user with this username or name")


# --- one row ------------------------------------------------------------------------------------
Converter = Callable[[Any], Any]


def _dictionary_value(dictionary: Dictionary, value: Any) -> Any:
    return dictionary.resolve(to_text(value))


class Cleaner:
    """Turns rows of one sheet into validated customer data or row errors."""

    def __init__(
        self,
        layout: Layout,
        dictionaries: dict[DictionaryKind, Dictionary],
        owners: Owners,
        epoch: dt.datetime,
    ):
        converters: dict[str, Converter] = {
            "text": to_text,
            "date": lambda v: to_date(v, epoch),
            "int": to_int,
            "money": to_money,
            "status": to_status,
            "owner": owners.resolve,
        }
        self.plan: list[tuple[int, str, str, str, Converter]] = []
        for column in layout.columns:
            field = column.column.field
            kind = column.column.kind
            if kind == "dictionary":
                converter: Converter = partial(_dictionary_value, dictionaries[DictionaryKind(field)])
            else:
                converter = converters[kind]
            target = "owner_id" if field == "owner" else field
            self.plan.append((column.position, field, target, column.header, converter))
        self.positions = [p for p, *_ in self.plan]
        by_field = layout.by_field()
        self.header_of = {field: column.header for field, column in by_field.items()}
        self.position_of = {field: column.position for field, column in by_field.items()}
        self.code_position = by_field["customer_code"].position
        self.name_position = by_field["company_name"].position

    def is_blank(self, values: tuple[Any, ...]) -> bool:
        width = len(values)
        for position in self.positions:
            if position < width:
                value = values[position]
                if value is not None and not (isinstance(value, str) and not value.strip()):
                    return False
        return True

    def keys(self, values: tuple[Any, ...]) -> tuple[str | None, str | None]:
        """The row's customer code and company-name key, when they are readable at all."""
        code = key = None
        raw_code = self._cell(values, self.code_position)
        raw_name = self._cell(values, self.name_position)
        if raw_code is not None:
            with contextlib.suppress(ValueError):
                code = rules.clean_customer_code(to_text(raw_code))
        if raw_name is not None:
            with contextlib.suppress(ValueError):
                key = name_key(rules.clean_company_name(to_text(raw_name)))
        return code, key

    @staticmethod
    def _cell(values: tuple[Any, ...], position: int) -> Any:
        value = values[position] if position < len(values) else None
        if isinstance(value, UncachedFormula):
            return None  # unknown: no key to compare, and its row fails anyway
        if isinstance(value, str):
            value = unescape_cell(value)
            if not value.strip():
                return None
        return value

    def clean(self, row: int, values: tuple[Any, ...]) -> CleanRow | list[RowError]:
        data: dict[str, Any] = {}
        errors: list[RowError] = []
        failed_fields: set[str] = set()
        given: list[str] = []
        width = len(values)
        for position, _field, target, header, converter in self.plan:
            value = values[position] if position < width else None
            if isinstance(value, UncachedFormula):
                errors.append(RowError(row, header, str(value), uncached_formula_hint(), position))
                failed_fields.add(target)
                continue
            if isinstance(value, str):
                value = unescape_cell(value)
                if not value.strip():
                    value = None
            if value is None:
                if target in NULLABLE:
                    data[target] = None
                    given.append(target)
                continue  # required: CustomerCreate says so; defaulted: default / keep
            try:
                data[target] = converter(value)
            except ValueError as error:
                errors.append(RowError(row, header, display(value), as_message(error), position))
                failed_fields.add(target)
                continue
            given.append(target)
        try:
            customer = CustomerCreate.model_validate(data)
        except ValidationError as error:
            errors += self._schema_errors(row, values, error, failed_fields)
            errors.sort(key=lambda e: e.position)
            return errors
        if errors:
            errors.sort(key=lambda e: e.position)
            return errors
        clean = customer.__dict__
        clean["credit_limit"] = clean["credit_limit"].quantize(CENT)
        return CleanRow(row, clean, tuple(given))

    def _schema_errors(
        self, row: int, values: tuple[Any, ...], error: ValidationError, skip: set[str]
    ) -> list[RowError]:
        found = []
        for item in error.errors(include_url=False):
            field = str(item["loc"][0]) if item["loc"] else None
            reason = pydantic_message(item)
            if field is None:  # a model-level rule: the contract dates
                field = "contract_end_at" if "contract_end_at" in self.header_of else "signed_at"
            if field in skip:
                continue
            if reason.code == "text" and field == "contract_end_at" and "signed_at" in self.header_of:
                text = str(reason.params["text"]).replace("contract_end_at ", "")
                text = text.replace("signed_at", self.header_of["signed_at"])
                reason = Message("text", {"text": text}, text)
            elif "other" in reason.params and reason.params["other"] in self.header_of:
                # "must not be before signed_at": the file's own header for the other column
                reason = Message(
                    reason.code, {**reason.params, "other": self.header_of[reason.params["other"]]}
                )
            if item["type"] == "missing":
                reason = Message("required", fallback="required")
            column = "owner" if field == "owner_id" else field
            position = self.position_of.get(column, 0)
            found.append(
                RowError(
                    row,
                    self.header_of.get(column, column),
                    display(self._cell(values, position)),
                    reason,
                    position,
                )
            )
        return found
