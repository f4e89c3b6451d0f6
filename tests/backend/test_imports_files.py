"""Uploads that must not be read: each refused with a clear 4xx before anything is written,
with bounded memory. Also the two workbooks the import hands out (template, errors)."""

from __future__ import annotations

import io
import os
import struct
import tracemalloc
import zipfile
from collections.abc import Iterable

import openpyxl
import pytest

from opcms.bench.imports import write_excel_like
from opcms.core.context import acting_as, system_actor
from opcms.core.excel import UNCACHED_FORMULA_HINT, FileRefused, inspect_xlsx, iter_values, open_workbook
from opcms.core.storage import get_store
from opcms.customers.columns import COLUMNS
from opcms.customers.models import Customer
from opcms.imports import service
from opcms.imports.models import ImportJob
from opcms.imports.reader import Sheet, peek_layout
from tests.backend.factories import customer_rows, make_user, session_for, workbook_bytes

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --- crafting hostile files ------------------------------------------------------------------------
def replace_part(
    data: bytes, name: str, content: bytes | None = None, *, stream: Iterable[bytes] | None = None
) -> bytes:
    """A copy of the workbook with one part replaced (``stream``: written chunk by chunk)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item.filename))
        with target.open(name, "w", force_zip64=True) as handle:
            for chunk in stream or [content]:
                handle.write(chunk)
    return out.getvalue()


def valid_workbook() -> bytes:
    return workbook_bytes(customer_rows(3))


def zip_bomb() -> bytes:
    """A sheet that inflates a thousand times: 64 MB of blanks inside the sheet XML."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    return replace_part(
        valid_workbook(), SHEET, stream=[head, *([b" " * MB] * 64), b"</sheetData></worksheet>"]
    )


def too_big_inflated() -> bytes:
    """Each part modest (no ratio test applies under 1 MB), but together more than ten times
    the upload cap once inflated (the test lowers the cap to 64 KB)."""
    filler = os.urandom(2000).hex() * 100  # 400 KB that deflate shrinks to a few KB
    xml = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData/><!-- {filler} --></worksheet>'
    data = replace_part(valid_workbook(), SHEET, xml.encode())
    return replace_part(
        data,
        "xl/sharedStrings.xml",
        f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}"><!-- {filler} --></sst>'.encode(),
    )


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)
    )
    + "]>"
)


def billion_laughs() -> bytes:
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>{LAUGHS}<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return replace_part(valid_workbook(), SHEET, xml.encode())


def external_entity() -> bytes:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&x;</t></si></sst>'
    )
    return replace_part(valid_workbook(), "xl/sharedStrings.xml", xml.encode())


def ole_container(*streams: str) -> bytes:
    """A compound-file (OLE) header and one directory sector naming ``streams``: how Office
    stores an encrypted workbook (EncryptionInfo + EncryptedPackage) or an old .xls."""
    header = bytearray(512)
    header[:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIII", header, 44, 1, 0, 0, 4096, 0xFFFFFFFE)
    directory = bytearray(512)
    for index, name in enumerate(["Root Entry", *streams]):
        encoded = (name + "\0").encode("utf-16-le")
        entry = bytearray(128)
        entry[: len(encoded)] = encoded
        struct.pack_into("<HBB", entry, 64, len(encoded), 5 if index == 0 else 2, 1)
        directory[index * 128 : (index + 1) * 128] = entry
    fat = bytearray(struct.pack("<I", 0xFFFFFFFD) + struct.pack("<I", 0xFFFFFFFE) + b"\xff" * 504)
    return bytes(header + fat + directory)


def corrupt_in_the_middle() -> bytes:
    data = bytearray(valid_workbook())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(SHEET)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(start + 5, start + min(info.compress_size, 60)):
        data[offset] ^= 0x5A
    return bytes(data)


def not_a_workbook_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


REFUSED = {  # kind: (make the bytes, HTTP status, error code)
    "renamed-txt": (lambda: "客户编号,公司名称\nC1,甲\n".encode(), 415, "not_xlsx"),
    "docx-like-zip": (not_a_workbook_zip, 415, "not_xlsx"),
    "old-xls": (lambda: ole_container("Workbook"), 415, "not_xlsx"),
    "encrypted": (lambda: ole_container("EncryptionInfo", "EncryptedPackage"), 422, "password_protected"),
    "truncated": (lambda: valid_workbook()[:1500], 422, "corrupt_file"),
    "corrupt-middle": (corrupt_in_the_middle, 422, "corrupt_file"),
    "empty": (lambda: b"", 422, "empty_file"),
    "zip-bomb": (zip_bomb, 422, "zip_bomb"),
    "inflates-too-much": (too_big_inflated, 422, "zip_bomb"),
    "billion-laughs": (billion_laughs, 422, "unsafe_xml"),
    "external-entity": (external_entity, 422, "unsafe_xml"),
}


@pytest.fixture
async def finance_token(db):
    return (await session_for(await make_user("finance"))).access_token


async def stored_uploads() -> set[str]:
    return {item.key for item in await get_store().list(service.UPLOADS)}


@pytest.mark.parametrize("kind", list(REFUSED))
async def test_a_refused_file_is_a_4xx_with_nothing_written_and_bounded_memory(
    client, finance_token, settings, monkeypatch, kind
):
    # given a hostile or broken upload
    make, status, code = REFUSED[kind]
    data = make()
    if kind == "inflates-too-much":
        monkeypatch.setattr(settings, "import_max_bytes", 64 * 1024)
        assert len(data) < 64 * 1024
    stored = await stored_uploads()
    # when it is uploaded
    response = await client.post(
        "/api/v1/imports/customers",
        token=finance_token,
        files={"file": ("customers.xlsx", data)},
        data={"mode": "upsert"},
    )
    # then it is refused with a clear error and nothing is written or kept
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert await ImportJob.all().count() == 0 and await Customer.all().count() == 0
    assert await stored_uploads() == stored
    # and refusing it takes little memory (the bomb inflates to 64 MB; the laughs to 1 GB)
    tracemalloc.start()
    try:
        with acting_as(system_actor("test")), pytest.raises(FileRefused):
            await service.submit(data, "customers.xlsx", "upsert")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * MB, f"{kind}: {peak / MB:.1f} MB"


async def test_an_upload_over_the_byte_cap_is_a_413(client, finance_token, settings, monkeypatch):
    monkeypatch.setattr(settings, "import_max_bytes", 64 * 1024)
    data = workbook_bytes(customer_rows(3000))
    assert len(data) > 64 * 1024
    response = await client.post(
        "/api/v1/imports/customers",
        token=finance_token,
        files={"file": ("big.xlsx", data)},
        data={"mode": "create"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert "OPCMS_IMPORT_MAX_BYTES" in response.json()["error"]["message"]
    assert await ImportJob.all().count() == 0 and await Customer.all().count() == 0


async def test_a_sheet_over_the_row_cap_is_a_413_before_parsing(client, finance_token, settings, monkeypatch):
    monkeypatch.setattr(settings, "import_max_rows", 10)
    response = await client.post(
        "/api/v1/imports/customers",
        token=finance_token,
        files={"file": ("rows.xlsx", workbook_bytes(customer_rows(40)))},
        data={"mode": "create"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_rows"
    assert await ImportJob.all().count() == 0 and await Customer.all().count() == 0


def test_openpyxl_parses_with_defusedxml_which_refuses_entities_even_past_the_scan():
    # the second line of defence: were the byte scan skipped, the parser still refuses
    assert openpyxl.DEFUSEDXML is True
    tracemalloc.start()
    try:
        with pytest.raises(FileRefused) as refused:
            workbook = open_workbook(io.BytesIO(billion_laughs()))
            try:
                list(iter_values(workbook.worksheets[0]))
            finally:
                workbook.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.code == "unsafe_xml"
    assert peak < 10 * MB


def test_a_valid_workbook_passes_the_inspection_with_its_row_count():
    info = inspect_xlsx(workbook_bytes(customer_rows(25)), max_bytes=MB, max_rows=100)
    assert (info.sheet_part, info.row_elements) == (SHEET, 26)


# --- the workbooks handed out ---------------------------------------------------------------------
async def test_the_template_has_the_headers_an_example_and_dropdowns(client, finance_token):
    response = await client.get("/api/v1/imports/template.xlsx", token=finance_token)
    assert response.status_code == 200
    assert (
        response.headers["content-type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response.headers["content-disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert [cell for cell in rows[1]] == [c.header for c in COLUMNS]
    assert rows[2][0] == "C000123" and rows[2][1] == "上海示例科技有限公司"
    lists = workbook["选项"]
    assert lists.sheet_state == "hidden"
    choices = {column[0].value: [c.value for c in column[1:] if c.value] for column in lists.iter_cols()}
    assert choices == {
        "level": ["S", "A", "B", "C"],
        "industry": ["互联网", "金融", "教育", "医疗", "零售", "制造", "物流", "政府", "其他"],
        "status": ["潜在", "试用", "正常", "暂停", "注销"],
    }
    letters = {c.field: openpyxl.utils.get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
    validations = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert validations == {
        f"{letters['industry']}3": "='选项'!$B$2:$B$10",
        f"{letters['level']}3": "='选项'!$A$2:$A$5",
        f"{letters['status']}3": "='选项'!$C$2:$C$6",
    }


async def test_the_template_imports_its_example_row(client, finance_token):
    await make_user("operator", username="operator")
    template = (await client.get("/api/v1/imports/template.xlsx", token=finance_token)).content
    response = await client.post(
        "/api/v1/imports/customers",
        token=finance_token,
        files={"file": ("模板.xlsx", template)},
        data={"mode": "validate"},
    )
    assert response.json()["report"] == {
        "total": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped_blank": 0,
        "failed": 0,
        "errors": [],
        "ignored_columns": [],
    }


async def test_the_error_workbook_holds_the_failed_rows_as_uploaded_with_their_reasons(client, finance_token):
    # given an import with three failed rows (one with two problems, one with a formula that
    # openpyxl wrote without a result)
    data = workbook_bytes(
        [
            ["客户清单"],
            ["客户编号", "公司名称", "联系电话", "签约日期", "备注", "内部编号"],
            ["G1", "好公司", "13800138000", "2024-03-05", '=HYPERLINK("x")', 7],
            ["G2", None, "12", "2024/3/5", None, 8],
            ["G3", "好公司", "13800138001", None, "@SUM(A1)", 9],
        ]
    )
    response = await client.post(
        "/api/v1/imports/customers",
        token=finance_token,
        files={"file": ("清单.xlsx", data)},
        data={"mode": "create"},
    )
    job = response.json()
    assert job["report"]["failed"] == 3
    # when its error workbook is downloaded
    download = await client.get(f"/api/v1/imports/{job['id']}/errors.xlsx", token=finance_token)
    assert download.status_code == 200
    assert "filename*=UTF-8''" in download.headers["content-disposition"]
    rows = list(
        openpyxl.load_workbook(io.BytesIO(download.content)).worksheets[0].iter_rows(values_only=True)
    )
    # then it has the original header, and each failed row as it was, with its reasons and row number
    # (in the language asked for: English here; test_i18n.py downloads it in Chinese)
    assert rows == [
        ("Error reason", "Original row", "客户编号", "公司名称", "联系电话", "签约日期", "备注", "内部编号"),
        (
            f"备注: {UNCACHED_FORMULA_HINT}",
            3,
            "G1",
            "好公司",
            "13800138000",
            "2024-03-05",
            '\'=HYPERLINK("x")',
            7,
        ),
        (
            "公司名称: required; 联系电话: not a mainland mobile (11 digits) or landline with area code",
            4,
            "G2",
            None,
            "12",
            "2024/3/5",
            None,
            8,
        ),
        ("公司名称: same company name as row 3", 5, "G3", "好公司", "13800138001", None, "'@SUM(A1)", 9),
    ]
    # and fixed and uploaded again as it is, it imports (the two extra columns are ignored)
    fixed = openpyxl.load_workbook(io.BytesIO(download.content))
    fixed.worksheets[0]["G2"] = "链接"
    fixed.worksheets[0]["D3"] = "坏公司"
    fixed.worksheets[0]["E3"] = "13800138002"
    fixed.worksheets[0]["D4"] = "另一家公司"
    buffer = io.BytesIO()
    fixed.save(buffer)
    again = await client.post(
        "/api/v1/imports/customers",
        token=finance_token,
        files={"file": ("清单-错误行.xlsx", buffer.getvalue())},
        data={"mode": "create"},
    )
    report = again.json()["report"]
    assert (report["created"], report["failed"], report["ignored_columns"]) == (
        3,
        0,
        ["Error reason", "Original row", "内部编号"],
    )
    g3 = await Customer.get(customer_code="G3")
    assert g3.remark == "@SUM(A1)"  # the escape of the error workbook is undone on import


async def test_the_error_workbook_of_an_unknown_or_unfinished_import_is_refused(client, finance_token):
    assert (await client.get("/api/v1/imports/999999/errors.xlsx", token=finance_token)).status_code == 404


def rich_text_header_workbook(tmp_dir) -> bytes:
    """Excel-like (shared strings) with a header cell in rich text with a phonetic run."""
    target = tmp_dir / "rich.xlsx"
    write_excel_like(
        target,
        iter([["客户名单"], [None, "内部", "客户编号", "公司名称"], [None, 1, "P1", "拼音有限公司"]]),
        merge_title=4,
    )
    data = target.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        strings = archive.read("xl/sharedStrings.xml").decode()
    rich = '<si><r><t>客户</t></r><r><rPr><b/></rPr><t>编号</t></r><rPh sb="0" eb="2"><t>kehu</t></rPh></si>'
    assert '<si><t xml:space="preserve">客户编号</t></si>' in strings
    strings = strings.replace('<si><t xml:space="preserve">客户编号</t></si>', rich)
    return replace_part(data, "xl/sharedStrings.xml", strings.encode())


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: workbook_bytes(
            [["标题"], [], ["备注", "公司名称", "客户编号"], ["x", "甲", "A1"]], merge="A1:C1"
        ),
        lambda tmp: workbook_bytes([[None, None, "客户编号", "账期（天）", "公司名称", "未知"]]),
        rich_text_header_workbook,
    ],
    ids=["openpyxl-inline-strings", "header-only", "excel-shared-rich-text"],
)
def test_the_quick_header_peek_agrees_with_openpyxl(make, tmp_path):
    # the API checks the header of a big file without loading it; the worker then reads it fully
    data = make(tmp_path)
    info = inspect_xlsx(data, max_bytes=MB, max_rows=100)
    peeked = peek_layout(data, info.sheet_part)
    with Sheet(io.BytesIO(data)) as sheet:
        assert (peeked.header_row, peeked.columns, peeked.ignored) == (
            sheet.layout.header_row,
            sheet.layout.columns,
            sheet.layout.ignored,
        )
    assert [c.header for c in peeked.columns] != []
