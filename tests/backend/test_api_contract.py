"""The spec is the truth (issue 15): what the OpenAPI document says a request may hold is what
the API takes, and what it refuses the document refuses too. Sorts name their fields, a PATCH
needs a field, a deleted record is gone from reads by id, a batch soft delete says why, money
is written as plain decimals, the analytics owner and a billing period have their patterns."""

from __future__ import annotations

import re

import pytest

from opcms.core.audit import AuditLog
from opcms.core.money import AMOUNT_PATTERN, POSITIVE_AMOUNT_PATTERN
from opcms.core.periods import PERIOD_PATTERN
from opcms.customers.models import Customer
from opcms.customers.schemas import SORTABLE as CUSTOMER_SORTABLE
from opcms.settlement.models import CreditNote, Payment
from tests.backend.factories import (
    make_customer,
    make_invoice,
    make_payment,
    make_plan,
    make_user,
    token_for,
)

API = "/api/v1"
#: the fields a sort pattern made by core.schemas.sort_by names: ^-?(a|b|c)(,-?(a|b|c))*$
SORT_FIELDS = re.compile(r"^\^-\?\(([^)]*)\)")


async def spec_of(client) -> dict:
    response = await client.get("/docs/openapi.json")
    assert response.status_code == 200
    return response.json()


def component(spec: dict, name: str) -> dict:
    return spec["components"]["schemas"][name]


def parameter(spec: dict, path: str, name: str, method: str = "get") -> dict:
    [found] = [p for p in spec["paths"][path][method]["parameters"] if p["name"] == name]
    return found["schema"]


def fields_of(error: dict) -> list[str | None]:
    return [detail["field"] for detail in error["error"]["details"]]


@pytest.fixture
async def admin(db):
    return await token_for("admin")


# --- 1. sort: each list names its sort fields, takes every one and refuses the rest ---------------
async def test_every_list_documents_the_fields_it_sorts_by_and_takes_exactly_those(client, admin):
    # given the document and a data source (a list below is one source's accounts)
    spec = await spec_of(client)
    source = await client.post(
        f"{API}/data-sources",
        token=admin,
        json={"name": "contract-source", "adapter": "demo", "settings": {}, "secrets": {}},
    )
    assert source.status_code == 201, source.text
    lists = {
        path.removeprefix(API).replace("{source_id}", str(source.json()["id"])): parameter(spec, path, "sort")
        for path, operations in spec["paths"].items()
        if "get" in operations and any(p["name"] == "sort" for p in operations["get"].get("parameters", []))
    }
    assert {"/customers", "/invoices", "/payments", "/task-executions", "/audit-log"} <= set(lists)
    # a list that needs a query parameter is read with each value it takes: deleted records by kind
    kinds = (await client.get(f"{API}/deleted-records/kinds", token=admin)).json()["items"]
    needed = {"/deleted-records": [{"entity": kind["kind"]} for kind in kinds]}
    assert len(needed["/deleted-records"]) >= 8
    for path, sort in lists.items():
        # then every list's sort is documented with the fields it takes
        assert "pattern" in sort, (path, sort)
        fields = SORT_FIELDS.match(sort["pattern"])
        assert fields, (path, sort["pattern"])
        for given in needed.get(path, [{}]):
            for field in fields.group(1).split("|"):
                # when the list is sorted by each documented field, both ways: it answers (every
                # documented name is one the query sorts by, or the database would refuse it)
                for direction in (field, f"-{field}"):
                    answer = await client.get(
                        f"{API}{path}", token=admin, params={**given, "sort": direction}
                    )
                    assert answer.status_code == 200, (path, given, direction, answer.text)
            # and a field the document does not name is a 422 on the sort parameter
            refused = await client.get(f"{API}{path}", token=admin, params={**given, "sort": "password_hash"})
            assert refused.status_code == 422 and "sort" in fields_of(refused.json()), (path, refused.text)


async def test_the_customer_list_documents_the_very_set_it_sorts_by(client, admin):
    # given the document's sort of the customer list
    sort = parameter(await spec_of(client), f"{API}/customers", "sort")
    # then its fields are the customer schemas' SORTABLE, the one set the query sorts by
    assert set(SORT_FIELDS.match(sort["pattern"]).group(1).split("|")) == set(CUSTOMER_SORTABLE)
    # and several keys, comma-separated, are taken; a space or an empty key is refused
    assert (
        await client.get(f"{API}/customers", token=admin, params={"sort": "-company_name,id"})
    ).status_code == 200
    for bad in ("company_name, id", "company_name,", "--id"):
        refused = await client.get(f"{API}/customers", token=admin, params={"sort": bad})
        assert refused.status_code == 422 and fields_of(refused.json()) == ["sort"], bad


# --- 2. PATCH: a field must be given; the not-null ones are not nullable in the document ----------
async def test_every_patch_body_is_documented_as_needing_a_field(client):
    spec = await spec_of(client)
    patches = [
        (path, operations["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"])
        for path, operations in spec["paths"].items()
        if "patch" in operations
    ]
    assert len(patches) >= 10
    for path, ref in patches:
        assert component(spec, ref.rsplit("/", 1)[1]).get("minProperties") == 1, path


async def test_an_empty_patch_is_a_422_and_a_not_null_field_set_to_null_names_itself(client, admin):
    # given a customer, a payment without a customer, a user and a dictionary entry
    customer = await make_customer()
    payment = await make_payment()
    user = await make_user("operator")
    entry = await client.post(f"{API}/dictionaries/level", token=admin, json={"code": "Z9", "label": "九级"})
    assert entry.status_code == 201, entry.text
    records = [
        f"{API}/customers/{customer.id}",
        f"{API}/payments/{payment.id}",
        f"{API}/users/{user.id}",
        f"{API}/dictionaries/level/{entry.json()['id']}",
    ]
    # when each is patched with nothing, then each answers 422 and nothing changed
    for url in records:
        response = await client.patch(url, token=admin, json={})
        assert response.status_code == 422, (url, response.text)
    assert (
        await AuditLog.filter(entity_type="customer", entity_id=str(customer.id), action="update").count()
        == 0
    )
    # when a field that may be left out but not emptied is set to null, the 422 names it
    for url, field in [
        (records[0], "company_name"),
        (records[1], "customer_id"),
        (records[3], "label"),
    ]:
        response = await client.patch(url, token=admin, json={field: None})
        assert response.status_code == 422 and fields_of(response.json()) == [field], response.text
    # and the document says the same: not nullable there, nullable where null clears
    spec = await spec_of(client)
    update = component(spec, "CustomerUpdate")["properties"]
    assert "nullable" not in update["company_name"] and update["remark"].get("nullable") is True
    assert "nullable" not in component(spec, "PaymentUpdate")["properties"]["customer_id"]


async def test_a_user_patch_keeps_a_field_sent_as_null(client, admin):
    # given an operator with a display name
    user = await make_user("operator", display_name="小王")
    # when a PATCH sends the role and a null display name
    response = await client.patch(
        f"{API}/users/{user.id}", token=admin, json={"role": "finance", "display_name": None}
    )
    # then the role changes and the null keeps the name (null means keep, for users)
    assert response.status_code == 200, response.text
    assert (response.json()["role"], response.json()["display_name"]) == ("finance", "小王")
    # and the document lists null among the roles, as OpenAPI 3.0 needs for a nullable enum
    role = component(await spec_of(client), "UserUpdate")["properties"]["role"]
    assert role["nullable"] is True and None in role["enum"]
    # when a PATCH sends only nulls (a body the document admits), then nothing changes: a 200
    kept = await client.patch(f"{API}/users/{user.id}", token=admin, json={"role": None, "is_active": None})
    assert kept.status_code == 200, kept.text
    assert (kept.json()["role"], kept.json()["is_active"]) == ("finance", True)
    assert await AuditLog.filter(entity_type="user", entity_id=str(user.id), action="update").count() == 1


# --- 3. a deleted record is gone from reads by id; include_deleted for who reads deleted history --
async def test_a_deleted_user_is_a_404_unless_asked_for_with_include_deleted(client, admin):
    # given a deleted user
    user = await make_user("operator")
    assert (await client.delete(f"{API}/users/{user.id}", token=admin)).status_code == 200
    # when it is read by id, then it is gone (as an id never given)
    gone = await client.get(f"{API}/users/{user.id}", token=admin)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "user_not_found")
    # and an auditor, or an admin, reads it when asking for deleted history
    for token in (admin, await token_for("auditor")):
        shown = await client.get(f"{API}/users/{user.id}", token=token, params={"include_deleted": "true"})
        assert shown.status_code == 200 and shown.json()["is_deleted"] is True
    # and the document says so; a restore still finds the deleted row
    include = parameter(await spec_of(client), f"{API}/users/{{user_id}}", "include_deleted")
    assert include["type"] == "boolean"
    restored = await client.post(f"{API}/users/{user.id}/restore", token=admin)
    assert restored.status_code == 200 and restored.json()["is_deleted"] is False
    assert (await client.get(f"{API}/users/{user.id}", token=admin)).status_code == 200


async def test_a_deleted_customer_and_its_credit_are_404_but_for_who_reads_deleted_customers(client, admin):
    # given a customer deleted by an operator
    operator = await token_for("operator")
    customer = await make_customer()
    deleted = await client.delete(f"{API}/customers/{customer.id}", token=operator)
    assert deleted.status_code == 200 and deleted.json()["is_deleted"] is True
    auditor = await token_for("auditor")
    record, credit = f"{API}/customers/{customer.id}", f"{API}/customers/{customer.id}/credit"
    # when it is read by id (or its credit), then it is a 404, for the auditor too
    for token in (operator, auditor):
        for url in (record, credit):
            gone = await client.get(url, token=token)
            assert (gone.status_code, gone.json()["error"]["code"]) == (404, "customer_not_found"), url
    # and with include_deleted the auditor sees it, with who deleted it, and its credit
    shown = await client.get(record, token=auditor, params={"include_deleted": "true"})
    assert shown.status_code == 200 and shown.json()["is_deleted"] is True
    assert shown.json()["deleted_by"].startswith("operator")
    assert (await client.get(credit, token=auditor, params={"include_deleted": "true"})).status_code == 200
    # but an operator, who does not read deleted customers, may not ask for it
    for url in (record, credit):
        refused = await client.get(url, token=operator, params={"include_deleted": "true"})
        assert refused.status_code == 403, url
    # and an admin's restore still finds it; then it reads again
    assert (await client.post(f"{record}/restore", token=admin)).status_code == 200
    assert (await client.get(record, token=operator)).status_code == 200


async def test_a_deleted_plan_is_a_404_with_its_versions(client, admin):
    # given a deleted plan
    plan = await make_plan()
    url = f"{API}/pricing-plans/{plan.id}"
    assert (await client.get(url, token=admin)).status_code == 200
    assert (await client.delete(url, token=admin)).status_code == 200
    # then neither the plan nor its versions are read by id any more
    for gone in (url, f"{url}/versions"):
        answer = await client.get(gone, token=admin)
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "pricing_plan_not_found")


# --- 4. the batch: a soft delete says why; status may be null, and the document says so -----------
async def test_a_batch_soft_delete_needs_a_reason_and_a_null_status_is_documented(client):
    operator = await token_for("operator")
    customer = await make_customer()
    body = {
        "action": "soft_delete",
        "customer_ids": [customer.id],
        "level": "",
        "owner_id": 1,
        "reason": "",
        "status": None,
    }
    # when the soft delete gives no reason, or a blank one, then it is a 422 naming reason
    for reason in ("", "   "):
        refused = await client.post(f"{API}/customers/batch", token=operator, json={**body, "reason": reason})
        assert refused.status_code == 422 and fields_of(refused.json()) == ["reason"], refused.text
    without = {k: v for k, v in body.items() if k != "reason"}
    assert (await client.post(f"{API}/customers/batch", token=operator, json=without)).status_code == 422
    assert (await Customer.get(id=customer.id)).is_deleted is False
    # when it says why (the other actions' arguments null or not), then the customers are deleted
    done = await client.post(f"{API}/customers/batch", token=operator, json={**body, "reason": "合并"})
    assert done.status_code == 200 and done.json()["affected"] == 1, done.text
    assert await Customer.filter(id=customer.id).count() == 0
    # and the document takes that null status: nullable, null among the statuses
    status = component(await spec_of(client), "BatchAction")["properties"]["status"]
    assert status["nullable"] is True and None in status["enum"]


# --- 5. money: plain decimals only --------------------------------------------------------------
NOT_PLAIN = ["1_000", "１２３", "1e3", " 1", "1 ", "NaN", "+5", ".5", "1.", "1\n"]


async def test_a_payment_amount_is_a_plain_decimal_or_a_422_naming_amount(client):
    finance = await token_for("finance")
    body = {"received_on": "2024-05-01", "method": "bank_transfer"}
    # when the amount is written the ways Python's Decimal reads but the document does not
    for amount in NOT_PLAIN:
        response = await client.post(f"{API}/payments", token=finance, json={**body, "amount": amount})
        # then each is a 422 naming amount, and no payment is recorded
        assert response.status_code == 422 and fields_of(response.json()) == ["amount"], (
            amount,
            response.text,
        )
    assert await Payment.all().count() == 0
    # and a plain decimal string, or a JSON number, is taken as before
    for amount in ("1000", "1000.5", 1000):
        taken = await client.post(f"{API}/payments", token=finance, json={**body, "amount": amount})
        assert taken.status_code == 201, taken.text
    assert await Payment.all().count() == 3


async def test_a_credit_note_amount_is_a_plain_decimal_above_zero(client):
    finance = await token_for("finance")
    invoice = await make_invoice(total="500.00")
    body = {"invoice_id": invoice.id, "reason": "goodwill"}
    for amount in [*NOT_PLAIN, "0", "0.00", "-1", "1.005"]:
        response = await client.post(f"{API}/credit-notes", token=finance, json={**body, "amount": amount})
        assert response.status_code == 422 and fields_of(response.json()) == ["amount"], (
            amount,
            response.text,
        )
    assert await CreditNote.all().count() == 0
    assert (
        await client.post(f"{API}/credit-notes", token=finance, json={**body, "amount": "0.01"})
    ).status_code == 201


async def test_the_documented_money_patterns_are_ascii_and_refuse_zero_where_more_is_needed(client):
    spec = await spec_of(client)
    amount = component(spec, "PaymentCreate")["properties"]["amount"]
    assert amount["pattern"] == POSITIVE_AMOUNT_PATTERN and "\\d" not in amount["pattern"]
    assert component(spec, "CreditNoteCreate")["properties"]["amount"]["pattern"] == POSITIVE_AMOUNT_PATTERN
    assert parameter(spec, f"{API}/invoices", "amount_min")["pattern"] == AMOUNT_PATTERN
    positive = re.compile(POSITIVE_AMOUNT_PATTERN)
    assert [
        v for v in ("1", "0.01", "0.10", "007.5", "1234567890123456.99") if not positive.fullmatch(v)
    ] == []
    assert [v for v in ("0", "0.00", "00", "-1", "1.001", ".5") if positive.fullmatch(v)] == []


# --- 6. the analytics owner ---------------------------------------------------------------------
async def test_the_analytics_owner_is_documented_with_the_values_it_takes(client, admin):
    spec = await spec_of(client)
    for path in ("/analytics/dashboard", "/analytics/aging", "/analytics/aging.xlsx"):
        owner = parameter(spec, f"{API}{path}", "owner")
        assert owner["pattern"] == r"^([1-9][0-9]{0,17}|me|all)$", path
    # values outside it are refused: another script's digits, a leading zero, a word
    for owner in ("１２", "012", "0", "someone", "-1"):
        refused = await client.get(f"{API}/analytics/dashboard", token=admin, params={"owner": owner})
        assert refused.status_code == 422 and fields_of(refused.json()) == ["owner"], owner
    assert (
        await client.get(f"{API}/analytics/dashboard", token=admin, params={"owner": "all"})
    ).status_code == 200


# --- 7. a billing period ------------------------------------------------------------------------
async def test_a_period_the_parser_refuses_is_refused_by_the_documented_pattern(client):
    finance = await token_for("finance")
    spec = await spec_of(client)
    assert component(spec, "InvoiceRunRequest")["properties"]["period"]["pattern"] == PERIOD_PATTERN
    assert parameter(spec, f"{API}/invoices", "period")["pattern"] == PERIOD_PATTERN
    # when a run is asked for year 0, a year before 1900 or in other digits
    for period in ("0000-01", "1899-12", "3000-01", "２０２４-01", "2024-13", "2024-1"):
        run = await client.post(f"{API}/invoice-runs", token=finance, json={"period": period})
        # then the period is a 422 naming it, before anything is parsed (no "year 0 is out of range")
        assert run.status_code == 422 and fields_of(run.json()) == ["period"], (period, run.text)
        assert "out of range" not in run.text
        listed = await client.get(f"{API}/invoices", token=finance, params={"period": period})
        assert listed.status_code == 422 and fields_of(listed.json()) == ["period"], period
    pattern = re.compile(PERIOD_PATTERN)
    assert all(pattern.fullmatch(p) for p in ("1900-01", "2024-05", "2999-12"))
