"""The analytics routes over HTTP (plan/contract.md, docs/analytics.md): who may read which
board, bad input as 422 in the error shape, the dashboard's JSON (money and percentages as
strings), a failing block answering 200, customer analytics, and the aging page with its
sorting, paging, total row, drill-down and workbook."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from opcms.analytics import service
from opcms.core.settings import business_today
from tests.backend.factories import make_customer, make_metric, make_user, session_for, token_for
from tests.backend.factories_analytics import (
    credit_example,
    invoice,
    ledger_case,
    pay,
    usage,
    with_invoice_lines_back,
    without_invoice_lines,
)

API = "/api/v1"
DAY = dt.date(2026, 6, 1)
AS_OF = dt.date(2026, 6, 15)


async def token_of(user) -> str:
    return (await session_for(user)).access_token


def error_of(response) -> dict:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "details"} and error["message"]
    assert all(set(detail) >= {"field", "message"} for detail in error["details"])
    return error


# --- who may read which board -------------------------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "finance", "operator", "auditor"])
async def test_every_role_reads_the_dashboard(client, role):
    response = await client.get(f"{API}/analytics/dashboard", token=await token_for(role))
    assert response.status_code == 200, response.text
    board = response.json()
    assert board["errors"] == [] and board["as_of"] == business_today().isoformat()
    # the default range is the 1st of this month to today
    assert board["from"] == business_today().replace(day=1).isoformat() and board["to"] == board["as_of"]


async def test_reading_analytics_needs_a_login(client):
    for path in ("dashboard", "aging", "aging.xlsx"):
        assert (await client.get(f"{API}/analytics/{path}")).status_code == 401


async def test_an_operator_sees_their_own_customers_and_no_one_elses(client):
    # given an operator owning one customer and another operator owning another
    operator, colleague = await make_user("operator"), await make_user("operator")
    mine = await make_customer(owner_id=operator.id)
    theirs = await make_customer(owner_id=colleague.id)
    await invoice(mine, "100.00", issue=business_today())
    await invoice(theirs, "900.00", issue=business_today())
    token = await token_of(operator)

    # then by default the board is theirs ("me"), and so it is asked by "me" or by their own id
    for query in ("", "?owner=me", f"?owner={operator.id}"):
        response = await client.get(f"{API}/analytics/dashboard{query}", token=token)
        assert response.status_code == 200, response.text
        board = response.json()
        assert board["owner_id"] == operator.id
        assert board["figures"]["invoiced"]["value"] == "100.00"
        assert [c["customer_id"] for c in board["top_customers"]] == [mine.id]
    # and everyone's board, or a colleague's, is refused, for the aging report too
    for query in ("?owner=all", f"?owner={colleague.id}"):
        for path in ("dashboard", "aging", "aging.xlsx"):
            response = await client.get(f"{API}/analytics/{path}{query}", token=token)
            assert response.status_code == 403, (path, query, response.text)
            assert response.json()["error"]["code"]


async def test_finance_sees_everyone_by_default_and_may_pick_an_owner(client):
    operator = await make_user("operator")
    mine = await make_customer(owner_id=operator.id)
    other = await make_customer()
    await invoice(mine, "100.00", issue=business_today())
    await invoice(other, "900.00", issue=business_today())
    token = await token_for("finance")

    everyone = (await client.get(f"{API}/analytics/dashboard", token=token)).json()
    assert everyone["owner_id"] is None and everyone["figures"]["invoiced"]["value"] == "1000.00"
    picked = (await client.get(f"{API}/analytics/dashboard?owner={operator.id}", token=token)).json()
    assert picked["owner_id"] == operator.id and picked["figures"]["invoiced"]["value"] == "100.00"
    aging = (await client.get(f"{API}/analytics/aging?owner={operator.id}", token=token)).json()
    assert [row["customer_id"] for row in aging["items"]] == [mine.id]

    # an owner that does not exist is a 422 naming the parameter
    error = error_of(await client.get(f"{API}/analytics/dashboard?owner=987654", token=token))
    assert [d["field"] for d in error["details"]] == ["owner"]
    error = error_of(await client.get(f"{API}/analytics/dashboard?owner=someone", token=token))
    assert "owner" in error["details"][0]["field"]


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01",  # not a date
        "to=yesterday",
        "from=2026-05-02&to=2026-05-01",  # from after to
        "from=2022-01-01&to=2026-01-01",  # over three years
        "from=2020-01-01",  # over three years up to today, the default end
        "from=2099-01-01",  # after today, the default end
    ],
)
async def test_bad_ranges_are_a_422_in_the_error_shape(client, query):
    token = await token_for("finance")
    error_of(await client.get(f"{API}/analytics/dashboard?{query}", token=token))


async def test_a_range_of_three_years_is_answered(client):
    token = await token_for("finance")
    response = await client.get(f"{API}/analytics/dashboard?from=2023-01-01&to=2025-12-31", token=token)
    assert response.status_code == 200, response.text
    assert (response.json()["previous_from"], response.json()["previous_to"]) == ("2020-01-01", "2022-12-31")


# --- the dashboard as JSON ----------------------------------------------------------------------
async def test_the_dashboard_answers_money_and_percentages_as_strings(client):
    # given the worked example of docs/analytics.md
    customer = await make_customer()
    await ledger_case(customer)

    response = await client.get(
        f"{API}/analytics/dashboard?from=2026-05-01&to=2026-05-31", token=await token_for("auditor")
    )

    assert response.status_code == 200, response.text
    board = response.json()
    assert (board["from"], board["to"], board["previous_from"], board["previous_to"]) == (
        "2026-05-01",
        "2026-05-31",
        "2026-03-31",
        "2026-04-30",
    )
    figures = board["figures"]
    assert figures["invoiced"] == {"value": "1500.00", "previous": "1200.00", "change": "25.0"}
    assert figures["collected"] == {"value": "900.00", "previous": "1200.00", "change": "-25.0"}
    # today both open invoices are overdue: 250.00 of X1 and 500.00 of X2
    assert figures["receivable"]["value"] == "750.00"
    assert (figures["overdue"]["value"], figures["overdue"]["count"]) == ("750.00", 2)
    assert figures["collection_rate"] == {"value": "60.0", "previous": "100.0", "change": "-40.0"}
    assert figures["dso"]["value"] == "15.5"
    assert [b["bucket"] for b in board["aging"]] == ["current", "1-30", "31-60", "61-90", "90+"]
    assert board["trend"][-1]["month"] == "2026-05" and board["trend"][-1]["invoiced"] == "1500.00"
    assert board["movements"][-1]["month"] == "2026-04"
    assert board["scores_computed_at"] is None and board["errors"] == []


async def test_a_failing_block_answers_200_with_that_block_null(client):
    customer = await make_customer()
    await ledger_case(customer)
    token = await token_for("finance")
    await without_invoice_lines()
    try:
        response = await client.get(f"{API}/analytics/dashboard?from=2026-05-01&to=2026-05-31", token=token)
    finally:
        await with_invoice_lines_back()

    assert response.status_code == 200, response.text
    board = response.json()
    assert board["usage"] is None
    assert [e["figure"] for e in board["errors"]] == ["usage"]
    assert board["figures"]["invoiced"]["value"] == "1500.00"
    assert all(
        board[name] is not None for name in ("aging", "trend", "movements", "top_customers", "customers")
    )


# --- customer analytics -------------------------------------------------------------------------
async def test_customer_analytics_fills_the_days_and_months_and_gives_payment_behaviour(client):
    # given the credit example, usage on a few days, a bill for April and a payment in May
    customer = await make_customer(
        signed_at=DAY - dt.timedelta(days=400), credit_limit=Decimal("100000.00"), status="active"
    )
    await credit_example(customer, DAY)
    api, sms = await make_metric("api_calls"), await make_metric("sms", name="短信", unit="条")
    await usage(customer, api, DAY - dt.timedelta(days=1), "10.5")  # the last day of the 90
    await usage(customer, api, DAY - dt.timedelta(days=90), 5)  # the first
    await usage(customer, api, DAY - dt.timedelta(days=91), 7)  # before them, in March still
    await usage(customer, api, DAY, 3)  # the day itself: in June, not among the 90 days before
    await usage(customer, sms, dt.date(2025, 6, 30), 8)  # the first of the 13 months
    await usage(customer, sms, dt.date(2025, 5, 31), 99)  # the month before them
    storage = await make_metric("storage", name="存储", unit="GB")
    await usage(customer, storage, dt.date(2025, 5, 1), 1)  # used before the 13 months only
    await invoice(customer, "321.00", issue=dt.date(2026, 5, 1), due=dt.date(2026, 6, 10), period="2026-04")
    await invoice(
        customer,
        "55.00",
        issue=dt.date(2026, 4, 1),
        period="2026-03",
        voided_at=dt.datetime(2026, 4, 2, tzinfo=dt.UTC),
    )
    await pay(customer, "100.00", received_on=dt.date(2026, 5, 20))
    token = await token_for("operator")
    url = f"{API}/customers/{customer.id}/analytics?as_of={DAY.isoformat()}"

    response = await client.get(url, token=token)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["customer_id"], answer["as_of"]) == (customer.id, "2026-06-01")
    # 90 days before as_of, every one of them, zeros where there was nothing; only metrics used then
    [daily] = answer["usage_daily"]
    assert (daily["metric_id"], daily["metric_code"], daily["unit"]) == (api.id, "api_calls", "次")
    points = daily["points"]
    assert len(points) == 90
    assert points[0] == {"day": "2026-03-03", "quantity": "5.0000"}
    assert points[-1] == {"day": "2026-05-31", "quantity": "10.5000"}
    assert all(p["quantity"] == "0.0000" for p in points[1:-1])
    # 13 months up to June, each against the month before
    monthly = {series["metric_code"]: series["points"] for series in answer["usage_monthly"]}
    assert [p["month"] for p in monthly["api_calls"]] == [f"2025-{m:02d}" for m in range(6, 13)] + [
        f"2026-{m:02d}" for m in range(1, 7)
    ]
    api_months = {p["month"]: (p["quantity"], p["change"]) for p in monthly["api_calls"]}
    assert api_months["2026-03"] == ("12.0000", None)  # against nothing
    assert api_months["2026-04"] == ("0.0000", "-100.0")
    assert api_months["2026-05"] == ("10.5000", None)
    assert api_months["2026-06"] == ("3.0000", "-71.4")
    assert set(monthly) == {"api_calls", "sms"}
    # the first of the 13 months against the month before it (99 in May 2025)
    assert monthly["sms"][0] == {"month": "2025-06", "quantity": "8.0000", "change": "-91.9"}
    assert monthly["sms"][1] == {"month": "2025-07", "quantity": "0.0000", "change": "-100.0"}
    # invoiced by service month, paid by month received
    billing = {row["month"]: (row["invoiced"], row["paid"]) for row in answer["billing_monthly"]}
    assert len(billing) == 13
    assert billing["2026-03"] == ("0.00", "0.00")  # the void invoice
    assert billing["2026-04"] == ("321.00", "0.00")
    assert billing["2026-05"] == ("0.00", "100.00")
    # 10 of 12 invoices due in the last year paid on time, 42 days late in all, one 35 days overdue
    assert answer["payment_behaviour"] == {
        "invoices_due": 12,
        "on_time": 10,
        "on_time_ratio": "83.3",
        "average_days_late": "3.5",
        "longest_overdue_days": 35,
        "overdue_amount": "15000.00",
    }
    # no scores before the job has run …
    assert answer["score"] is None

    # … and the latest ones after it
    await service.score_customers(DAY - dt.timedelta(days=1))
    await service.score_customers(DAY)
    score = (await client.get(url, token=token)).json()["score"]
    assert score["score_day"] == "2026-06-01" and score["computed_at"]
    assert (score["value_tier"], score["trailing_invoiced"], score["lifecycle"]) == (
        "A",
        "52321.00",
        "growing",
    )
    assert (score["churn"]["score"], score["churn"]["level"]) == (20, "none")
    assert [r["code"] for r in score["churn"]["reasons"]] == ["overdue"]
    assert score["credit"]["score"] == 74
    assert [(f["code"], f["points"]) for f in score["credit"]["factors"]] == [
        ("on_time", 29),
        ("days_late", 19),
        ("overdue", 12),
        ("limit_use", 9),
        ("tenure", 5),
    ]


async def test_customer_analytics_of_an_unknown_customer_is_a_404(client):
    response = await client.get(f"{API}/customers/987654/analytics", token=await token_for("finance"))
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"]


async def test_customer_analytics_without_anything_yet(client):
    customer = await make_customer()
    response = await client.get(f"{API}/customers/{customer.id}/analytics", token=await token_for("finance"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["usage_daily"] == [] and answer["usage_monthly"] == []
    assert len(answer["billing_monthly"]) == 13
    assert answer["payment_behaviour"] == {
        "invoices_due": 0,
        "on_time": 0,
        "on_time_ratio": None,
        "average_days_late": None,
        "longest_overdue_days": 0,
        "overdue_amount": "0.00",
    }


# --- the aging page -----------------------------------------------------------------------------
async def aging_case() -> dict:
    """Five customers' open invoices on 2026-06-15 across the buckets; the fifth owned by an
    operator."""
    operator = await make_user("operator")
    c1, c2, c3, c4 = [await make_customer() for _ in range(4)]
    c5 = await make_customer(owner_id=operator.id)

    async def owes(customer, amount: str, days_past_due: int):
        due = AS_OF - dt.timedelta(days=days_past_due)
        return await invoice(customer, amount, issue=min(due, AS_OF) - dt.timedelta(days=30), due=due)

    await owes(c1, "100.00", -5)
    await owes(c1, "50.00", 10)
    await owes(c2, "300.00", 40)
    await owes(c2, "20.00", 100)
    await owes(c3, "75.25", 75)
    await owes(c4, "1000.00", 0)
    await owes(c5, "10.00", 1)
    # settled, and issued after the day: not in the report
    await invoice(c3, "500.00", paid="500.00", issue=dt.date(2026, 5, 1))
    await invoice(c4, "999.00", issue=AS_OF + dt.timedelta(days=1))
    return {"operator": operator, "customers": [c1, c2, c3, c4, c5]}


def columns(row: dict) -> tuple:
    return tuple(row[k] for k in ("current", "d1_30", "d31_60", "d61_90", "d90_plus", "total"))


async def test_the_aging_page_sorts_pages_and_totals_every_matching_customer(client):
    case = await aging_case()
    c1, c2, c3, c4, c5 = case["customers"]
    token = await token_for("finance")

    async def page(query: str = "") -> dict:
        response = await client.get(f"{API}/analytics/aging?as_of={AS_OF.isoformat()}&{query}", token=token)
        assert response.status_code == 200, response.text
        return response.json()

    first = await page()
    # largest total first by default
    assert [row["customer_id"] for row in first["items"]] == [c4.id, c2.id, c1.id, c3.id, c5.id]
    assert (first["total"], first["page"], first["page_size"]) == (5, 1, 20)
    rows = {row["customer_id"]: columns(row) for row in first["items"]}
    assert rows[c1.id] == ("100.00", "50.00", "0.00", "0.00", "0.00", "150.00")
    assert rows[c2.id] == ("0.00", "0.00", "300.00", "0.00", "20.00", "320.00")
    assert rows[c3.id] == ("0.00", "0.00", "0.00", "75.25", "0.00", "75.25")
    assert first["buckets"] == [
        {"bucket": "current", "invoices": 2, "outstanding": "1100.00"},
        {"bucket": "1-30", "invoices": 2, "outstanding": "60.00"},
        {"bucket": "31-60", "invoices": 1, "outstanding": "300.00"},
        {"bucket": "61-90", "invoices": 1, "outstanding": "75.25"},
        {"bucket": "90+", "invoices": 1, "outstanding": "20.00"},
    ]
    expected_totals = {
        "current": "1100.00",
        "d1_30": "60.00",
        "d31_60": "300.00",
        "d61_90": "75.25",
        "d90_plus": "20.00",
        "total": "1555.25",
        "customers": 5,
    }
    assert first["totals"] == expected_totals

    # a page of two: the rows of that page, the total row still over all five customers
    second = await page("page=2&page_size=2")
    assert [row["customer_id"] for row in second["items"]] == [c1.id, c3.id]
    assert (second["total"], second["page"], second["page_size"]) == (5, 2, 2)
    assert second["totals"] == expected_totals
    assert (await page("page=4&page_size=2"))["items"] == []

    # any column sorts, ascending or descending; ties by customer code
    assert [r["customer_id"] for r in (await page("sort=customer_code"))["items"]] == [
        c1.id,
        c2.id,
        c3.id,
        c4.id,
        c5.id,
    ]
    assert [r["customer_id"] for r in (await page("sort=-d31_60"))["items"]][0] == c2.id
    assert [r["customer_id"] for r in (await page("sort=current"))["items"]] == [
        c2.id,
        c3.id,
        c5.id,
        c1.id,
        c4.id,
    ]
    # descending too: the three without a current amount follow in customer-code order
    assert [r["customer_id"] for r in (await page("sort=-current"))["items"]] == [
        c4.id,
        c1.id,
        c2.id,
        c3.id,
        c5.id,
    ]
    assert [r["customer_id"] for r in (await page("sort=total"))["items"]] == [
        c5.id,
        c3.id,
        c1.id,
        c2.id,
        c4.id,
    ]
    error_of(await client.get(f"{API}/analytics/aging?sort=outstanding", token=token))
    error_of(await client.get(f"{API}/analytics/aging?page_size=201", token=token))

    # one customer only
    only = await page(f"customer_id={c2.id}")
    assert [r["customer_id"] for r in only["items"]] == [c2.id] and only["totals"]["total"] == "320.00"

    # an operator sees the customers they own
    mine = await client.get(
        f"{API}/analytics/aging?as_of={AS_OF.isoformat()}", token=await token_of(case["operator"])
    )
    assert [r["customer_id"] for r in mine.json()["items"]] == [c5.id]
    assert mine.json()["totals"]["total"] == "10.00"


async def test_the_drill_down_lists_open_invoices_with_days_past_due_and_bucket(client):
    case = await aging_case()
    c1, c2, *_ = case["customers"]
    token = await token_for("auditor")

    response = await client.get(
        f"{API}/analytics/aging/customers/{c2.id}/invoices?as_of={AS_OF.isoformat()}", token=token
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["customer_id"], answer["customer_code"], answer["company_name"]) == (
        c2.id,
        c2.customer_code,
        c2.company_name,
    )
    assert [(i["outstanding"], i["days_past_due"], i["bucket"], i["status"]) for i in answer["items"]] == [
        ("20.00", 100, "90+", "unsettled"),
        ("300.00", 40, "31-60", "unsettled"),
    ]
    assert answer["items"][0]["due_date"] == (AS_OF - dt.timedelta(days=100)).isoformat()
    ahead = await client.get(
        f"{API}/analytics/aging/customers/{c1.id}/invoices?as_of={AS_OF.isoformat()}", token=token
    )
    assert [(i["days_past_due"], i["bucket"]) for i in ahead.json()["items"]] == [
        (10, "1-30"),
        (0, "current"),
    ]
    missing = await client.get(f"{API}/analytics/aging/customers/987654/invoices", token=token)
    assert missing.status_code == 404, missing.text


async def test_the_aging_workbook_holds_the_numbers_of_the_page(client):
    await aging_case()
    token = await token_for("finance")
    page = (
        await client.get(f"{API}/analytics/aging?as_of={AS_OF.isoformat()}&page_size=200", token=token)
    ).json()

    response = await client.get(f"{API}/analytics/aging.xlsx?as_of={AS_OF.isoformat()}", token=token)

    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    summary = [row for row in workbook["账龄汇总"].iter_rows(values_only=True)]
    customers = [row for row in workbook["客户账龄"].iter_rows(values_only=True)]

    def cents(value) -> str:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))

    # the bucket summary: invoices and outstanding per bucket, then the total
    bucket_rows = summary[2:7]
    assert [(row[1], cents(row[2])) for row in bucket_rows] == [
        (b["invoices"], b["outstanding"]) for b in page["buckets"]
    ]
    assert summary[7][0] == "合计" and cents(summary[7][2]) == page["totals"]["total"]
    # one row per customer with the same five buckets and total
    assert len(customers) - 1 == page["total"]
    book = {row[0]: tuple(cents(v) for v in row[2:8]) for row in customers[1:]}
    assert book == {item["customer_code"]: columns(item) for item in page["items"]}
