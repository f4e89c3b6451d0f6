"""The invoice list and the aging report as .xlsx workbooks.

Written like the customer export: a write-only workbook saved to a temporary file, invoices
fetched in id-ordered chunks so memory stays flat, every text cell through
``core.excel.escape_cell`` (a company name "=cmd" stays text, DESIGN §4). Money cells are the
``Decimal`` values themselves with a 0.00 format: openpyxl writes them with 16 significant
digits, which holds every DECIMAL(18,2) amount below 10^14 exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from opcms.billing.queries import invoice_rows
from opcms.billing.reports.schemas import BUCKET_FIELDS, BUCKETS, InvoiceQuery
from opcms.core.excel import escape_cell
from opcms.core.models import records_by_id
from opcms.settlement.models import InvoiceStatus
from opcms.settlement.rules import OPEN_STATUSES

CHUNK = 2000
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"

STATUS_LABELS = {
    InvoiceStatus.UNSETTLED: "未结算",
    InvoiceStatus.PARTIALLY_SETTLED: "部分结算",
    InvoiceStatus.SETTLED: "已结算",
    InvoiceStatus.VOID: "作废",
}
BUCKET_LABELS = {
    "current": "未到期",
    "1-30": "逾期1-30天",
    "31-60": "逾期31-60天",
    "61-90": "逾期61-90天",
    "90+": "逾期90天以上",
}


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # an Invoice column, or a value derived in _invoice_value
    kind: str = "text"  # text, money, date, int
    width: int = 14


INVOICE_COLUMNS: tuple[Column, ...] = (
    Column("发票号", "number", width=22),
    Column("客户编号", "customer_code"),
    Column("公司名称", "company_name", width=32),
    Column("账期", "period", width=10),
    Column("开票日期", "issue_date", "date", 12),
    Column("到期日", "due_date", "date", 12),
    Column("币种", "currency", width=8),
    Column("小计", "subtotal", "money"),
    Column("折扣", "discount_amount", "money"),
    Column("应收合计", "total", "money"),
    Column("红字冲减", "credited_amount", "money"),
    Column("已收金额", "paid_amount", "money"),
    Column("未收金额", "outstanding", "money"),
    Column("结算状态", "status", width=10),
    Column("是否逾期", "overdue", width=10),
    Column("逾期天数", "days_overdue", "int", 10),
    Column("作废原因", "void_reason", width=24),
)
_DB_FIELDS = (
    "number",
    "customer_code",
    "company_name",
    "period",
    "issue_date",
    "due_date",
    "currency",
    "subtotal",
    "discount_amount",
    "total",
    "credited_amount",
    "paid_amount",
    "outstanding",
    "status",
    "void_reason",
)


def _text(value: str | None) -> str | None:
    return None if value is None else escape_cell(value)


def _cell(sheet: Any, value: Any, kind: str = "text", *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=_text(value) if isinstance(value, str) else value)
    if kind == "date" and value is not None:
        cell.number_format = DATE_FORMAT
    elif kind == "money":
        cell.number_format = MONEY_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def _header(sheet: Any, headers: list[str], widths: list[int]) -> None:
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.append([_cell(sheet, h, bold=True) for h in headers])


def _invoice_value(field: str, record: dict[str, Any], today: dt.date) -> Any:
    status = InvoiceStatus(record["status"])
    overdue = status in OPEN_STATUSES and record["due_date"] < today
    if field == "status":
        return STATUS_LABELS[status]
    if field == "overdue":
        return "是" if overdue else "否"
    if field == "days_overdue":
        return (today - record["due_date"]).days if overdue else 0
    return record[field]


async def write_invoices_xlsx(query: InvoiceQuery, path: Path, today: dt.date) -> int:
    """Write the invoices matching the list filters to ``path`` (oldest first); returns the count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("发票")
    sheet.freeze_panes = "A2"
    _header(sheet, [c.header for c in INVOICE_COLUMNS], [c.width for c in INVOICE_COLUMNS])
    base = invoice_rows(query, today)
    count = 0
    async for record in records_by_id(base, _DB_FIELDS, CHUNK):
        sheet.append([_cell(sheet, _invoice_value(c.field, record, today), c.kind) for c in INVOICE_COLUMNS])
        count += 1
    workbook.save(path)
    return count


async def write_aging_xlsx(report: dict[str, Any], path: Path) -> None:
    """Write an aging report (``queries.aging``'s answer): a bucket summary and one row per customer."""
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("账龄汇总")
    as_of = report["as_of"]
    summary.append([_cell(summary, "截止日期", bold=True), _cell(summary, as_of, "date")])
    _header(summary, ["账龄区间", "发票数", "未收金额"], [16, 10, 16])
    total_count, total_amount = 0, Decimal("0.00")
    for bucket in report["buckets"]:
        summary.append(
            [
                _cell(summary, BUCKET_LABELS[bucket["bucket"]]),
                _cell(summary, bucket["invoices"], "int"),
                _cell(summary, bucket["outstanding"], "money"),
            ]
        )
        total_count += bucket["invoices"]
        total_amount += bucket["outstanding"]
    summary.append(
        [
            _cell(summary, "合计", bold=True),
            _cell(summary, total_count, "int", bold=True),
            _cell(summary, total_amount, "money", bold=True),
        ]
    )

    customers = workbook.create_sheet("客户账龄")
    customers.freeze_panes = "A2"
    headers = ["客户编号", "公司名称", *(BUCKET_LABELS[b] for b in BUCKETS), "合计"]
    _header(customers, headers, [14, 32, 14, 14, 14, 14, 14, 16])
    for row in report["customers"]:
        customers.append(
            [
                _cell(customers, row["customer_code"]),
                _cell(customers, row["company_name"]),
                *(_cell(customers, row[name], "money") for name in BUCKET_FIELDS),
                _cell(customers, row["total"], "money"),
            ]
        )
    workbook.save(path)
