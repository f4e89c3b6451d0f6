"""Reading a bank's statement export into lines (DESIGN §17).

The file: an ``.xlsx`` workbook (told by its zip signature, checked by the customer import's
defences, :func:`opcms.core.excel.inspect_xlsx`, before openpyxl reads it) or CSV text, UTF-8
(with or without a BOM), else GB18030 (which covers GBK); comma or tab separated. The upload
caps are the customer import's (``OPCMS_IMPORT_MAX_BYTES``, ``OPCMS_IMPORT_MAX_ROWS``).

The header row is looked for in the first 30 rows: the row and bank profile
(:mod:`opcms.statements.profiles`) that name the most fields win (a bank before the generic
profile on a tie); ``profile=`` forces one, and a ``mapping`` (field → header text) corrects
it. A statement needs a date and an amount (``credit``, or ``signed_amount``).

Every row after the header becomes a :class:`StatementLine`: ``incoming`` (money in), or
``skipped`` with its reason — ``blank``, ``totals`` (合计/总计/本页合计 … in a cell, or sums on a
row with no date and no serial), ``outgoing``, ``zero_amount``, ``unreadable_amount``,
``unreadable_date`` — and a detail naming what was read.

Cells are read as a person reads them: full-width digits and punctuation folded, thousands
separators, currency signs and words dropped, ``(1,234.00)`` and ``-1,234.00`` negative; dates
``2026-11-03``, ``2026/11/03``, ``2026.11.03``, ``20261103``, ``2026年11月3日``, with a time in
the same cell or not; times ``10:23:45``, ``10:23`` and ``102345``. Amounts are Decimals of two
places (a number cell of a workbook is read through its text, never as a float).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from opcms.core.excel import (
    HEADER_ALLOWANCE,
    OLE_MAGIC,
    ZIP_MAGIC,
    FileRefused,
    check_upload_size,
    inspect_xlsx,
    iter_values,
    open_workbook,
)
from opcms.core.i18n import Message, register
from opcms.core.money import CENT
from opcms.core.text import fold, fold_key
from opcms.statements.profiles import FIELDS, PROFILES, BankProfile

__all__ = [
    "FIELDS",
    "HEADER_SCAN_ROWS",
    "PROFILES",
    "BankProfile",
    "ReadStatement",
    "StatementLine",
    "StatementRefused",
    "read_statement",
]

#: the header row is looked for among the first rows (title lines above it)
HEADER_SCAN_ROWS = 30
#: a header row names at least this many fields (a title line naming one is not a header)
MIN_HEADER_FIELDS = 2
Reason = Literal["outgoing", "blank", "totals", "zero_amount", "unreadable_amount", "unreadable_date"]


#: the texts of the refusals below (registered with the catalog when this module is imported)
READING_MESSAGES: dict[str, tuple[str, str]] = {
    "not_a_statement": ("此文件不是银行流水", "The file is not a bank statement"),
    "statement_no_header": (
        "前 {rows} 行中没有找到流水表头（应有日期与金额列，如“交易日期”和“收入金额/贷方发生额”）",
        "No statement header found in the first {rows} rows (a row naming the date and the amount "
        "columns, such as the transaction date and the credit amount)",
    ),
    "statement_columns_missing": (
        "表头（第 {row} 行）缺少{missing}列；现有列：{found}",
        "The header row (row {row}) has no {missing} column; its columns: {found}",
    ),
    "statement_field_date": ("日期", "date"),
    "statement_field_amount": ("金额", "amount"),
    "statement_field_date_amount": ("日期与金额", "date and amount"),
    "statement_date_column_missing": ("缺少日期列", "no date column"),
    "statement_amount_column_missing": (
        "缺少金额列（收入/贷方金额，或带符号的发生额）",
        "no amount column (credit, or a signed amount)",
    ),
    "unknown_encoding": (
        "文件编码无法识别（{why}）；请将流水另存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx",
        "The file's text is {why}; save the statement as CSV in UTF-8 or GBK, or as .xlsx",
    ),
    "unknown_profile": (
        "未知的银行模板 {profile}（可选：{known}）",
        "Unknown bank profile {profile} (known: {known})",
    ),
    "bad_mapping": (
        "列映射中的表头在文件前 {rows} 行中不存在：{headers}",
        "The mapping names headers the file does not have in its first {rows} rows: {headers}",
    ),
    "statement_no_such_header": ("文件中没有此列", "the file has no such column"),
    "statement_mapping_unknown_fields": (
        "列映射含未知字段：{fields}（可用字段：{known}）",
        "The mapping names fields that do not exist: {fields} (fields: {known})",
    ),
    "statement_mapping_twice": (
        "列映射把同一列给了多个字段：{fields}",
        "The mapping gives one header to several fields: {fields}",
    ),
    "unsupported_file": (
        "文件是二进制内容，不是 CSV 文本或 .xlsx 工作簿",
        "The file is binary, not CSV text or an .xlsx workbook",
    ),
    "statement_csv_unreadable": ("CSV 文件无法读取（{error}）", "The CSV file cannot be read ({error})"),
}
register(READING_MESSAGES)


class StatementRefused(FileRefused):
    """A file that is read, but is no statement this reading understands (nothing is kept)."""

    status, code, message = 422, "not_a_statement", "The file is not a bank statement"


# --- what reading gives --------------------------------------------------------------------------
class RawCells(Mapping[str, str]):
    """header text → cell text of one row, as read (one tuple of the row's cells, the headers
    shared by every line)."""

    __slots__ = ("_cells", "_headers")

    def __init__(self, headers: tuple[str, ...], cells: tuple[str, ...]) -> None:
        self._headers = headers
        self._cells = cells

    def __getitem__(self, key: str) -> str:
        try:
            index = self._headers.index(key)
        except ValueError:
            raise KeyError(key) from None
        return self._cells[index] if index < len(self._cells) else ""

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for header in self._headers:
            if header and header not in seen:
                seen.add(header)
                yield header

    def __len__(self) -> int:
        return len({h for h in self._headers if h})

    def __repr__(self) -> str:
        return f"RawCells({dict(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self) == dict(other)

    def __hash__(self) -> int:
        return hash(tuple(self.items()))


@dataclass(frozen=True, slots=True)
class StatementLine:
    row_number: int  # 1-based row of the file (the header row is not a line)
    kind: Literal["incoming", "skipped"]
    reason: str | None  # skipped: one of ``Reason``
    detail: str | None  # what was read that gave the reason (the cell text, the totals word …)
    booked_on: dt.date | None
    booked_at: dt.time | None
    amount: Decimal | None  # incoming: > 0, 2 places; outgoing lines: the (positive) debit
    balance: Decimal | None
    payer_name: str | None
    payer_account: str | None  # digits only
    payer_bank: str | None
    summary: str | None
    purpose: str | None
    serial: str | None  # the bank's 流水号, trimmed
    currency: str  # "CNY" unless the file says otherwise
    raw: Mapping[str, str]  # header text -> cell text as read

    def fingerprint(self) -> str:
        """A stable text of what the line says (date, time, amount, payer account and name,
        serial, summary): the same line read from GBK or UTF-8, CSV or a workbook, gives the same."""
        parts = [
            self.booked_on.isoformat() if self.booked_on else "",
            self.booked_at.isoformat() if self.booked_at else "",
            f"{self.amount:.2f}" if self.amount is not None else "",
            self.payer_account or "",
            fold_key(self.payer_name or ""),
            self.serial or "",
            fold_key(self.summary or ""),
        ]
        return "|".join(part.replace("|", "/") for part in parts)

    def fingerprint_hash(self) -> str:
        return hashlib.sha256(self.fingerprint().encode()).hexdigest()


@dataclass(frozen=True)
class ReadStatement:
    profile: str  # the profile code used, or "custom" when a mapping was given
    encoding: str  # "utf-8" | "utf-8-sig" | "gb18030" | "xlsx"
    header_row: int  # 1-based
    headers: list[str]  # the header row's texts
    mapping: dict[str, str]  # field -> header text used
    account: str | None  # the statement's own account (digits) when a title line gives it
    lines: list[StatementLine]  # every row after the header, incoming and skipped alike

    @property
    def incoming(self) -> list[StatementLine]:
        return [line for line in self.lines if line.kind == "incoming"]

    @property
    def skipped(self) -> list[StatementLine]:
        return [line for line in self.lines if line.kind == "skipped"]


# --- cells ---------------------------------------------------------------------------------------
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)


def cell_text(value: Any) -> str:
    """A cell as text: trimmed (tabs too), ``="123"`` and a leading ``'`` unwrapped (how exports
    keep Excel from rounding long numbers); a number cell as its digits."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("="):
            match = _EXCEL_TEXT.match(text)
            if match:
                text = match[1].strip()
        if text.startswith("'"):
            text = text[1:].strip()
        return text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def header_key(text: str) -> str:
    """How headers compare: folded, case-insensitive, without spaces and a trailing ``*`` or ``:``."""
    return fold_key(text).replace(" ", "").rstrip("*:")


def _base_key(key: str) -> str:
    """The header's text before a bracketed part: ``交易日期[transactiondate]`` → ``交易日期``."""
    for mark in ("[", "("):
        at = key.find(mark)
        if at > 0:
            key = key[:at]
    return key


class _Unreadable(Exception):  # noqa: N818 - an internal signal: the line is skipped with this detail
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


_EMPTY_MARKS = {"", "-", "--", "—", "——", "/", "null", "none", "n/a"}
_CURRENCY_WORDS = re.compile(r"(?i)rmb|cny|usd|hkd|eur|人民币|元|[¥$€£]")
_PLAIN_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_FLOAT_NOISE = Decimal("0.000001")
_TOO_MUCH = Decimal(10) ** 16
_SIMPLE_AMOUNT = re.compile(r"[0-9]{1,3}(?:,?[0-9]{3})*(?:\.[0-9]{1,2})?")


def _is_empty(text: str) -> bool:
    return len(text) <= 4 and text.casefold() in _EMPTY_MARKS


def parse_amount(value: Any) -> Decimal | None:
    """A cell's amount (None: empty), or :class:`_Unreadable`."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _two_places(Decimal(value), str(value))
    if isinstance(value, float):  # through its text, never Decimal(float)
        if not math.isfinite(value):
            raise _Unreadable(repr(value))
        exact = Decimal(repr(value))
        rounded = exact.quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(exact - rounded) < _FLOAT_NOISE:  # a sum a sheet computed: 0.30000000000000004
            return _two_places(rounded, repr(value))
        raise _Unreadable(repr(value))
    if isinstance(value, Decimal):
        return _two_places(value, str(value))
    raw = cell_text(value)
    if _SIMPLE_AMOUNT.fullmatch(raw):  # most cells: 1,234.56
        return _two_places(Decimal(raw.replace(",", "")), raw)
    text = fold(raw).replace(" ", "")
    if _is_empty(text):
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    text = _CURRENCY_WORDS.sub("", text)
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith(("-", "+")):
        negative, text = negative or text[0] == "-", text[1:]
    elif text.endswith("-"):  # 1,234.00- (some ledgers write the sign after)
        negative, text = True, text[:-1]
    text = _CURRENCY_WORDS.sub("", text)
    text = text.replace(",", "").replace("_", "")
    if not _PLAIN_NUMBER.match(text):
        raise _Unreadable(raw)
    amount = _two_places(Decimal(text), raw)
    return -amount if negative else amount


def _two_places(value: Decimal, raw: str) -> Decimal:
    try:
        rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise _Unreadable(raw) from None
    if rounded != value or abs(rounded) >= _TOO_MUCH:  # cents, never less; what DECIMAL(18,2) holds
        raise _Unreadable(raw)
    return rounded


_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\s*[T ]?\s*(\d{2}):?(\d{2}):?(\d{2})?)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$")
_COMPACT_TIME = re.compile(r"^(\d{1,2})(\d{2})(\d{2})?$")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def parse_date(value: Any) -> tuple[dt.date, dt.time | None] | None:
    """A cell's date and the time it also holds (None: empty), or :class:`_Unreadable`."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date(), (value.time() if value.time() != dt.time() else None)
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, dt.time):
        raise _Unreadable(value.isoformat())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _date_from_number(value)
    raw = cell_text(value)
    text = fold(raw)
    if _is_empty(text):
        return None
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        raise _Unreadable(raw)
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
        time = None
        if match[4] is not None:
            time = dt.time(int(match[4]), int(match[5]), int(match[6] or 0))
    except ValueError:
        raise _Unreadable(raw) from None
    return day, time


def _date_from_number(number: float) -> tuple[dt.date, dt.time | None]:
    if not math.isfinite(number):
        raise _Unreadable(repr(number))
    if float(number).is_integer() and 19000101 <= number <= 29991231:  # 20261103
        try:
            text = str(int(number))
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])), None
        except ValueError:
            raise _Unreadable(str(int(number))) from None
    if 1 <= number < 2958466:  # an Excel serial number
        moment = EXCEL_EPOCH + dt.timedelta(days=float(number))
        moment = moment.replace(microsecond=0)
        return moment.date(), (moment.time() if moment.time() != dt.time() else None)
    raise _Unreadable(cell_text(number))


def parse_time(value: Any) -> dt.time | None:
    """A cell's time (None: empty), or :class:`_Unreadable`; a cell holding a date and a time
    gives its time."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0)
    if isinstance(value, dt.date):
        return None
    if isinstance(value, float) and 0 <= value < 1:  # a fraction of a day
        seconds = round(value * 86400)
        return dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    raw = cell_text(value)
    text = fold(raw)
    if _is_empty(text):
        return None
    match = _TIME.match(text) or _COMPACT_TIME.match(text)
    try:
        if match is not None:
            return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))
        both = parse_date(text)
    except ValueError:
        raise _Unreadable(raw) from None
    if both is None or both[1] is None:
        raise _Unreadable(raw)
    return both[1]


_CURRENCIES = {
    "人民币": "CNY",
    "人民币元": "CNY",
    "rmb": "CNY",
    "156": "CNY",
    "cny": "CNY",
    "美元": "USD",
    "840": "USD",
    "港币": "HKD",
    "港元": "HKD",
    "欧元": "EUR",
    "日元": "JPY",
    "英镑": "GBP",
}


def parse_currency(text: str) -> str:
    key = fold_key(text).replace(" ", "")
    if not key or _is_empty(key):
        return "CNY"
    if key in _CURRENCIES:
        return _CURRENCIES[key]
    if re.fullmatch(r"[a-z]{3}", key):
        return key.upper()
    return fold(text)[:16]


def digits(text: str) -> str | None:
    found = "".join(c for c in fold(text) if c.isdigit() and c.isascii())
    return found or None


_CREDIT_WORDS = {"贷", "c", "cr", "credit", "收", "收入", "入", "来账", "存入", "+"}
_DEBIT_WORDS = {"借", "d", "dr", "debit", "付", "支", "支出", "出", "往账", "支取", "-"}


def _direction(text: str) -> Literal["in", "out"] | None:
    key = fold_key(text).replace(" ", "")
    if key in _CREDIT_WORDS or key.startswith("贷"):
        return "in"
    if key in _DEBIT_WORDS or key.startswith("借"):
        return "out"
    return None


#: a totals cell: 合计, 本页合计, 借方合计, 总计[ Total ], 合计笔数: 3 … (a name such as 联合计算机 is not one)
_TOTALS = re.compile(
    r"^(?:本页|本日|本月|本期|本年|当日|当月|借方|贷方|收入|支出|发生额|交易)?(?:合计|总计|小计|累计|汇总)"
    r"(?:笔数|金额|发生额)?(?:$|[^\u4e00-\u9fff])|^(?:sub|grand)?totals?(?:$|[\s:\[(\]])",
    re.IGNORECASE,
)


_TOTALS_HINT = re.compile("[计总]|total", re.IGNORECASE)  # a cheap look before folding


def _totals_word(cells: tuple[str, ...], ignored: frozenset[int] = frozenset()) -> str | None:
    """The cell that says the row is a totals row (cells at ``ignored`` positions not looked at)."""
    for position, text in enumerate(cells):
        if (
            text
            and position not in ignored
            and len(text) <= 40
            and _TOTALS_HINT.search(text)
            and _TOTALS.match(fold(text))
        ):
            return text
    return None


# --- refusals ------------------------------------------------------------------------------------
def _refused(message: str, *, code: str, status: int = 422, **kwargs: Any) -> StatementRefused:
    refusal = StatementRefused(message, code=code, **kwargs)
    refusal.status = status
    return refusal


# --- decoding and rows ---------------------------------------------------------------------------
def _decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with a BOM, UTF-8, else GB18030 (a superset of GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _unknown_encoding("UTF-16")
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            pass
    raise _unknown_encoding("neither UTF-8 nor GBK/GB18030")


def _unknown_encoding(why: str) -> StatementRefused:
    return _refused(
        "The file's text is {why}; save the statement as CSV in UTF-8 or GBK, or as .xlsx",
        code="unknown_encoding",
        params={"why": why},
    )


def _lines_of(text: str) -> Iterator[str]:
    """The text's lines, one slice at a time (no second copy of the whole text)."""
    start, size = 0, len(text)
    separator = "\n" if "\n" in text or "\r" not in text else "\r"
    while start < size:
        end = text.find(separator, start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _delimiter(text: str) -> str:
    """Comma or tab: the one the first lines hold most of (at most a line per row scanned)."""
    counts = {",": 0, "\t": 0, ";": 0}
    for number, line in enumerate(_lines_of(text)):
        if number >= HEADER_SCAN_ROWS:
            break
        for mark in counts:
            counts[mark] = max(counts[mark], line.count(mark))
    best = max(counts, key=lambda mark: counts[mark])  # ties: comma
    return best if counts[best] else ","


def _csv_rows(text: str) -> Iterator[tuple[Any, ...]]:
    reader = csv.reader(_lines_of(text), delimiter=_delimiter(text), strict=False)
    try:
        for row in reader:
            yield tuple(row)
    except csv.Error as error:
        raise _refused(
            "The CSV file cannot be read ({error})",
            code="unsupported_file",
            key="statement_csv_unreadable",
            params={"error": str(error)},
        ) from None


# --- the header ----------------------------------------------------------------------------------
@dataclass
class _Match:
    profile: BankProfile
    fields: dict[str, int]  # field -> position in the row
    exact: int  # how many matched by their whole text

    def score(self) -> tuple[int, int]:
        return len(self.fields), self.exact


def _match_profile(profile: BankProfile, keys: list[str]) -> _Match:
    fields: dict[str, int] = {}
    used: dict[int, str] = {}
    exact = 0
    bases = [_base_key(key) for key in keys]
    for field, aliases in profile.headers.items():
        alias_keys = [header_key(alias) for alias in aliases]
        position, whole = _find(alias_keys, keys, bases, used, field)
        if position is not None:
            fields[field] = position
            used.setdefault(position, field)
            exact += whole
    return _Match(profile, fields, exact)


def _shares(field: str, other: str) -> bool:
    """One column may be both the date and the time (``2026-11-03 10:23:45``)."""
    return {field, other} == {"booked_on", "booked_at"}


def _find(
    alias_keys: list[str], keys: list[str], bases: list[str], used: dict[int, str], field: str
) -> tuple[int | None, int]:
    for alias in alias_keys:  # the most specific name first, whole header text first
        for candidates, whole in ((keys, 1), (bases, 0)):
            for position, key in enumerate(candidates):
                if key and key == alias and (position not in used or _shares(field, used[position])):
                    return position, whole
    return None, 0


def _row_texts(values: tuple[Any, ...]) -> list[str]:
    return [cell_text(value) for value in values]


@dataclass
class _Layout:
    header_row: int
    headers: list[str]
    profile: str
    positions: dict[str, int]


def _layout(
    first: list[tuple[int, tuple[Any, ...]]],
    profile: str | None,
    mapping: Mapping[str, str] | None,
) -> _Layout:
    profiles = [PROFILES[profile]] if profile else list(PROFILES.values())
    rows = [(number, _row_texts(values)) for number, values in first]
    # a field given a blank header is one the user cleared: the file's column for it is not read,
    # even where the profile would have found one (a correction can take a column away)
    named = {field: header for field, header in (mapping or {}).items() if header_key(str(header or ""))}
    cleared = frozenset((mapping or {}).keys() - named.keys())
    if named:
        return _custom_layout(rows, profiles, named, cleared)
    best: tuple[tuple[int, int], int, list[str], _Match] | None = None
    for number, texts in rows:
        keys = [header_key(text) for text in texts]
        for candidate in profiles:
            found = _match_profile(candidate, keys)
            if len(found.fields) >= MIN_HEADER_FIELDS and (best is None or found.score() > best[0]):
                best = (found.score(), number, texts, found)
    if best is None:
        raise _refused(
            "No statement header found in the first {rows} rows (a row naming the date and the "
            "amount columns, such as the transaction date and the credit amount)",
            code="not_a_statement",
            key="statement_no_header",
            params={"rows": HEADER_SCAN_ROWS},
        )
    _, number, texts, found = best
    positions = {field: at for field, at in found.fields.items() if field not in cleared}
    _complete(positions)
    _require(positions, texts, number, code="bad_mapping" if cleared else "not_a_statement")
    return _Layout(number, texts, "custom" if cleared else found.profile.code, positions)


def _complete(positions: dict[str, int]) -> None:
    """A time column that holds the date too gives the date when no column names it."""
    if "booked_on" not in positions and "booked_at" in positions:
        positions["booked_on"] = positions["booked_at"]


def _require(positions: Mapping[str, int], texts: list[str], row: int, *, code: str) -> None:
    missing = []
    if "booked_on" not in positions:
        missing.append("date")
    if "credit" not in positions and "signed_amount" not in positions:
        missing.append("amount")
    if missing:
        found = ", ".join(text for text in texts if text) or "-"
        raise _refused(
            "The header row (row {row}) has no {missing} column; its columns: {found}",
            code=code,
            key="statement_columns_missing",
            params={
                "row": row,
                "missing": Message(f"statement_field_{'_'.join(missing)}", fallback=" and ".join(missing)),
                "found": found[:300],
            },
            details=[
                {
                    "field": field,
                    "message": f"no {field} column",
                    "code": f"statement_{field}_column_missing",
                    "params": {},
                }
                for field in missing
            ],
        )


def _custom_layout(
    rows: list[tuple[int, list[str]]],
    profiles: list[BankProfile],
    mapping: Mapping[str, str],
    cleared: frozenset[str] = frozenset(),
) -> _Layout:
    unknown = [field for field in (*mapping, *cleared) if field not in FIELDS]
    if unknown:
        raise _refused(
            "The mapping names fields that do not exist: {fields} (fields: {known})",
            code="bad_mapping",
            key="statement_mapping_unknown_fields",
            params={"fields": ", ".join(map(str, unknown)), "known": ", ".join(FIELDS)},
        )
    wanted = {field: header_key(str(header or "")) for field, header in mapping.items()}
    by_header: dict[str, list[str]] = {}
    for field, key in wanted.items():
        by_header.setdefault(key, []).append(field)
    twice = [
        fields
        for fields in by_header.values()
        if len(fields) > 1 and set(fields) != {"booked_on", "booked_at"}
    ]
    if twice:
        raise _refused(
            "The mapping gives one header to several fields: {fields}",
            code="bad_mapping",
            key="statement_mapping_twice",
            params={"fields": ", ".join(twice[0])},
        )
    best: tuple[int, int, list[str], list[str]] | None = None  # (found, row, texts, keys)
    for number, texts in rows:
        keys = [header_key(text) for text in texts]
        found = sum(1 for key in wanted.values() if key in keys)
        if found and (best is None or found > best[0]):
            best = (found, number, texts, keys)
    if best is None or best[0] < len(wanted):
        missing = [str(mapping[field]) for field, key in wanted.items() if best is None or key not in best[3]]
        raise _refused(
            "The mapping names headers the file does not have in its first {rows} rows: {headers}",
            code="bad_mapping",
            params={"rows": HEADER_SCAN_ROWS, "headers": ", ".join(missing)},
            details=[
                {
                    "field": field,
                    "message": f"no column {mapping[field]!r}",
                    "code": "statement_no_such_header",
                }
                for field, key in wanted.items()
                if best is None or key not in best[3]
            ],
        )
    _, number, texts, keys = best
    detected: _Match | None = None
    for candidate in profiles:
        found_match = _match_profile(candidate, keys)
        if detected is None or found_match.score() > detected.score():
            detected = found_match
    positions = {
        field: at for field, at in (detected.fields if detected else {}).items() if field not in cleared
    }
    for field, key in wanted.items():  # the user's word wins: that header means this field only
        position = keys.index(key)
        for other, at in list(positions.items()):
            if at == position and not _shares(field, other):
                del positions[other]
        positions[field] = position
    _complete(positions)
    _require(positions, texts, number, code="bad_mapping")
    return _Layout(number, texts, "custom", positions)


# --- the account in the title lines ---------------------------------------------------------------
_ACCOUNT_LABEL = re.compile(
    r"^(?:本方|银行|查询)?(?:账号|帐号|账户|帐户|卡号|account(?:no\.?|number)?)(?:\[[^\]]*\])?[:：]?(.*)$",
    re.IGNORECASE,
)


def _title_account(rows: list[tuple[int, tuple[Any, ...]]], header_row: int) -> str | None:
    for number, values in rows:
        if number >= header_row:
            break
        texts = [fold(text).replace(" ", "") for text in _row_texts(values)]
        for index, text in enumerate(texts):
            match = _ACCOUNT_LABEL.match(text)
            if match is None:
                continue
            value = match[1]
            if not value:  # the number in the next cell
                value = next((t for t in texts[index + 1 :] if t), "")
            found = _account_digits(value)
            if found:
                return found
    return None


def _account_digits(text: str) -> str | None:
    match = re.match(r"^[\d\-\s]{6,40}", text)
    return digits(match[0]) if match else None


# --- the lines -----------------------------------------------------------------------------------
class _LineReader:
    def __init__(self, layout: _Layout) -> None:
        self.layout = layout
        self.headers = tuple(layout.headers)
        self.at = layout.positions
        self.free_text = frozenset(
            self.at[field] for field in ("payer_name", "payer_bank", "summary", "purpose") if field in self.at
        ) - {self.at["booked_on"], self.at.get("serial")}

    def cell(self, values: tuple[Any, ...], field: str) -> Any:
        position = self.at.get(field)
        if position is None or position >= len(values):
            return None
        value = values[position]
        return None if value == "" else value

    def text(self, values: tuple[Any, ...], field: str) -> str | None:
        value = self.cell(values, field)
        if value is None:
            return None
        text = value if isinstance(value, str) else cell_text(value)
        return None if _is_empty(text) else text

    def read(self, number: int, cells: tuple[Any, ...]) -> StatementLine:
        texts = tuple(cell_text(value) for value in cells)
        raw = RawCells(self.headers, texts)
        # text cells as read (trimmed, unwrapped); numbers and dates of a workbook as they are
        values = tuple(
            text if isinstance(value, str) else value for value, text in zip(cells, texts, strict=True)
        )

        def skip(reason: Reason, detail: str | None, **found: Any) -> StatementLine:
            return self._line(number, values, raw, "skipped", reason, detail, **found)

        if not any(texts):
            return skip("blank", None)
        # a payer may write 合计3张发票 in the purpose: free text only counts on a row without a date
        dated = self.cell(values, "booked_on") is not None
        word = _totals_word(texts, self.free_text if dated else frozenset())
        if word is not None:
            return skip("totals", word)
        serial = self.text(values, "serial")
        date_cell = self.cell(values, "booked_on")
        try:
            amount, direction = self._amount(values)
        except _Unreadable as bad:
            return skip("unreadable_amount", bad.detail, serial=serial)
        if date_cell is None or _is_empty(cell_text(date_cell)):
            if serial is None and amount is not None:
                return skip("totals", "no date and no serial, only sums")
            if amount is None:
                return skip("blank", " ".join(t for t in texts if t)[:200] or None)
        if amount is None or amount == 0:
            return skip("zero_amount", None, serial=serial)
        if direction == "out":
            return skip("outgoing", None, amount=amount, serial=serial)
        try:
            if date_cell is None:
                raise _Unreadable("")
            booked = parse_date(date_cell)
            if booked is None:
                raise _Unreadable(cell_text(date_cell))
        except _Unreadable as bad:
            return skip("unreadable_date", bad.detail or "no date", amount=amount, serial=serial)
        day, time = booked
        if "booked_at" in self.at and self.at["booked_at"] != self.at["booked_on"]:
            with contextlib.suppress(_Unreadable):  # the time is a nicety; the date was read
                time = parse_time(self.cell(values, "booked_at")) or time
        return self._line(
            number,
            values,
            raw,
            "incoming",
            None,
            None,
            amount=amount,
            serial=serial,
            booked_on=day,
            booked_at=time,
        )

    def _amount(self, values: tuple[Any, ...]) -> tuple[Decimal | None, Literal["in", "out"] | None]:
        """(the amount, positive, and its direction), or (None, None) when the line has none."""
        if "credit" in self.at:
            credit = parse_amount(self.cell(values, "credit"))
            debit = parse_amount(self.cell(values, "debit")) if "debit" in self.at else None
            if credit:
                return (credit, "in") if credit > 0 else (-credit, "out")
            if debit:
                return (debit, "out") if debit > 0 else (-debit, "in")
            if credit is None and debit is None and "signed_amount" not in self.at:
                return None, None
            if credit is not None or debit is not None:
                return Decimal("0.00"), None
        signed = parse_amount(self.cell(values, "signed_amount"))
        if signed is None:
            return None, None
        if signed == 0:
            return signed, None
        side = self.text(values, "direction")
        if side is not None:
            direction = _direction(side)
            if direction is None:
                raise _Unreadable(f"{side} (借/贷?)")
            return abs(signed), direction
        return (signed, "in") if signed > 0 else (-signed, "out")

    def _line(
        self,
        number: int,
        values: tuple[Any, ...],
        raw: RawCells,
        kind: Literal["incoming", "skipped"],
        reason: Reason | None,
        detail: str | None,
        *,
        amount: Decimal | None = None,
        serial: str | None = None,
        booked_on: dt.date | None = None,
        booked_at: dt.time | None = None,
    ) -> StatementLine:
        if reason == "blank":
            return StatementLine(
                number,
                kind,
                reason,
                detail,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "CNY",
                raw,
            )
        try:
            balance = parse_amount(self.cell(values, "balance"))
        except _Unreadable:
            balance = None
        account = self.text(values, "payer_account")
        currency = self.text(values, "currency")
        return StatementLine(
            row_number=number,
            kind=kind,
            reason=reason,
            detail=detail,
            booked_on=booked_on,
            booked_at=booked_at,
            amount=amount,
            balance=balance,
            payer_name=self._clean(self.text(values, "payer_name")),
            payer_account=digits(account) if account else None,
            payer_bank=self._clean(self.text(values, "payer_bank")),
            summary=self._clean(self.text(values, "summary")),
            purpose=self._clean(self.text(values, "purpose")),
            serial=serial,
            currency=parse_currency(currency) if currency else "CNY",
            raw=raw,
        )

    @staticmethod
    def _clean(text: str | None) -> str | None:
        if text is None:
            return None
        cleaned = " ".join(text.split())
        return (text if cleaned == text else cleaned) or None  # the cell's own text when unchanged: kept once


# --- reading -------------------------------------------------------------------------------------
def read_statement(
    data: bytes,
    filename: str,
    *,
    profile: str | None = None,
    mapping: Mapping[str, str] | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ReadStatement:
    """Read one statement export into its lines. ``filename`` only names the file in messages
    (the type is told by the content). Raises :class:`StatementRefused` or
    :class:`opcms.core.excel.FileRefused` (4xx) for a file that cannot be read as a statement.
    The caps default to ``OPCMS_IMPORT_MAX_BYTES`` and ``OPCMS_IMPORT_MAX_ROWS``."""
    if max_bytes is None or max_rows is None:
        from opcms.core.settings import get_settings

        settings = get_settings()
        max_bytes = settings.import_max_bytes if max_bytes is None else max_bytes
        max_rows = settings.import_max_rows if max_rows is None else max_rows
    profile = profile or None
    if profile is not None and profile not in PROFILES:
        raise _refused(
            "Unknown bank profile {profile} (known: {known})",
            code="unknown_profile",
            params={"profile": profile, "known": ", ".join(PROFILES)},
        )
    check_upload_size(filename, data, max_bytes)
    if data.startswith((ZIP_MAGIC, OLE_MAGIC)):
        inspect_xlsx(data, max_bytes=max_bytes, max_rows=max_rows)
        workbook = open_workbook(io.BytesIO(data))
        try:
            worksheets = workbook.worksheets
            if not worksheets:
                raise FileRefused("The workbook has no worksheet", code="no_worksheet")
            return _read(iter_values(worksheets[0]), "xlsx", profile, mapping, max_rows)
        finally:
            workbook.close()
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused(
            f"{filename}: not an Excel .xlsx workbook (the content is not a zip package)",
            code="not_xlsx",
            key="named_not_xlsx",
            params={"name": filename},
            status=415,
        )
    text, encoding = _decode(data)
    if "\x00" in text:
        raise _refused(
            "The file is binary, not CSV text or an .xlsx workbook",
            code="unsupported_file",
            status=415,
        )
    return _read(_csv_rows(text), encoding, profile, mapping, max_rows)


def _read(
    rows: Iterable[tuple[Any, ...]],
    encoding: str,
    profile: str | None,
    mapping: Mapping[str, str] | None,
    max_rows: int,
) -> ReadStatement:
    iterator = iter(rows)
    first: list[tuple[int, tuple[Any, ...]]] = []
    for number, values in enumerate(iterator, start=1):
        first.append((number, tuple(values)))
        if number >= HEADER_SCAN_ROWS:
            break
    layout = _layout(first, profile, mapping)
    reader = _LineReader(layout)
    lines: list[StatementLine] = []
    counted = 0

    # blank and totals rows are no data rows, but are kept: a file of little else is refused too
    most_lines = max_rows + max(HEADER_ALLOWANCE, max_rows // 20)

    def take(number: int, values: tuple[Any, ...]) -> None:
        nonlocal counted
        if len(lines) >= most_lines:
            raise FileRefused(
                f"The file has more than {most_lines:,} rows (OPCMS_IMPORT_MAX_ROWS)",
                code="too_many_rows",
                key="too_many_data_rows",
                params={"limit": most_lines},
                status=413,
            )
        line = reader.read(number, values)
        if line.reason not in ("blank", "totals"):
            counted += 1
            if counted > max_rows:
                raise FileRefused(
                    f"The file has more than {max_rows:,} data rows (OPCMS_IMPORT_MAX_ROWS)",
                    code="too_many_rows",
                    key="too_many_data_rows",
                    params={"limit": max_rows},
                    status=413,
                )
        lines.append(line)

    for number, values in first:
        if number > layout.header_row:
            take(number, values)
    for number, values in enumerate(iterator, start=len(first) + 1):
        take(number, tuple(values))
    mapping_used = {
        field: layout.headers[position]
        for field in FIELDS
        if (position := layout.positions.get(field)) is not None
    }
    return ReadStatement(
        profile=layout.profile,
        encoding=encoding,
        header_row=layout.header_row,
        headers=list(layout.headers),
        mapping=mapping_used,
        account=_title_account(first, layout.header_row),
        lines=lines,
    )
