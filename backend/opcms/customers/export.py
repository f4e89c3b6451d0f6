"""Export customers (the list's current filters) to xlsx, in the columns the import reads.

In the reader's language: Chinese headers and labels, or in English the field names as headers
and the English labels of dictionary values and statuses (the import reads either back).

Written with a write-only workbook to a temporary file and rows fetched in id-ordered chunks,
so memory stays flat however many customers there are; text cells that a spreadsheet would
run as a formula are escaped (``core.excel.escape_cell``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from opcms.auth.models import User
from opcms.core.excel import escape_cell
from opcms.core.i18n import EN, current_language
from opcms.core.models import records_by_id
from opcms.customers.columns import COLUMNS
from opcms.customers.models import (
    STATUS_LABELS,
    STATUS_LABELS_EN,
    CustomerStatus,
    DictionaryEntry,
    DictionaryKind,
)
from opcms.customers.queries import filtered
from opcms.customers.schemas import CustomerListQuery

CHUNK = 2000
DB_FIELDS = [c.field if c.field != "owner" else "owner_id" for c in COLUMNS]


async def _labels(english: bool) -> dict[str, dict[str, str]]:
    """Dictionary labels by kind and code; in English the English label where there is one."""
    entries = await DictionaryEntry.all().values_list("kind", "code", "label", "label_en")
    labels: dict[str, dict[str, str]] = {kind.value: {} for kind in DictionaryKind}
    for kind, code, label, label_en in entries:
        labels[DictionaryKind(kind).value][code] = (label_en if english else "") or label
    return labels


def _cell(sheet: Any, value: Any, kind: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=escape_cell(value))
    if kind == "date" and value is not None:
        cell.number_format = "yyyy-mm-dd"
    elif kind == "money":
        cell.number_format = "#,##0.00"
    return cell


async def write_customers_xlsx(query: CustomerListQuery, path: Path) -> int:
    """Write the customers matching ``query`` to ``path``; returns how many rows."""
    english = current_language() == EN
    labels = await _labels(english)
    statuses = STATUS_LABELS_EN if english else STATUS_LABELS
    owners = dict(await User.with_deleted().values_list("id", "username"))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Customers" if english else "客户")
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.field if english else column.header)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    async for record in records_by_id(filtered(query), DB_FIELDS, CHUNK):
        out = []
        for column in COLUMNS:
            value = _export_value(column.field, record, labels, statuses, owners)
            out.append(_cell(sheet, value, column.kind))
        sheet.append(out)
        count += 1
    workbook.save(path)
    return count


def _export_value(
    field: str,
    record: dict[str, Any],
    labels: dict[str, dict[str, str]],
    statuses: dict[CustomerStatus, str],
    owners: dict[int, str],
) -> Any:
    if field == "owner":
        return owners.get(record["owner_id"])
    value = record[field]
    if field in ("industry", "level") and value is not None:
        return labels[field].get(value, value)
    if field == "status":
        return statuses[CustomerStatus(value)]
    return value
