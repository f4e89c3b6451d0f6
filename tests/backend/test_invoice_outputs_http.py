"""Billing outputs over HTTP: the invoice export, the aging report (JSON and xlsx), the
printable invoice; permissions, 404 and 422."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

from openpyxl import load_workbook

from opcms.auth.models import User
from opcms.billing.reports.workbooks import INVOICE_COLUMNS
from opcms.core.context import acting_as, system_actor
from opcms.core.settings import business_today
from tests.backend.factories import make_customer, session_for, token_for
from tests.backend.test_invoice_outputs_support import credit_note, graduated_line, make_invoice

API = "/api/v1"
EVIL = '=cmd|" /C calc"!A0'


def workbook(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    return load_workbook(io.BytesIO(response.content))


def values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def exact(value) -> Decimal:
    """A money cell as the spreadsheet holds it, back to two decimals."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def test_the_export_holds_the_filtered_invoices_with_exact_amounts_and_escaped_text(client):
    today = business_today()
    customer = await make_customer(customer_code="EXP-1", company_name="导出甲有限公司")
    other = await make_customer(customer_code="EXP-2")
    late = await make_invoice(
        customer,
        total="12345.67",
        paid="0.01",
        discount="100.00",
        company_name=EVIL,
        issue_date=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=10),
    )
    await make_invoice(other, total="50.00", paid="50.00", due_date=today - dt.timedelta(days=3))
    await make_invoice(other, total="80.00", due_date=today)  # due today: not overdue
    token = await token_for("auditor")

    book = workbook(
        await client.get(f"{API}/invoices/export", token=token, params={"customer_id": customer.id})
    )
    sheet = book.active
    assert sheet.title == "发票"
    rows = values(sheet)
    assert rows[0] == [c.header for c in INVOICE_COLUMNS]
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=False))
    assert record["发票号"] == late.number and record["客户编号"] == "EXP-1"
    assert record["公司名称"] == "'" + EVIL  # shown as text, never run as a formula
    assert record["开票日期"].date() == today - dt.timedelta(days=40)
    assert record["到期日"].date() == today - dt.timedelta(days=10)
    assert [exact(record[h]) for h in ("小计", "折扣", "应收合计", "红字冲减", "已收金额", "未收金额")] == [
        Decimal("12445.67"),
        Decimal("100.00"),
        Decimal("12345.67"),
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("12345.66"),
    ]
    assert (record["结算状态"], record["是否逾期"], record["逾期天数"]) == ("部分结算", "是", 10)
    # money cells are numbers with two decimals shown
    money_col = [c.header for c in INVOICE_COLUMNS].index("应收合计") + 1
    assert sheet.cell(row=2, column=money_col).number_format == "#,##0.00"

    # the list's filters apply: overdue=false of the other customer, the one due today included
    rows = values(
        workbook(
            await client.get(
                f"{API}/invoices/export", token=token, params={"customer_id": other.id, "overdue": "false"}
            )
        ).active
    )
    assert [(r[13], r[14], r[15]) for r in rows[1:]] == [("已结算", "否", 0), ("未结算", "否", 0)]
    # an export of nothing is a header row
    rows = values(
        workbook(await client.get(f"{API}/invoices/export", token=token, params={"status": "void"})).active
    )
    assert len(rows) == 1


async def aging_data(today: dt.date):
    a = await make_customer(customer_code="AG-1", company_name="账龄一有限公司")
    b = await make_customer(customer_code="AG-2")
    for days, amount in [(0, "1.00"), (30, "2.00"), (31, "3.00"), (61, "4.00"), (91, "5.55")]:
        await make_invoice(
            a,
            total=amount,
            due_date=today - dt.timedelta(days=days),
            issue_date=today - dt.timedelta(days=days + 30),
        )
    await make_invoice(
        b,
        total="0.30",
        paid="0.10",
        due_date=today - dt.timedelta(days=15),
        issue_date=today - dt.timedelta(days=45),
    )
    evil = await make_customer(customer_code="AG-3")
    await make_invoice(
        evil, total="7.00", company_name=EVIL, due_date=today + dt.timedelta(days=5), issue_date=today
    )
    return a, b


async def test_the_aging_report_answers_buckets_and_customers_as_strings(client):
    today = business_today()
    a, b = await aging_data(today)
    token = await token_for("auditor")
    answer = await client.get(f"{API}/reports/aging", token=token)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["as_of"] == today.isoformat()
    assert report["buckets"] == [
        {"bucket": "current", "invoices": 2, "outstanding": "8.00"},
        {"bucket": "1-30", "invoices": 2, "outstanding": "2.20"},
        {"bucket": "31-60", "invoices": 1, "outstanding": "3.00"},
        {"bucket": "61-90", "invoices": 1, "outstanding": "4.00"},
        {"bucket": "90+", "invoices": 1, "outstanding": "5.55"},
    ]
    first = report["customers"][0]
    assert first == {
        "customer_id": a.id,
        "customer_code": "AG-1",
        "company_name": "账龄一有限公司",
        "current": "1.00",
        "d1_30": "2.00",
        "d31_60": "3.00",
        "d61_90": "4.00",
        "d90_plus": "5.55",
        "total": "15.55",
    }
    # as_of in the past: a month ago, only what was issued by then, aged to then
    earlier = (
        await client.get(
            f"{API}/reports/aging",
            token=token,
            params={"as_of": (today - dt.timedelta(days=31)).isoformat(), "customer_id": a.id},
        )
    ).json()
    assert [x["outstanding"] for x in earlier["buckets"]] == ["5.00", "4.00", "5.55", "0.00", "0.00"]
    assert [c["customer_id"] for c in earlier["customers"]] == [a.id]


async def test_the_aging_workbook_has_the_summary_and_the_customers(client):
    today = business_today()
    await aging_data(today)
    book = workbook(
        await client.get(
            f"{API}/reports/aging.xlsx", token=await token_for("finance"), params={"as_of": today.isoformat()}
        )
    )
    assert book.sheetnames == ["账龄汇总", "客户账龄"]
    summary = values(book["账龄汇总"])
    assert summary[0][0] == "截止日期" and summary[0][1].date() == today
    assert summary[1] == ["账龄区间", "发票数", "未收金额"]
    assert [(r[0], r[1], exact(r[2])) for r in summary[2:]] == [
        ("未到期", 2, Decimal("8.00")),
        ("逾期1-30天", 2, Decimal("2.20")),
        ("逾期31-60天", 1, Decimal("3.00")),
        ("逾期61-90天", 1, Decimal("4.00")),
        ("逾期90天以上", 1, Decimal("5.55")),
        ("合计", 7, Decimal("22.75")),
    ]
    customers = values(book["客户账龄"])
    assert customers[0] == [
        "客户编号",
        "公司名称",
        "未到期",
        "逾期1-30天",
        "逾期31-60天",
        "逾期61-90天",
        "逾期90天以上",
        "合计",
    ]
    by_code = {r[0]: r for r in customers[1:]}
    assert [exact(v) for v in by_code["AG-1"][2:]] == [
        Decimal(x) for x in ("1.00", "2.00", "3.00", "4.00", "5.55", "15.55")
    ]
    assert exact(by_code["AG-2"][3]) == Decimal("0.20")
    # the aging names customers as they are now (the invoice's copy said EVIL; the profile does not)
    assert all(not str(r[1]).startswith("=") for r in customers[1:])


async def test_the_printable_invoice_escapes_everything_and_shows_the_breakdown(client):
    customer = await make_customer(customer_code="PRN-1")
    invoice = await make_invoice(
        customer,
        total="158.00",
        credited="8.00",
        paid="50.00",
        period="2026-03",
        company_name="<script>alert('x')</script>&Co",
        number="INV-202603-000042",
    )
    await graduated_line(invoice)
    await credit_note(invoice, "8.00", "<b>价格调整</b>", "CN-202604-000001")
    answer = await client.get(
        f"{API}/invoices/{invoice.id}/print", params={"lang": "zh-CN"}, token=await token_for("auditor")
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert (
        "script-src" not in answer.headers["content-security-policy"]
    )  # default-src 'none': no script at all
    page = answer.text
    assert "<script>" not in page and "<b>价格调整" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;Co" in page
    assert "&lt;b&gt;价格调整&lt;/b&gt;" in page
    assert "INV-202603-000042" in page and "CN-202604-000001" in page and "PRN-1" in page
    # the tier breakdown: 1,000 at 0.01 = 10.00, then 18,500 at 0.008 = 148.00
    assert "第 1 档" in page and "第 2 档" in page
    for text in ("0 – 1000", "1000 以上", "18500", "0.008", "10.00", "148.00", "19500"):
        assert text in page, text
    # amounts and status in Chinese
    for text in (
        "应收合计",
        "CNY 158.00",
        "红字冲减",
        "CNY 8.00",
        "已收金额",
        "CNY 50.00",
        "未收金额",
        "CNY 100.00",
        "部分结算",
    ):
        assert text in page, text
    assert "@media print" in page


async def test_a_void_invoice_prints_as_void_with_its_reason(client):
    invoice = await make_invoice(await make_customer(), total="10.00", void=True)
    page = (
        await client.get(
            f"{API}/invoices/{invoice.id}/print", params={"lang": "zh-CN"}, token=await token_for("operator")
        )
    ).text
    assert "本发票已作废" in page and "开错了" in page and "作废" in page


CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


async def test_the_printable_invoice_follows_the_language_asked_for(client):
    # given a partly paid, credited, overdue invoice with a graduated line (its data partly Chinese)
    customer = await make_customer(customer_code="PRN-EN", company_name="英文打印测试有限公司")
    invoice = await make_invoice(customer, total="158.00", credited="8.00", paid="50.00", period="2026-03")
    line = await graduated_line(invoice)
    await credit_note(invoice, "8.00", "价格调整", "CN-202604-000009")
    metric = await line.metric
    data = [customer.company_name, "API 调用 2026-03", "价格调整", metric.name, metric.unit]
    token = await token_for("auditor")

    # when it is printed with lang=en-US (whatever the browser's Accept-Language says)
    answer = await client.get(
        f"{API}/invoices/{invoice.id}/print",
        params={"lang": "en-US"},
        headers={"Accept-Language": "zh-CN,zh;q=0.9"},
        token=token,
    )
    # then every word of ours is English, dates read the English way, data stays as entered
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-language"] == "en-US"
    page = answer.text
    assert '<html lang="en-US">' in page
    for text in (
        "INVOICE",
        "Partially settled",
        "Graduated tiers",
        "Tier 1",
        "Tier 2",
        "1000 and above",
        "Total",
        "CNY 158.00",
        "Outstanding",
        "CNY 100.00",
        "Credit notes",
        "Apr 1, 2026",  # issued
        "May 1, 2026",  # due
        "Mar 1, 2026 – Mar 31, 2026",
        "31/31 days",
        "英文打印测试有限公司",
        "价格调整",
    ):
        assert text in page, text
    rest = page
    for value in data:
        rest = rest.replace(value, "")
    assert not CJK.findall(rest), sorted(set(CJK.findall(rest)))

    # when no lang is asked for, Accept-Language decides; without either, Chinese
    english = await client.get(
        f"{API}/invoices/{invoice.id}/print", headers={"Accept-Language": "en-GB,en;q=0.8"}, token=token
    )
    assert "Partially settled" in english.text and "部分结算" not in english.text
    bare = await client.get(
        f"{API}/invoices/{invoice.id}/print", headers={"Accept-Language": "fr-FR"}, token=token
    )
    assert "部分结算" in bare.text
    chinese = await client.get(f"{API}/invoices/{invoice.id}/print", params={"lang": "zh-CN"}, token=token)
    assert chinese.headers["content-language"] == "zh-CN"
    assert "部分结算" in chinese.text and "第 1 档" in chinese.text and "2026-04-01" in chinese.text
    assert "Partially settled" not in chinese.text
    # and a language we do not speak is refused
    refused = await client.get(f"{API}/invoices/{invoice.id}/print", params={"lang": "fr-FR"}, token=token)
    assert refused.status_code == 422


async def test_a_void_invoice_prints_as_void_in_english_too(client):
    invoice = await make_invoice(await make_customer(), total="10.00", void=True)
    page = (
        await client.get(
            f"{API}/invoices/{invoice.id}/print", params={"lang": "en-US"}, token=await token_for("operator")
        )
    ).text
    assert "This invoice is void: 开错了 (finance1 Apr 2, 2026 08:00 UTC)" in page
    assert ">Void<" in page


async def test_who_may_read_the_outputs(client):
    invoice = await make_invoice(await make_customer())
    paths = ["/invoices/export", "/reports/aging", "/reports/aging.xlsx", f"/invoices/{invoice.id}/print"]
    auditor = await token_for("auditor")
    for path in paths:
        assert (await client.get(API + path, token=auditor)).status_code == 200, path
    # no role of the matrix lacks billing:read today: a user whose role grants nothing shows the check
    with acting_as(system_actor("test")):
        nobody = await User.create(username="no-rights", role="visitor", password_hash="x")
    token = (await session_for(nobody)).access_token
    for path in paths:
        answer = await client.get(API + path, token=token)
        assert answer.status_code == 403, path
        assert answer.json()["error"]["code"] == "forbidden"
    for path in paths:
        assert (await client.get(API + path)).status_code == 401, path


async def test_a_missing_invoice_is_404(client):
    token = await token_for("auditor")
    for invoice_id in (999999, 2**63):
        answer = await client.get(f"{API}/invoices/{invoice_id}/print", token=token)
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "invoice_not_found"


async def test_bad_filters_are_422_naming_the_field(client):
    token = await token_for("auditor")
    cases = [
        ("/invoices/export", {"amount_min": "abc"}, "amount_min"),
        ("/invoices/export", {"amount_max": "1.001"}, "amount_max"),
        ("/invoices/export", {"period": "2026-13"}, "period"),
        ("/invoices/export", {"status": "paid"}, "status"),
        ("/invoices/export", {"overdue": "maybe"}, "overdue"),
        ("/invoices/export", {"due_from": "2026-02-30"}, "due_from"),
        ("/invoices/export", {"q": "x" * 101}, "q"),
        ("/invoices/export", {"customer_id": "0"}, "customer_id"),
        ("/invoices/export", {"amount_min": "10", "amount_max": "9.99"}, None),
        ("/invoices/export", {"due_from": "2026-05-02", "due_to": "2026-05-01"}, None),
        ("/invoices/export", {"colour": "red"}, "colour"),
        ("/reports/aging", {"as_of": "yesterday"}, "as_of"),
        ("/reports/aging", {"as_of": "0001-01-01"}, "as_of"),  # 90 days before it is not a date
        ("/reports/aging.xlsx", {"owner_id": "-1"}, "owner_id"),
    ]
    for path, params, field in cases:
        answer = await client.get(API + path, token=token, params=params)
        assert answer.status_code == 422, (path, params, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "validation_failed"
        if field:
            assert error["details"][0]["field"] == field, (params, error)


async def test_the_invoice_list_route_reads_the_same_filters(client):
    """GET /invoices (the invoice API's route) answers what queries.list_invoices selects."""
    today = business_today()
    customer = await make_customer(customer_code="LST-1")
    overdue = await make_invoice(customer, total="300.00", due_date=today - dt.timedelta(days=1))
    await make_invoice(customer, total="300.00", due_date=today)
    await make_invoice(customer, total="1000.00", due_date=today - dt.timedelta(days=5), paid="1000.00")
    token = await token_for("auditor")
    answer = await client.get(
        f"{API}/invoices", token=token, params={"overdue": "true", "amount_min": "300.00"}
    )
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert (page["total"], [i["id"] for i in page["items"]]) == (1, [overdue.id])
    assert (page["items"][0]["total"], page["items"][0]["overdue"], page["items"][0]["days_overdue"]) == (
        "300.00",
        True,
        1,
    )
    assert (await client.get(f"{API}/invoices", token=token, params={"sort": "secret"})).status_code == 422


async def test_the_outputs_are_documented_with_their_media_types(client):
    paths = (await client.get("/docs/openapi.json")).json()["paths"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx in paths["/api/v1/invoices/export"]["get"]["responses"]["200"]["content"]
    assert xlsx in paths["/api/v1/reports/aging.xlsx"]["get"]["responses"]["200"]["content"]
    assert "text/html" in paths["/api/v1/invoices/{invoice_id}/print"]["get"]["responses"]["200"]["content"]
    aging = paths["/api/v1/reports/aging"]["get"]
    assert aging["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AgingReport")
    documented = {p["name"] for p in paths["/api/v1/invoices/export"]["get"]["parameters"]}
    assert {
        "status",
        "overdue",
        "period",
        "owner_id",
        "amount_min",
        "amount_max",
        "due_from",
        "due_to",
        "q",
    } <= documented
