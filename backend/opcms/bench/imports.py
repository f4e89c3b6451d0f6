"""``opcms bench import``: the customer import against its floor (DESIGN §15).

Generates a realistic customer list as Excel writes it (shared strings, a ``<dimension>`` with
the used range; a title row, a blank row, the header with a full-width ``账期（天）``, mixed
date forms, dictionary synonyms, Chinese status labels, owners by username and by name, phones
with separators and full-width digits, numbers stored as text, a blank row every thousand),
then measures on the same file:

- the parse: openpyxl's read-only parse of it (load + every row's values; best of two);
- ``validate`` on the empty database (dry run);
- ``upsert`` on the empty database: every row created (the figure: ``value``);
- ``upsert`` again: every row unchanged;
- the floor: the same physical work as the creating upsert by the cheapest known means: the
  parse, then the very rows the import wrote (customers, status history, audit rows) by
  multi-row INSERTs in one transaction on one connection, into empty copies of the tables
  with their indexes (best of two). Target: the import ≤ 2× the floor.

The database is OPCMS_DATABASE_URL, which must name a throw-away database (its name must
contain "bench"): it is dropped, re-created and migrated. The last line printed is one JSON
object ``{"bench": "import", "value", "floor", "ratio", "unit": "s", "rows", "peak_mb", …}``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from openpyxl import load_workbook
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from opcms.auth.service import ensure_user
from opcms.bench.common import figure, fresh_database
from opcms.core.context import acting_as, system_actor
from opcms.core.db import close_db
from opcms.core.settings import get_settings
from opcms.customers.rules import credit_code_check_char
from opcms.imports import service

TARGET_RATIO = 2.0
TARGET_PEAK_MB = 500
OWNERS = [("zhangwei", "张伟"), ("lina", "李娜"), ("wangfang", "王芳")]
LEVELS = ["S", "A级", "重要客户", "a", "B", "普通客户", "b级", "C级", "一般客户", "战略客户"]
INDUSTRIES = [
    "互联网",
    "internet",
    "科技",
    "金融",
    "银行",
    "教育",
    "医疗健康",
    "零售",
    "电商",
    "制造业",
    "物流",
    "政府",
    "其他",
]
STATUSES = ["正常", "active", "试用", "潜在", "暂停", "prospect"]
PLACES = [
    ("上海", "上海"),
    ("北京", "北京"),
    ("浙江", "杭州"),
    ("江苏", "苏州"),
    ("广东", "深圳"),
    ("四川", "成都"),
]
HEADERS = [
    "客户编号",
    "公司名称",
    "简称",
    "统一社会信用代码",
    "行业类型",
    "客户等级",
    "账号状态",
    "负责人",
    "联系人",
    "联系电话",
    "联系邮箱",
    "省份",
    "城市",
    "详细地址",
    "签约日期",
    "合同到期日",
    "账期（天）",
    "信用额度",
    "备注",
]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _date_cell(day: dt.date, form: int) -> Any:
    if form == 0:
        return dt.datetime(day.year, day.month, day.day)
    if form == 1:
        return (day - dt.date(1899, 12, 30)).days  # an Excel serial number in a General cell
    if form == 2:
        return day.isoformat()
    if form == 3:
        return f"{day.year}/{day.month}/{day.day}"
    if form == 4:
        return f"{day.year}.{day.month}.{day.day}"
    return f"{day.year}年{day.month}月{day.day}日"


def rows_of(count: int, seed: int = 20240305) -> Iterator[list[Any]]:
    """The customer list: a title row, a blank row, the header, ``count`` customers."""

    rng = random.Random(seed)
    yield ["2025 年客户清单（财务部导出）"]
    yield []
    yield HEADERS
    for i in range(1, count + 1):
        if i % 1000 == 0:
            yield []  # finance leaves gaps
        signed = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1800))
        ends = signed + dt.timedelta(days=365 * rng.randint(1, 3))
        province, city = PLACES[i % len(PLACES)]
        username, name = OWNERS[i % len(OWNERS)]
        first17 = f"91310000{i:09d}"
        phone = f"138{i:08d}"
        if i % 3 == 1:
            phone = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
        elif i % 3 == 2:
            phone = phone.translate(FULL_WIDTH)
        code = f"C{i:07d}"
        yield [
            code.translate(FULL_WIDTH) if i % 10 == 0 else code,
            f"{city}{rng.choice('云数智联信达安捷星海')}{i}科技有限公司",
            f"客户{i}",
            first17 + credit_code_check_char(first17),
            INDUSTRIES[i % len(INDUSTRIES)],
            LEVELS[i % len(LEVELS)],
            STATUSES[i % len(STATUSES)],
            username if i % 2 else name,
            f"联系人{i % 500}",
            phone,
            f"contact{i}@example.com",
            province,
            city,
            f"{city}市示例路 {i % 900 + 1} 号",
            _date_cell(signed, i % 6),
            _date_cell(ends, (i + 3) % 6),
            str(30 + i % 4 * 15) if i % 2 else 30 + i % 4 * 15,
            f"¥{i % 100 * 1000:,}.00" if i % 4 == 0 else float(i % 100 * 1000 + 0.5),
            "重点维护" if i % 7 == 0 else None,
        ]


def generate(path: Path, rows: int, seed: int = 20240305) -> None:
    """Write the list the way Excel and WPS do: text in the shared-strings table, dates as
    serial numbers with a date format, the title merged across the columns. (openpyxl
    writes inline strings, which no spreadsheet program does and which parse slower.)"""
    write_excel_like(path, rows_of(rows, seed), merge_title=len(HEADERS))


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_excel_like(path: Path, rows: Iterator[list[Any]], *, merge_title: int = 0) -> None:
    """A minimal SpreadsheetML package with a shared-strings table (one sheet)."""

    strings: dict[str, int] = {}
    letters = [_column_letter(i) for i in range(1, 200)]
    epoch = dt.date(1899, 12, 30)
    sheet_rows = []
    last_row = last_column = 0
    for number, values in enumerate(rows, start=1):
        cells = []
        for position, value in enumerate(values):
            if value is None:
                continue
            last_row, last_column = number, max(last_column, position + 1)
            ref = f"{letters[position]}{number}"
            if isinstance(value, str):
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
            elif isinstance(value, (dt.datetime, dt.date)):
                day = value.date() if isinstance(value, dt.datetime) else value
                cells.append(f'<c r="{ref}" s="1"><v>{(day - epoch).days}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
        sheet_rows.append(f'<row r="{number}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    merge = (
        f'<mergeCells count="1"><mergeCell ref="A1:{letters[merge_title - 1]}1"/></mergeCells>'
        if merge_title
        else ""
    )
    # the used range, first thing in the sheet, as Excel and WPS write it: a reader learns the
    # sheet's size from it without reading the rows first
    dimension = (
        f'<dimension ref="A1:{letters[last_column - 1]}{last_row}"/>' if last_row else '<dimension ref="A1"/>'
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{main}" xmlns:r="{rel}">'
        f"{dimension}<sheetData>{''.join(sheet_rows)}</sheetData>{merge}</worksheet>"
    )
    shared = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings)
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="客户清单" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{main}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{main}" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{shared}</sst>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))


def parse_floor(path: Path) -> float:
    """openpyxl's read-only parse of the whole file: the least any import must spend."""

    started = time.perf_counter()
    workbook = load_workbook(path, read_only=True, data_only=True)
    for _ in workbook.worksheets[0].iter_rows(values_only=True):
        pass
    workbook.close()
    return time.perf_counter() - started


#: the tables an import writes, and the rows of each that it wrote (every customer row, every
#: status-history row, the audit rows of the customers and of the import itself)
WRITTEN = (
    ("customer", ""),
    ("customer_status_history", ""),
    ("audit_log", "WHERE entity_type IN ('customer', 'import')"),
)
FLOOR_BATCH = 1000  # rows per multi-row INSERT, as the import writes them


def _quote(conn: BaseDBAsyncClient, name: str) -> str:
    return f"`{name}`" if conn.capabilities.dialect == "mysql" else f'"{name}"'


async def written_rows(conn: BaseDBAsyncClient) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(table, columns, rows) of what the import wrote, its ids left out (the database gives
    them, as it did to the import); and an empty copy of each table, with its indexes, for the
    floor to write into."""
    written = []
    for table, where in WRITTEN:
        rows = await conn.execute_query_dict(f"SELECT * FROM {_quote(conn, table)} {where} ORDER BY id")
        columns = [name for name in rows[0] if name != "id"] if rows else []
        written.append((table, columns, [[row[name] for name in columns] for row in rows]))
        copy = _quote(conn, f"floor_{table}")
        await conn.execute_script(f"DROP TABLE IF EXISTS {copy}")
        if conn.capabilities.dialect == "mysql":
            # the same columns, indexes and checks; and the same foreign keys, which LIKE leaves
            # out (each inserted row is checked against its parent, as the import's rows are)
            await conn.execute_script(f"CREATE TABLE {copy} LIKE {_quote(conn, table)}")
            _, keys = await conn.execute_query(
                "SELECT COLUMN_NAME AS `column`, REFERENCED_TABLE_NAME AS parent, REFERENCED_COLUMN_NAME AS `key`"
                " FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE()"
                " AND TABLE_NAME = %s AND REFERENCED_TABLE_NAME IS NOT NULL",
                [table],
            )
            for key in keys:
                await conn.execute_script(
                    f"ALTER TABLE {copy} ADD FOREIGN KEY ({_quote(conn, key['column'])})"
                    f" REFERENCES {_quote(conn, key['parent'])} ({_quote(conn, key['key'])})"
                )
        else:  # SQLite has no CREATE TABLE … LIKE: the columns without the indexes
            await conn.execute_script(f"CREATE TABLE {copy} AS SELECT * FROM {_quote(conn, table)} WHERE 0")
    return written


async def write_floor(path: Path, written: list[tuple[str, list[str], list[list[Any]]]]) -> float:
    """The same physical work as an import that creates every row, by the cheapest known means:
    openpyxl's read-only parse of the file, then the rows the import wrote (customers, status
    history, audit) by multi-row INSERTs of FLOOR_BATCH rows in one transaction, on one
    connection, into empty copies of the tables with the same indexes."""
    conn = connections.get("default")
    for table, _, _ in written:
        await conn.execute_script(f"DELETE FROM {_quote(conn, f'floor_{table}')}")
    started = time.perf_counter()
    await asyncio.to_thread(parse_floor, path)  # as the import reads: off the event loop
    mark = "%s" if conn.capabilities.dialect == "mysql" else "?"
    async with in_transaction() as tx:
        for table, columns, rows in written:
            sql = (
                f"INSERT INTO {_quote(tx, f'floor_{table}')} ({', '.join(_quote(tx, c) for c in columns)})"
                f" VALUES ({', '.join([mark] * len(columns))})"
            )
            for first in range(0, len(rows), FLOOR_BATCH):
                await tx.execute_many(sql, rows[first : first + FLOOR_BATCH])
    return time.perf_counter() - started


def reset_peak() -> bool:
    """Start a new peak-memory window (Linux: clear_refs 5 resets VmHWM); False if unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    """Peak resident memory of this process since the last reset (or since it started)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_bench(rows: int) -> dict[str, Any]:
    settings = get_settings()
    url = settings.database_url
    # a benchmark, not a policy: the caps make room for the file it generates
    settings.import_max_rows = max(settings.import_max_rows, rows)
    settings.import_max_bytes = max(settings.import_max_bytes, rows * 200)
    await fresh_database(settings, "import")
    out = sys.stdout
    try:
        with acting_as(system_actor("bench")):
            for username, name in OWNERS:
                await ensure_user(username, "operator", "Bench-Password-1", display_name=name)
            with tempfile.TemporaryDirectory(prefix="opcms-bench-") as folder:
                path = Path(folder) / "customers.xlsx"
                started = time.perf_counter()
                generate(path, rows)
                data = path.read_bytes()
                print(
                    f"import bench: {rows:,} rows, {len(data) / 1e6:.1f} MB xlsx "
                    f"(generated in {time.perf_counter() - started:.1f} s); database {urlsplit(url).scheme}",
                    file=out,
                )
                parse = min(parse_floor(path) for _ in range(2))
                print(f"  parse    openpyxl read-only parse           {parse:7.2f} s", file=out, flush=True)
                figures: dict[str, float] = {}
                peaks: dict[str, float] = {}
                for label, mode, expect in (
                    ("validate", "validate", "created"),
                    ("upsert_create", "upsert", "created"),
                    ("upsert_unchanged", "upsert", "unchanged"),
                ):
                    reset_peak()
                    started = time.perf_counter()
                    job = await service.submit(data, path.name, mode, background=False)
                    seconds = time.perf_counter() - started
                    figures[label] = seconds
                    peaks[label] = peak_mb()
                    count = getattr(job, expect)
                    print(
                        f"  {label:<17} {mode:<8} {expect} {count:>7,}  failed {job.failed:>5,}  {seconds:7.2f} s"
                        f"  ({seconds / parse:.2f}x the parse)  peak {peaks[label]:.0f} MB",
                        file=out,
                        flush=True,
                    )
                    if job.failed or count != rows:
                        raise SystemExit(
                            f"bench import: expected {rows} rows {expect}, got {count} ({job.failed} failed)"
                        )
                written = await written_rows(connections.get("default"))
                floor = min([await write_floor(path, written) for _ in range(2)])
                print(
                    f"  floor    parse + batched INSERT of the same {sum(len(r) for _, _, r in written):,} rows"
                    f" {floor:7.2f} s",
                    file=out,
                    flush=True,
                )
    finally:
        await close_db()
    value = figures["upsert_create"]
    ratio = value / floor
    peak = max(peaks.values())  # the process's peak during the imports (the file included)
    meets = ratio <= TARGET_RATIO and peak < TARGET_PEAK_MB
    print(
        f"  ratio {ratio:.2f} (target ≤ {TARGET_RATIO:g}×); peak memory {peak:.0f} MB (target < {TARGET_PEAK_MB}): "
        f"{'meets' if meets else 'MISSES'} the target",
        file=out,
    )
    return figure(
        "import",
        value,
        floor,
        unit="s",
        target=f"≤ {TARGET_RATIO:g}×",
        meets=meets,
        rows=rows,
        peak_mb=round(peak, 1),
        parse_s=round(parse, 3),
        validate_s=round(figures["validate"], 3),
        upsert_unchanged_s=round(figures["upsert_unchanged"], 3),
        database=urlsplit(url).scheme,
    )


def main(rows: int) -> int:
    result = asyncio.run(run_bench(rows))
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0
