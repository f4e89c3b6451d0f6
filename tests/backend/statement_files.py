"""Bank statement exports as each bank's online banking writes them (issue 18), for tests.

One layout per bank profile (ICBC, CCB, ABC, BOC, CMB and a generic export): the bank's title
lines (its name, 账号: …, the period), its header row, the lines, and its totals row; written as
CSV bytes (GBK, GB18030, UTF-8 or UTF-8 with BOM; comma or tab) or as an ``.xlsx`` workbook.

Each layout writes dates and times the way that bank does, so the layouts together cover the
usual forms: ``2026-11-03 10:23:45`` in one cell (ICBC), ``20261103`` and a datetime
``20261103 10:23:45`` (CCB), ``20261103`` with ``102345`` (ABC), ``2026/11/03`` (BOC),
``2026年11月3日`` (CMB), ``2026-11-03`` with ``10:23:45`` (generic); amounts in two columns
(credit/debit, ICBC CCB ABC CMB), one signed column (BOC) or one column with a 借/贷 column
(generic). Options add blank lines, thousands separators, full-width digits and, in a
workbook, real number and date cells (``typed``: openpyxl reads them back as floats and
datetimes).

    lines = incoming_lines(3) + [outgoing_line()]
    data = statement_csv("icbc", lines, encoding="gbk")
    book = statement_xlsx("cmb", lines, typed=True)

``expected(lines)`` gives what reading must find for the incoming ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import openpyxl

BANKS = ("icbc", "ccb", "abc", "boc", "cmb", "generic")
#: the statement's own account, as the title lines write it
OWN_ACCOUNT = "3100 2288 0000 5566 001"
OWN_ACCOUNT_DIGITS = "3100228800005566001"
OWN_NAME = "上海云栖信息科技有限公司"
OPENING_BALANCE = Decimal("100000.00")

_FULL_WIDTH = str.maketrans("0123456789,.-:/", "０１２３４５６７８９，．－：／")


@dataclass(frozen=True)
class Line:
    """One line of a statement. For an outgoing line the payer fields name the payee."""

    booked_on: dt.date
    amount: Decimal
    payer_name: str
    payer_account: str  # as a person writes it: spaces and dashes allowed
    serial: str
    booked_at: dt.time = dt.time(10, 23, 45)
    payer_bank: str = "中国工商银行上海分行营业部"
    summary: str = "转账"
    purpose: str = "货款"
    outgoing: bool = False


def incoming_lines(
    count: int,
    *,
    start: dt.date = dt.date(2026, 11, 3),
    first_amount: Decimal = Decimal("1234.56"),
    prefix: str = "SN2026",
    payers: Sequence[tuple[str, str]] | None = None,
) -> list[Line]:
    """``count`` incoming lines, a day apart by tens, amounts growing (the 2nd over 10,000, so
    thousands separators show), serials ``<prefix>000001``…; ``payers``: (name, account)
    pairs used in turn."""
    out = []
    for index in range(count):
        name, account = (
            payers[index % len(payers)]
            if payers
            else (f"客户{index + 1:05d}有限公司", f"6222 0210 {index + 1:04d} 8{index % 10}66")
        )
        out.append(
            Line(
                booked_on=start + dt.timedelta(days=index // 10),
                booked_at=dt.time(9 + index % 8, (7 * index) % 60, (13 * index) % 60),
                amount=first_amount + Decimal(index) * Decimal("9876.54"),
                payer_name=name,
                payer_account=account,
                serial=f"{prefix}{index + 1:06d}",
                summary="汇入汇款",
                purpose=f"货款 第{index + 1}笔",
            )
        )
    return out


def outgoing_line(
    amount: Decimal = Decimal("500.00"), *, serial: str = "OUT000001", on: dt.date = dt.date(2026, 11, 3)
) -> Line:
    return Line(
        booked_on=on,
        amount=amount,
        payer_name="上海电力公司",
        payer_account="3100-1111-2222-3333",
        serial=serial,
        summary="代扣电费",
        purpose="电费",
        outgoing=True,
    )


def expected(lines: Sequence[Line]) -> list[tuple[Decimal, dt.date, str, str, str]]:
    """(amount, date, payer name, payer account digits, serial) of each incoming line."""
    return [
        (
            line.amount.quantize(Decimal("0.01")),
            line.booked_on,
            line.payer_name,
            _digits(line.payer_account),
            line.serial,
        )
        for line in lines
        if not line.outgoing
    ]


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


# --- the layouts -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Style:
    thousands: bool = True
    full_width: bool = False
    typed: bool = False  # workbook only: amounts as numbers, dates and times as date cells
    csv: bool = False

    def amount(self, value: Decimal | None, *, sign: str = "", prefix: str = "") -> Any:
        if value is None:
            return ""
        if self.typed:
            return float(-value if sign == "-" else value)
        text = f"{value:,.2f}" if self.thousands else f"{value:.2f}"
        return self.text(f"{sign}{prefix}{text}")

    def text(self, value: str) -> str:
        return value.translate(_FULL_WIDTH) if self.full_width else value

    def date(self, day: dt.date, form: str) -> Any:
        if self.typed:
            return dt.datetime(day.year, day.month, day.day)
        return self.text(_date_text(day, form))

    def moment(self, day: dt.date, time: dt.time, form: str) -> Any:
        if self.typed:
            return dt.datetime.combine(day, time)
        return self.text(f"{_date_text(day, form)} {time:%H:%M:%S}")

    def time(self, time: dt.time, form: str = "%H:%M:%S") -> Any:
        if self.typed:
            return time
        return self.text(time.strftime(form))

    def number_text(self, value: str) -> str:
        """A long number kept as text: CSV exports append a tab so Excel does not round it."""
        return f"{value}\t" if self.csv else value


def _date_text(day: dt.date, form: str) -> str:
    if form == "cn":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.strftime(form)


@dataclass(frozen=True)
class Layout:
    title: Callable[[str], list[list[Any]]]
    headers: list[str]
    row: Callable[[Line, Decimal, Style], list[Any]]
    totals: Callable[[Decimal, Decimal, Style], list[Any]]


def _pad(cells: list[Any], width: int) -> list[Any]:
    return cells + [""] * (width - len(cells))


ICBC_HEADERS = [
    "凭证号",
    "本方账号",
    "对方账号",
    "交易时间",
    "借/贷",
    "借方发生额",
    "贷方发生额",
    "对方行号",
    "摘要",
    "用途",
    "对方单位名称",
    "余额",
    "个性化信息",
]


def _icbc_row(line: Line, balance: Decimal, s: Style) -> list[Any]:
    return [
        line.serial,
        s.number_text(OWN_ACCOUNT.replace(" ", "")),
        s.number_text(s.text(line.payer_account)),
        s.moment(line.booked_on, line.booked_at, "%Y-%m-%d"),
        "借" if line.outgoing else "贷",
        s.amount(line.amount) if line.outgoing else "",
        "" if line.outgoing else s.amount(line.amount),
        "102290000011",
        line.summary,
        line.purpose,
        line.payer_name,
        s.amount(balance),
        "",
    ]


CCB_HEADERS = [
    "账号",
    "账户名称",
    "交易时间",
    "借方发生额（支取）",
    "贷方发生额（收入）",
    "余额",
    "币种",
    "对方户名",
    "对方账号",
    "对方开户机构",
    "记账日期",
    "摘要",
    "备注",
    "账户明细编号-交易流水号",
    "企业流水号",
    "凭证种类",
    "凭证号",
]


def _ccb_row(line: Line, balance: Decimal, s: Style) -> list[Any]:
    return [
        s.number_text(OWN_ACCOUNT.replace(" ", "")),
        OWN_NAME,
        s.moment(line.booked_on, line.booked_at, "%Y%m%d"),
        s.amount(line.amount) if line.outgoing else "",
        "" if line.outgoing else s.amount(line.amount),
        s.amount(balance),
        "人民币",
        line.payer_name,
        s.number_text(s.text(line.payer_account)),
        line.payer_bank,
        s.date(line.booked_on, "%Y%m%d"),
        line.summary,
        line.purpose,
        line.serial,
        "",
        "",
        "",
    ]


ABC_HEADERS = [
    "交易日期",
    "交易时间",
    "收入金额",
    "支出金额",
    "本次余额",
    "手续费总额",
    "交易方式",
    "交易行名",
    "交易类别",
    "对方省市",
    "对方账号",
    "对方户名",
    "交易说明",
    "交易摘要",
    "交易附言",
    "交易流水号",
]


def _abc_row(line: Line, balance: Decimal, s: Style) -> list[Any]:
    return [
        s.date(line.booked_on, "%Y%m%d"),
        s.time(line.booked_at, "%H%M%S"),
        "" if line.outgoing else s.amount(line.amount),
        s.amount(line.amount) if line.outgoing else "",
        s.amount(balance),
        s.amount(Decimal("0")),
        "转账",
        "中国农业银行上海分行",
        "转账",
        "上海市",
        s.number_text(s.text(line.payer_account)),
        line.payer_name,
        "",
        line.summary,
        line.purpose,
        line.serial,
    ]


BOC_HEADERS = [
    "交易类型[ Transaction Type ]",
    "业务类型[ Business type ]",
    "付款人开户行名[ Payer account bank ]",
    "付款人账号[ Debit Account No. ]",
    "付款人名称[ Payer's Name ]",
    "收款人开户行名[ Beneficiary account bank ]",
    "收款人账号[ Payee's Account Number ]",
    "收款人名称[ Payee's Name ]",
    "交易日期[ Transaction Date ]",
    "交易时间[ Transaction time ]",
    "交易货币[ Trade Currency ]",
    "交易金额[ Trade Amount ]",
    "交易后余额[ After-transaction balance ]",
    "交易流水号[ Transaction reference number ]",
    "摘要[ Reference ]",
    "用途[ Purpose ]",
    "交易附言[ Remark ]",
]


def _boc_row(line: Line, balance: Decimal, s: Style) -> list[Any]:
    own = ["中国银行上海市分行", s.number_text(OWN_ACCOUNT.replace(" ", "")), OWN_NAME]
    other = [line.payer_bank, s.number_text(s.text(line.payer_account)), line.payer_name]
    payer, payee = (own, other) if line.outgoing else (other, own)
    return [
        "往账" if line.outgoing else "来账",
        "转账",
        *payer,
        *payee,
        s.date(line.booked_on, "%Y/%m/%d"),
        s.time(line.booked_at),
        "CNY",
        s.amount(line.amount, sign="-" if line.outgoing else ""),
        s.amount(balance),
        line.serial,
        line.summary,
        line.purpose,
        "",
    ]


CMB_HEADERS = [
    "交易日",
    "交易时间",
    "起息日",
    "交易类型",
    "借方金额",
    "贷方金额",
    "余额",
    "摘要",
    "流水号",
    "业务名称",
    "用途",
    "业务参考号",
    "收/付方名称",
    "收/付方帐号",
    "收/付方开户行名",
]


def _cmb_row(line: Line, balance: Decimal, s: Style) -> list[Any]:
    return [
        s.date(line.booked_on, "cn"),
        s.time(line.booked_at),
        s.date(line.booked_on, "cn"),
        "转账",
        s.amount(line.amount) if line.outgoing else "",
        "" if line.outgoing else s.amount(line.amount),
        s.amount(balance),
        line.summary,
        line.serial,
        "汇出汇款" if line.outgoing else "汇入汇款",
        line.purpose,
        "",
        line.payer_name,
        s.number_text(s.text(line.payer_account)),
        line.payer_bank,
    ]


GENERIC_HEADERS = [
    "交易日期",
    "交易时间",
    "流水号",
    "对方户名",
    "对方账号",
    "对方开户行",
    "借贷标志",
    "发生额",
    "余额",
    "币种",
    "摘要",
    "附言",
]


def _generic_row(line: Line, balance: Decimal, s: Style) -> list[Any]:
    return [
        s.date(line.booked_on, "%Y-%m-%d"),
        s.time(line.booked_at),
        line.serial,
        line.payer_name,
        s.number_text(s.text(line.payer_account)),
        line.payer_bank,
        "借" if line.outgoing else "贷",
        s.amount(line.amount, prefix="￥"),
        s.amount(balance, prefix="￥"),
        "人民币",
        line.summary,
        line.purpose,
    ]


LAYOUTS: dict[str, Layout] = {
    "icbc": Layout(
        lambda account: [
            ["中国工商银行 账户历史明细"],
            [f"账号: {account}", f"户名: {OWN_NAME}"],
            ["起止日期: 2026-11-01 至 2026-11-30"],
        ],
        ICBC_HEADERS,
        _icbc_row,
        lambda debit, credit, s: _pad(["合计", "", "", "", "", s.amount(debit), s.amount(credit)], 13),
    ),
    "ccb": Layout(
        lambda account: [
            ["中国建设银行 账户交易明细"],
            ["账号:", account, "", "户名:", OWN_NAME],
            ["起始日期:", "20261101", "终止日期:", "20261130"],
        ],
        CCB_HEADERS,
        _ccb_row,
        # no word in it: no date, no serial, the sums
        lambda debit, credit, s: _pad(["", "", "", s.amount(debit), s.amount(credit)], 17),
    ),
    "abc": Layout(
        lambda account: [
            ["中国农业银行 账户明细查询"],
            [f"账户：{account}", "", "币种：人民币"],
            ["查询日期：2026年11月1日-2026年11月30日"],
        ],
        ABC_HEADERS,
        _abc_row,
        lambda debit, credit, s: _pad(["本页合计", "", s.amount(credit), s.amount(debit)], 16),
    ),
    "boc": Layout(
        lambda account: [
            ["中国银行 交易明细 Transaction Details"],
            ["账号[ Account No. ]:", account],
            ["查询期间: 2026/11/01-2026/11/30"],
        ],
        BOC_HEADERS,
        _boc_row,
        lambda debit, credit, s: _pad(["总计[ Total ]", *[""] * 10, s.amount(credit - debit)], 17),
    ),
    "cmb": Layout(
        lambda account: [
            ["招商银行 账务明细"],
            [f"账号：{account}", "", "币种：人民币"],
            ["日期范围：2026-11-01 至 2026-11-30"],
        ],
        CMB_HEADERS,
        _cmb_row,
        lambda debit, credit, s: _pad(["合计", "", "", "", s.amount(debit), s.amount(credit)], 15),
    ),
    "generic": Layout(
        lambda account: [["银行对账单"], [f"账号：{account}"], ["期间：2026年11月"]],
        GENERIC_HEADERS,
        _generic_row,
        lambda debit, credit, s: _pad(["总计", "", "", "", "", "", "贷", s.amount(credit, prefix="￥")], 12),
    ),
}


def statement_rows(
    bank: str,
    lines: Sequence[Line],
    *,
    title: bool = True,
    totals: bool = True,
    blank_lines: bool = True,
    thousands: bool = True,
    full_width: bool = False,
    typed: bool = False,
    account: str = OWN_ACCOUNT,
    _csv: bool = False,
) -> list[list[Any]]:
    """The rows of ``bank``'s export of ``lines``: title lines and a blank line, the header, the
    lines (a blank line and an empty-celled line after the first when ``blank_lines``), the
    totals row."""
    layout = LAYOUTS[bank]
    style = Style(thousands=thousands, full_width=full_width, typed=typed, csv=_csv)
    width = len(layout.headers)
    rows: list[list[Any]] = []
    if title:
        rows += layout.title(account)
        rows.append([])
    rows.append(list(layout.headers))
    balance, credit, debit = OPENING_BALANCE, Decimal("0"), Decimal("0")
    for index, line in enumerate(lines):
        if line.outgoing:
            balance -= line.amount
            debit += line.amount
        else:
            balance += line.amount
            credit += line.amount
        rows.append(layout.row(line, balance, style))
        if blank_lines and index == 0:
            rows.append([])
            rows.append([""] * width)
    if totals:
        rows.append(layout.totals(debit, credit, style))
    return rows


def statement_csv(
    bank: str,
    lines: Sequence[Line],
    *,
    encoding: str = "gbk",
    delimiter: str = ",",
    **options: Any,
) -> bytes:
    """The export as CSV bytes; ``encoding``: ``gbk``, ``gb18030``, ``utf-8`` or ``utf-8-sig``
    (with BOM). Options as :func:`statement_rows`."""
    return rows_csv(statement_rows(bank, lines, _csv=True, **options), encoding=encoding, delimiter=delimiter)


def rows_csv(rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    """Any rows as CSV bytes (a layout's rows after a test changed a cell)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def statement_xlsx(bank: str, lines: Sequence[Line], *, sheet: str = "账户明细", **options: Any) -> bytes:
    """The export as an ``.xlsx`` workbook (first sheet). ``typed=True``: real number and date
    cells, as some banks write them. Options as :func:`statement_rows`."""
    return rows_xlsx(statement_rows(bank, lines, **options), sheet=sheet)


def rows_xlsx(rows: Sequence[Sequence[Any]], *, sheet: str = "账户明细") -> bytes:
    """Any rows as an ``.xlsx`` workbook (empty texts as empty cells)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append([None if cell == "" else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def big_csv(count: int, *, bank: str = "generic", encoding: str = "gbk") -> bytes:
    """A statement of ``count`` incoming lines (no blank lines), for size and speed."""
    lines = incoming_lines(count)
    return statement_csv(bank, lines, encoding=encoding, blank_lines=False)


def with_payer(line: Line, name: str, account: str) -> Line:
    return replace(line, payer_name=name, payer_account=account)
