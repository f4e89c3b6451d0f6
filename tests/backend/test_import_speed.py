"""The bench's customer list is written as Excel writes it (a ``<dimension>`` with the used
range), the import opens it read-only without scanning the sheet first, and a list with the
dimension imports exactly as the same list without it (the dimension sizes the sheet on
opening; every row is still read, so a wrong dimension cuts nothing off)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from opcms.bench.imports import HEADERS, OWNERS, generate, write_excel_like
from opcms.core.audit import AuditLog
from opcms.core.context import acting_as, system_actor
from opcms.customers.models import Customer, CustomerStatusHistory
from opcms.imports import service
from opcms.imports.reader import Sheet
from opcms.imports.writer import PROFILE_FIELDS
from tests.backend.factories import make_user

SHEET = "xl/worksheets/sheet1.xml"


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(SHEET).decode()


def _with_dimension(data: bytes, ref: str | None) -> bytes:
    """The same package with the sheet's dimension replaced (``None``: removed)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == SHEET:
                text = re.sub(
                    r'<dimension ref="[^"]*"/>',
                    "" if ref is None else f'<dimension ref="{ref}"/>',
                    body.decode(),
                )
                body = text.encode()
            target.writestr(item.filename, body)
    return out.getvalue()


def test_the_generated_list_carries_the_used_range_as_excel_writes_it(tmp_path: Path):
    # given the bench's list of 25 customers (a title, a blank row, the header, a gap at no row)
    path = tmp_path / "customers.xlsx"
    generate(path, 25)
    xml = _sheet_xml(path.read_bytes())
    # then the sheet starts with its used range: 19 columns (A:S), 3 + 25 rows
    assert f'<dimension ref="A1:S{3 + 25}"/><sheetData>' in xml
    assert len(HEADERS) == 19
    # and an empty list says so too
    empty = tmp_path / "empty.xlsx"
    write_excel_like(empty, iter([]))
    assert '<dimension ref="A1"/>' in _sheet_xml(empty.read_bytes())


def test_the_reader_opens_read_only_sized_by_the_dimension(tmp_path: Path):
    # given the bench's list of 30 customers
    path = tmp_path / "customers.xlsx"
    generate(path, 30)
    # when the import opens it
    with Sheet(io.BytesIO(path.read_bytes())) as sheet:
        worksheet = sheet.workbook.worksheets[0]
        # then the workbook is read-only and the sheet's size is the dimension's (no scan)
        assert sheet.workbook.read_only
        assert (worksheet.max_row, worksheet.max_column) == (33, 19)
        assert sheet.layout.header_row == 3
        # and every data row is read
        rows = [number for number, values in sheet.data_rows() if any(v is not None for v in values)]
    assert rows == list(range(4, 34))


def test_a_dimension_too_small_cuts_no_row_off(tmp_path: Path):
    # given the list with a dimension that claims only the first 10 rows
    path = tmp_path / "customers.xlsx"
    generate(path, 30)
    data = _with_dimension(path.read_bytes(), "A1:S10")
    # when it is read, then all 30 customers are still there
    with Sheet(io.BytesIO(data)) as sheet:
        rows = [number for number, values in sheet.data_rows() if any(v is not None for v in values)]
    assert rows == list(range(4, 34))


async def _import(data: bytes) -> tuple[list[tuple], int, int]:
    with acting_as(system_actor("test")):
        job = await service.submit(data, "customers.xlsx", "upsert", background=False)
    assert (job.created, job.failed) == (40, 0), job
    customers = await Customer.all().order_by("customer_code").values_list(*PROFILE_FIELDS)
    audits = await AuditLog.filter(entity_type="customer").count()
    return list(customers), audits, await CustomerStatusHistory.all().count()


async def test_a_list_with_the_dimension_imports_as_the_same_list_without_it(db, tmp_path: Path):
    # given the bench's owners and its list of 40 customers, with and without the dimension
    for username, name in OWNERS:
        await make_user("operator", username=username, display_name=name)
    path = tmp_path / "customers.xlsx"
    generate(path, 40)
    with_dimension = path.read_bytes()
    without = _with_dimension(with_dimension, None)
    assert "<dimension" not in _sheet_xml(without)
    # when the list without it is imported, and then (on an empty table) the list with it
    first = await _import(without)
    await CustomerStatusHistory.all().delete()
    await Customer.with_deleted().all().delete()
    second = await _import(with_dimension)
    # then both create the very same customers, one status row and one audit row each
    assert first[0] == second[0] and len(second[0]) == 40
    assert (first[2], second[2]) == (40, 40)
    assert (first[1], second[1]) == (40, 80)  # the audit log only grows: 40 more creates
