"""Reading a bank's statement export into lines (issue 18, DESIGN §17): each bank's layout, in
GBK, GB18030, UTF-8 (with and without BOM) and xlsx, reads the same incoming lines; title lines,
blank lines, totals and outgoing lines are skipped with their reasons; files that are no
statement are refused with a clear 4xx. Pure functions: no database."""

from __future__ import annotations

import datetime as dt
import io
import sys
import tracemalloc
import zipfile
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from opcms.core.errors import AppError
from opcms.core.excel import FileRefused
from opcms.core.i18n import EN, ZH, speaking
from opcms.statements.profiles import FIELDS, PROFILES
from opcms.statements.reading import (
    HEADER_SCAN_ROWS,
    StatementRefused,
    parse_amount,
    parse_date,
    parse_time,
    read_statement,
)
from tests.backend.statement_files import (
    BANKS,
    GENERIC_HEADERS,
    OWN_ACCOUNT_DIGITS,
    Line,
    big_csv,
    expected,
    incoming_lines,
    outgoing_line,
    rows_csv,
    rows_xlsx,
    statement_csv,
    statement_rows,
    statement_xlsx,
    with_payer,
)

FORMS = ["gbk", "gb18030", "utf-8", "utf-8-sig", "xlsx", "xlsx-typed"]


def lines_with_an_outgoing() -> list[Line]:
    lines = incoming_lines(3)
    return [lines[0], outgoing_line(), lines[1], lines[2]]


def write(bank: str, lines: list[Line], form: str, **options: Any) -> tuple[bytes, str]:
    if form == "xlsx":
        return statement_xlsx(bank, lines, **options), "statement.xlsx"
    if form == "xlsx-typed":
        return statement_xlsx(bank, lines, typed=True, **options), "statement.xlsx"
    return statement_csv(bank, lines, encoding=form, **options), "statement.csv"


def found(statement) -> list[tuple[Decimal, dt.date, str | None, str | None, str | None]]:
    return [(x.amount, x.booked_on, x.payer_name, x.payer_account, x.serial) for x in statement.incoming]


def reasons(statement) -> list[tuple[int, str | None]]:
    return [(x.row_number, x.reason) for x in statement.skipped]


def refusal(excinfo: pytest.ExceptionInfo[BaseException]) -> AppError:
    error = excinfo.value
    assert isinstance(error, AppError)
    assert 400 <= error.status < 500
    return error


# --- each bank, each encoding ---------------------------------------------------------------------
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("bank", BANKS)
def test_each_banks_export_reads_the_same_incoming_lines_in_every_encoding_and_as_a_workbook(bank, form):
    # given the bank's export of three incoming lines and one outgoing, under its title lines
    lines = lines_with_an_outgoing()
    data, name = write(bank, lines, form)

    # when it is read without saying which bank it is
    statement = read_statement(data, name)

    # then the bank is recognised, the header found under the title, the account read from the
    # title, and the incoming lines are the ones written: amount, date, payer, account, serial
    assert statement.profile == bank
    assert statement.encoding == {"gbk": "gb18030", "xlsx-typed": "xlsx"}.get(form, form)
    assert statement.header_row == 5
    assert statement.account == OWN_ACCOUNT_DIGITS
    assert found(statement) == expected(lines)
    assert [x.booked_at for x in statement.incoming] == [x.booked_at for x in lines if not x.outgoing]
    assert all(x.currency == "CNY" for x in statement.incoming)
    assert {"booked_on", "payer_name", "payer_account", "serial"} <= set(statement.mapping)
    assert all(statement.mapping[f] in statement.headers for f in statement.mapping)


@pytest.mark.parametrize("bank", BANKS)
def test_title_blank_outgoing_and_totals_lines_are_skipped_with_their_reasons(bank):
    # given an export: title (rows 1-3), a blank row, the header (5), a line (6), a blank line
    # and a line of empty cells (7, 8), the outgoing line (9), two lines (10, 11), totals (12)
    lines = lines_with_an_outgoing()
    statement = read_statement(statement_csv(bank, lines, encoding="gbk"), "s.csv")

    # then every row after the header is a line, kept with its reason when skipped
    assert [x.row_number for x in statement.lines] == list(range(6, 13))
    assert reasons(statement) == [(7, "blank"), (8, "blank"), (9, "outgoing"), (12, "totals")]
    outgoing = statement.lines[3]
    assert outgoing.kind == "skipped" and outgoing.amount == Decimal("500.00")
    assert outgoing.serial == "OUT000001"
    totals = statement.lines[-1]
    assert totals.detail  # the word, or why a row with sums only is totals
    assert [x.row_number for x in statement.incoming] == [6, 10, 11]


def test_a_totals_row_without_a_word_is_told_by_sums_without_date_and_serial():
    # given CCB's totals row: no 合计, only the sums under the amount columns
    statement = read_statement(statement_csv("ccb", incoming_lines(2), encoding="gbk"), "s.csv")

    # then it is skipped as totals, saying why
    totals = statement.lines[-1]
    assert (totals.reason, totals.detail) == ("totals", "no date and no serial, only sums")


def test_a_name_or_a_remark_holding_a_totals_word_is_no_totals_row():
    # given payers whose name holds 合计 (联合计算机) or is an English "Total …", and a payer
    # who wrote 合计3张发票 in the remark
    first, second, third = incoming_lines(3)
    lines = [
        with_payer(first, "联合计算机有限公司", "6222 0000 1111"),
        with_payer(second, "Total Energies (China) Ltd", "6222 0000 2222"),
        replace(third, purpose="合计3张发票"),
    ]
    statement = read_statement(statement_csv("generic", lines, encoding="utf-8"), "s.csv")

    # then all three lines are incoming, the totals row alone is totals
    assert found(statement) == expected(lines)
    assert statement.incoming[2].purpose == "合计3张发票"
    assert [x.reason for x in statement.skipped] == ["blank", "blank", "totals"]


def test_cells_wrapped_to_keep_excel_from_rounding_them_read_as_their_text():
    # given an export writing long numbers as ="…" (and a leading apostrophe)
    lines = incoming_lines(2)
    rows = statement_rows("generic", lines, blank_lines=False)
    at = {name: GENERIC_HEADERS.index(name) for name in ("对方账号", "流水号")}
    for row in rows[5:7]:
        row[at["对方账号"]] = f'="{row[at["对方账号"]].strip()}"'
        row[at["流水号"]] = f"'{row[at['流水号']]}"
    statement = read_statement(rows_csv(rows, encoding="gbk"), "s.csv")
    assert found(statement) == expected(lines)


# --- cells as people and banks write them -----------------------------------------------------------
@pytest.mark.parametrize("bank", BANKS)
def test_full_width_digits_and_punctuation_read_as_plain_ones(bank):
    # given an export whose amounts, dates, times and accounts are written in full-width
    lines = lines_with_an_outgoing()
    data = statement_csv(bank, lines, encoding="gb18030", full_width=True)
    assert "１，２３４．５６".encode("gb18030") in data or "１２３４．５６".encode("gb18030") in data

    # then the same lines are read
    statement = read_statement(data, "s.csv")
    assert found(statement) == expected(lines)
    assert reasons(statement) == [(7, "blank"), (8, "blank"), (9, "outgoing"), (12, "totals")]


@pytest.mark.parametrize("bank", BANKS)
def test_tab_separated_without_thousands_separators_or_title(bank):
    lines = lines_with_an_outgoing()
    data = statement_csv(bank, lines, encoding="utf-8", delimiter="\t", thousands=False, title=False)
    statement = read_statement(data, "s.txt")
    assert statement.header_row == 1 and statement.account is None
    assert found(statement) == expected(lines)


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("1,234.56", "1234.56"),
        ("1234.5", "1234.50"),
        ("12,345,678.90", "12345678.90"),
        ("￥1,234.56", "1234.56"),
        ("¥ 1,234.56", "1234.56"),
        ("RMB1,234.56", "1234.56"),
        ("1,234.56元", "1234.56"),
        ("１，２３４．５６", "1234.56"),
        ("－１，２３４．５６", "-1234.56"),
        ("(1,234.56)", "-1234.56"),
        ("（1,234.56）", "-1234.56"),
        ("-1,234.56", "-1234.56"),
        ("1,234.56-", "-1234.56"),
        ("+1,234.56", "1234.56"),
        ("0.00", "0.00"),
        (1234, "1234.00"),
        (1234.56, "1234.56"),
        (0.1 + 0.2, "0.30"),  # a sum a sheet computed
        ("", None),
        ("-", None),
        ("--", None),
        (None, None),
    ],
)
def test_amounts_in_the_forms_statements_write_them(cell, amount):
    result = parse_amount(cell)
    assert result == (None if amount is None else Decimal(amount))
    if result is not None:
        assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "cell", ["abc", "1.234,56", "12.345", "1.2.3", "١٢٣", "1e3", 1.0005, "1" * 17, 10**30, "9" * 40 + ".00"]
)
def test_an_amount_that_cannot_be_read_is_named(cell):
    from opcms.statements.reading import _Unreadable

    with pytest.raises(_Unreadable):
        parse_amount(cell)


@pytest.mark.parametrize(
    ("cell", "day", "time"),
    [
        ("2026-11-03", dt.date(2026, 11, 3), None),
        ("2026/11/03", dt.date(2026, 11, 3), None),
        ("2026.11.3", dt.date(2026, 11, 3), None),
        ("20261103", dt.date(2026, 11, 3), None),
        (20261103, dt.date(2026, 11, 3), None),
        ("2026年11月3日", dt.date(2026, 11, 3), None),
        ("２０２６年１１月３日", dt.date(2026, 11, 3), None),
        ("2026-11-03 10:23:45", dt.date(2026, 11, 3), dt.time(10, 23, 45)),
        ("2026-11-03T10:23", dt.date(2026, 11, 3), dt.time(10, 23)),
        ("20261103 102345", dt.date(2026, 11, 3), dt.time(10, 23, 45)),
        ("20261103102345", dt.date(2026, 11, 3), dt.time(10, 23, 45)),
        ("2026年11月3日 9:05:00", dt.date(2026, 11, 3), dt.time(9, 5)),
        (dt.datetime(2026, 11, 3, 10, 23, 45), dt.date(2026, 11, 3), dt.time(10, 23, 45)),
        (dt.datetime(2026, 11, 3), dt.date(2026, 11, 3), None),
        (46329.0, dt.date(2026, 11, 3), None),  # an Excel serial number
    ],
)
def test_dates_in_the_usual_forms_with_or_without_a_time(cell, day, time):
    assert parse_date(cell) == (day, time)


@pytest.mark.parametrize(
    ("cell", "time"),
    [
        ("10:23:45", dt.time(10, 23, 45)),
        ("10:23", dt.time(10, 23)),
        ("102345", dt.time(10, 23, 45)),
        ("92345", dt.time(9, 23, 45)),  # a number that lost its leading zero
        (92345, dt.time(9, 23, 45)),
        ("１０：２３：４５", dt.time(10, 23, 45)),
        ("2026-11-03 10:23:45", dt.time(10, 23, 45)),
        (dt.time(10, 23, 45), dt.time(10, 23, 45)),
        (0.5, dt.time(12, 0)),
        ("", None),
    ],
)
def test_times_in_the_usual_forms(cell, time):
    assert parse_time(cell) == time


def test_unreadable_amounts_and_dates_and_zero_amounts_are_skipped_with_the_cell_read():
    # given a generic export where one line's amount, one line's date and one line's
    # direction cannot be read, one line has no amount and one moves no money
    lines = incoming_lines(6)
    rows = statement_rows("generic", lines, blank_lines=False)
    at = {name: GENERIC_HEADERS.index(name) for name in ("交易日期", "发生额", "借贷标志")}
    rows[5][at["发生额"]] = "12,34x.00"
    rows[6][at["交易日期"]] = "2026-13-45"
    rows[7][at["发生额"]] = "0.00"
    rows[8][at["借贷标志"]] = "?"
    rows[9][at["交易日期"]] = ""  # a serial but no date
    statement = read_statement(rows_csv(rows), "s.csv")

    # then each is skipped with its reason and the text that could not be read
    skipped = [(x.row_number, x.reason, x.detail) for x in statement.skipped]
    assert skipped == [
        (6, "unreadable_amount", "12,34x.00"),
        (7, "unreadable_date", "2026-13-45"),
        (8, "zero_amount", None),
        (9, "unreadable_amount", "? (借/贷?)"),
        (10, "unreadable_date", "no date"),
        (12, "totals", "总计"),
    ]
    assert [x.serial for x in statement.incoming] == ["SN2026000006"]
    assert statement.lines[1].amount == lines[1].amount  # the amount read is kept


def test_a_signed_amount_column_reads_negative_amounts_as_outgoing():
    # given BOC's one signed amount column: the outgoing line is written -500.00
    statement = read_statement(statement_xlsx("boc", lines_with_an_outgoing()), "boc.xlsx")
    assert statement.mapping["signed_amount"] == "交易金额[ Trade Amount ]"
    outgoing = [x for x in statement.lines if x.reason == "outgoing"]
    assert [(x.amount, x.serial) for x in outgoing] == [(Decimal("500.00"), "OUT000001")]


def test_one_amount_column_with_a_c_or_d_direction():
    # given an export with one unsigned amount and a C/D direction column (CMB's 借贷标志)
    rows = [
        ["交易日", "交易时间", "借贷标志", "交易金额", "收/付方名称", "收/付方帐号", "流水号"],
        ["20261103", "09:30:00", "C", "1,000.00", "甲公司", "6222 0001", "K1"],
        ["20261103", "09:31:00", "D", "200.00", "电力公司", "3100 0002", "K2"],
        ["20261104", "09:32:00", "贷", "300.00", "乙公司", "6222 0003", "K3"],
    ]
    statement = read_statement(rows_xlsx(rows), "s.xlsx")

    # then C and 贷 lines are incoming, the D line outgoing
    assert statement.profile == "cmb"
    assert found(statement) == [
        (Decimal("1000.00"), dt.date(2026, 11, 3), "甲公司", "62220001", "K1"),
        (Decimal("300.00"), dt.date(2026, 11, 4), "乙公司", "62220003", "K3"),
    ]
    assert [(x.reason, x.amount) for x in statement.skipped] == [("outgoing", Decimal("200.00"))]


def test_payer_accounts_keep_digits_only_and_serials_are_trimmed():
    lines = [with_payer(incoming_lines(1)[0], "甲公司", "6222-0210 ００１２ 3456")]
    statement = read_statement(statement_csv("icbc", lines, encoding="gbk"), "s.csv")
    [line] = statement.incoming
    assert line.payer_account == "622202100012" + "3456"
    assert line.serial == "SN2026000001"
    assert line.raw["对方账号"] == "6222-0210 ００１２ 3456"  # the cell as read, tab dropped


def test_a_line_reads_the_same_from_gbk_utf8_and_a_workbook():
    # the fingerprint (the line hash's text) does not depend on the file's form
    lines = incoming_lines(3)
    prints = {
        form: [x.fingerprint() for x in read_statement(*write("cmb", lines, form)).incoming] for form in FORMS
    }
    assert len({tuple(p) for p in prints.values()}) == 1
    assert len(set(prints["gbk"])) == 3


# --- profiles and mappings ------------------------------------------------------------------------
def test_every_profile_names_known_fields_and_the_date_and_amount():
    for profile in PROFILES.values():
        assert set(profile.headers) <= set(FIELDS)
        assert "booked_on" in profile.headers
        assert "credit" in profile.headers or "signed_amount" in profile.headers


def test_a_forced_profile_is_used():
    data = statement_csv("icbc", incoming_lines(2), encoding="gbk")
    statement = read_statement(data, "s.csv", profile="generic")
    assert statement.profile == "generic"
    assert found(statement) == expected(incoming_lines(2))


def test_a_users_mapping_overrides_what_the_profile_says():
    # given ICBC's export, and a user who says 用途 is the summary and 摘要 the purpose
    lines = incoming_lines(2)
    data = statement_csv("icbc", lines, encoding="gbk")
    statement = read_statement(data, "s.csv", mapping={"summary": "用途", "purpose": "摘要"})

    # then the lines read so, the rest as detected
    assert statement.profile == "custom"
    assert statement.mapping["summary"] == "用途" and statement.mapping["purpose"] == "摘要"
    assert [(x.summary, x.purpose) for x in statement.incoming] == [(x.purpose, x.summary) for x in lines]
    assert found(statement) == expected(lines)


@pytest.mark.parametrize("corrected", [{"summary": ""}, {"summary": "  ", "purpose": "摘要"}])
def test_a_field_the_user_clears_is_not_read_though_the_profile_finds_it(corrected):
    # given ICBC's export, whose 摘要 column the profile reads as the summary
    lines = incoming_lines(2)
    data = statement_csv("icbc", lines, encoding="gbk")
    assert read_statement(data, "s.csv").mapping["summary"] == "摘要"

    # when the user clears the summary (and maybe gives its column to another field)
    statement = read_statement(data, "s.csv", mapping=corrected)

    # then no line has a summary, the mapping used says so, and the rest reads as detected
    assert statement.profile == "custom"
    assert "summary" not in statement.mapping
    assert [x.summary for x in statement.incoming] == [None, None]
    assert statement.mapping.get("purpose") == corrected.get("purpose", "用途")
    assert found(statement) == expected(lines)


def test_a_mapping_may_read_the_date_and_the_time_from_one_column():
    lines = incoming_lines(2)
    data = statement_xlsx("icbc", lines, typed=True)
    statement = read_statement(data, "s.xlsx", mapping={"booked_on": "交易时间", "booked_at": "交易时间"})
    assert found(statement) == expected(lines)
    assert [x.booked_at for x in statement.incoming] == [x.booked_at for x in lines]


def test_a_mapping_reads_a_file_no_profile_knows():
    # given an export whose headers no profile knows
    rows = [
        ["某某银行 对账单"],
        ["入账日", "到账金额", "汇款人", "汇款账号", "银行编号"],
        ["2026/11/03", "8,000.00", "甲公司", "6222 1234", "B001"],
        ["2026/11/04", "(300.00)", "乙公司", "6222 5678", "B002"],
    ]
    data = rows_csv(rows, encoding="gbk")
    with pytest.raises(StatementRefused) as excinfo:
        read_statement(data, "s.csv")
    assert refusal(excinfo).code == "not_a_statement"

    # when the user maps its columns
    mapping = {
        "booked_on": "入账日",
        "signed_amount": "到账金额",
        "payer_name": "汇款人",
        "payer_account": "汇款账号",
        "serial": "银行编号",
    }
    statement = read_statement(data, "s.csv", mapping=mapping)

    # then it reads, the header found under the title, the negative line outgoing
    assert (statement.profile, statement.header_row) == ("custom", 2)
    assert found(statement) == [(Decimal("8000.00"), dt.date(2026, 11, 3), "甲公司", "62221234", "B001")]
    assert reasons(statement) == [(4, "outgoing")]


@pytest.mark.parametrize(
    "mapping",
    [
        {"serial": "没有这一列"},
        {"no_such_field": "摘要"},
        {"booked_on": "", "booked_at": ""},  # no date column left
        {"summary": "摘要", "purpose": "摘要"},
        {"booked_on": "摘要"} | {"credit": "附言"} | {"payer_name": "不存在"},
    ],
)
def test_a_mapping_naming_what_the_file_lacks_is_refused(mapping):
    data = statement_csv("generic", incoming_lines(1), encoding="utf-8")
    with pytest.raises(StatementRefused) as excinfo:
        read_statement(data, "s.csv", mapping=mapping)
    error = refusal(excinfo)
    assert error.code == "bad_mapping"
    assert error.status == 422


def test_an_unknown_profile_is_refused():
    with pytest.raises(StatementRefused) as excinfo:
        read_statement(statement_csv("icbc", incoming_lines(1)), "s.csv", profile="hsbc")
    assert refusal(excinfo).code == "unknown_profile"


# --- files that are no statement --------------------------------------------------------------------
def test_a_file_without_a_statement_header_in_the_first_rows_is_refused():
    rows = [["客户编号", "客户名称", "联系人"], ["K001", "甲公司", "张三"]]
    with pytest.raises(StatementRefused) as excinfo:
        read_statement(rows_csv(rows, encoding="gbk"), "customers.csv")
    error = refusal(excinfo)
    assert (error.code, error.status) == ("not_a_statement", 422)
    assert str(HEADER_SCAN_ROWS) in error.message
    with speaking(EN):
        assert "No statement header found in the first 30 rows" in error.text.render()
    with speaking(ZH):
        assert "前 30 行中没有找到流水表头" in error.text.render()


def test_a_header_below_the_first_30_rows_is_not_looked_for():
    rows = [[f"说明 {n}"] for n in range(HEADER_SCAN_ROWS)] + statement_rows("generic", incoming_lines(1))
    with pytest.raises(StatementRefused) as excinfo:
        read_statement(rows_csv(rows), "s.csv")
    assert refusal(excinfo).code == "not_a_statement"


def test_a_header_without_an_amount_column_says_so():
    rows = [["交易日期", "对方户名", "对方账号", "摘要"], ["2026-11-03", "甲公司", "6222", "转账"]]
    with pytest.raises(StatementRefused) as excinfo:
        read_statement(rows_csv(rows), "s.csv")
    error = refusal(excinfo)
    assert error.code == "not_a_statement"
    assert [d["field"] for d in error.details] == ["amount"]
    with speaking(ZH):
        assert "缺少金额列" in error.text.render()


def test_a_header_without_a_date_column_says_so():
    rows = [["收入金额", "支出金额", "对方户名"], ["100.00", "", "甲公司"]]
    with pytest.raises(StatementRefused) as excinfo:
        read_statement(rows_csv(rows), "s.csv")
    assert [d["field"] for d in refusal(excinfo).details] == ["date"]


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe" + "交易日期,收入金额".encode("utf-16-le"),  # UTF-16
        b"\xff\xff\xff\xfe\x80,\x81\x30\x81\xff",  # neither UTF-8 nor GB18030
        b"\xef\xbb\xbf\xff\xfe bad after a UTF-8 mark",
    ],
)
def test_text_that_is_neither_utf8_nor_gbk_is_refused(data):
    with pytest.raises(StatementRefused) as excinfo:
        read_statement(data, "s.csv")
    assert refusal(excinfo).code == "unknown_encoding"


def test_binary_content_is_refused():
    with pytest.raises(StatementRefused) as excinfo:
        read_statement(b"\x00\x01\x02 binary", "s.csv")
    error = refusal(excinfo)
    assert (error.code, error.status) == ("unsupported_file", 415)


def test_the_customer_imports_upload_limits_apply():
    data = statement_csv("icbc", incoming_lines(20), encoding="gbk")
    with pytest.raises(FileRefused) as excinfo:
        read_statement(data, "s.csv", max_bytes=len(data) - 1)
    assert (refusal(excinfo).code, excinfo.value.status) == ("file_too_large", 413)
    with pytest.raises(FileRefused) as excinfo:
        read_statement(data, "s.csv", max_rows=10)
    assert (refusal(excinfo).code, excinfo.value.status) == ("too_many_rows", 413)
    with pytest.raises(FileRefused) as excinfo:
        read_statement(b"", "s.csv")
    assert refusal(excinfo).code == "empty_file"
    assert len(read_statement(data, "s.csv", max_rows=20).incoming) == 20

    # a file of blank rows is no way around the cap
    rows = statement_rows("icbc", incoming_lines(2)) + [[""] * 13] * 30
    with pytest.raises(FileRefused) as excinfo:
        read_statement(rows_csv(rows), "s.csv", max_rows=10)
    assert refusal(excinfo).code == "too_many_rows"


def test_the_customer_imports_xml_defences_apply_to_a_workbook():
    # given a statement workbook whose sheet declares an entity (the billion laughs' start)
    book = statement_xlsx("cmb", incoming_lines(2))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            part = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                part = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + part
            target.writestr(item, part)
    with pytest.raises(FileRefused) as excinfo:
        read_statement(out.getvalue(), "s.xlsx")
    assert refusal(excinfo).code == "unsafe_xml"

    # an old .xls, and a file named .xlsx that is no workbook
    with pytest.raises(FileRefused) as excinfo:
        read_statement(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "s.xls")
    assert refusal(excinfo).code == "not_xlsx"
    with pytest.raises(FileRefused) as excinfo:
        read_statement(statement_csv("cmb", incoming_lines(1)), "s.xlsx")
    assert refusal(excinfo).code == "not_xlsx"


def test_a_workbook_with_numbers_and_dates_as_cells_reads_them_exactly():
    # given amounts openpyxl gives back as floats (1234.56, 11111.1 …) and date cells
    lines = incoming_lines(5)
    statement = read_statement(rows_xlsx(statement_rows("abc", lines, typed=True)), "s.xlsx")
    assert found(statement) == expected(lines)
    assert all(x.amount is not None and x.amount.as_tuple().exponent == -2 for x in statement.incoming)


# --- size -------------------------------------------------------------------------------------------
def test_a_100000_line_statement_reads_holding_its_text_once():
    # given a 100,000-line GBK CSV (the customer import's row cap), under its size cap
    data = big_csv(100_000)
    text_size = sys.getsizeof(data.decode("gb18030"))  # the decoded text, in memory

    # when it is read, memory traced
    tracemalloc.start()
    try:
        statement = read_statement(data, "big.csv", max_rows=100_000)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then every line is read, and reading held one copy of the text beside the lines it keeps
    assert len(statement.incoming) == 100_000
    assert statement.lines[-1].reason == "totals"
    assert peak - kept < 1.5 * text_size
