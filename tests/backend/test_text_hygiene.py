"""Text hygiene: no request stores a control character or a bidi control (tab and line
breaks only in multi-line fields), and no stored text can break a workbook — a row written
before the rule, or by hand, is exported with those characters dropped."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from opcms.core.settings import business_today
from opcms.customers.models import Customer, DictionaryEntry, DictionaryKind
from opcms.notifications.models import NotificationTemplate
from tests.backend.factories import make_customer, token_for
from tests.backend.test_invoice_outputs_support import make_invoice

API = "/api/v1"
# the name that once broke the customer export for everyone (RIGHT-TO-LEFT OVERRIDE, NUL)
BROKEN_NAME = "\u202e\u0000abc"


@pytest.fixture
async def admin(db):
    return await token_for("admin")


def rows_of(response) -> list[list]:
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def refusal(response) -> dict:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    return error["details"][0]


# --- refused at the door ---------------------------------------------------------------------------
async def test_a_customer_named_with_control_characters_is_422_and_nothing_is_stored(client, admin):
    response = await client.post(
        f"{API}/customers", token=admin, json={"customer_code": "CTRL-1", "company_name": BROKEN_NAME}
    )
    detail = refusal(response)
    assert detail["field"] == "company_name"
    assert "control characters" in detail["message"]
    assert await Customer.with_deleted().count() == 0


@pytest.mark.parametrize("override", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069"])
async def test_a_bidi_control_is_refused_alone(client, admin, override):
    # "Acme‮exe.pdf" reads as a different name than it is
    response = await client.post(
        f"{API}/customers",
        token=admin,
        json={"customer_code": "BIDI-1", "company_name": f"Acme{override}fdp.exe有限公司"},
    )
    detail = refusal(response)
    assert detail["field"] == "company_name"
    assert f"U+{ord(override):04X}" in detail["message"] and "bidirectional" in detail["message"]
    assert await Customer.with_deleted().count() == 0


async def test_multi_line_fields_keep_line_breaks_and_one_line_fields_refuse_them(client, admin):
    # a remark and an address may span lines (the form's textarea); a name may not (a company
    # name's own rule folds white space runs to one space before this is checked)
    created = await client.post(
        f"{API}/customers",
        token=admin,
        json={
            "customer_code": "ML-1",
            "company_name": "多行备注有限公司",
            "remark": "第一行\n第二行\tTab",
            "address": "上海市\r\n浦东新区",
        },
    )
    assert created.status_code == 201, created.text
    stored = await Customer.get(customer_code="ML-1")
    assert (stored.remark, stored.address) == ("第一行\n第二行\tTab", "上海市\r\n浦东新区")

    for field, value in [
        ("short_name", "两行\n简称"),
        ("contact_name", "张\t三"),
        ("remark", "响铃\x07"),
        ("remark", "空字符\x00"),
        ("address", "\u2067隔离"),
    ]:
        response = await client.patch(f"{API}/customers/{stored.id}", token=admin, json={field: value})
        assert refusal(response)["field"] == field, (field, value)
    await stored.refresh_from_db()
    assert stored.company_name == "多行备注有限公司" and stored.remark == "第一行\n第二行\tTab"


async def test_a_query_text_with_a_control_character_is_422(client, admin):
    response = await client.get(f"{API}/customers", token=admin, params={"keyword": "a\x00b"})
    assert refusal(response)["field"] == "keyword"
    assert (await client.get(f"{API}/customers", token=admin, params={"keyword": "ab"})).status_code == 200


async def test_json_objects_are_read_too_with_line_breaks_allowed(client, admin):
    # a template body spans lines; a channel's settings may not hide a control character
    template = await client.post(
        f"{API}/notification-templates",
        token=admin,
        json={"code": "two_lines", "title": "标题", "body": "第一行\n\t第二行"},
    )
    assert template.status_code == 201, template.text
    assert (await NotificationTemplate.get(code="two_lines")).body == "第一行\n\t第二行"
    refused = await client.post(
        f"{API}/notification-templates",
        token=admin,
        json={"code": "title_break", "title": "标\n题", "body": "x"},
    )
    assert refusal(refused)["field"] == "title"

    channel = await client.post(
        f"{API}/notification-channels",
        token=admin,
        json={"name": "sms-ctrl", "kind": "sms", "settings": {"sign_name": "签名\u202e"}},
    )
    detail = refusal(channel)
    assert detail["field"] == "settings" and detail["message"].startswith("sign_name: ")


# --- never breaks an export ----------------------------------------------------------------------
async def test_a_stored_customer_with_control_characters_exports_cleaned(client):
    customer = await make_customer(customer_code="BAD-1", company_name="坏名字有限公司")
    # written past the API, as a row stored before the rule (or by hand) would be
    await Customer.filter(id=customer.id).update(
        company_name=BROKEN_NAME, remark="备注\x0b\u2066", contact_name="=1+1\x01"
    )
    # (read in Chinese: the headers are the ones finance keeps)
    rows = rows_of(
        await client.get(
            f"{API}/customers/export", token=await token_for("auditor"), headers={"Accept-Language": "zh-CN"}
        )
    )
    record = dict(zip(rows[0], rows[1], strict=False))
    assert record["客户编号"] == "BAD-1"
    assert record["公司名称"] == "abc"
    assert record["备注"] == "备注"
    assert record["联系人"] == "'=1+1"  # cleaned, then still kept from running as a formula


async def test_the_invoice_and_aging_workbooks_drop_what_a_cell_cannot_hold(client):
    today = business_today()
    customer = await make_customer(customer_code="BAD-INV", company_name="账单客户有限公司")
    await Customer.filter(id=customer.id).update(company_name=BROKEN_NAME)
    await make_invoice(
        customer,
        total="10.00",
        company_name=BROKEN_NAME,
        issue_date=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=10),
    )
    token = await token_for("auditor")
    invoices = rows_of(await client.get(f"{API}/invoices/export", token=token))
    record = dict(zip(invoices[0], invoices[1], strict=False))
    assert record["公司名称"] == "abc"

    response = await client.get(f"{API}/reports/aging.xlsx", token=token)
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    texts = [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "abc" in texts and BROKEN_NAME not in texts


async def test_the_import_template_survives_a_stored_dictionary_label(client, admin):
    await DictionaryEntry.create(kind=DictionaryKind.INDUSTRY, code="ctrl", label="行业\x00\u202e标签")
    response = await client.get(f"{API}/imports/template.xlsx", token=admin)
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    labels = [cell.value for row in book.worksheets[1].iter_rows() for cell in row]
    assert "行业标签" in labels
