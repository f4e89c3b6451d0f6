"""The two workbooks the import hands out: the template, and a finished import's errors.

Error workbook: the failed rows only, as they were in the upload (every original column, in
the original order, unknown columns too), preceded by two columns: ``错误原因`` (every problem
of the row as ``column: reason``) and ``原行号`` (the row number in the uploaded file). Finance
fixes the cells in this workbook and uploads it again as it is: its header row is the
original one, and the two extra columns are ignored by the import.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from opcms.core.excel import UncachedFormula, clean_text_for_cell, escape_cell
from opcms.core.i18n import EN, ZH, current_language
from opcms.customers.columns import COLUMNS
from opcms.customers.models import STATUS_LABELS, DictionaryEntry, DictionaryKind
from opcms.imports.reader import Sheet

#: the error workbook's own headers and sheet, in the reader's language (the import ignores both
#: columns whatever their language: see imports.reader)
ERROR_HEADERS = {
    ZH: ("错误原因", "原行号", "错误行"),
    EN: ("Error reason", "Original row", "Rows with errors"),
}
ERROR_HEADER, ROW_HEADER, _ = ERROR_HEADERS[ZH]
TEMPLATE_SHEET = "客户"
LISTS_SHEET = "选项"
TEMPLATE_TITLE = "客户导入模板 — 第 2 行是表头（红色为必填列），第 3 行是示例，导入前请删除示例行；本行可保留"
_BOLD = Font(bold=True)
_REQUIRED = Font(bold=True, color="C00000")
_EXAMPLE = Font(italic=True, color="808080")
_ERROR = Font(color="C00000")
_HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")


def _to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- template -----------------------------------------------------------------------------------
async def dictionary_choices() -> dict[str, list[str]]:
    """Dropdown choices: level codes, industry labels (both from the live dictionaries), status labels."""
    entries = (
        await DictionaryEntry.filter(is_active=True)
        .order_by("sort_order", "id")
        .values_list("kind", "code", "label")
    )
    levels = [code for kind, code, _ in entries if DictionaryKind(kind) is DictionaryKind.LEVEL]
    industries = [label for kind, _, label in entries if DictionaryKind(kind) is DictionaryKind.INDUSTRY]
    return {"level": levels, "industry": industries, "status": list(STATUS_LABELS.values())}


def template_workbook(choices: dict[str, list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    last = get_column_letter(len(COLUMNS))
    sheet["A1"] = TEMPLATE_TITLE
    sheet["A1"].font = _BOLD
    sheet.merge_cells(f"A1:{last}1")
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_columns: dict[str, str] = {}
    for index, (field, values) in enumerate(choices.items(), start=1):
        letter = get_column_letter(index)
        lists.cell(row=1, column=index, value=field)
        for offset, value in enumerate(values, start=2):
            # dictionary labels are stored text: cleaned and escaped like any exported cell
            lists.cell(row=offset, column=index, value=_value(value))
        list_columns[field] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${max(2, len(values) + 1)}"
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=2, column=index, value=column.header)
        header.font = _REQUIRED if column.required else _BOLD
        header.fill = _HEADER_FILL
        header.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        example = sheet.cell(row=3, column=index, value=_example(column.kind, column.example))
        example.font = _EXAMPLE
        if column.kind == "date":
            example.number_format = "yyyy-mm-dd"
        if column.kind == "owner":
            header.comment = Comment("负责人的用户名或姓名", "OP-CMS")
        if column.field in list_columns:
            validation = DataValidation(
                type="list",
                formula1=f"={list_columns[column.field]}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.header,
                error=f"请从下拉列表选择{column.header}",
            )
            validation.add(f"{letter}3:{letter}1048576")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A3"
    return _to_bytes(workbook)


def _example(kind: str, text: str) -> Any:
    if not text:
        return None
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "int":
        return int(text)
    if kind == "money":
        return Decimal(text)
    return text


# --- errors -------------------------------------------------------------------------------------
def error_workbook(upload: IO[bytes], errors: list[dict[str, Any]]) -> bytes:
    """The failed rows of the stored upload (a seekable file, closed with the sheet) with their
    reasons (see module doc)."""
    language = current_language()
    error_header, row_header, sheet_title = ERROR_HEADERS[language]
    colon, separator = ("：", "；") if language == ZH else (": ", "; ")
    reasons: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        reasons[error["row"]].append(f"{error['column']}{colon}{error['reason']}")
    workbook = Workbook(write_only=True)
    out = workbook.create_sheet(sheet_title)
    with Sheet(upload) as sheet:
        header = [_bold(out, error_header), _bold(out, row_header)]
        header += [_bold(out, _value(v)) for v in _trim(sheet.layout.headers)]
        out.append(header)
        if reasons:
            wanted = max(reasons)
            for number, values in sheet.data_rows():
                if number in reasons:
                    reason = WriteOnlyCell(out, value=clean_text_for_cell(separator.join(reasons[number])))
                    reason.font = _ERROR
                    out.append([reason, number, *(_cell(out, v) for v in _trim(values))])
                if number >= wanted:
                    break
    return _to_bytes(workbook)


def _trim(values: tuple[Any, ...]) -> tuple[Any, ...]:
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return values[:end]


def _value(value: Any) -> Any:
    if isinstance(value, UncachedFormula):
        value = str(value)  # shown as the formula it was, as text: its result is what is missing
    if isinstance(value, str):
        return escape_cell(value)
    return value


def _bold(sheet: Any, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = _BOLD
    return cell


def _cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd" if value.time() == dt.time() else "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return _value(value)
