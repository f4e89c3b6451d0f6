"""Excel plumbing shared by imports and exports.

Formula injection: a text cell that starts with ``= + - @``, a tab or a carriage return is
written with a leading apostrophe, so a spreadsheet shows it as text and never runs it; the
import strips that apostrophe again (``unescape_cell``), so an export imports back unchanged.
"""

from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value
