"""A statement's report: lines accepted as proposed, by hand, left open, skipped and duplicates,
with the sums; and the same with every line as an .xlsx workbook.

The sums are added in ``Decimal`` from the lines' amounts (a statement holds thousands of lines,
not millions: exact on every database). The workbook is written like the other exports: a
write-only workbook, text cells through ``core.excel.escape_cell``, money as ``Decimal`` with
a 0.00 format.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from opcms.core.excel import escape_cell
from opcms.core.models import records_by_id
from opcms.core.money import ZERO
from opcms.statements.models import BankStatement, BankStatementLine, LineKind, LineStatus, MatchedBy
from opcms.statements.schemas import CountAndAmount, JustCount, StatementReport

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
CHUNK = 2000


def _value(enum_or_text: Any) -> Any:
    return getattr(enum_or_text, "value", enum_or_text)


async def statement_report(statement_id: int) -> StatementReport:
    rows = await BankStatementLine.filter(statement_id=statement_id).values_list(
        "kind", "status", "matched_by", "amount"
    )
    counts = {"auto": 0, "by_hand": 0, "open": 0, "skipped": 0, "duplicates": 0}
    sums = {"auto": ZERO, "by_hand": ZERO, "open": ZERO}
    for kind, status, matched_by, amount in rows:
        kind, status, matched_by = _value(kind), _value(status), _value(matched_by)
        if kind == LineKind.SKIPPED.value:
            counts["skipped"] += 1
            continue
        if kind == LineKind.DUPLICATE.value:
            counts["duplicates"] += 1
            continue
        if status in (LineStatus.ACCEPTED.value, LineStatus.CREDIT.value):
            key = "by_hand" if matched_by == MatchedBy.HAND.value else "auto"
        else:
            key = "open"
        counts[key] += 1
        sums[key] += Decimal(str(amount)) if amount is not None else ZERO
    return StatementReport(
        auto=CountAndAmount(count=counts["auto"], amount=sums["auto"]),
        by_hand=CountAndAmount(count=counts["by_hand"], amount=sums["by_hand"]),
        open=CountAndAmount(count=counts["open"], amount=sums["open"]),
        skipped=JustCount(count=counts["skipped"]),
        duplicates=JustCount(count=counts["duplicates"]),
    )


# --- the workbook --------------------------------------------------------------------------------
KIND_LABELS = {"incoming": "收款", "skipped": "跳过", "duplicate": "重复（已导入）"}
STATUS_LABELS = {"open": "待处理", "accepted": "已核销", "credit": "转客户余额", "conflict": "冲突"}
MATCHED_LABELS = {"auto": "自动", "hand": "手工"}
CONFIDENCE_LABELS = {"high": "高", "medium": "中", "low": "低"}

LINE_COLUMNS: tuple[tuple[str, str, str, int], ...] = (
    ("行号", "row_number", "int", 8),
    ("类型", "kind", "text", 12),
    ("原因", "reason", "text", 16),
    ("交易日期", "booked_on", "date", 12),
    ("金额", "amount", "money", 14),
    ("对方户名", "payer_name", "text", 30),
    ("对方账号", "payer_account", "text", 22),
    ("摘要", "summary", "text", 20),
    ("流水号", "serial", "text", 22),
    ("状态", "status", "text", 10),
    ("确认方式", "matched_by", "text", 10),
    ("客户ID", "customer_id", "int", 10),
    ("置信度", "confidence", "text", 8),
    ("建议依据", "proposal_reason", "text", 28),
    ("收款ID", "payment_id", "int", 10),
    ("核销发票", "allocations", "text", 40),
)


def _cell(sheet: Any, value: Any, kind: str, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=escape_cell(value))
    if kind == "money" and value is not None:
        cell.number_format = MONEY_FORMAT
    elif kind == "date" and value is not None:
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def _shown(field: str, value: Any) -> Any:
    value = _value(value)
    if value is None:
        return None
    if field == "amount":
        return Decimal(str(value))
    labels = {
        "kind": KIND_LABELS,
        "status": STATUS_LABELS,
        "matched_by": MATCHED_LABELS,
        "confidence": CONFIDENCE_LABELS,
    }
    if field in labels:
        return labels[field].get(value, value)
    if field == "allocations":
        return (
            "; ".join(f"{a.get('invoice_number') or a.get('invoice_id')}: {a.get('amount')}" for a in value)
            or None
        )
    return value


async def report_workbook(statement: BankStatement) -> bytes:
    report = await statement_report(statement.id)
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("汇总")
    summary.append([_cell(summary, "银行流水", "text", True), _cell(summary, statement.filename, "text")])
    summary.append([_cell(summary, "账号", "text", True), _cell(summary, statement.account, "text")])
    summary.append(
        [
            _cell(summary, "导入时间", "text", True),
            _cell(summary, statement.created_at.strftime("%Y-%m-%d %H:%M"), "text"),
        ]
    )
    summary.append([])
    summary.append([_cell(summary, h, "text", True) for h in ("类别", "笔数", "金额")])
    for label, figure in (("自动核销", report.auto), ("手工核销", report.by_hand), ("待处理", report.open)):
        summary.append(
            [
                _cell(summary, label, "text"),
                _cell(summary, figure.count, "int"),
                _cell(summary, figure.amount, "money"),
            ]
        )
    summary.append([_cell(summary, "跳过", "text"), _cell(summary, report.skipped.count, "int")])
    summary.append([_cell(summary, "重复（已导入）", "text"), _cell(summary, report.duplicates.count, "int")])

    sheet = workbook.create_sheet("明细")
    sheet.append([_cell(sheet, header, "text", True) for header, *_ in LINE_COLUMNS])
    fields = [field for _, field, _, _ in LINE_COLUMNS]
    async for record in records_by_id(BankStatementLine.filter(statement_id=statement.id), fields, CHUNK):
        sheet.append([_cell(sheet, _shown(field, record[field]), kind) for _, field, kind, _ in LINE_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
