"""Suggestions for a payment: exact match, then combinations (fewest, then oldest), then FIFO;
candidate customers by payer name; the combination search itself; 10,000 open invoices."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from opcms.payments.suggestions import find_combinations
from opcms.settlement.models import Allocation
from tests.backend.factories import make_customer, make_invoice, make_invoices_bulk, make_payment, token_for

API = "/api/v1"


@pytest.fixture
async def finance(db):
    return await token_for("finance")


def due(day: int) -> dt.date:
    return dt.date(2024, 1, 1) + dt.timedelta(days=day)


async def suggestions(client, token, payment) -> dict:
    response = await client.get(f"{API}/payments/{payment.id}/suggestions", token=token)
    assert response.status_code == 200, response.text
    return response.json()


def shape(result: dict) -> list[tuple[str, list[str], str]]:
    return [(s["kind"], [i["number"] for i in s["invoices"]], s["total"]) for s in result["suggestions"]]


async def test_exact_comes_before_combinations_before_fifo(client, finance):
    customer = await make_customer()
    a = await make_invoice(customer, "100.00", due_date=due(0))
    b = await make_invoice(customer, "200.00", due_date=due(1))
    c = await make_invoice(customer, "300.00", due_date=due(2))
    d = await make_invoice(customer, "300.00", due_date=due(3))
    await make_invoice(customer, "300.00", due_date=due(4), paid="300.00")  # settled: never suggested
    payment = await make_payment(customer, "300.00")

    result = await suggestions(client, finance, payment)
    assert result["customer_candidates"] == [] and result["unallocated_amount"] == "300.00"
    # FIFO (a then b) would repeat the combination: it is left out
    assert shape(result) == [
        ("exact", [c.number], "300.00"),
        ("exact", [d.number], "300.00"),
        ("combination", [a.number, b.number], "300.00"),
    ]
    assert all(s["reason"] for s in result["suggestions"])
    assert "exactly 300.00 outstanding" in result["suggestions"][0]["reason"]


async def test_fifo_fills_the_amount_oldest_first_the_last_one_partly(client, finance):
    customer = await make_customer()
    newest = await make_invoice(customer, "500.00", due_date=due(9))
    oldest = await make_invoice(customer, "120.00", due_date=due(0))
    middle = await make_invoice(customer, "90.00", due_date=due(5), paid="10.00")  # outstanding 80.00
    payment = await make_payment(customer, "250.00")

    result = await suggestions(client, finance, payment)
    assert [s["kind"] for s in result["suggestions"]] == ["fifo"]
    fifo = result["suggestions"][0]
    assert [(i["number"], i["outstanding"], i["amount"]) for i in fifo["invoices"]] == [
        (oldest.number, "120.00", "120.00"),
        (middle.number, "80.00", "80.00"),
        (newest.number, "500.00", "50.00"),
    ]
    assert fifo["total"] == "250.00" and "partly" in fifo["reason"]


async def test_fifo_says_what_stays_as_credit_when_the_payment_is_more_than_the_debt(client, finance):
    customer = await make_customer()
    only = await make_invoice(customer, "70.00")
    result = await suggestions(client, finance, await make_payment(customer, "100.00"))
    [fifo] = result["suggestions"]
    assert (fifo["kind"], fifo["total"], fifo["invoices"][0]["number"]) == ("fifo", "70.00", only.number)
    assert "30.00 stays unallocated" in fifo["reason"]


async def test_combinations_prefer_fewer_invoices_then_older_ones(client, finance):
    customer = await make_customer()
    # 1000.00 = 100 + 900 (two, older) = 400 + 600 (two, newer) = 100 + 300 + 600 (three)
    #         = 100 + 200 + 300 + 400 (four: beyond the three suggestions shown)
    i100 = await make_invoice(customer, "100.00", due_date=due(1))
    await make_invoice(customer, "200.00", due_date=due(2))  # only in the four-invoice set
    i300 = await make_invoice(customer, "300.00", due_date=due(3))
    i400 = await make_invoice(customer, "400.00", due_date=due(4))
    i900 = await make_invoice(customer, "900.00", due_date=due(5))
    i600 = await make_invoice(customer, "600.00", due_date=due(6))
    payment = await make_payment(customer, "1000.00")

    combos = [
        s for s in (await suggestions(client, finance, payment))["suggestions"] if s["kind"] == "combination"
    ]
    assert [[i["number"] for i in s["invoices"]] for s in combos] == [
        [i100.number, i900.number],
        [i400.number, i600.number],
        [i100.number, i300.number, i600.number],
    ]
    assert all(s["total"] == "1000.00" for s in combos)
    assert all(i["amount"] == i["outstanding"] for s in combos for i in s["invoices"])


async def test_other_customers_and_void_invoices_are_never_suggested(client, finance):
    customer, other = await make_customer(), await make_customer()
    await make_invoice(other, "50.00")
    await make_invoice(customer, "50.00", status="void", live_period=None)
    result = await suggestions(client, finance, await make_payment(customer, "50.00"))
    assert result["suggestions"] == []


async def test_an_unknown_payer_gets_candidate_customers_by_name(client, finance):
    right = await make_customer(company_name="深圳市星辰数据科技有限公司", short_name="星辰数据")
    await make_customer(company_name="深圳市星光数码科技有限公司", short_name="星光数码")
    await make_customer(company_name="北京远山物流有限公司", short_name="远山物流")
    payment = await make_payment(None, "100.00", payer_name="深圳星辰数据科技有限公司")

    result = await suggestions(client, finance, payment)
    candidates = result["customer_candidates"]
    assert candidates and candidates[0]["customer_id"] == right.id, candidates
    assert all(c["score"] >= 70 for c in candidates) and "远山" not in str(candidates)
    assert candidates[0]["score"] > (candidates[1]["score"] if len(candidates) > 1 else 0)
    assert "company name" in candidates[0]["reason"] and result["suggestions"] == []

    # full-width letters and spaces in the payer name still match the short name
    by_short = await make_payment(None, "1.00", payer_name="　星辰 数据　")
    assert (await suggestions(client, finance, by_short))["customer_candidates"][0]["customer_id"] == right.id


async def test_a_payer_like_nobody_gets_no_candidates(client, finance):
    await make_customer(company_name="北京远山物流有限公司")
    payment = await make_payment(None, "5.00", payer_name="ZHANG SAN")
    assert (await suggestions(client, finance, payment))["customer_candidates"] == []


# --- the search ---------------------------------------------------------------------------------
def test_find_combinations_agrees_with_brute_force():
    rng = random.Random(7)
    for _ in range(300):
        values = [rng.randint(1, 40) for _ in range(rng.randint(0, 12))]
        target = rng.randint(1, 100)
        found, complete = find_combinations(values, target, limit=10**6, budget=10**9)
        expected = [
            combo
            for size in range(2, 6)
            for combo in itertools.combinations(range(len(values)), size)
            if sum(values[i] for i in combo) == target
        ]
        assert complete and found == expected, (values, target)


def test_find_combinations_prunes_by_bounds_and_stops_at_its_budget():
    big = [1_000_000 + 7 * n for n in range(40)]
    assert find_combinations(big, 1, budget=10) == ([], True)  # the smallest pair is too big: cut at once
    even = [2 * n + 2 for n in range(40)]  # an odd target is never reached, and no bound says so
    assert find_combinations(even, 41, budget=1000) == ([], False)
    assert find_combinations(even, 41, budget=10**8) == ([], True)


async def test_10000_open_invoices_of_one_customer_get_the_right_suggestions(client, finance):
    """The search is bounded to the oldest candidates, so the answer is quick with 10,000
    open invoices (timing is left to the report, not asserted)."""
    customer = await make_customer()
    rng = random.Random(10_000)
    # amounts from 5,000.00 up: none of the pairs below the target adds up by chance
    totals = [f"{rng.randint(500_000, 900_000) / 100:.2f}" for _ in range(10_000)]
    # the two oldest add up to the payment; one invoice far down the list matches it exactly
    totals[0], totals[1], totals[7_777] = "1234.56", "3000.00", "4234.56"
    assert await make_invoices_bulk(customer, totals) == 10_000
    payment = await make_payment(customer, "4234.56")

    result = await suggestions(client, finance, payment)
    exact, combination = result["suggestions"]  # FIFO would be the combination again
    assert exact["kind"] == "exact" and [i["outstanding"] for i in exact["invoices"]] == ["4234.56"]
    assert combination["kind"] == "combination"
    assert [i["outstanding"] for i in combination["invoices"]] == ["1234.56", "3000.00"]
    assert "oldest 2 open invoices below the amount" in combination["reason"]


async def test_a_suggestion_applied_records_its_source_as_suggestion(client, finance):
    # given a payment of 300.00 and a customer's invoices of 100.00 and 200.00 (a combination)
    customer = await make_customer()
    await make_invoice(customer, "100.00", due_date=due(0))
    await make_invoice(customer, "200.00", due_date=due(1))
    payment = await make_payment(customer, "300.00")
    [offered] = (await suggestions(client, finance, payment))["suggestions"]

    # when the suggestion is applied as offered (what the page sends)
    lines = [{"invoice_id": i["invoice_id"], "amount": i["amount"]} for i in offered["invoices"]]
    applied = await client.post(
        f"{API}/allocations",
        token=finance,
        json={"payment_id": payment.id, "lines": lines, "source": "suggestion"},
    )

    # then each allocation says it came from a suggestion, in the answer and when read back
    assert applied.status_code == 201, applied.text
    assert [a["source"] for a in applied.json()["allocations"]] == ["suggestion", "suggestion"]
    listed = await client.get(f"{API}/allocations", token=finance, params={"payment_id": payment.id})
    assert {a["source"] for a in listed.json()["items"]} == {"suggestion"}
    assert {a.source.value for a in await Allocation.filter(payment_id=payment.id)} == {"suggestion"}


async def test_lines_chosen_by_hand_stay_manual_and_a_credit_note_is_no_suggestion(client, finance):
    customer = await make_customer()
    invoice = await make_invoice(customer, "100.00", due_date=due(0))
    payment = await make_payment(customer, "100.00")
    line = {"invoice_id": invoice.id, "amount": "40.00"}
    by_hand = await client.post(
        f"{API}/allocations", token=finance, json={"payment_id": payment.id, "lines": [line]}
    )
    assert by_hand.status_code == 201 and by_hand.json()["allocations"][0]["source"] == "manual"
    # a source the request may not claim
    for source, field_problem in (("auto", "source"), ("suggestion", None)):
        body = {"credit_note_id": 1, "lines": [line], "source": source}
        refused = await client.post(f"{API}/allocations", token=finance, json=body)
        assert refused.status_code == 422, refused.text
        if field_problem:
            assert field_problem in refused.text
