"""The nightly customer scores (docs/analytics.md, issue 14): the churn warning and the credit
score of the worked examples, each churn reason, the credit factors adding up, value tiers and
lifecycles at their thresholds, the job idempotent per date and copying the latest scores onto
the customer, the job machinery, and the customer list filtering and sorting by the scores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.analytics import service
from opcms.analytics.models import CustomerScore
from opcms.analytics.tasks import JOB_NAME, SPEC
from opcms.core.context import Actor, acting_as
from opcms.core.settings import business_today
from opcms.customers.models import Customer
from opcms.jobs import service as jobs
from opcms.jobs.models import ExecutionStatus, Trigger
from tests.backend.factories import make_customer, make_metric, make_plan, make_subscription, token_for
from tests.backend.factories_analytics import churn_example, credit_example, invoice, usage

DAY = dt.date(2026, 6, 1)
LONG_AGO = dt.date(2024, 1, 1)  # customers signed this long ago are neither new nor young


def ago(days: int) -> dt.date:
    return DAY - dt.timedelta(days=days)


async def customer(**fields):
    return await make_customer(**{"signed_at": LONG_AGO, "status": "active", **fields})


async def scores(day: dt.date = DAY) -> dict[int, CustomerScore]:
    """Score every customer on ``day``; their rows by customer id."""
    await service.score_customers(day)
    return {row.customer_id: row for row in await CustomerScore.filter(score_day=day)}


def reasons(row: CustomerScore) -> list[tuple[str, int, str | None]]:
    return [(r["code"], r["points"], r["value"]) for r in row.churn_reasons]


def factors(row: CustomerScore) -> dict[str, tuple[int, int, str | None]]:
    return {f["code"]: (f["points"], f["max_points"], f["value"]) for f in row.credit_factors}


# --- churn warning ------------------------------------------------------------------------------
async def test_the_churn_worked_example_scores_65_high_with_its_three_reasons(db):
    # given usage −62 % against the 3-month average, 14 days without usage, one invoice 35 days overdue
    api, sms = await make_metric("api_calls"), await make_metric("sms", name="短信", unit="条")
    someone = await customer()
    await churn_example(someone, DAY, api, sms)

    row = (await scores())[someone.id]

    # then 31 + 14 + 20 = 65: high, each reason with its points, value and message
    assert (row.churn_score, row.churn_level) == (65, "high")
    assert row.churn_reasons == [
        {"code": "usage_drop", "points": 31, "value": "-62.0", "message": "usage −62.0% vs 3-month average"},
        {"code": "no_usage", "points": 14, "value": "14", "message": "no usage for 14 days"},
        {"code": "overdue", "points": 20, "value": "35", "count": 1, "amount": "1000.00",
         "message": "1 invoice overdue, the oldest 35 days"},
    ]  # fmt: skip
    assert row.lifecycle == "declining"


async def test_a_day_reported_with_zero_usage_is_a_day_without_usage(db):
    # given the worked example, and the vendor reporting 0 calls for the last days
    api, sms = await make_metric("api_calls"), await make_metric("sms", name="短信", unit="条")
    someone = await customer()
    await churn_example(someone, DAY, api, sms)
    for back in (5, 1):
        await usage(someone, api, ago(back), 0)

    row = (await scores())[someone.id]

    # then the last day with usage is still 15 days ago: 14 days without
    assert ("no_usage", 14, "14") in reasons(row)
    assert row.churn_score == 65


async def test_days_without_usage_score_from_a_week_and_at_most_25(db):
    # given customers whose last usage was 7 (6 whole days without), 8, 16 and 41 days ago
    metric = await make_metric("api_calls")
    last_used = {7: await customer(), 8: await customer(), 16: await customer(), 41: await customer()}
    for back, someone in last_used.items():
        await usage(someone, metric, ago(back), 10)

    rows = await scores()

    # then under a week is no reason; 7 days is 7 points; 40 days is capped at 25
    assert reasons(rows[last_used[7].id]) == []
    assert reasons(rows[last_used[8].id]) == [("no_usage", 7, "7")]
    assert reasons(rows[last_used[16].id]) == [("no_usage", 15, "15")]
    # (its usage then is all of its 3-month baseline: −100 %, capped at 40 points)
    assert reasons(rows[last_used[41].id]) == [("usage_drop", 40, "-100.0"), ("no_usage", 25, "40")]


async def test_overdue_and_suspended_reasons_and_the_level_thresholds(db):
    # given suspended customers with overdue invoices and quiet days adding up near 30 and 60
    metric = await make_metric("api_calls")
    watch_30 = await customer(status="suspended")  # 15 + 15 days without = 30
    await usage(watch_30, metric, ago(16), 5)
    none_29 = await customer(status="suspended")  # 15 + 14 = 29
    await usage(none_29, metric, ago(15), 5)
    none_25 = await customer(status="suspended")  # 15 + overdue 30 days (10) = 25
    await invoice(none_25, "300.00", issue=ago(60), due=ago(30))
    watch_35 = await customer(status="suspended")  # 15 + overdue 31 days (20) = 35
    await invoice(watch_35, "300.00", issue=ago(61), due=ago(31))
    await invoice(watch_35, "200.00", issue=ago(40), due=ago(10))
    high_60 = await customer(status="suspended")  # 15 + 20 + 29 days without (25 at most) = 60
    await invoice(high_60, "300.00", issue=ago(90), due=ago(45))
    await usage(high_60, metric, ago(30), 5)
    watch_59 = await customer(status="suspended")  # 15 + 20 + 24 days without = 59
    await invoice(watch_59, "300.00", issue=ago(90), due=ago(45))
    await usage(watch_59, metric, ago(25), 5)

    rows = await scores()

    def outcome(someone) -> tuple[int, str]:
        return rows[someone.id].churn_score, rows[someone.id].churn_level

    assert outcome(watch_30) == (30, "watch")
    assert outcome(none_29) == (29, "none")
    assert outcome(none_25) == (25, "none")
    assert reasons(rows[none_25.id]) == [("overdue", 10, "30"), ("suspended", 15, None)]
    assert outcome(watch_35) == (35, "watch")
    overdue = rows[watch_35.id].churn_reasons[0]
    assert (overdue["count"], overdue["amount"], overdue["message"]) == (
        2,
        "500.00",
        "2 invoices overdue, the oldest 31 days",
    )
    assert rows[watch_35.id].churn_reasons[1]["message"] == "account suspended"
    assert outcome(high_60) == (60, "high")
    assert outcome(watch_59) == (59, "watch")


async def test_a_closed_customer_scores_0_whatever_else_is_true(db):
    closed = await customer(status="closed")
    await invoice(closed, "300.00", issue=ago(200), due=ago(170))

    row = (await scores())[closed.id]

    assert (row.churn_score, row.churn_level, row.churn_reasons, row.lifecycle) == (0, "none", [], "closed")


async def test_a_move_to_a_plan_cheaper_at_the_customers_usage_is_a_reason(db):
    # given 10,000 calls a month, moved 20 days ago from 0.01 a call to 0.0065 a call
    metric = await make_metric("api_calls")
    pro = await make_plan(metric, code="API-PRO", effective_from=LONG_AGO)
    standard = await make_plan(
        metric, code="API-STD", effective_from=LONG_AGO, mode="per_unit", unit_price="0.006500"
    )
    premium = await make_plan(
        metric, code="API-MAX", effective_from=LONG_AGO, mode="per_unit", unit_price="0.020000"
    )
    mover, upgrader, long_ago_mover = await customer(), await customer(), await customer()
    for someone in (mover, upgrader, long_ago_mover):
        for back in (100, 70, 40):  # 30,000 over the three months: 10,000 a month
            await usage(someone, metric, ago(back), 10_000)
        await usage(someone, metric, ago(1), 10_000)  # the same in the last 30 days, yesterday
    await make_subscription(mover, pro, effective_from=LONG_AGO, effective_to=ago(21))
    await make_subscription(mover, standard, effective_from=ago(20))
    # a move to a dearer plan, and a cheaper move more than 90 days ago, are no reason
    await make_subscription(upgrader, pro, effective_from=LONG_AGO, effective_to=ago(21))
    await make_subscription(upgrader, premium, effective_from=ago(20))
    await make_subscription(long_ago_mover, pro, effective_from=LONG_AGO, effective_to=ago(91))
    await make_subscription(long_ago_mover, standard, effective_from=ago(90))

    rows = await scores()

    # then 100.00 a month becomes 65.00: −35.0 %, 10 points
    assert rows[mover.id].churn_reasons == [
        {"code": "cheaper_plan", "points": 10, "value": "-35.0", "from_plan": "API-PRO", "to_plan": "API-STD",
         "message": "moved from API-PRO to API-STD (−35.0% at recent usage)"},
    ]  # fmt: skip
    assert (rows[mover.id].churn_score, rows[mover.id].churn_level, rows[mover.id].lifecycle) == (
        10,
        "none",
        "stable",
    )
    assert rows[upgrader.id].churn_reasons == [] and rows[long_ago_mover.id].churn_reasons == []


# --- credit score -------------------------------------------------------------------------------
async def test_the_credit_worked_example_scores_74_from_five_factors(db):
    # given 10 of 12 invoices paid on time, 3.5 days late on average, one 35 days overdue,
    # 40,000.00 outstanding on a 100,000.00 limit, a customer for 400 days
    someone = await customer(signed_at=ago(400), credit_limit=Decimal("100000.00"))
    await credit_example(someone, DAY)

    row = (await scores())[someone.id]

    assert factors(row) == {
        "on_time": (29, 35, "83.3"),
        "days_late": (19, 20, "3.5"),
        "overdue": (12, 20, "35"),
        "limit_use": (9, 15, "40.0"),
        "tenure": (5, 10, "400"),
    }
    assert row.credit_score == 74 == sum(f["points"] for f in row.credit_factors)
    assert [f["message"] for f in row.credit_factors] == [
        "10 of 12 invoices paid on time",
        "3.5 days late on average",
        "oldest overdue invoice 35 days past due",
        "40.0% of the credit limit in use",
        "customer for 400 days",
    ]


async def test_a_new_customer_without_invoices_or_limit_gets_half_marks_rounded_half_up(db):
    newcomer = await customer(signed_at=ago(10))

    row = (await scores())[newcomer.id]

    # 35 × ½ = 17.5 → 18; 20 × ½ = 10; nothing overdue 20; 15 × ½ = 7.5 → 8; 10 × 10/730 → 0
    assert factors(row) == {
        "on_time": (18, 35, None),
        "days_late": (10, 20, None),
        "overdue": (20, 20, "0"),
        "limit_use": (8, 15, None),
        "tenure": (0, 10, "10"),
    }
    assert row.credit_score == 56


async def test_credit_factors_are_clipped_and_always_add_up(db):
    # given a customer very late on everything, far over its limit, for years
    someone = await customer(signed_at=ago(2000), credit_limit=Decimal("1000.00"))
    await invoice(someone, "5000.00", issue=ago(200), due=ago(120))

    row = (await scores())[someone.id]

    # then every factor stays within 0 … max, the tenure is full, and the points add up
    assert factors(row) == {
        "on_time": (0, 35, "0.0"),
        "days_late": (0, 20, "120.0"),
        "overdue": (0, 20, "120"),
        "limit_use": (0, 15, "500.0"),
        "tenure": (10, 10, "2000"),
    }
    assert row.credit_score == 10 == sum(f["points"] for f in row.credit_factors)


# --- value tier and lifecycle ---------------------------------------------------------------------
async def test_value_tiers_at_their_thresholds_over_the_trailing_365_days(db):
    amounts = {
        "200000.00": "S",
        "199999.99": "A",
        "50000.00": "A",
        "49999.99": "B",
        "10000.00": "B",
        "9999.99": "C",
    }
    tiered = {}
    for amount, tier in amounts.items():
        someone = await customer()
        await invoice(someone, amount, issue=DAY)  # issued on the day itself: counts
        tiered[someone.id] = (tier, Decimal(amount))
    # 365 days ago is outside the window; 364 inside; a void invoice never counts
    edge = await customer()
    await invoice(edge, "300000.00", issue=ago(365))
    await invoice(edge, "10000.00", issue=ago(364))
    await invoice(edge, "300000.00", issue=ago(10), voided_at=dt.datetime(2026, 5, 25, tzinfo=dt.UTC))
    tiered[edge.id] = ("B", Decimal("10000.00"))
    nothing = await customer()
    tiered[nothing.id] = ("C", Decimal("0.00"))

    rows = await scores()

    assert {cid: (row.value_tier, row.trailing_invoiced) for cid, row in rows.items()} == tiered


async def test_each_lifecycle_at_its_threshold(db):
    metric = await make_metric("api_calls")

    async def used(someone, recent: int, monthly: int = 10_000, last: int = 1):
        for back in (100, 70, 40):
            await usage(someone, metric, ago(back), monthly)
        await usage(someone, metric, ago(last), recent)
        return someone

    cases = {
        "closed": await customer(status="closed"),
        "new, 89 days": await customer(signed_at=ago(89)),
        "dormant at 90 days, never used": await customer(signed_at=ago(90)),
        "dormant, 30 days without": await used(await customer(), 10_000, last=31),
        "stable, 29 days without": await used(await customer(), 10_000, last=30),
        "growing at +10.0": await used(await customer(), 11_000),
        "stable at +9.0": await used(await customer(), 10_900),
        "declining at −10.0": await used(await customer(), 9_000),
        "stable at −9.0": await used(await customer(), 9_100),
        "stable without a baseline": await used(await customer(), 500, monthly=0),
    }

    rows = await scores()

    assert {name: rows[c.id].lifecycle for name, c in cases.items()} == {
        "closed": "closed",
        "new, 89 days": "new",
        "dormant at 90 days, never used": "dormant",
        "dormant, 30 days without": "dormant",
        "stable, 29 days without": "stable",
        "growing at +10.0": "growing",
        "stable at +9.0": "stable",
        "declining at −10.0": "declining",
        "stable at −9.0": "stable",
        "stable without a baseline": "stable",
    }


# --- the job ------------------------------------------------------------------------------------
COPIED = ("value_tier", "lifecycle", "churn_score", "churn_level", "credit_score", "scored_on")


async def copied(someone) -> tuple:
    fresh = await Customer.get(id=someone.id)
    return tuple(getattr(fresh, name) for name in COPIED)


async def test_scoring_a_day_twice_keeps_one_row_per_customer_and_copies_the_latest(db):
    # given two customers, one with an invoice due the day before DAY (overdue on DAY only)
    late, fine = await customer(), await customer()
    await invoice(late, "20000.00", issue=ago(31), due=ago(1))

    # when DAY is scored twice
    first = await service.score_customers(DAY)
    second = await service.score_customers(DAY)

    # then one row per customer for that day, and their latest scores are on the customers
    assert first == second == {"customers": 2, "churn_high": 0, "churn_watch": 0}
    assert await CustomerScore.filter(score_day=DAY).count() == 2
    row = await CustomerScore.get(customer_id=late.id, score_day=DAY)
    assert await copied(late) == ("B", "dormant", 10, "none", row.credit_score, DAY)
    assert reasons(row) == [("overdue", 10, "1")]

    # when the facts change and DAY is scored again, its rows are replaced
    await invoice(fine, "60000.00", issue=ago(200), due=ago(100))
    await service.score_customers(DAY)
    assert await CustomerScore.filter(score_day=DAY).count() == 2
    assert await copied(fine) == (
        "A",
        "dormant",
        20,
        "none",
        (await CustomerScore.get(customer_id=fine.id, score_day=DAY)).credit_score,
        DAY,
    )

    # when an earlier day is scored afterwards, it is kept as history but not copied
    await service.score_customers(ago(1))
    assert await CustomerScore.filter(score_day=ago(1)).count() == 2
    earlier = await CustomerScore.get(customer_id=late.id, score_day=ago(1))
    assert earlier.churn_score == 0 and earlier.churn_reasons == []  # not overdue yet then
    assert (await copied(late))[2:] == (10, "none", row.credit_score, DAY)

    # and a later day's scores replace the copy
    await service.score_customers(DAY + dt.timedelta(days=1))
    assert (await copied(late))[5] == DAY + dt.timedelta(days=1)
    assert await CustomerScore.filter(customer_id=late.id).count() == 3


async def test_the_job_runs_as_an_execution_with_its_counters(db):
    # given the churn example (high) and a suspended customer with a month-old overdue invoice (watch)
    api, sms = await make_metric("api_calls"), await make_metric("sms", name="短信", unit="条")
    high = await customer()
    await churn_example(high, DAY, api, sms)
    watch = await customer(status="suspended")
    await invoice(watch, "300.00", issue=ago(80), due=ago(40))
    await customer()

    # when the job runs in this process for DAY, as the CLI runs it
    with acting_as(Actor(name="alice")):
        execution = await jobs.run_now(JOB_NAME, {"day": DAY.isoformat()}, Trigger.CLI)

    # then it succeeded, counted, and its rows name it
    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.parameters == {"day": DAY.isoformat()}
    assert execution.counters == {"customers": 3, "churn_high": 1, "churn_watch": 1}
    assert set(await CustomerScore.filter(score_day=DAY).values_list("execution_id", flat=True)) == {
        execution.id
    }
    assert (await copied(high))[3] == "high" and (await copied(watch))[3] == "watch"
    # and without parameters the day is today
    assert SPEC.resolve(SPEC.parameters.model_validate({})) == {"day": business_today().isoformat()}


async def test_the_customer_list_filters_and_sorts_by_the_latest_scores(client):
    # given scored customers: high churn risk, watch, none; credit scores apart
    api, sms = await make_metric("api_calls"), await make_metric("sms", name="短信", unit="条")
    high = await customer(signed_at=ago(400), credit_limit=Decimal("100000.00"))
    await churn_example(high, DAY, api, sms)
    watch = await customer(status="suspended")
    await invoice(watch, "300.00", issue=ago(80), due=ago(40))
    calm = await customer(signed_at=ago(2000), credit_limit=Decimal("100000.00"))
    await service.score_customers(DAY)
    unscored_later = await customer()  # created after the scoring: no scores yet
    token = await token_for("finance")
    rows = {row.customer_id: row for row in await CustomerScore.filter(score_day=DAY)}

    async def ids(query: str) -> list[int]:
        response = await client.get(f"/api/v1/customers?{query}", token=token)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids("churn_level=high") == [high.id]
    assert await ids("churn_level=watch") == [watch.id]
    assert sorted(await ids("churn_level=none")) == [calm.id]
    assert rows[calm.id].credit_score > rows[watch.id].credit_score
    threshold = rows[calm.id].credit_score
    assert await ids(f"credit_score_min={threshold}") == [calm.id]
    assert sorted(await ids(f"credit_score_max={threshold - 1}")) == sorted(
        c.id for c in (high, watch) if rows[c.id].credit_score <= threshold - 1
    )
    by_churn = await ids("sort=-churn_score&page_size=10")
    assert by_churn[:3] == [high.id, watch.id, calm.id]
    assert by_churn[3] == unscored_later.id  # no score sorts last, descending
    by_credit = await ids("sort=credit_score&page_size=10")
    scored_by_credit = sorted(rows.values(), key=lambda r: (r.credit_score, r.customer_id))
    assert [i for i in by_credit if i != unscored_later.id] == [r.customer_id for r in scored_by_credit]
    # and each item carries its scores
    response = await client.get("/api/v1/customers?churn_level=high", token=token)
    [item] = response.json()["items"]
    assert (item["value_tier"], item["lifecycle"], item["churn_score"], item["churn_level"]) == (
        "C",
        "declining",
        65,
        "high",
    )
    assert (item["credit_score"], item["scored_on"]) == (rows[high.id].credit_score, DAY.isoformat())
