"""The filtered audit log as an .xlsx workbook.

Written like the other exports: a write-only workbook saved to a temporary file, rows read by
keyset in chunks so memory stays flat, every text cell through ``core.excel.escape_cell``.
Headers and action names are in the request's language (Chinese by default); times are in
the business time zone; before/after are the changed fields as JSON, as the log
holds them (secrets already masked, ``***``). At most ``EXPORT_MAX_ROWS`` rows: a filter
matching more is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from opcms.audit.queries import audit_rows, more_rows_than
from opcms.audit.schemas import EXPORT_MAX_ROWS, AuditLogFilter
from opcms.core.audit import AuditLog
from opcms.core.errors import ValidationFailed
from opcms.core.excel import escape_cell
from opcms.core.i18n import EN, current_language

CHUNK = 2000
MAX_CELL_CHARS = 32_767
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

#: an action's label, Chinese and English (the UI's own labels, frontend/src/locale/audit)
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "create": ("新建", "Create"),
    "update": ("修改", "Update"),
    "delete": ("删除", "Delete"),
    "restore": ("恢复", "Restore"),
    "status_change": ("状态变更", "Status change"),
    "login": ("登录", "Login"),
    "login_failed": ("登录失败", "Failed login"),
    "logout": ("退出登录", "Logout"),
    "token_reuse": ("令牌重用", "Token reuse"),
    "import": ("导入", "Import"),
    "void": ("作废", "Void"),
    "allocate": ("核销", "Allocate"),
    "reverse": ("冲销", "Reverse"),
    "retry": ("重试", "Retry"),
    "batch_assign_owner": ("批量分配负责人", "Batch: assign owner"),
    "batch_change_level": ("批量修改等级", "Batch: change level"),
    "batch_change_status": ("批量修改状态", "Batch: change status"),
    "batch_soft_delete": ("批量删除", "Batch: delete"),
}

#: (Chinese header, English header, width)
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("编号", "ID", 10),
    ("时间", "Time", 20),
    ("操作人", "Actor", 18),
    ("动作", "Action", 14),
    ("对象类型", "Entity type", 20),
    ("对象ID", "Entity ID", 12),
    ("变更字段", "Changed fields", 28),
    ("变更前", "Before", 48),
    ("变更后", "After", 48),
    ("说明", "Message", 32),
    ("请求ID", "Request ID", 34),
    ("客户端IP", "Client IP", 16),
)
SHEET_TITLES = ("审计日志", "Audit log")


class ExportTooLarge(ValidationFailed):
    code = "audit_export_too_large"


def _json(values: dict[str, Any] | None) -> str | None:
    if values is None:
        return None
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _changed_fields(row: AuditLog) -> str:
    return ", ".join(sorted({*(row.before or {}), *(row.after or {})}))


def _text(value: str | None) -> str | None:
    return None if value is None else escape_cell(value)


def _values(sheet: Any, row: AuditLog, tz: dt.tzinfo, english: bool) -> list[Any]:
    # plain values but the time (its format): a styled cell per value costs a third of the export
    when = WriteOnlyCell(sheet, value=row.occurred_at.astimezone(tz).replace(tzinfo=None, microsecond=0))
    when.number_format = TIME_FORMAT
    return [
        row.id,
        when,
        _text(row.actor),
        ACTION_LABELS[row.action][english] if row.action in ACTION_LABELS else row.action,
        _text(row.entity_type),
        _text(row.entity_id),
        _text(_changed_fields(row)),
        _text(_json(row.before)),
        _text(_json(row.after)),
        _text(row.message),
        _text(row.request_id),
        _text(row.client_ip),
    ]


def _header_cell(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell


async def check_export_size(query: AuditLogFilter) -> None:
    """Refuse (422 ``audit_export_too_large``) a filter matching more rows than one export writes."""
    if await more_rows_than(query, EXPORT_MAX_ROWS):
        raise ExportTooLarge(
            "more than {limit} audit entries match; narrow the filters (a shorter time range)",
            code="audit_export_too_large",
            params={"limit": EXPORT_MAX_ROWS},
        )


async def write_audit_xlsx(query: AuditLogFilter, path: Path, tz: dt.tzinfo) -> int:
    """Write the matching entries to ``path``, newest first, headers and actions in the
    request's language; returns the count."""
    english = current_language() == EN
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLES[english])
    sheet.freeze_panes = "A2"
    for index, (*_, width) in enumerate(COLUMNS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.append(
        [_header_cell(sheet, english_title if english else title) for title, english_title, _ in COLUMNS]
    )
    count = 0
    async for row in audit_rows(query, CHUNK):
        sheet.append(_values(sheet, row, tz, english))
        count += 1
        if count >= EXPORT_MAX_ROWS:  # rows written since the check: the cap still holds
            break
    workbook.save(path)
    return count
