"""Customer export: the list's filters, the import's columns, formula cells escaped."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from opcms.customers.columns import COLUMNS
from tests.backend.factories import make_customer, make_user, token_for


async def export(client, token, language="zh-CN", **params):
    response = await client.get(
        "/api/v1/customers/export", token=token, params=params, headers={"Accept-Language": language}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_export_writes_the_import_columns_with_labels_and_escapes_formulas(client):
    owner = await make_user("operator", username="exporter-owner")
    await make_customer(
        customer_code="E1",
        company_name="导出公司",
        industry="finance",
        level="S",
        owner_id=owner.id,
        credit_limit="1234.50",
        remark='=HYPERLINK("http://evil")',
        contact_name="@SUM(1+1)",
        short_name="+cmd",
        address="-2+3",
    )
    rows = await export(client, await token_for("auditor"))
    assert rows[0] == [c.header for c in COLUMNS]
    record = dict(zip(rows[0], rows[1], strict=False))
    assert record["客户编号"] == "E1" and record["公司名称"] == "导出公司"
    assert (record["行业类型"], record["客户等级"], record["账号状态"]) == ("金融", "S级", "潜在")
    assert record["负责人"] == "exporter-owner" and record["信用额度"] == 1234.5
    for header in ("备注", "联系人", "简称", "详细地址"):
        assert record[header].startswith("'"), header
    assert record["备注"] == '\'=HYPERLINK("http://evil")'


async def test_an_english_reader_gets_field_names_and_english_labels(client):
    # given a customer with dictionary values and a status
    await make_customer(customer_code="EN1", company_name="英文导出公司", industry="finance", level="S")
    # when a reader in English exports
    rows = await export(client, await token_for("auditor"), language="en-US")
    # then the headers are the field names the import reads and the labels are English
    assert rows[0] == [c.field for c in COLUMNS]
    record = dict(zip(rows[0], rows[1], strict=False))
    assert record["customer_code"] == "EN1" and record["company_name"] == "英文导出公司"
    assert (record["industry"], record["level"], record["status"]) == ("Finance", "Level S", "Prospect")


async def test_export_follows_the_list_filters(client):
    await make_customer(customer_code="F1", province="浙江")
    await make_customer(customer_code="F2", province="江苏")
    rows = await export(client, await token_for("finance"), province="江苏")
    assert [r[0] for r in rows[1:]] == ["F2"]


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
async def test_an_export_imports_back_unchanged(client, language):
    # given customers with every column filled, formula-looking text included
    owner = await make_user("operator", username="round-trip-owner")
    await make_customer(
        customer_code="R1",
        company_name="往返科技（上海）有限公司",
        short_name="往返",
        industry="retail",
        level="C",
        owner_id=owner.id,
        contact_name="=1+2",
        contact_phone="02161234567",
        contact_email="rt@example.com",
        province="上海",
        city="上海",
        address="@home",
        signed_at="2024-03-05",
        contract_end_at="2026-03-04",
        payment_terms_days=45,
        credit_limit="98765.43",
        remark="-5 is not a formula",
        credit_code="91350100M000100Y43",
    )
    await make_customer(customer_code="R2", company_name="第二家公司")
    admin = await token_for("admin")
    exported = await client.get(
        "/api/v1/customers/export", token=admin, headers={"Accept-Language": language}
    )
    assert exported.status_code == 200
    # when the very file is imported back with upsert
    response = await client.post(
        "/api/v1/imports/customers",
        token=admin,
        data={"mode": "upsert"},
        files={
            "file": (
                "customers.xlsx",
                exported.content,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
    )
    # then nothing changes
    assert response.status_code == 200, response.text
    report = response.json()["report"]
    assert report["errors"] == []
    assert (report["total"], report["unchanged"], report["updated"], report["created"]) == (2, 2, 0, 0)
