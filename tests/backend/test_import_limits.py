"""What one upload may cost (issue 15): a cell's text is held to Excel's own limit of 32,767
characters while the file streams, so a small upload with one giant cell is refused fast with
bounded memory; big validations run on a worker like big imports; one process reads at most
OPCMS_MAX_CONCURRENT_IMPORTS uploads at once; and a formula cell is its saved result, or its
row fails when the file saved none."""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from opcms.bench.imports import write_excel_like
from opcms.core.context import acting_as, system_actor
from opcms.core.excel import MAX_CELL_CHARS, FileRefused, inspect_xlsx, iter_values, open_workbook
from opcms.core.storage import get_store
from opcms.customers.models import Customer
from opcms.imports import pipeline, service
from opcms.imports.models import ImportJob, ImportStatus
from opcms.imports.reader import Sheet
from tests.backend.factories import make_user, session_for, workbook_bytes
from tests.backend.test_imports_files import replace_part

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
HEADER = ["客户编号", "公司名称", "客户等级", "联系电话", "说明"]  # 说明: not an import column, ignored
MARK = "PLACEHOLDER"


# --- crafting workbooks -----------------------------------------------------------------------------
def rows_with(text: str, before: int) -> list[list]:
    """A header, ``before`` plain rows, and a row whose ignored column holds ``text``."""
    rows: list[list] = [HEADER]
    rows += [[f"L{n}", f"公司{n}", "A", f"139{n:08d}", "短说明"] for n in range(1, before + 1)]
    return [*rows, [f"L{before + 1}", "公司末", "A", "13900000000", text]]


def inline_workbook(text: str, before: int = 1) -> bytes:
    """As openpyxl writes a list: inline strings in the sheet."""
    return workbook_bytes(rows_with(text, before))


def shared_workbook(text: str, before: int = 1) -> bytes:
    """As Excel writes a list: the texts in the shared strings, cells pointing at them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.xlsx"
        write_excel_like(path, iter(rows_with(text, before)))
        return path.read_bytes()


def with_text(data: bytes, part: str, chunks: Iterator[bytes] | list[bytes]) -> bytes:
    """The workbook with the text MARK of ``part`` replaced by ``chunks``, streamed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        head, tail = archive.read(part).split(MARK.encode())
    return replace_part(data, part, stream=[head, *chunks, tail])


def noise(chars: int) -> Iterator[bytes]:
    """``chars`` ASCII characters that deflate about 50 times: under the zip-bomb ratio cap, as
    in the reported file (a 2 MB upload holding a 173 MB cell)."""
    while chars > 0:
        block = b"".join(os.urandom(4).hex().encode() + b"a" * 392 for _ in range(2500))[:chars]
        chars -= len(block)
        yield block


def huge_cell(kind: str, chars: int) -> bytes:
    if kind == "shared":
        return with_text(shared_workbook(MARK), STRINGS, noise(chars))
    return with_text(inline_workbook(MARK), SHEET, noise(chars))


def runs(text_runs: list[str]) -> str:
    """Rich text: the runs of one cell (each a <r><t>), as the XML of a shared or inline string."""
    return "".join(f'<r><t xml:space="preserve">{run}</t></r>' for run in text_runs)


def rich_cell(kind: str, text_runs: list[str], before: int = 1) -> bytes:
    """One cell in rich text, its runs given: the limit is the whole cell's, not a run's."""
    if kind == "shared":
        data = shared_workbook(MARK, before)
        old = f'<t xml:space="preserve">{MARK}</t>'
    else:
        data = inline_workbook(MARK, before)
        old = f"<t>{MARK}</t>"
    part = STRINGS if kind == "shared" else SHEET
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(part).decode()
    assert old in xml
    return replace_part(data, part, xml.replace(old, runs(text_runs)).encode())


@pytest.fixture
async def finance_token(db):
    return (await session_for(await make_user("finance"))).access_token


async def upload(client, token: str, data: bytes, mode: str = "validate"):
    return await client.post(
        "/api/v1/imports/customers", token=token, files={"file": ("list.xlsx", data)}, data={"mode": mode}
    )


async def stored_uploads() -> set[str]:
    return {item.key for item in await get_store().list(service.UPLOADS)}


# --- one giant cell ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["shared", "inline"])
async def test_a_giant_cell_under_the_zip_caps_is_refused_fast_with_bounded_memory(
    client, finance_token, kind
):
    # given a 1 MB upload with one cell of 40 million characters, under the ratio and size caps
    data = huge_cell(kind, 40_000_000)
    assert len(data) < 2 * MB
    stored = await stored_uploads()
    # when it is validated
    started = time.monotonic()
    response = await upload(client, finance_token, data)
    elapsed = time.monotonic() - started
    # then it is refused in the one error shape, naming the sheet and the cell
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "cell_too_long"
    assert "Cell E3 of sheet" in error["message"] and "32,767" in error["message"], error["message"]
    assert error["details"][0]["field"].endswith("!E3")
    assert await ImportJob.all().count() == 0 and await stored_uploads() == stored
    assert elapsed < 10, f"{elapsed:.1f} s"
    # and refusing it never builds the 40 MB text: the reading peaks far below the cell's size
    tracemalloc.start()
    try:
        with acting_as(system_actor("test")), pytest.raises(FileRefused) as refused:
            await service.submit(data, "list.xlsx", "validate")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.code == "cell_too_long"
    assert peak < 8 * MB, f"{peak / MB:.1f} MB for a 40 MB cell"


@pytest.mark.parametrize("chars", [700_000, 3 * MB], ids=["within-one-inflated-chunk", "across-chunks"])
@pytest.mark.parametrize("kind", ["shared", "inline"])
def test_the_inspection_finds_a_long_text_before_any_parser_and_names_its_cell(kind, chars):
    # given a long cell, whole inside the first megabyte the inspection inflates, or across several
    data = huge_cell(kind, chars)
    # when the upload is inspected, then it is refused naming the cell, before any parsing
    with pytest.raises(FileRefused) as refused:
        inspect_xlsx(data, max_bytes=20 * MB, max_rows=100)
    assert refused.value.code == "cell_too_long"
    assert refused.value.message.startswith("Cell E3 of sheet")


@pytest.mark.parametrize("kind", ["shared", "inline"])
def test_a_cell_of_many_short_runs_past_the_limit_is_refused_while_reading_with_bounded_memory(kind):
    # given a cell of 120 rich-text runs of 200,000 characters: each run passes the byte check
    # made before parsing, the cell (24 million characters) does not
    run = "b" * 200_000
    data = rich_cell(kind, [run] * 120)
    # when the reading opens and reads it
    tracemalloc.start()
    try:
        with pytest.raises(FileRefused) as refused, Sheet(io.BytesIO(data)) as sheet:
            list(sheet.data_rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # then the file is refused naming the cell, without the cell's text ever held whole
    assert refused.value.code == "cell_too_long"
    assert "Cell E3 of sheet" in refused.value.message
    assert peak < 12 * MB, f"{peak / MB:.1f} MB for a 24 MB cell"


# --- Excel's limit, exactly -------------------------------------------------------------------------
def long_cell(kind: str, text: str) -> bytes:
    """The list with ``text`` in one cell, written past openpyxl (which cuts a text at 32,767)."""
    if kind == "shared":
        return with_text(shared_workbook(MARK), STRINGS, [text.encode()])
    return with_text(inline_workbook(MARK), SHEET, [text.encode()])


LIMIT_CASES = {
    "inline": lambda text: long_cell("inline", text),
    "shared": lambda text: long_cell("shared", text),
    "inline-runs": lambda text: rich_cell("inline", [text[:1000], text[1000:]]),
    "shared-runs": lambda text: rich_cell("shared", [text[:1000], text[1000:]]),
}


@pytest.mark.parametrize("letter", ["x", "客"], ids=["ascii", "cjk"])
@pytest.mark.parametrize("case", list(LIMIT_CASES))
async def test_a_cell_of_excels_limit_is_read_and_one_character_more_is_refused(
    client, finance_token, case, letter
):
    make = LIMIT_CASES[case]
    # given the same list with a cell of exactly 32,767 characters, then 32,768
    at_limit = await upload(client, finance_token, make(letter * MAX_CELL_CHARS))
    over = await upload(client, finance_token, make(letter * (MAX_CELL_CHARS + 1)))
    # then the first is read (the long cell is in a column the import ignores)
    assert at_limit.status_code == 200, at_limit.text
    report = at_limit.json()["report"]
    assert (report["created"], report["failed"], report["ignored_columns"]) == (2, 0, ["说明"])
    # and the second is refused, naming the cell
    assert over.status_code == 422, over.text
    error = over.json()["error"]
    assert error["code"] == "cell_too_long"
    assert "Cell E3" in error["message"] and "32,767" in error["message"]
    # and the full reading (a worker's, or the API's past the header rows) draws the same line
    with Sheet(io.BytesIO(make(letter * MAX_CELL_CHARS))) as sheet:
        assert [len(values[4]) for _, values in sheet.data_rows()] == [3, MAX_CELL_CHARS]
    with (
        pytest.raises(FileRefused) as refused,
        Sheet(io.BytesIO(make(letter * (MAX_CELL_CHARS + 1)))) as sheet,
    ):
        list(sheet.data_rows())
    assert refused.value.code == "cell_too_long" and "Cell E3" in refused.value.message


# --- big validations on a worker -------------------------------------------------------------------
async def test_a_validation_of_few_rows_but_much_xml_goes_to_the_worker(
    client, finance_token, settings, monkeypatch
):
    # given a list of two rows whose cells make more XML than the rows run inline may make
    monkeypatch.setattr(settings, "import_sync_rows", 5)
    data = inline_workbook("长" * 30_000)
    # when it is validated
    response = await upload(client, finance_token, data, mode="validate")
    # then it is queued for a worker, not read in the request
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["status"], job["background"], job["report"]) == ("pending", True, None)
    # and the worker's run gives the report
    done = await service.run_by_id(job["id"])
    assert done is not None and done.status == ImportStatus.SUCCEEDED
    assert (done.total, done.created, done.failed) == (2, 2, 0)
    assert await Customer.all().count() == 0


async def test_a_long_cell_found_by_the_worker_fails_the_import_naming_the_cell(
    client, finance_token, settings, monkeypatch
):
    # given a list big enough for a worker, a cell of many runs past the limit in its last row,
    # below the rows the API looks at to find the header
    monkeypatch.setattr(settings, "import_sync_rows", 5)
    data = rich_cell("shared", ["c" * 20_000] * 10, before=20)
    response = await upload(client, finance_token, data, mode="upsert")
    assert response.status_code == 202, response.text
    # when the worker runs it
    job = await service.run_by_id(response.json()["id"])
    # then the import failed naming the cell, and nothing was written
    assert job is not None and job.status == ImportStatus.FAILED
    assert job.error_code == "cell_too_long" and "Cell E22" in job.error_message
    assert await Customer.all().count() == 0


# --- imports at once --------------------------------------------------------------------------------
async def test_more_imports_at_once_than_the_limit_is_a_429_with_retry_after(client, finance_token, settings):
    # given this process reading as many uploads as it may (the default: 2)
    assert settings.max_concurrent_imports == 2
    data = inline_workbook("说明")
    with service.slots.hold(), service.slots.hold():
        # when one more arrives
        response = await upload(client, finance_token, data)
        # then it is refused at once, in the one error shape, with a time to retry
        assert response.status_code == 429, response.text
        assert response.json() == {
            "error": {
                "code": "too_many_imports",
                "message": response.json()["error"]["message"],
                "details": [],
                "params": {"limit": 2},
            }
        }
        assert "OPCMS_MAX_CONCURRENT_IMPORTS" in response.json()["error"]["message"]
        assert int(response.headers["Retry-After"]) >= 1
        assert await ImportJob.all().count() == 0
    # and once a slot is free, the same upload is read
    assert (await upload(client, finance_token, data)).status_code == 200
    assert service.slots.busy == 0


async def test_imports_in_progress_hold_their_slots_until_they_end_refused_or_not(
    client, finance_token, monkeypatch
):
    # given two inline imports stopped in the middle of their run
    gate = asyncio.Event()
    execute = pipeline.execute

    async def held(job, sheet):
        await gate.wait()
        await execute(job, sheet)

    monkeypatch.setattr(pipeline, "execute", held)
    data = inline_workbook("说明")
    running = [asyncio.create_task(upload(client, finance_token, data)) for _ in range(2)]
    for _ in range(500):
        if service.slots.busy == 2:
            break
        await asyncio.sleep(0.01)
    assert service.slots.busy == 2
    # when a third upload arrives: refused
    third = await upload(client, finance_token, data)
    assert third.status_code == 429 and third.json()["error"]["code"] == "too_many_imports"
    # then the two finish, and their slots are free again
    gate.set()
    assert [(await task).status_code for task in running] == [200, 200]
    assert service.slots.busy == 0
    # and a refused file gives its slot back too
    for _ in range(3):
        assert (await upload(client, finance_token, b"not a workbook")).status_code == 415
    assert service.slots.busy == 0


def test_the_limit_is_a_setting_with_a_default_of_two(monkeypatch):
    from opcms.core.settings import Settings

    assert Settings().max_concurrent_imports == 2
    monkeypatch.setenv("OPCMS_MAX_CONCURRENT_IMPORTS", "5")
    assert Settings().max_concurrent_imports == 5


# --- formula cells ----------------------------------------------------------------------------------
def formula_list() -> bytes:
    """Row 2: formulas saved with their results, as Excel saves them (a text result and a
    number). Row 3: formulas written by a program and never calculated (openpyxl writes an
    empty <v/>), one of them the name."""
    data = workbook_bytes(
        [
            ["客户编号", "公司名称", "客户等级", "联系电话"],
            ["F1", "NAME2", "A", "PHONE2"],
            ["F2", '=A3&"公司"', "A", "=13900000000+3"],
        ]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(SHEET).decode()
    xml = xml.replace(
        '<c r="B2" t="inlineStr"><is><t>NAME2</t></is></c>',
        '<c r="B2" t="str"><f>"甲"&amp;"公司"</f><v>甲公司</v></c>',
    ).replace(
        '<c r="D2" t="inlineStr"><is><t>PHONE2</t></is></c>',
        '<c r="D2"><f>13900000000+1</f><v>13900000001</v></c>',
    )
    assert '<c r="B3"><f>A3&amp;"公司"</f><v' in xml and "甲公司" in xml
    return replace_part(data, SHEET, xml.encode())


async def test_a_formula_cell_is_its_saved_result_and_one_saved_without_fails_its_row(client, finance_token):
    # when a list with formula cells is imported
    response = await upload(client, finance_token, formula_list(), mode="create")
    # then the formulas saved with a result import as that result
    assert response.status_code == 200, response.text
    report = response.json()["report"]
    f1 = await Customer.get(customer_code="F1")
    assert (f1.company_name, f1.contact_phone) == ("甲公司", "13900000001")
    # and the row whose formulas have no saved result fails, each cell with the reason, never
    # imported as blank
    assert (report["created"], report["failed"]) == (1, 1)
    reasons = [(e["row"], e["column"], e["value"], e["reason"]) for e in report["errors"]]
    hint = "a formula saved without its result; open the file in Excel or WPS, let it calculate, save it and upload it again"
    assert reasons == [(3, "公司名称", '=A3&"公司"', hint), (3, "联系电话", "=13900000000+3", hint)]
    assert not await Customer.filter(customer_code="F2").exists()
    # and the error workbook shows the formulas, as text
    errors = await client.get(f"/api/v1/imports/{response.json()['id']}/errors.xlsx", token=finance_token)
    workbook = open_workbook(io.BytesIO(errors.content))
    rows = list(iter_values(workbook.worksheets[0]))
    workbook.close()
    # (an English workbook: the client asks for en-US; reasons are joined with "; ")
    assert rows[1][:4] == (f"公司名称: {hint}; 联系电话: {hint}", 3, "F2", '\'=A3&"公司"')


def test_other_readers_refuse_a_formula_saved_without_its_result_naming_the_cell():
    # usage files go through the same reading: a formula without a result is never a blank
    workbook = open_workbook(io.BytesIO(formula_list()))
    try:
        with pytest.raises(FileRefused) as refused:
            list(iter_values(workbook.worksheets[0]))
    finally:
        workbook.close()
    assert refused.value.code == "formula_without_value"
    assert refused.value.message.startswith('Cell B3 of sheet "客户" is =A3&"公司", a formula saved without')
