"""``file``: usage uploaded as CSV or Excel (.xlsx) files.

:func:`parse_usage_file` reads one upload into raw :class:`VendorUsage` rows (the upload API
uses it directly); the adapter reads every file stored for a source.

The file
    The type is told by content, never by name: a zip package is an .xlsx workbook, checked by
    :func:`opcms.core.excel.inspect_xlsx` (size and row caps, zip bombs, encryption, XML
    entities) before openpyxl opens it read-only, first worksheet only; an old .xls is refused;
    anything else is CSV text in UTF-8 (with or without BOM) or, failing that, GBK, with a
    comma, semicolon or tab as separator. The caps are ``OPCMS_IMPORT_MAX_BYTES`` and
    ``OPCMS_IMPORT_MAX_ROWS``.

    The header row is found among the first 10 rows (a title above it is fine); columns are
    matched by header, in any order, ignoring case, spaces, ``_``/``-`` and full-width forms:

    ==========  =====================================================
    account     account, account id, external account, 账号, 客户账号, 账户
    metric      metric, metric code, 指标, 指标编码, 计量指标
    usage_day   day, usage day, date, usage date, 日期, 用量日期
    quantity    quantity, qty, usage, 用量, 数量
    ==========  =====================================================

    All four are required; a missing one refuses the file (:class:`FileRefused`, code
    ``missing_columns``, naming it). Other columns are ignored, blank rows skipped.

Cells → raw text
    Text is trimmed (an export's formula-guard apostrophe is removed); a date cell becomes
    ``YYYY-MM-DD`` (with the time if it has one); a number becomes exact text as Excel shows it
    (15 significant digits: ``12.5`` → ``"12.5"``, ``3`` → ``"3"``, never ``"12.500000001"``);
    an empty cell ``""``. Validating the values is the caller's job (see the contract).

The adapter
    Settings ``{"directory": "..."}``: where the uploads of the source are stored (absolute,
    or relative to ``OPCMS_VAR_DIR``). ``fetch_usage(accounts, day)`` reads every ``.csv`` and
    ``.xlsx`` file there (hidden and ``~$`` lock files skipped), oldest first by modification
    time, and answers the rows of ``day`` for ``accounts``; when several files carry the same
    (account, metric) for the day, the newest file wins. A row matches the day when its day is
    ISO (``2024-05-01``, optionally with a time) or ``2024/5/1``; it is answered with the ISO
    day. Parsed files are cached by (modification time, size), so a back-fill reads each file
    once. A missing directory → :class:`VendorRejected`; a file that cannot be read →
    :class:`VendorResponseInvalid` (not retryable) naming it.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import math
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from opcms.core.excel import (
    OLE_MAGIC,
    ZIP_MAGIC,
    FileRefused,
    check_upload_size,
    inspect_xlsx,
    iter_values,
    open_workbook,
    unescape_cell,
)
from opcms.core.i18n import Clauses, Message
from opcms.core.text import fold_key
from opcms.usage.adapters.contract import (
    HealthResult,
    SourceConfig,
    UsageAdapter,
    VendorRejected,
    VendorResponseInvalid,
    VendorUnavailable,
    VendorUsage,
)

__all__ = ["COLUMN_ALIASES", "FileUsageAdapter", "parse_usage_file"]

#: the header row is looked for among the first rows
HEADER_SCAN_ROWS = 10
FIELDS = ("account", "metric", "usage_day", "quantity")
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "account": ("account", "account id", "external account", "账号", "客户账号", "账户"),
    "metric": ("metric", "metric code", "指标", "指标编码", "计量指标"),
    "usage_day": ("day", "usage day", "date", "usage date", "日期", "用量日期"),
    "quantity": ("quantity", "qty", "usage", "用量", "数量"),
}
FILE_SUFFIXES = (".csv", ".xlsx")
_CSV_DELIMITERS = (",", ";", "\t")


def header_key(value: Any) -> str:
    return re.sub(r"[\s_\-*]", "", fold_key(str(value)))


_HEADER_INDEX = {header_key(alias): field for field, aliases in COLUMN_ALIASES.items() for alias in aliases}


# --- cells -------------------------------------------------------------------------------------


def number_text(value: float) -> str:
    """A float as Excel shows it: 15 significant digits, plain notation, no trailing zeros.

    Float only because that is what a numeric xlsx cell is (Excel stores IEEE doubles and
    openpyxl hands them over as such); the text goes on as a Decimal, never as a float."""
    if not math.isfinite(value):
        return repr(value)
    text = format(Decimal(format(value, ".15g")), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return str(unescape_cell(value.strip()))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # a duration cell
        return str(value)
    return str(value).strip()


# --- rows --------------------------------------------------------------------------------------


def _find_header(first_rows: list[tuple[int, Sequence[Any]]]) -> tuple[int, dict[str, int]]:
    """(row number, field → column position) of the row that names the most known columns."""
    best: tuple[int, dict[str, int]] | None = None
    for number, values in first_rows:
        positions: dict[str, int] = {}
        for position, value in enumerate(values):
            if isinstance(value, str) and value.strip():
                field = _HEADER_INDEX.get(header_key(value))
                if field is not None and field not in positions:
                    positions[field] = position
        if positions and (best is None or len(positions) > len(best[1])):
            best = (number, positions)
    found = best[1] if best else {}
    missing = [f for f in FIELDS if f not in found]
    if missing:
        where = (
            f" (header row {best[0]})" if best else f" (no header row in the first {HEADER_SCAN_ROWS} rows)"
        )
        columns = Clauses(
            Message("usage_column_accepts", {"column": f, "headers": COLUMN_ALIASES[f]}) for f in missing
        )
        raise FileRefused(
            "Required columns missing: "
            + "; ".join(f"{f} (headers accepted: {', '.join(COLUMN_ALIASES[f])})" for f in missing)
            + where,
            code="missing_columns",
            key="usage_columns_missing" if best else "usage_columns_no_header",
            params={"columns": columns, "row": best[0] if best else "", "rows": HEADER_SCAN_ROWS},
            details=[
                {
                    "field": f,
                    "message": f"required column missing; accepted headers: {', '.join(COLUMN_ALIASES[f])}",
                    "code": "usage_column_missing",
                    "params": {"headers": COLUMN_ALIASES[f]},
                }
                for f in missing
            ],
        )
    assert best is not None
    return best


def _rows_to_usage(rows: Any, max_rows: int) -> list[VendorUsage]:
    """Rows (iterables of cell values, row 1 first) → usage; the header found in the first rows."""
    first: list[tuple[int, Sequence[Any]]] = []
    iterator = iter(rows)
    for number, values in enumerate(iterator, start=1):
        first.append((number, tuple(values)))
        if number >= HEADER_SCAN_ROWS:
            break
    header_row, positions = _find_header(first)
    out: list[VendorUsage] = []

    def take(values: Sequence[Any]) -> None:
        cells = [cell_text(values[positions[f]]) if positions[f] < len(values) else "" for f in FIELDS]
        if not any(cells):
            return
        if len(out) >= max_rows:
            raise FileRefused(
                f"The file has more than {max_rows:,} data rows (OPCMS_IMPORT_MAX_ROWS)",
                code="too_many_rows",
                key="too_many_data_rows",
                params={"limit": max_rows},
                status=413,
            )
        out.append(VendorUsage(*cells))

    for number, values in first:
        if number > header_row:
            take(values)
    for values in iterator:
        take(tuple(values))
    return out


def _decode_csv(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8")
        except UnicodeDecodeError as error:
            raise FileRefused(
                f"The file starts with a UTF-8 mark but is not UTF-8 ({error})",
                code="bad_encoding",
                key="bad_encoding_bom",
                params={"error": str(error)},
            ) from None
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            "UTF-16 text is not supported; save the file as CSV UTF-8",
            code="bad_encoding",
            key="bad_encoding_utf16",
        )
    for encoding in ("utf-8", "gbk"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused("The CSV file is neither UTF-8 nor GBK text", code="bad_encoding")


def _delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:HEADER_SCAN_ROWS] if line.strip()]
    counts = {d: max((line.count(d) for line in lines), default=0) for d in _CSV_DELIMITERS}
    best = max(_CSV_DELIMITERS, key=lambda d: counts[d])  # ties: the first (comma)
    return best if counts[best] else ","


def _parse_csv(content: bytes, max_rows: int) -> list[VendorUsage]:
    text = _decode_csv(content)
    if "\x00" in text:
        raise FileRefused("The file is binary, not CSV text", code="not_csv", status=415)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _rows_to_usage(reader, max_rows)
    except csv.Error as error:
        raise FileRefused(
            f"The CSV file cannot be read ({error})",
            code="corrupt_file",
            key="csv_unreadable",
            params={"error": str(error)},
        ) from None


def _parse_xlsx(content: bytes, max_bytes: int, max_rows: int) -> list[VendorUsage]:
    inspect_xlsx(content, max_bytes=max_bytes, max_rows=max_rows)
    workbook = open_workbook(io.BytesIO(content))
    try:
        worksheets = workbook.worksheets
        if not worksheets:
            raise FileRefused("The workbook has no worksheet", code="no_worksheet")
        return _rows_to_usage(iter_values(worksheets[0]), max_rows)
    finally:
        workbook.close()


def parse_usage_file(
    content: bytes, filename: str, *, max_bytes: int | None = None, max_rows: int | None = None
) -> list[VendorUsage]:
    """The usage rows of one uploaded CSV or .xlsx file, raw, in file order.

    ``filename`` is only used in messages: the type is told by content. Raises
    :class:`opcms.core.excel.FileRefused` (a 4xx ``AppError``) for a file that cannot be read
    or lacks a required column. The caps default to ``OPCMS_IMPORT_MAX_BYTES``/``_ROWS``.
    """
    if max_bytes is None or max_rows is None:
        from opcms.core.settings import get_settings

        settings = get_settings()
        max_bytes = settings.import_max_bytes if max_bytes is None else max_bytes
        max_rows = settings.import_max_rows if max_rows is None else max_rows
    check_upload_size(filename, content, max_bytes)
    if content.startswith((ZIP_MAGIC, OLE_MAGIC)):
        return _parse_xlsx(content, max_bytes, max_rows)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused(
            f"{filename}: not an Excel .xlsx workbook (the content is not a zip package)",
            code="not_xlsx",
            key="named_not_xlsx",
            params={"name": filename},
            status=415,
        )
    return _parse_csv(content, max_rows)


# --- the adapter -------------------------------------------------------------------------------


class FileSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    directory: str = Field(min_length=1)


_SLASHED_DAY = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})")


def match_day(text: str) -> dt.date | None:
    """The day a file row is for: ISO (a time may follow) or ``2024/5/1``; ``None`` if neither."""
    text = text.strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    match = _SLASHED_DAY.match(text)
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class _Parsed:
    stamp: tuple[int, int]  # (mtime_ns, size)
    rows: list[VendorUsage]


class FileUsageAdapter(UsageAdapter):
    name = "file"
    description = "Usage uploaded as CSV or Excel files"
    settings_model = FileSettings

    settings: FileSettings

    def __init__(self, config: SourceConfig, *, http: httpx.AsyncClient | None = None) -> None:
        super().__init__(config, http=http)
        directory = Path(self.settings.directory).expanduser()
        if not directory.is_absolute():
            from opcms.core.settings import get_settings

            directory = get_settings().var_dir / directory
        self.directory = directory
        self._cache: dict[str, _Parsed] = {}

    def _files(self) -> list[tuple[tuple[int, int], Path]]:
        if not self.directory.is_dir():
            raise VendorRejected(f"{self.config.name}: the upload directory {self.directory} does not exist")
        found = []
        try:
            for entry in os.scandir(self.directory):
                name = entry.name
                if (
                    name.startswith((".", "~$"))
                    or not name.lower().endswith(FILE_SUFFIXES)
                    or not entry.is_file()
                ):
                    continue
                info = entry.stat()
                found.append(((info.st_mtime_ns, info.st_size), Path(entry.path)))
        except OSError as error:
            raise VendorUnavailable(f"{self.config.name}: cannot list {self.directory}: {error}") from None
        return sorted(found, key=lambda item: (item[0][0], item[1].name))

    def _load(self) -> list[list[VendorUsage]]:
        """Rows of every stored file, oldest file first (cached by modification time and size)."""
        files = self._files()
        loaded = []
        for stamp, path in files:
            key = str(path)
            cached = self._cache.get(key)
            if cached is None or cached.stamp != stamp:
                try:
                    content = path.read_bytes()
                except FileNotFoundError:  # removed meanwhile
                    continue
                except OSError as error:
                    raise VendorUnavailable(f"{self.config.name}: cannot read {path.name}: {error}") from None
                try:
                    rows = parse_usage_file(content, path.name)
                except FileRefused as error:
                    raise VendorResponseInvalid(
                        f"{self.config.name}: {path.name}: {error.message}", retryable=False
                    ) from None
                cached = self._cache[key] = _Parsed(stamp, rows)
            loaded.append(cached.rows)
        return loaded

    async def fetch_usage(self, accounts: Sequence[str], day: dt.date) -> list[VendorUsage]:
        wanted = set(accounts)
        if not wanted:
            return []
        files = await asyncio.to_thread(self._load)
        iso = day.isoformat()
        picked: dict[tuple[str, str], VendorUsage] = {}
        for rows in files:  # oldest first: a newer file overwrites
            for row in rows:
                if row.account in wanted and match_day(row.usage_day) == day:
                    picked[(row.account, row.metric)] = VendorUsage(
                        row.account, row.metric, iso, row.quantity
                    )
        return list(picked.values())

    async def health_check(self) -> HealthResult:
        started = time.perf_counter()

        def look() -> HealthResult:
            if not self.directory.is_dir():
                return HealthResult(False, f"the upload directory {self.directory} does not exist", None)
            if not os.access(self.directory, os.R_OK | os.X_OK):
                return HealthResult(False, f"the upload directory {self.directory} is not readable", None)
            count = len(self._files())
            latency = round((time.perf_counter() - started) * 1000, 1)
            return HealthResult(True, f"{count} usage file(s) in {self.directory}", latency)

        try:
            return await asyncio.to_thread(look)
        except Exception as error:
            return HealthResult(False, f"{type(error).__name__}: {error}", None)
