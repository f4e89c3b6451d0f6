"""Excel plumbing shared by imports and exports: formula escaping, and safe reading of
uploaded workbooks.

Formula injection: a text cell that starts with ``= + - @``, a tab or a carriage return is
written with a leading apostrophe, so a spreadsheet shows it as text and never runs it; the
import strips that apostrophe again (``unescape_cell``), so an export imports back unchanged.

Unstorable text: a workbook cannot carry the control characters XML 1.0 forbids (openpyxl
raises for them), and bidi controls would make a name read differently; ``escape_cell``, which
every text cell of an export goes through, drops both, so a row stored before the API refused
them (or written by hand) cannot break an export.

Reading: an upload is inspected from its bytes before any parser runs (``inspect_xlsx``), then
read by openpyxl in read-only mode with two parts of the reading done here instead, so that no
cell costs more memory than Excel's own limit allows (``MAX_CELL_CHARS``): the shared strings
(``open_workbook``) and the rows of the sheet (``iter_values``). A formula cell is read as the
result saved with it; one saved without a result is never read as empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import re
import uuid
import zipfile
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from opcms.core.errors import AppError
from opcms.core.i18n import Message
from opcms.core.settings import get_settings
from opcms.core.storage import FileStore, get_store, list_older
from opcms.core.text import BIDI_CONTROLS

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """A value as an export writes it: text cleaned (``clean_text_for_cell``), then kept from
    running as a formula."""
    if isinstance(value, str):
        value = clean_text_for_cell(value)
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    if (
        isinstance(value, str)
        and len(value) > 1
        and value[0] == "'"
        and value[1:].startswith(FORMULA_TRIGGERS)
    ):
        return value[1:]
    return value


# --- reading untrusted workbooks ------------------------------------------------------------------
# An uploaded .xlsx is a zip of XML parts. Everything below is checked from the bytes and the
# zip directory before openpyxl parses anything: the type (by content, never by name), the
# size caps, encryption, zip bombs (declared sizes and ratios; CPython never inflates a member
# past its declared size) and XML tricks (no part may carry a DOCTYPE or an ENTITY). openpyxl
# then parses with defusedxml as a second line (it uses it whenever it is installed).
#
# Cell text: a parser builds a whole text node as one string before anyone sees it (one 173 MB
# cell in a 2 MB upload took 635 MB to read), so text is bounded before parsing too. The
# inspection follows every part as it inflates and refuses a stretch of bytes without a '<' (one
# text node, or one tag) longer than any cell Excel can write; reading then counts each cell's
# text exactly, run by run as it streams, and refuses a file with a cell over Excel's limit.

if not openpyxl.DEFUSEDXML:  # pragma: no cover - an install problem, loud on purpose
    raise RuntimeError("defusedxml must be installed (and OPENPYXL_DEFUSEDXML not False) to read uploads")

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
ZIP_MAGIC = b"PK\x03\x04"
#: an XML part may inflate at most this many times its compressed size (real sheets: 5-30x)
MAX_RATIO = 100
#: ... unless it is small: tiny parts compress unevenly and cannot hurt
RATIO_FREE_BYTES = 1024 * 1024
#: all parts together, inflated, at most this many times the upload cap
MAX_UNZIPPED_FACTOR = 10
MAX_MEMBERS = 2000
#: <row> elements tolerated over the row cap before parsing (title, header, blank rows)
HEADER_ALLOWANCE = 10
#: Excel's own limit for the text of one cell, in characters: a longer cell cannot come from Excel
MAX_CELL_CHARS = 32_767
#: the most bytes a stretch of XML without a '<' may take: a cell of MAX_CELL_CHARS characters,
#: each written as a 10-byte character reference (``&#1114111;``), and its tag
MAX_STRETCH_BYTES = 10 * MAX_CELL_CHARS + 1024
_CHUNK = 1024 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_FORBIDDEN_XML = (b"<!DOCTYPE", b"<!ENTITY")
_ROW_TAGS = (b"<row ", b"<row>", b":row ", b":row>")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
#: parts openpyxl never reads (Power Query keeps a long base64 text there): not measured
_UNREAD_PARTS = ("customxml/",)
#: bytes kept before a stretch, to name the cell it belongs to
_CONTEXT_BYTES = 4096
_CELL_TAG = re.compile(rb"""<(?:\w+:)?c\s[^>]*?\br=["']([A-Z]{1,3}[0-9]{1,7})["'][^>]*>""")
_SHARED_TYPE = re.compile(rb"""\st=["']s["']""")
_STRING_STARTS = (b"<si>", b"<si ", b":si>", b":si ")
_MAIN = f"{{{SHEET_MAIN_NS}}}"
_SI, _T, _V, _C, _ROW, _RPH = (f"{_MAIN}{tag}" for tag in ("si", "t", "v", "c", "row", "rPh"))


class FileRefused(AppError):
    """An upload that is not read at all: wrong type, too big, corrupt, encrypted or unsafe."""

    status, code, message = 422, "file_refused", "The file was refused"

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int = 422,
        details: list[dict[str, Any]] | None = None,
        params: dict[str, Any] | None = None,
        key: str | None = None,
    ):
        super().__init__(message, code=code, details=details, params=params, key=key)
        self.status = status


@dataclass(frozen=True)
class XlsxInfo:
    size: int
    unzipped_size: int
    sheet_part: str  # the first worksheet, e.g. "xl/worksheets/sheet1.xml"
    row_elements: int  # <row> elements in that sheet: an upper bound of its rows
    xml_size: int = 0  # the XML parts inflated: what reading the workbook parses
    sheet_name: str = ""  # the first worksheet's name, as its tab shows it


def _not_xlsx(why: str, detail: str) -> FileRefused:
    """``why``: the catalog's name of the reason (``not_xlsx_<why>``), ``detail`` its English text."""
    return FileRefused(
        "Not an Excel .xlsx workbook ({detail})",
        code="not_xlsx",
        status=415,
        params={"detail": Message(f"not_xlsx_{why}", fallback=detail)},
    )


def damaged(detail: str) -> FileRefused:
    """A file that is not a readable workbook; ``detail`` is the technical cause (as read)."""
    return FileRefused("The file is damaged ({detail})", code="corrupt_file", params={"detail": detail})


def cell_too_long(sheet: str, cell: str | None) -> FileRefused:
    """The refusal of a file with a cell over Excel's limit, naming the sheet (its name; empty:
    the first one) and the cell (its reference, when known)."""
    where = f'sheet "{sheet}"' if sheet else "the first sheet"
    what = f"Cell {cell}" if cell else "A cell"
    field = f"{sheet or 'sheet 1'}!{cell or ''}".rstrip("!")
    reason = f"more than {MAX_CELL_CHARS:,} characters"
    limit = {"limit": MAX_CELL_CHARS}
    return FileRefused(
        f"{what} of {where} holds {reason}, Excel's limit for a cell; shorten it and upload the file again",
        code="cell_too_long",
        key=("cell_too_long_at" if cell else "cell_too_long_in") + ("" if sheet else "_first_sheet"),
        params={"cell": cell or "", "sheet": sheet, **limit},
        details=[{"field": field, "message": reason, "code": "cell_over_limit", "params": limit}],
    )


def check_upload_size(filename: str, data: bytes, max_bytes: int) -> None:
    """An uploaded file named ``filename`` refused when it is empty or larger than ``max_bytes``
    (413), with the file's name in the message: a vendor's usage file, a bank statement."""
    if not data:
        raise FileRefused(
            f"{filename}: the file is empty",
            code="empty_file",
            key="named_file_empty",
            params={"name": filename},
        )
    if len(data) > max_bytes:
        raise FileRefused(
            f"{filename}: the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes (OPCMS_IMPORT_MAX_BYTES)",
            code="file_too_large",
            key="named_file_too_large",
            params={"name": filename, "size": len(data), "limit": max_bytes},
            status=413,
        )


def inspect_xlsx(data: bytes, *, max_bytes: int, max_rows: int | None = None) -> XlsxInfo:
    """Check an upload before parsing it; raise :class:`FileRefused` (4xx) if it must not be."""
    if not data:
        raise FileRefused("The file is empty", code="empty_file")
    if len(data) > max_bytes:
        raise FileRefused(
            f"The file is {len(data):,} bytes; the limit is {max_bytes:,} bytes (OPCMS_IMPORT_MAX_BYTES)",
            code="file_too_large",
            status=413,
            params={"size": len(data), "limit": max_bytes},
        )
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            raise FileRefused(
                "The workbook is password-protected; remove the password and upload it again",
                code="password_protected",
            )
        raise _not_xlsx("ole", "an old .xls or other Office binary file; save it as .xlsx")
    if not data.startswith(ZIP_MAGIC):
        raise _not_xlsx("zip", "the content is not a zip package")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, EOFError, OSError) as error:
        raise damaged(f"broken zip: {error}") from None
    with archive:
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise _not_xlsx("parts", "a zip file without the parts of a workbook")
        _check_sizes(members, max_bytes)
        sheets, strings_part = _workbook_parts(archive, names)
        sheet_part, sheet_name = sheets[0]
        rows = xml_size = 0
        for member in members:
            if member.filename.lower().endswith(_XML_SUFFIXES):
                xml_size += member.file_size
                try:
                    counted = _scan_part(archive, member, count_rows=member.filename == sheet_part)
                except _LongStretch as stretch:
                    raise _long_text(archive, member.filename, stretch, sheets, strings_part) from None
                if member.filename == sheet_part:
                    rows = counted
        # an upper bound (title, header and blank rows count too): some slack, the reader
        # counts the real data rows
        if max_rows is not None and rows > max_rows + max(HEADER_ALLOWANCE, max_rows // 20):
            raise FileRefused(
                f"The sheet has about {rows:,} rows; the limit is {max_rows:,} (OPCMS_IMPORT_MAX_ROWS)",
                code="too_many_rows",
                key="too_many_rows_about",
                status=413,
                params={"rows": rows, "limit": max_rows},
            )
        return XlsxInfo(len(data), sum(m.file_size for m in members), sheet_part, rows, xml_size, sheet_name)


def _check_sizes(members: list[zipfile.ZipInfo], max_bytes: int) -> None:
    if len(members) > MAX_MEMBERS:
        raise FileRefused(
            f"The package has {len(members)} parts; a workbook has far fewer",
            code="zip_bomb",
            key="zip_bomb_parts",
            params={"parts": len(members)},
        )
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise FileRefused(
                "The workbook is password-protected (encrypted zip)",
                code="password_protected",
                key="password_protected_zip",
            )
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRefused(
                f"Unsupported compression in part {member.filename!r}",
                code="corrupt_file",
                key="corrupt_compression",
                params={"part": member.filename},
            )
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FREE_BYTES and ratio > MAX_RATIO:
            raise FileRefused(
                f"Part {member.filename!r} would inflate {ratio:,.0f} times (at most {MAX_RATIO}); refused as a zip bomb",
                code="zip_bomb",
                key="zip_bomb_ratio",
                params={"part": member.filename, "ratio": round(ratio), "limit": MAX_RATIO},
            )
    limit = MAX_UNZIPPED_FACTOR * max_bytes
    if total > limit:
        raise FileRefused(
            f"The workbook would inflate to {total:,} bytes (at most {limit:,}); refused as a zip bomb",
            code="zip_bomb",
            key="zip_bomb_total",
            params={"size": total, "limit": limit},
        )


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        with archive.open(name) as handle:
            data = handle.read(4 * _CHUNK + 1)
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, EOFError, OSError, RuntimeError) as error:
        raise damaged(f"{name}: {error}") from None
    if len(data) > 4 * _CHUNK:
        raise FileRefused(
            f"Part {name} is unreasonably large",
            code="corrupt_file",
            key="corrupt_part_size",
            params={"part": name},
        )
    _check_xml_prolog(name, data)
    if any(marker in data for marker in _FORBIDDEN_XML):
        raise _unsafe_xml(name)
    return data


def _workbook_parts(archive: zipfile.ZipFile, names: set[str]) -> tuple[list[tuple[str, str]], str | None]:
    """The worksheets as openpyxl sees them, first one first, as (part, name), e.g.
    ``("xl/worksheets/sheet1.xml", "客户")``; and the shared strings' part, if the workbook names one."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name not in names:
        raise damaged("no workbook relationships")
    try:
        workbook = ElementTree.fromstring(_read_small(archive, "xl/workbook.xml"))
        rels = ElementTree.fromstring(_read_small(archive, rels_name))
    except DefusedXmlException:
        raise _unsafe_xml("xl/workbook.xml") from None
    except ElementTree.ParseError as error:
        raise damaged(f"workbook XML: {error}") from None
    targets = {}
    strings_part = None
    for rel in rels:
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if rel.get("Type", "").endswith("/worksheet"):
            targets[rel.get("Id")] = part
        elif rel.get("Type", "").endswith("/sharedStrings"):
            strings_part = part
    sheets = []
    for sheet in workbook.iter():
        if sheet.tag.endswith("}sheet") or sheet.tag == "sheet":
            part = targets.get(sheet.get(f"{_REL_NS}id"))
            if part is not None:
                if part not in names:
                    raise damaged(f"missing {part}")
                sheets.append((part, sheet.get("name") or part.rsplit("/", 1)[-1]))
    if not sheets:
        raise FileRefused("The workbook has no worksheet", code="no_worksheet")
    return sheets, strings_part


def _unsafe_xml(name: str) -> FileRefused:
    return FileRefused(
        f"Part {name} declares a DOCTYPE or XML entities; refused (XML entity expansion)",
        code="unsafe_xml",
        key="unsafe_xml_entities",
        params={"part": name},
    )


def _check_xml_prolog(name: str, head: bytes) -> None:
    # Excel writes UTF-8; another encoding could hide a DOCTYPE from the byte scan
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"<\x00", b"\x4c\x6f\xa7\x94")):
        raise FileRefused(
            f"Part {name} is not UTF-8 XML",
            code="unsafe_xml",
            key="unsafe_xml_encoding",
            params={"part": name},
        )


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, count_rows: bool) -> int:
    """Inflate one XML part in chunks: refuse DOCTYPE/ENTITY, count <row> elements, and measure
    stretches without a '<' (raises :class:`_LongStretch`)."""
    rows = 0
    tail = b""
    first = True
    guard = None if member.filename.lower().startswith(_UNREAD_PARTS) else _TextGuard()
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(_CHUNK):
                if first:
                    _check_xml_prolog(member.filename, chunk)
                    first = False
                window = tail + chunk
                if b"<!" in window and any(marker in window for marker in _FORBIDDEN_XML):
                    raise _unsafe_xml(member.filename)
                if count_rows:
                    # matches wholly inside the tail were counted with the previous chunk
                    rows += sum(window.count(tag) - tail.count(tag) for tag in _ROW_TAGS)
                if guard is not None:
                    guard.feed(chunk)
                tail = window[-16:]
    except FileRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError, RuntimeError) as error:
        raise damaged(f"{member.filename}: {error}") from None
    return rows


# --- long text ----------------------------------------------------------------------------------
class _LongStretch(Exception):  # noqa: N818 - internal signal, turned into a FileRefused naming the cell
    """A stretch of XML without a '<' over MAX_STRETCH_BYTES, starting at byte ``offset`` of its
    part; ``context``: the bytes just before it (the cell's tag, usually)."""

    def __init__(self, offset: int, context: bytes) -> None:
        super().__init__(offset)
        self.offset = offset
        self.context = context


class _TextGuard:
    """Follows the bytes of one XML part, chunk by chunk, and raises :class:`_LongStretch` as
    soon as a stretch without a '<' passes MAX_STRETCH_BYTES, before any parser builds it.

    Stretches that cross chunks are measured exactly. Inside one chunk, windows of
    MAX_STRETCH_BYTES are probed from its first '<' (a stretch twice that long always covers a
    whole window, and a window without a '<' is itself too long): a few searches per megabyte.
    """

    def __init__(self) -> None:
        self.offset = 0  # bytes of the part fed so far
        self.stretch = 0  # length of the stretch open at the end of what was fed
        self.context = b""  # the bytes before the open stretch
        self.tail = b""  # the last bytes fed

    def feed(self, chunk: bytes) -> None:
        first = chunk.find(b"<")
        if first < 0:
            self.stretch += len(chunk)
            if self.stretch > MAX_STRETCH_BYTES:
                raise _LongStretch(self.offset + len(chunk) - self.stretch, self.context)
        else:
            if self.stretch + first > MAX_STRETCH_BYTES:
                raise _LongStretch(self.offset - self.stretch, self.context)
            last = chunk.rfind(b"<")
            for start in range(first, last - MAX_STRETCH_BYTES, MAX_STRETCH_BYTES):
                if chunk.find(b"<", start + 1, start + 1 + MAX_STRETCH_BYTES) < 0:
                    opening = chunk.rfind(b"<", 0, start + 1) + 1  # where the stretch begins
                    raise _LongStretch(self.offset + opening, self._before(chunk, opening))
            self.stretch = len(chunk) - last - 1
            self.context = self._before(chunk, last + 1)
        self.tail = self._before(chunk, len(chunk))
        self.offset += len(chunk)

    def _before(self, chunk: bytes, end: int) -> bytes:
        """The bytes fed before position ``end`` of ``chunk`` (at most _CONTEXT_BYTES)."""
        if end >= _CONTEXT_BYTES:
            return chunk[end - _CONTEXT_BYTES : end]
        return (self.tail + chunk[:end])[-_CONTEXT_BYTES:]


class _GuardedSource:
    """A part's stream as a parser reads it, measured by a :class:`_TextGuard` on the way."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.guard = _TextGuard()

    def read(self, size: int = -1) -> bytes:
        chunk: bytes = self.raw.read(size)
        self.guard.feed(chunk)
        return chunk


def _cell_before(context: bytes) -> str | None:
    """The reference of the last cell tag in ``context`` (the bytes before a long text)."""
    tag = _last_cell_tag(context)
    return tag[1].decode() if tag is not None else None


def _long_text(
    archive: zipfile.ZipFile,
    part: str,
    stretch: _LongStretch,
    sheets: list[tuple[str, str]],
    strings_part: str | None,
) -> FileRefused:
    """The refusal of a part with a long stretch, naming the cell when the part holds cells."""
    titles = dict(sheets)
    if part in titles:
        return cell_too_long(titles[part], _cell_before(stretch.context))
    if part == strings_part:
        index = _string_index(archive, part, stretch.offset)
        found = _cell_showing(archive, sheets, index)
        if found is not None:
            return cell_too_long(*found)
        return FileRefused(
            f"Text #{index + 1} of the workbook's shared strings holds more than {MAX_CELL_CHARS:,} "
            "characters, Excel's limit for a cell; shorten it and upload the file again",
            code="cell_too_long",
            key="shared_text_too_long_at",
            params={"number": index + 1, "limit": MAX_CELL_CHARS},
        )
    return FileRefused(
        f"Part {part} holds a text or a tag of more than {MAX_STRETCH_BYTES:,} bytes; no workbook has one",
        code="text_too_long",
        params={"part": part, "limit": MAX_STRETCH_BYTES},
    )


def _string_index(archive: zipfile.ZipFile, part: str, offset: int) -> int:
    """Which shared string the byte ``offset`` of ``part`` lies in (0-based): the strings that
    start before it, less one. Only read again once a long text was found."""
    count, done, tail = 0, 0, b""
    with archive.open(part) as handle:
        while done < offset and (chunk := handle.read(min(_CHUNK, offset - done))):
            window = tail + chunk
            count += sum(window.count(tag) - tail.count(tag) for tag in _STRING_STARTS)
            tail = window[-4:]
            done += len(chunk)
    return max(count - 1, 0)


def _cell_showing(
    archive: zipfile.ZipFile, sheets: list[tuple[str, str]], index: int
) -> tuple[str, str] | None:
    """(sheet name, cell) of the first cell that shows shared string ``index``: read again only
    once a long text was found, to name the cell finance has to fix."""
    needle = b"<v>%d</v>" % index
    for part, title in sheets:
        tail = b""
        with archive.open(part) as handle:
            while chunk := handle.read(_CHUNK):
                window = tail + chunk
                at = window.find(needle)
                while at >= 0:
                    tag = _last_cell_tag(window[max(0, at - _CONTEXT_BYTES) : at])
                    if tag is not None and _SHARED_TYPE.search(tag[0]):
                        return title, tag[1].decode()
                    at = window.find(needle, at + 1)
                tail = window[-_CONTEXT_BYTES:]
    return None


def _last_cell_tag(context: bytes) -> re.Match[bytes] | None:
    found = None
    for found in _CELL_TAG.finditer(context):  # noqa: B007 - the last one is wanted
        pass
    return found


# --- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UncachedFormula:
    """A formula cell saved without its result (written by a program, never calculated): its
    value is unknown, so it is reported, never read as empty."""

    formula: str  # as the file writes it, without '='; empty for a shared formula's other cells

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else "(formula)"


#: what finance does about a formula saved without its result
def uncached_formula_hint() -> Message:
    return Message("uncached_formula", fallback=UNCACHED_FORMULA_HINT)


UNCACHED_FORMULA_HINT = (
    "a formula saved without its result; open the file in Excel or WPS, let it calculate, "
    "save it and upload it again"
)


@dataclass(frozen=True)
class _LongText:
    """Stands in the shared strings for a text over MAX_CELL_CHARS: a cell showing it refuses
    the file (a text no cell shows costs nothing)."""

    index: int


class _BoundedReader(ExcelReader):  # type: ignore[misc]
    """openpyxl's workbook reader with the shared strings read by :func:`_read_shared_strings`."""

    def read_strings(self) -> None:
        found = self.package.find(SHARED_STRINGS)
        if found is not None:
            with self.archive.open(found.PartName[1:]) as raw:
                self.shared_strings = _read_shared_strings(_GuardedSource(raw))


def open_workbook(source: Any) -> Any:
    """openpyxl's read-only, values-only workbook over a path or file object (already inspected)."""
    reader = None
    try:
        reader = _BoundedReader(source, read_only=True, keep_vba=False, data_only=True, keep_links=False)
        reader.read()
        return reader.wb
    except Exception as error:  # openpyxl reports damage with many exception types
        if reader is not None:
            reader.archive.close()
        if isinstance(error, _LongStretch):
            raise FileRefused(
                f"A text of the workbook's shared strings holds more than {MAX_CELL_CHARS:,} characters, "
                "Excel's limit for a cell; shorten it and upload the file again",
                code="cell_too_long",
                key="shared_text_too_long",
                params={"limit": MAX_CELL_CHARS},
            ) from None
        raise as_refusal(error) from None


def _read_shared_strings(source: _GuardedSource) -> list[Any]:
    """openpyxl's ``read_string_table``, with each string's text counted as its runs arrive: a
    string over MAX_CELL_CHARS keeps none of its text past the limit (a :class:`_LongText`
    stands in for it), and phonetic runs, never part of a value, are dropped as they come."""
    strings: list[Any] = []
    root = None
    chars = phonetic = 0
    for event, element in iterparse(source, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if root is None:
                root = element
            elif tag == _SI:
                chars = 0
            elif tag == _RPH:
                phonetic += 1
            continue
        if tag == _T:
            if phonetic:
                element.text = None
            else:
                chars += len(element.text or "")
                if chars > MAX_CELL_CHARS:
                    element.text = None
        elif tag == _RPH:
            phonetic -= 1
        elif tag == _SI:
            if chars > MAX_CELL_CHARS:
                strings.append(_LongText(len(strings)))
            else:
                for run in element.findall(_RPH):
                    element.remove(run)
                strings.append(Text.from_tree(element).content.replace("x005F_", ""))
            element.clear()
            if root is not None:
                root.clear()  # the strings read so far are kept once, in ``strings``
    return strings


def iter_values(
    worksheet: Any, *, formulas: Literal["refuse", "mark"] = "refuse"
) -> Iterator[tuple[Any, ...]]:
    """Every row of a read-only sheet as a tuple of values, row 1 first (missing rows empty).

    Read here rather than by openpyxl's ``iter_rows``, with openpyxl's own cell conversion:
    each cell's text is counted as it streams, and a cell over MAX_CELL_CHARS refuses the file,
    naming the cell. A formula cell reads as the result saved with it; one saved without a
    result refuses the file, or with ``formulas="mark"`` reads as an :class:`UncachedFormula`
    for the caller to report. The sheet's own ``<dimension>`` is ignored: some writers get it
    wrong, and openpyxl would then cut rows or columns off. Parse errors surface as
    :class:`FileRefused`.
    """
    parser = _RowParser(worksheet, formulas)
    title = worksheet.title
    expected = 1
    try:
        with worksheet.parent._archive.open(worksheet._worksheet_path) as raw:
            for number, cells in _parsed_rows(parser, _GuardedSource(raw), title):
                while expected < number:  # rows the file leaves out are empty
                    expected += 1
                    yield ()
                if expected == number:  # a row out of order or repeated is skipped, as openpyxl does
                    expected += 1
                    yield _row_values(cells)
    except FileRefused:
        raise
    except _LongStretch as stretch:
        raise cell_too_long(title, _cell_before(stretch.context)) from None
    except Exception as error:
        raise as_refusal(error) from None


def _parsed_rows(
    parser: _RowParser, source: _GuardedSource, title: str
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """openpyxl's rows of cells, each cell's text counted as its runs end: text past the limit
    is dropped at once, and the cell refused at its end. All runs of an inline string count,
    phonetic ones too (Excel writes inline strings without them)."""
    chars = 0
    for _event, element in iterparse(source):
        tag = element.tag
        if tag in (_T, _V):
            chars += len(element.text or "")
            if chars > MAX_CELL_CHARS:
                element.text = None
        elif tag == _C:
            if chars > MAX_CELL_CHARS:
                raise cell_too_long(title, element.get("r"))
            chars = 0
        elif tag == _ROW:
            yield parser.parse_row(element)
            element.clear()


def _row_values(cells: list[dict[str, Any]]) -> tuple[Any, ...]:
    """A row's values by column, as wide as its last cell (openpyxl's ``_get_row``)."""
    if not cells:
        return ()
    width = cells[-1]["column"]
    values: list[Any] = [None] * width
    for cell in cells:
        if 1 <= cell["column"] <= width:
            values[cell["column"] - 1] = cell["value"]
    return tuple(values)


class _RowParser(WorkSheetParser):  # type: ignore[misc]
    """openpyxl's reading of a row, and what it does not see: a shared string over the limit,
    and a formula saved without its result (openpyxl reads it as empty)."""

    def __init__(self, worksheet: Any, formulas: str) -> None:
        workbook = worksheet.parent
        super().__init__(
            None,
            worksheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        self.title = worksheet.title
        self.formulas = formulas

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell: dict[str, Any] = super().parse_cell(element)
        value = cell["value"]
        if isinstance(value, _LongText):
            raise cell_too_long(self.title, _reference(cell))
        if value is None and element.find(FORMULA_TAG) is not None and not _has_result(element):
            formula = UncachedFormula(element.findtext(FORMULA_TAG) or "")
            if self.formulas == "refuse":
                ref = _reference(cell)
                raise FileRefused(
                    f'Cell {ref} of sheet "{self.title}" is {formula}, {UNCACHED_FORMULA_HINT}',
                    code="formula_without_value",
                    params={"cell": ref, "sheet": self.title, "formula": str(formula)},
                    details=[{"field": f"{self.title}!{ref}", "message": uncached_formula_hint()}],
                )
            cell["value"] = formula
        return cell


def _reference(cell: dict[str, Any]) -> str:
    return f"{get_column_letter(cell['column'])}{cell['row']}"


def _has_result(element: Any) -> bool:
    # a number, a date or a boolean is never empty; an empty <v> of a text result (t="str") is
    # the empty text. openpyxl writes a formula with an empty <v/> and no type: no result.
    value = element.find(VALUE_TAG)
    return value is not None and (bool(value.text) or element.get("t") == "str")


def as_refusal(error: Exception) -> FileRefused:
    from defusedxml.common import DefusedXmlException

    if isinstance(error, FileRefused):
        return error
    cause: BaseException | None = error
    while cause is not None:  # openpyxl wraps what the parser raised
        if isinstance(cause, DefusedXmlException):
            return FileRefused(
                f"Refused unsafe XML in the workbook ({type(cause).__name__})",
                code="unsafe_xml",
                key="unsafe_xml_refused",
                params={"kind": type(cause).__name__},
            )
        cause = cause.__cause__ or cause.__context__
    return FileRefused(
        f"The workbook cannot be read ({type(error).__name__}: {error})"[:300],
        code="corrupt_file",
        key="workbook_unreadable",
        params={"detail": f"{type(error).__name__}: {error}"[:250]},
    )


# what openpyxl refuses to write (XML 1.0 cannot carry it), and the bidi controls
_UNSTORABLE = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[{BIDI_CONTROLS}]")


def clean_text_for_cell(value: str) -> str:
    """``value`` without the characters a cell cannot (or must not) hold: the control
    characters openpyxl refuses, and bidi controls."""
    return _UNSTORABLE.sub("", value)


# an export older than this was left by a process that died while sending it
EXPORT_ORPHAN_AGE = dt.timedelta(days=1)
#: the folder of the file store that holds the exports being sent
EXPORTS = "exports/"


def _scratch_dir() -> Path:
    """Where an export is written before it is kept: under the var folder, so keeping it in a
    local folder store is a rename, not a copy."""
    return get_settings().var_dir / "tmp" / "exports"


class Export:
    """One export file: written at ``path`` (a local scratch file: openpyxl writes to a file),
    then kept in the file store under ``key`` and read back from there as it is sent
    (:meth:`stored`), so a response never holds the workbook in memory. Leaving the ``async
    with`` removes both; what a dead process left, :func:`prune_exports` removes a day later::

        async with Export("customers") as export:
            await write_customers_xlsx(query, export.path)
            chunks = await export.stored()
            ...  # respond, send each chunk
    """

    def __init__(self, prefix: str) -> None:
        token = uuid.uuid4().hex
        self.path = _scratch_dir() / f"{prefix}-{token}.xlsx"
        self.key = f"{EXPORTS}{dt.datetime.now(dt.UTC):%Y/%m}/{prefix}-{token}.xlsx"
        self._store: FileStore | None = None

    async def __aenter__(self) -> Export:
        await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)
        return self

    async def stored(self) -> AsyncIterator[bytes]:
        """Keep the written file in the store (taking it), and answer its bytes as they are
        read back; raises (before anything is sent) if the store cannot keep it."""
        store = self._store = get_store()
        await store.put_file(self.key, self.path)
        return await store.chunks(self.key)

    async def __aexit__(self, *exc: object) -> None:
        # shielded: a client that closes its connection as soon as it has the last byte gets
        # the request cancelled (Sanic cancels the handler) while this runs; the removal goes
        # on in its own task, else every such export stayed in the store until retention
        removal = asyncio.ensure_future(self._remove())
        _removals.add(removal)
        removal.add_done_callback(_removals.discard)
        await asyncio.shield(removal)

    async def _remove(self) -> None:
        await asyncio.to_thread(self.path.unlink, missing_ok=True)
        if self._store is not None:
            with contextlib.suppress(Exception):  # best effort: retention removes what stays
                await self._store.delete(self.key)


#: exports being removed after their request was cancelled (a task needs a reference to finish)
_removals: set[asyncio.Future[None]] = set()


async def prune_exports(now: dt.datetime) -> int:
    """Remove the exports older than ``EXPORT_ORPHAN_AGE`` from the file store (and scratch
    files from this host's var folder): each is removed once sent, so what is left that long
    belongs to a process that died meanwhile. Answers how many exports it removed."""
    oldest = now - EXPORT_ORPHAN_AGE
    store = get_store()
    removed = 0
    for key in await list_older(store, EXPORTS, oldest):
        removed += await store.delete(key)

    def sweep_scratch() -> int:
        count = 0
        folder = _scratch_dir()
        for path in folder.glob("*.xlsx") if folder.is_dir() else ():
            try:
                if path.stat().st_mtime < oldest.timestamp():
                    path.unlink()
                    count += 1
            except FileNotFoundError:  # sent and removed meanwhile
                continue
        return count

    return removed + await asyncio.to_thread(sweep_scratch)
