"""The spec is the truth (issue 15): what the OpenAPI document says a request may hold is what
the API takes, and what it refuses the document refuses too. Money is written as plain
decimals, the analytics owner and a billing period have their patterns."""

from __future__ import annotations

import re

import pytest

from opcms.core.money import AMOUNT_PATTERN, POSITIVE_AMOUNT_PATTERN
from opcms.core.periods import PERIOD_PATTERN
from opcms.settlement.models import CreditNote, Payment
from tests.backend.factories import make_invoice, token_for

API = "/api/v1"


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
