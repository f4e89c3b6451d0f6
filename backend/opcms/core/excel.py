"""Excel plumbing shared by imports and exports: formula escaping, and safe reading of
uploaded workbooks.

Formula injection: a text cell that starts with ``= + - @``, a tab or a carriage return is
written with a leading apostrophe, so a spreadsheet shows it as text and never runs it; the
import strips that apostrophe again (``unescape_cell``), so an export imports back unchanged.

Unstorable text: a workbook cannot carry the control characters XML 1.0 forbids (openpyxl
raises for them), and bidi controls would make a name read differently; ``escape_cell``, which
every text cell of an export goes through, drops both, so a row stored before the API refused
them (or written by hand) cannot break an export.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from opcms.core.errors import AppError
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
_CHUNK = 1024 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_FORBIDDEN_XML = (b"<!DOCTYPE", b"<!ENTITY")
_ROW_TAGS = (b"<row ", b"<row>", b":row ", b":row>")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


class FileRefused(AppError):
    """An upload that is not read at all: wrong type, too big, corrupt, encrypted or unsafe."""

    status, code, message = 422, "file_refused", "The file was refused"

    def __init__(
        self, message: str, *, code: str, status: int = 422, details: list[dict[str, Any]] | None = None
    ):
        super().__init__(message, code=code, details=details)
        self.status = status


@dataclass(frozen=True)
class XlsxInfo:
    size: int
    unzipped_size: int
    sheet_part: str  # the first worksheet, e.g. "xl/worksheets/sheet1.xml"
    row_elements: int  # <row> elements in that sheet: an upper bound of its rows


def _not_xlsx(detail: str) -> FileRefused:
    return FileRefused(f"Not an Excel .xlsx workbook ({detail})", code="not_xlsx", status=415)


def inspect_xlsx(data: bytes, *, max_bytes: int, max_rows: int | None = None) -> XlsxInfo:
    """Check an upload before parsing it; raise :class:`FileRefused` (4xx) if it must not be."""
    if not data:
        raise FileRefused("The file is empty", code="empty_file")
    if len(data) > max_bytes:
        raise FileRefused(
            f"The file is {len(data):,} bytes; the limit is {max_bytes:,} bytes (OPCMS_IMPORT_MAX_BYTES)",
            code="file_too_large",
            status=413,
        )
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            raise FileRefused(
                "The workbook is password-protected; remove the password and upload it again",
                code="password_protected",
            )
        raise _not_xlsx("an old .xls or other Office binary file; save it as .xlsx")
    if not data.startswith(ZIP_MAGIC):
        raise _not_xlsx("the content is not a zip package")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, EOFError, OSError) as error:
        raise FileRefused(f"The file is damaged (broken zip: {error})", code="corrupt_file") from None
    with archive:
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise _not_xlsx("a zip file without the parts of a workbook")
        _check_sizes(members, max_bytes)
        sheet_part = _first_sheet_part(archive, names)
        rows = 0
        for member in members:
            if member.filename.lower().endswith(_XML_SUFFIXES):
                counted = _scan_part(archive, member, count_rows=member.filename == sheet_part)
                if member.filename == sheet_part:
                    rows = counted
        # an upper bound (title, header and blank rows count too): some slack, the reader
        # counts the real data rows
        if max_rows is not None and rows > max_rows + max(HEADER_ALLOWANCE, max_rows // 20):
            raise FileRefused(
                f"The sheet has about {rows:,} rows; the limit is {max_rows:,} (OPCMS_IMPORT_MAX_ROWS)",
                code="too_many_rows",
                status=413,
            )
        return XlsxInfo(len(data), sum(m.file_size for m in members), sheet_part, rows)


def _check_sizes(members: list[zipfile.ZipInfo], max_bytes: int) -> None:
    if len(members) > MAX_MEMBERS:
        raise FileRefused(f"The package has {len(members)} parts; a workbook has far fewer", code="zip_bomb")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise FileRefused("The workbook is password-protected (encrypted zip)", code="password_protected")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRefused(f"Unsupported compression in part {member.filename!r}", code="corrupt_file")
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FREE_BYTES and ratio > MAX_RATIO:
            raise FileRefused(
                f"Part {member.filename!r} would inflate {ratio:,.0f} times (at most {MAX_RATIO}); refused as a zip bomb",
                code="zip_bomb",
            )
    limit = MAX_UNZIPPED_FACTOR * max_bytes
    if total > limit:
        raise FileRefused(
            f"The workbook would inflate to {total:,} bytes (at most {limit:,}); refused as a zip bomb",
            code="zip_bomb",
        )


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        with archive.open(name) as handle:
            data = handle.read(4 * _CHUNK + 1)
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, EOFError, OSError, RuntimeError) as error:
        raise FileRefused(f"The file is damaged ({name}: {error})", code="corrupt_file") from None
    if len(data) > 4 * _CHUNK:
        raise FileRefused(f"Part {name} is unreasonably large", code="corrupt_file")
    _check_xml_prolog(name, data)
    if any(marker in data for marker in _FORBIDDEN_XML):
        raise _unsafe_xml(name)
    return data


def _first_sheet_part(archive: zipfile.ZipFile, names: set[str]) -> str:
    """The part of the first worksheet, as openpyxl's ``workbook.worksheets[0]`` sees it."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name not in names:
        raise FileRefused("The file is damaged (no workbook relationships)", code="corrupt_file")
    try:
        workbook = ElementTree.fromstring(_read_small(archive, "xl/workbook.xml"))
        rels = ElementTree.fromstring(_read_small(archive, rels_name))
    except DefusedXmlException:
        raise _unsafe_xml("xl/workbook.xml") from None
    except ElementTree.ParseError as error:
        raise FileRefused(f"The file is damaged (workbook XML: {error})", code="corrupt_file") from None
    targets = {}
    for rel in rels:
        if rel.get("Type", "").endswith("/worksheet"):
            target = rel.get("Target", "")
            targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    for sheet in workbook.iter():
        if sheet.tag.endswith("}sheet") or sheet.tag == "sheet":
            part = targets.get(sheet.get(f"{_REL_NS}id"))
            if part is not None:
                if part not in names:
                    raise FileRefused(f"The file is damaged (missing {part})", code="corrupt_file")
                return part
    raise FileRefused("The workbook has no worksheet", code="no_worksheet")


def _unsafe_xml(name: str) -> FileRefused:
    return FileRefused(
        f"Part {name} declares a DOCTYPE or XML entities; refused (XML entity expansion)", code="unsafe_xml"
    )


def _check_xml_prolog(name: str, head: bytes) -> None:
    # Excel writes UTF-8; another encoding could hide a DOCTYPE from the byte scan
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"<\x00", b"\x4c\x6f\xa7\x94")):
        raise FileRefused(f"Part {name} is not UTF-8 XML", code="unsafe_xml")


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, count_rows: bool) -> int:
    """Inflate one XML part in chunks: refuse DOCTYPE/ENTITY, count <row> elements."""
    rows = 0
    tail = b""
    first = True
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
                tail = window[-16:]
    except FileRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError, RuntimeError) as error:
        raise FileRefused(f"The file is damaged ({member.filename}: {error})", code="corrupt_file") from None
    return rows


def open_workbook(source: Any) -> Any:
    """openpyxl's read-only, values-only workbook over a path or file object (already inspected)."""
    try:
        return openpyxl.load_workbook(source, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl reports damage with many exception types
        raise as_refusal(error) from None


def iter_values(worksheet: Any) -> Iterator[tuple[Any, ...]]:
    """Every row of a read-only sheet as a tuple of values, row 1 first (missing rows empty).

    The sheet's own ``<dimension>`` is ignored: some writers get it wrong, and openpyxl would
    then cut rows or columns off. Parse errors surface as :class:`FileRefused`.
    """
    worksheet.reset_dimensions()
    rows = worksheet.iter_rows(values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as error:
            raise as_refusal(error) from None
        yield row


def as_refusal(error: Exception) -> FileRefused:
    from defusedxml.common import DefusedXmlException

    if isinstance(error, FileRefused):
        return error
    cause: BaseException | None = error
    while cause is not None:  # openpyxl wraps what the parser raised
        if isinstance(cause, DefusedXmlException):
            return FileRefused(
                f"Refused unsafe XML in the workbook ({type(cause).__name__})", code="unsafe_xml"
            )
        cause = cause.__cause__ or cause.__context__
    return FileRefused(
        f"The workbook cannot be read ({type(error).__name__}: {error})"[:300], code="corrupt_file"
    )


# what openpyxl refuses to write (XML 1.0 cannot carry it), and the bidi controls
_UNSTORABLE = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[{BIDI_CONTROLS}]")


def clean_text_for_cell(value: str) -> str:
    """``value`` without the characters a cell cannot (or must not) hold: the control
    characters openpyxl refuses, and bidi controls."""
    return _UNSTORABLE.sub("", value)


def new_export_path(var_dir: Path, prefix: str) -> Path:
    """A fresh, empty ``.xlsx`` path under ``var/exports`` for one export (removed after sending)."""
    folder = var_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(prefix=f"{prefix}-", suffix=".xlsx", dir=folder, delete=False) as handle:
        return Path(handle.name)
