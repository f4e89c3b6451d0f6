"""The analytics dashboard (docs/analytics.md, issue 14) computed on fixed dates through
``service.dashboard``: figures to the cent against the previous range, balances rebuilt from the
ledger, aging boundaries, the 12-month trend, revenue movements, usage by metric, top customers,
owner scoping, and one failing block degrading alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.analytics import queries, service
from opcms.core.settings import business_today
from opcms.settlement.models import Invoice, InvoiceStatus
from tests.backend.factories import make_customer, make_metric, make_plan, make_user
from tests.backend.factories_analytics import (
    allocated,
    at,
    credit_note,
    invoice,
    invoice_line,
    ledger_case,
    pay,
    reversed_at,
    with_invoice_lines_back,
    without_invoice_lines,
)

MAY = service.Board(
    start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31), as_of=dt.date(2026, 6, 15), owner_id=None
)


def money(value: str) -> Decimal:
    return Decimal(value)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- figures ------------------------------------------------------------------------------------
async def test_figures_to_the_cent_against_the_previous_range(db):
    # given the worked example: May invoiced 1,500.00, received 900.00, 750.00 outstanding now
    customer = await make_customer()
    await ledger_case(customer)

    # when the board of May is computed on 2026-06-15
    board = await service.dashboard(MAY)

    # then the previous range is the 31 days before, and every figure is exact
    assert board["errors"] == []
    assert (board["previous_from"], board["previous_to"]) == (d("2026-03-31"), d("2026-04-30"))
    figures = board["figures"]
    assert figures["invoiced"] == {
        "value": money("1500.00"),
        "previous": money("1200.00"),
        "change": money("25.0"),
    }
    assert figures["collected"] == {
        "value": money("900.00"),
        "previous": money("1200.00"),
        "change": money("-25.0"),
    }
    # receivable now 250 (X1) + 500 (X2); at the end of April P1 was unpaid (allocated 05-03) and
    # V was alive (voided 05-02): 1,200 + 300
    assert figures["receivable"] == {
        "value": money("750.00"),
        "previous": money("1500.00"),
        "change": money("-50.0"),
    }
    # overdue now: X1, 11 days past due; on 04-30 P1 (due 04-25), not V (due 05-12)
    assert figures["overdue"] == {
        "value": money("250.00"),
        "previous": money("1200.00"),
        "change": money("-79.2"),
        "count": 1,
    }
    # credit now: what is left of Q2; on 04-30 all of Q1 (received, not allocated yet)
    assert figures["credit"] == {
        "value": money("150.00"),
        "previous": money("1200.00"),
        "change": money("-87.5"),
    }
    # DSO 750 ÷ 1,500 × 31 = 15.5; before 1,500 ÷ 1,200 × 31 = 38.75 → 38.8
    assert figures["dso"] == {"value": money("15.5"), "previous": money("38.8"), "change": money("-60.1")}
    # collection rate 900 ÷ 1,500 = 60.0 %; before 1,200 ÷ 1,200 = 100.0 %
    assert figures["collection_rate"] == {
        "value": money("60.0"),
        "previous": money("100.0"),
        "change": money("-40.0"),
    }


async def test_nothing_invoiced_leaves_rates_null_and_changes_null_against_zero(db):
    # given a range with a payment received but nothing invoiced, and nothing at all before it
    customer = await make_customer()
    await pay(customer, "88.80", received_on=d("2026-05-10"))

    figures = (await service.dashboard(MAY))["figures"]

    # then DSO and collection rate are null, and no change is computed against zero
    assert figures["invoiced"] == {"value": money("0.00"), "previous": money("0.00"), "change": None}
    assert figures["collected"] == {"value": money("88.80"), "previous": money("0.00"), "change": None}
    assert figures["dso"] == {"value": None, "previous": None, "change": None}
    assert figures["collection_rate"] == {"value": None, "previous": None, "change": None}
    assert figures["credit"]["value"] == money("88.80")


async def test_a_past_balance_is_rebuilt_from_allocations_made_reversed_and_credited_by_then(db):
    # given an invoice of 2,000.00 due 03-31 and one payment spent on it over time
    customer = await make_customer()
    bill = await invoice(customer, "2000.00", issue=d("2026-03-01"), due=d("2026-03-31"))
    await credit_note(bill, "50.00", issue=d("2026-03-18"))  # before the day
    await credit_note(bill, "70.00", issue=d("2026-03-28"))  # after it
    payment = await pay(customer, "2000.00", received_on=d("2026-03-05"))
    day = d("2026-03-20")
    await allocated(payment, bill, "500.00", made_at=at(d("2026-03-10")))  # before the day
    await allocated(payment, bill, "300.00", made_at=at(d("2026-03-25")))  # after it
    later_reversed = await allocated(payment, bill, "400.00", made_at=at(d("2026-03-12")))
    await reversed_at(later_reversed, at(d("2026-03-22")))  # reversed after the day: it stood then
    soon_reversed = await allocated(payment, bill, "100.00", made_at=at(d("2026-03-13")))
    await reversed_at(soon_reversed, at(d("2026-03-15")))  # reversed before the day: it did not
    await allocated(payment, bill, "10.00", made_at=at(day, 23, 59))  # the last minute of the day
    await allocated(payment, bill, "20.00", made_at=at(day + dt.timedelta(days=1), 0))  # the next day

    # when the balances are rebuilt at the end of that day and of a day after the due date
    then, after = await queries.balances_at([day, d("2026-04-05")], None)

    # then at the end of 03-20: 2,000 − 50 (credit note) − 500 − 400 − 10
    assert then == {"receivable": money("1040.00"), "overdue": money("0.00")}
    assert await queries.credit_at(day, None) == money("1090.00")  # 2,000 − 910 allocated by then
    # and on 04-05 (everything happened by then) it is what the invoice and payment say now
    fresh = await Invoice.get(id=bill.id)
    assert fresh.outstanding == money("1050.00")
    assert after == {"receivable": money("1050.00"), "overdue": money("1050.00")}
    assert (
        await queries.credit_at(d("2026-04-05"), None) == money("1170.00") == await queries.credit_now(None)
    )


async def test_the_balance_rebuilt_for_today_equals_the_outstanding_of_open_invoices(db):
    # given open, partly paid, credited, settled and voided invoices, and payments allocated now
    first, second = await make_customer(), await make_customer()
    today = business_today()
    await ledger_case(first)
    open_one = await invoice(second, "345.67", issue=today - dt.timedelta(days=40))
    credited = await invoice(second, "800.00", issue=today - dt.timedelta(days=3))
    await credit_note(credited, "123.45", issue=today - dt.timedelta(days=2))
    settled = await invoice(second, "99.99", issue=today - dt.timedelta(days=20))
    payment = await pay(second, "500.00", received_on=today - dt.timedelta(days=1))
    await allocated(payment, settled, "99.99", made_at=at(today - dt.timedelta(days=1)))
    await allocated(payment, open_one, "45.67", made_at=at(today - dt.timedelta(days=1)))
    await invoice(
        second, "1000.00", issue=today - dt.timedelta(days=5), voided_at=at(today - dt.timedelta(days=4))
    )

    # when the receivable is rebuilt at the end of today
    [rebuilt] = await queries.balances_at([today], None)

    # then it is Σ outstanding of the open invoices, to the cent, and so is the overdue part
    open_rows = await Invoice.filter(status__in=[InvoiceStatus.UNSETTLED, InvoiceStatus.PARTIALLY_SETTLED])
    assert rebuilt["receivable"] == sum((i.outstanding for i in open_rows), Decimal("0.00"))
    assert rebuilt["overdue"] == sum(
        (i.outstanding for i in open_rows if i.due_date < today), Decimal("0.00")
    )
    assert rebuilt["receivable"] == money("750.00") + money("300.00") + money("676.55")
    assert (
        await queries.credit_at(today, None)
        == await queries.credit_now(None)
        == money("150.00") + money("354.34")
    )


# --- aging --------------------------------------------------------------------------------------
async def test_each_aging_boundary_and_the_buckets_add_up_to_the_receivable(db):
    # given open invoices due 5 days ahead, today, and 1, 30, 31, 60, 61, 90, 91 days ago
    customer = await make_customer()
    as_of = MAY.as_of
    amounts = {
        -5: "1.01",
        0: "2.02",
        1: "4.04",
        30: "8.08",
        31: "16.16",
        60: "32.32",
        61: "64.64",
        90: "128.28",
        91: "256.56",
    }
    for days, amount in amounts.items():
        due = as_of - dt.timedelta(days=days)
        await invoice(customer, amount, issue=due - dt.timedelta(days=30), due=due)
    # a partly paid one counts with what is left; settled, void and not yet issued ones do not
    await invoice(customer, "100.00", paid="60.00", issue=d("2026-05-01"), due=as_of - dt.timedelta(days=45))
    await invoice(customer, "500.00", paid="500.00", issue=d("2026-01-01"), due=d("2026-01-31"))
    await invoice(customer, "700.00", issue=d("2026-01-01"), voided_at=at(d("2026-01-05")))
    await invoice(customer, "900.00", issue=as_of + dt.timedelta(days=1))

    board = await service.dashboard(MAY)

    # then each boundary lands in its bucket: due today is current, 30 days is 1-30, 91 is 90+
    assert board["aging"] == [
        {"bucket": "current", "amount": money("3.03"), "count": 2},
        {"bucket": "1-30", "amount": money("12.12"), "count": 2},
        {"bucket": "31-60", "amount": money("88.48"), "count": 3},
        {"bucket": "61-90", "amount": money("192.92"), "count": 2},
        {"bucket": "90+", "amount": money("256.56"), "count": 1},
    ]
    # and the buckets add up to the receivable exactly, the past-due ones to the overdue
    total = sum((b["amount"] for b in board["aging"]), Decimal("0.00"))
    assert board["figures"]["receivable"]["value"] == total == money("553.11")
    assert board["figures"]["overdue"]["value"] == total - money("3.03")
    assert board["figures"]["overdue"]["count"] == 8


# --- trend --------------------------------------------------------------------------------------
async def test_the_trend_gives_twelve_months_with_overdue_at_each_month_end(db):
    # given the ledger case, plus O 400.00 due 05-20 and paid on 06-10
    customer = await make_customer()
    await ledger_case(customer)
    late = await invoice(customer, "400.00", issue=d("2026-05-01"), due=d("2026-05-20"))
    q3 = await pay(customer, "400.00", received_on=d("2026-06-10"))
    await allocated(q3, late, "400.00", made_at=at(d("2026-06-10")))

    # when the board of June so far is computed on 06-15
    board = await service.dashboard(service.Board(d("2026-06-01"), d("2026-06-15"), d("2026-06-15"), None))

    # then the trend is the 12 months up to June; overdue at April's end is P1 (allocated 05-03),
    # at May's end O (paid 06-10), and on 06-15 (the month in progress) what is left of X1
    trend = {row["month"]: row for row in board["trend"]}
    assert list(trend) == [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
    assert trend["2026-04"] == {
        "month": "2026-04",
        "invoiced": money("1200.00"),  # V is void: not invoiced
        "collected": money("1200.00"),
        "overdue_at_month_end": money("1200.00"),
    }
    assert trend["2026-05"] == {
        "month": "2026-05",
        "invoiced": money("1900.00"),
        "collected": money("900.00"),
        "overdue_at_month_end": money("400.00"),
    }
    assert trend["2026-06"] == {
        "month": "2026-06",
        "invoiced": money("0.00"),
        "collected": money("400.00"),
        "overdue_at_month_end": money("250.00"),
    }
    quiet = [row for month, row in trend.items() if month not in ("2026-04", "2026-05", "2026-06")]
    assert all((row["invoiced"], row["collected"], row["overdue_at_month_end"]) == (0, 0, 0) for row in quiet)


# --- revenue movements --------------------------------------------------------------------------
JULY = service.Board(d("2026-07-01"), d("2026-07-10"), d("2026-07-10"), None)


async def by_period(customer, amounts: dict[str, str]) -> None:
    for period, total in amounts.items():
        year, month = int(period[:4]), int(period[5:])
        issue = dt.date(year + month // 12, month % 12 + 1, 1)
        await invoice(customer, total, issue=issue, period=period)


async def test_each_movement_category_with_amounts_counts_and_net(db):
    # given the example of docs/analytics.md for June against May
    a, b, c, e, f, g = [await make_customer() for _ in range(6)]
    await by_period(a, {"2026-05": "100.00", "2026-06": "150.00"})  # expansion +50
    await by_period(b, {"2026-05": "200.00"})  # churned −200
    await by_period(c, {"2026-06": "80.00"})  # new +80 …
    await invoice(
        c, "55.00", issue=d("2026-06-01"), period="2026-05", voided_at=at(d("2026-06-02"))
    )  # … void
    await by_period(e, {"2026-03": "40.00", "2026-06": "60.00"})  # reactivated +60 (D in the docs)
    await by_period(f, {"2026-04": "0.00", "2026-05": "90.00", "2026-06": "30.00"})  # contraction −60
    await by_period(g, {"2026-05": "70.00", "2026-06": "70.00"})  # flat: no movement

    movements = {row["month"]: row for row in (await service.dashboard(JULY))["movements"]}

    # then the 12 service months end with June (invoiced on 07-01, by the end of the range)
    assert list(movements)[0] == "2025-07" and list(movements)[-1] == "2026-06" and len(movements) == 12
    june = movements["2026-06"]
    assert {k: june[k] for k in ("new", "expansion", "contraction", "churned", "reactivated", "net")} == {
        "new": money("80.00"),
        "expansion": money("50.00"),
        "contraction": money("-60.00"),
        "churned": money("-200.00"),
        "reactivated": money("60.00"),
        "net": money("-70.00"),  # = 390 this month − 460 last month
    }
    assert june["counts"] == {"new": 1, "expansion": 1, "contraction": 1, "churned": 1, "reactivated": 1}
    # May: A, B, F (its zero April counts as nothing) and G are new; March: E new, April: E churned
    may = movements["2026-05"]
    assert (may["new"], may["counts"]["new"], may["net"]) == (money("460.00"), 4, money("460.00"))
    assert sum(may["counts"].values()) == 4
    assert (movements["2026-03"]["new"], movements["2026-03"]["counts"]["new"]) == (money("40.00"), 1)
    april = movements["2026-04"]
    assert (april["churned"], april["counts"]["churned"], april["net"]) == (
        money("-40.00"),
        1,
        money("-40.00"),
    )
    assert movements["2026-02"]["net"] == 0 and sum(movements["2026-02"]["counts"].values()) == 0


# --- usage by metric, top customers ---------------------------------------------------------------
async def test_usage_by_metric_sums_the_lines_of_non_void_invoices_per_service_month(db):
    api = await make_metric("api_calls", name="API 调用", unit="次")
    sms = await make_metric("sms", name="短信", unit="条")
    api_plan = await make_plan(api, code="API-STD")
    sms_plan = await make_plan(sms, code="SMS-STD")
    a, b = await make_customer(), await make_customer()
    may_a = await invoice(a, "168.03", issue=d("2026-06-01"), period="2026-05")
    await invoice_line(may_a, api_plan, quantity="19500", amount="158.00")
    await invoice_line(may_a, sms_plan, quantity="200.5", amount="10.03", position=2)
    june_a = await invoice(a, "10.00", issue=d("2026-07-01"), period="2026-06")
    await invoice_line(june_a, api_plan, quantity="1000", amount="10.00")
    june_b = await invoice(b, "5.00", issue=d("2026-07-01"), period="2026-06")
    await invoice_line(june_b, api_plan, quantity="500.2500", amount="5.00")
    void_b = await invoice(
        b, "999.00", issue=d("2026-07-01"), period="2026-06", voided_at=at(d("2026-07-02"))
    )
    await invoice_line(void_b, api_plan, quantity="99900", amount="999.00")
    old = await invoice(b, "1.00", issue=d("2025-07-01"), period="2025-06")  # before the 12 months
    await invoice_line(old, api_plan, quantity="100", amount="1.00")

    usage = (await service.dashboard(JULY))["usage"]

    assert usage == [
        {"month": "2026-05", "metric_id": api.id, "metric_code": "api_calls", "metric_name": "API 调用",
         "unit": "次", "quantity": Decimal("19500.0000"), "amount": money("158.00")},
        {"month": "2026-05", "metric_id": sms.id, "metric_code": "sms", "metric_name": "短信",
         "unit": "条", "quantity": Decimal("200.5000"), "amount": money("10.03")},
        {"month": "2026-06", "metric_id": api.id, "metric_code": "api_calls", "metric_name": "API 调用",
         "unit": "次", "quantity": Decimal("1500.2500"), "amount": money("15.00")},
    ]  # fmt: skip


async def test_top_customers_are_the_ten_invoiced_most_in_the_range_largest_first(db):
    # given twelve customers invoiced in May (two with the same amount), one only before May
    customers = [await make_customer() for _ in range(12)]
    for n, customer in enumerate(customers):
        total = "500.00" if n in (3, 4) else f"{100 * (n + 1)}.{n:02d}"
        await invoice(customer, total, issue=d("2026-05-10"))
    # the smallest gets a big void invoice and one from April: neither counts
    await invoice(customers[0], "99999.00", issue=d("2026-05-11"), voided_at=at(d("2026-05-12")))
    await invoice(customers[0], "88888.00", issue=d("2026-04-30"))
    # the third gets a second May invoice
    await invoice(customers[2], "1000.00", issue=d("2026-05-31"))

    top = (await service.dashboard(MAY))["top_customers"]

    expected = [
        (customers[2], money("1300.02")),
        (customers[11], money("1200.11")),
        (customers[10], money("1100.10")),
        (customers[9], money("1000.09")),
        (customers[8], money("900.08")),
        (customers[7], money("800.07")),
        (customers[6], money("700.06")),
        (customers[5], money("600.05")),
        (customers[3], money("500.00")),  # a tie: the lower customer id first
        (customers[4], money("500.00")),
    ]
    assert [(row["customer_id"], row["invoiced"]) for row in top] == [
        (c.id, amount) for c, amount in expected
    ]
    assert top[0]["customer_code"] == customers[2].customer_code
    assert top[0]["company_name"] == customers[2].company_name


# --- whose customers ----------------------------------------------------------------------------
async def test_an_owner_restricts_every_block_to_their_customers(db):
    # given two operators' customers and one without owner, each with the same kind of history
    mine_user = await make_user("operator", display_name="运营·甲")
    other_user = await make_user("operator")
    metric = await make_metric("api_calls")
    plan = await make_plan(metric, code="API-STD")
    mine = await make_customer(owner_id=mine_user.id, status="active")
    theirs = await make_customer(owner_id=other_user.id, status="active")
    nobody = await make_customer(status="trial")
    for customer, scale in ((mine, 1), (theirs, 10), (nobody, 100)):
        issued = await invoice(
            customer, f"{100 * scale}.00", issue=d("2026-06-01"), period="2026-05", due=d("2026-06-05")
        )
        await invoice_line(issued, plan, quantity=str(1000 * scale), amount=f"{100 * scale}.00")
        payment = await pay(customer, f"{40 * scale}.00", received_on=d("2026-06-08"))
        await allocated(payment, issued, f"{30 * scale}.00", made_at=at(d("2026-06-08")))

    board = await service.dashboard(
        service.Board(d("2026-06-01"), d("2026-06-15"), d("2026-06-15"), owner_id=mine_user.id)
    )

    # then every block speaks of the operator's one customer only
    assert board["errors"] == [] and board["owner_id"] == mine_user.id
    figures = board["figures"]
    assert figures["invoiced"]["value"] == money("100.00")
    assert figures["collected"]["value"] == money("40.00")
    assert figures["receivable"]["value"] == money("70.00")
    assert (figures["overdue"]["value"], figures["overdue"]["count"]) == (money("70.00"), 1)
    assert figures["credit"]["value"] == money("10.00")
    assert [b["amount"] for b in board["aging"]] == [0, money("70.00"), 0, 0, 0]
    june = board["trend"][-1]
    assert (june["month"], june["invoiced"], june["collected"], june["overdue_at_month_end"]) == (
        "2026-06",
        money("100.00"),
        money("40.00"),
        money("70.00"),
    )
    may = board["movements"][-1]
    assert (may["month"], may["new"], may["counts"]["new"], may["net"]) == (
        "2026-05",
        money("100.00"),
        1,
        money("100.00"),
    )
    assert [(u["month"], u["quantity"], u["amount"]) for u in board["usage"]] == [
        ("2026-05", Decimal("1000.0000"), money("100.00"))
    ]
    assert [t["customer_id"] for t in board["top_customers"]] == [mine.id]
    counts = board["customers"]
    assert counts["total"] == 1
    assert counts["by_owner"] == [{"key": mine_user.id, "label": "运营·甲", "count": 1}]
    assert counts["by_status"] == [{"key": "active", "count": 1}]

    # and everyone's board has all three
    everyone = await service.dashboard(service.Board(d("2026-06-01"), d("2026-06-15"), d("2026-06-15"), None))
    assert everyone["figures"]["invoiced"]["value"] == money("11100.00")
    assert everyone["customers"]["total"] == 3
    assert len(everyone["top_customers"]) == 3


# --- a failing block ----------------------------------------------------------------------------
async def test_a_failing_block_is_null_in_errors_and_the_others_still_answer(db):
    # given the ledger case, and the invoice lines' table gone for the duration of the call
    customer = await make_customer()
    await ledger_case(customer)
    await without_invoice_lines()
    try:
        board = await service.dashboard(MAY)
    finally:
        await with_invoice_lines_back()

    # then usage alone is null and named in errors; every other block answers in full
    assert board["usage"] is None
    assert len(board["errors"]) == 1 and board["errors"][0]["figure"] == "usage"
    assert board["errors"][0]["message"]
    assert board["figures"]["invoiced"]["value"] == money("1500.00")
    for block in ("aging", "trend", "movements", "top_customers", "customers"):
        assert board[block] is not None, block
    assert len(board["trend"]) == 12 and len(board["movements"]) == 12

    # and with the table back the block answers again
    assert (await service.dashboard(MAY))["errors"] == []
