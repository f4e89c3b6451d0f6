"""The kinds of the template variables senders pass, with a sample value of each.

A template declares its variables by name. The names the product's own senders use — the overdue
reminders (``reminders.service.reminder_variables``) and the invoice run summary
(``billing.summary_notice.summary_variables``) — have a kind here: a whole number, an amount
(Decimal), a date, a list, or text. A preview or a test message typed into a form arrives as
text; :func:`typed_values` turns each value into its variable's kind, so a template comparing
``days_overdue > 30`` renders in a preview as it does when the job sends it (text against a
number is a TypeError in Jinja2). :func:`samples` gives a template's form a typed example of each
declared variable. A name not listed here is text, taken as it is given.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from opcms.core.errors import ValidationFailed
from opcms.notifications.errors import TemplateRenderError


class VariableKind(str, enum.Enum):
    TEXT = "text"
    INTEGER = "integer"
    MONEY = "money"
    DATE = "date"
    LIST = "list"


_SUMMARY_LEVELS = [
    {"level": "A", "invoices": 2, "total": Decimal("2200.00")},
    {"level": None, "invoices": 1, "total": Decimal("1100.00")},
]

# name -> (kind, sample): what the reminders and the run summary pass, as they pass it
KNOWN: dict[str, tuple[VariableKind, Any]] = {
    # overdue reminders
    "customer_name": (VariableKind.TEXT, "示例科技有限公司"),
    "customer_code": (VariableKind.TEXT, "C00001"),
    "contact_name": (VariableKind.TEXT, "张三"),
    "invoice_number": (VariableKind.TEXT, "INV-202610-000001"),
    "period": (VariableKind.TEXT, "2026-10"),
    "currency": (VariableKind.TEXT, "CNY"),
    "total": (VariableKind.MONEY, Decimal("1100.00")),
    "outstanding": (VariableKind.MONEY, Decimal("1100.00")),
    "due_date": (VariableKind.DATE, dt.date(2026, 11, 15)),
    "days_overdue": (VariableKind.INTEGER, 7),
    "days_until_due": (VariableKind.INTEGER, 0),
    "stage": (VariableKind.INTEGER, 7),
    "owner_name": (VariableKind.TEXT, "李四"),
    # the invoice run summary
    "execution_id": (VariableKind.INTEGER, 1),
    "status": (VariableKind.TEXT, "success"),
    "invoices": (VariableKind.INTEGER, 3),
    "receivable_total": (VariableKind.MONEY, Decimal("3300.00")),
    "skipped": (VariableKind.INTEGER, 0),
    "failed": (VariableKind.INTEGER, 0),
    "no_charge": (VariableKind.INTEGER, 0),
    "by_level": (VariableKind.LIST, _SUMMARY_LEVELS),
}

_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_AMOUNT = re.compile(r"^[+-]?\d{1,16}(\.\d{1,6})?$")


def kind_of(name: str) -> VariableKind:
    return KNOWN[name][0] if name in KNOWN else VariableKind.TEXT


def samples(declared: Iterable[str]) -> list[dict[str, Any]]:
    """Each declared variable with its kind and a sample value (JSON-ready: an amount and a date
    as text, a list as it is; an unknown name is text with an empty sample)."""
    found = []
    for name in declared:
        kind, sample = KNOWN.get(name, (VariableKind.TEXT, ""))
        found.append({"name": name, "kind": kind.value, "sample": _jsonable(sample)})
    return found


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | dt.date):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def _refuse(name: str, code: str, english: str, value: Any) -> ValidationFailed:
    return TemplateRenderError.field(
        f"variables.{name}", english, code=code, params={"name": name, "value": str(value)[:64]}
    )


def _typed(name: str, kind: VariableKind, value: Any) -> Any:
    if kind is VariableKind.INTEGER:
        if isinstance(value, bool):
            raise _refuse(name, "template_variable_not_integer", "must be a whole number", value)
        if isinstance(value, int):
            return value
        text = str(value).strip().replace(",", "")
        if isinstance(value, str | float) and _INTEGER.match(text.removesuffix(".0")):
            return int(text.removesuffix(".0"))
        raise _refuse(name, "template_variable_not_integer", "must be a whole number", value)
    if kind is VariableKind.MONEY:
        if isinstance(value, Decimal):
            return value
        text = str(value).strip().replace(",", "") if isinstance(value, str | int) else ""
        if not isinstance(value, bool) and _AMOUNT.match(text):
            try:
                return Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
                pass
        raise _refuse(name, "template_variable_not_amount", "must be an amount such as 1100.00", value)
    if kind is VariableKind.DATE:
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise _refuse(name, "template_variable_not_date", "must be a date such as 2026-11-15", value)
    if kind is VariableKind.LIST:
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                return parsed
        raise _refuse(name, "template_variable_not_list", "must be a list (JSON, [...])", value)
    return value


def typed_values(declared: Iterable[str], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each declared variable of a known kind turned into that kind ("35" → 35,
    "1,100.00" → Decimal, "2026-11-15" → a date, a JSON list → the list); other values as given.
    A value that is not of its kind is a 422 naming the variable (``variables.<name>``)."""
    kinds = {name: kind_of(name) for name in declared}
    return {
        name: _typed(name, kinds[name], value) if name in kinds else value for name, value in values.items()
    }
