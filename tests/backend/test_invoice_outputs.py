"""Invoice list filters and the aging report, read through billing.queries directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from opcms.billing import queries
from opcms.billing.reports.schemas import InvoiceQuery
from opcms.core.errors import ValidationFailed
from tests.backend.factories import make_customer, make_user
from tests.backend.test_invoice_outputs_support import make_invoice

TODAY = dt.date(2026, 5, 15)


async def six_invoices() -> dict:
    """Three customers (two owners, one without) and one invoice of every kind."""
    u1, u2 = await make_user("operator"), await make_user("operator")
    ca = await make_customer(customer_code="ACME-01", company_name="甲方科技有限公司", owner_id=u1.id)
    cb = await make_customer(customer_code="BETA-02", company_name="乙方网络有限公司", owner_id=u2.id)
    cc = await make_customer(customer_code="GAMMA-03", company_name="丙方数据有限公司")
    book = {"ca": ca, "cb": cb, "cc": cc, "u1": u1, "u2": u2}
    book["i1"] = await make_invoice(ca, period="2026-03", total="100.00", due_date=dt.date(2026, 5, 1))
    book["i2"] = await make_invoice(
        ca, period="2026-04", total="250.00", paid="50.00", due_date=dt.date(2026, 6, 1)
    )
    book["i3"] = await make_invoice(
        cb, period="2026-03", total="1000.00", paid="1000.00", due_date=dt.date(2026, 4, 30)
    )
    book["i4"] = await make_invoice(
        cb, period="2026-04", total="99.99", void=True, due_date=dt.date(2026, 5, 1)
    )
    book["i5"] = await make_invoice(cc, period="2026-03", total="250.01", due_date=dt.date(2026, 5, 14))
    book["i6"] = await make_invoice(cc, period="2026-04", total="100.00", due_date=TODAY)
    return book


async def found(book: dict, **filters) -> set[str]:
    page = await queries.list_invoices(InvoiceQuery(page_size=200, **filters), today=TODAY)
    names = {invoice.id: name for name, invoice in book.items() if name.startswith("i")}
    assert page["total"] == len(page["items"])
    return {names[invoice.id] for invoice in page["items"]}


async def test_every_list_filter_selects_exactly_its_invoices(db):
    book = await six_invoices()
    assert await found(book) == {"i1", "i2", "i3", "i4", "i5", "i6"}
    # status
    assert await found(book, status="unsettled") == {"i1", "i5", "i6"}
    assert await found(book, status="partially_settled") == {"i2"}
    assert await found(book, status="settled") == {"i3"}
    assert await found(book, status="void") == {"i4"}
    # period, customer, owner (0 = customers without an owner)
    assert await found(book, period="2026-03") == {"i1", "i3", "i5"}
    assert await found(book, customer_id=book["cb"].id) == {"i3", "i4"}
    assert await found(book, owner_id=book["u1"].id) == {"i1", "i2"}
    assert await found(book, owner_id=0) == {"i5", "i6"}
    # due-date range, both ends inclusive
    assert await found(book, due_from="2026-05-01", due_to="2026-05-14") == {"i1", "i4", "i5"}
    assert await found(book, due_from="2026-06-01") == {"i2"}
    # q: invoice number, customer code (any case), company name
    assert await found(book, q=book["i3"].number) == {"i3"}
    assert await found(book, q="acme") == {"i1", "i2"}
    assert await found(book, q="丙方") == {"i5", "i6"}
    assert await found(book, q="nobody") == set()
    assert await found(book, q="%") == set() and await found(book, q="_") == set()  # wildcards are plain text
    # filters combine
    assert await found(book, overdue=True, owner_id=0) == {"i5"}
    assert await found(book, period="2026-04", status="unsettled", amount_max="100.00") == {"i6"}


async def test_overdue_means_open_and_due_before_today(db):
    book = await six_invoices()
    # i1 due 05-01 unpaid, i5 due yesterday: overdue. i6 due today is not; i2 (due later), the
    # settled i3 and the void i4 (both past due) are not either
    assert await found(book, overdue=True) == {"i1", "i5"}
    assert await found(book, overdue=False) == {"i2", "i3", "i4", "i6"}
    # the next day, the invoice due today has become overdue
    page = await queries.list_invoices(InvoiceQuery(overdue=True), today=TODAY + dt.timedelta(days=1))
    assert {i.id for i in page["items"]} == {book["i1"].id, book["i5"].id, book["i6"].id}


async def test_amount_range_is_on_the_total_and_inclusive_at_both_ends(db):
    book = await six_invoices()
    assert await found(book, amount_min="100.00", amount_max="250.00") == {"i1", "i2", "i6"}
    assert await found(book, amount_min="250.01") == {"i3", "i5"}  # 1000.00 is more than 250.01 (not as text)
    assert await found(book, amount_max="99.99") == {"i4"}
    assert await found(book, amount_min="100.01", amount_max="249.99") == set()
    assert await found(book, amount_min="1000", amount_max="1000") == {"i3"}


async def test_sorting_by_money_is_numeric_and_paging_is_stable(db):
    book = await six_invoices()
    ids = {invoice.id: name for name, invoice in book.items() if name.startswith("i")}
    page = await queries.list_invoices(InvoiceQuery(sort="-total", page_size=3), today=TODAY)
    assert [ids[i.id] for i in page["items"]] == ["i3", "i5", "i2"]
    assert (page["total"], page["page"], page["page_size"]) == (6, 1, 3)
    page = await queries.list_invoices(InvoiceQuery(sort="total", page_size=3, page=1), today=TODAY)
    # 99.99 first; the two 100.00 by id
    assert [ids[i.id] for i in page["items"]] == ["i4", "i1", "i6"]
    page2 = await queries.list_invoices(InvoiceQuery(sort="total", page_size=3, page=2), today=TODAY)
    assert [ids[i.id] for i in page2["items"]] == ["i2", "i5", "i3"]
    page = await queries.list_invoices(InvoiceQuery(sort="outstanding,number"), today=TODAY)
    assert [ids[i.id] for i in page["items"]][:2] == ["i3", "i4"]  # both 0.00, by number
    # the default: newest first
    page = await queries.list_invoices(InvoiceQuery(), today=TODAY)
    assert [ids[i.id] for i in page["items"]] == ["i6", "i5", "i4", "i3", "i2", "i1"]


async def test_an_unknown_sort_field_is_refused(db):
    # the query refuses it, as its document says
    with pytest.raises(ValidationError) as refused:
        InvoiceQuery(sort="password")
    assert refused.value.errors()[0]["loc"] == ("sort",)
    # and the list refuses it too, for a query built past its checks
    with pytest.raises(ValidationFailed) as error:
        await queries.list_invoices(InvoiceQuery.model_construct(sort="password"), today=TODAY)
    assert error.value.details[0]["field"] == "sort"


# --- aging ----------------------------------------------------------------------------------------
AS_OF = dt.date(2026, 6, 30)


def ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


async def aging_book() -> dict:
    """Customer A with one invoice on each side of every bucket boundary; B with a partly paid
    one and invoices that must not count (settled, void, issued after the day asked)."""
    a = await make_customer(customer_code="AGE-A", company_name="账龄甲有限公司")
    b = await make_customer(customer_code="AGE-B", company_name="账龄乙有限公司")
    for days, amount in [
        (-10, "10.00"),
        (0, "0.01"),
        (1, "1.10"),
        (30, "2.20"),
        (31, "3.30"),
        (60, "4.40"),
        (61, "5.50"),
        (90, "6.60"),
        (91, "7.70"),
        (400, "8.80"),
    ]:
        due = ago(days)
        await make_invoice(a, total=amount, due_date=due, issue_date=due - dt.timedelta(days=30))
    await make_invoice(b, total="100.00", paid="33.33", due_date=ago(45), issue_date=ago(75))
    await make_invoice(b, total="500.00", paid="500.00", due_date=ago(100), issue_date=ago(130))
    await make_invoice(b, total="700.00", void=True, due_date=ago(100), issue_date=ago(130))
    await make_invoice(
        b, total="900.00", due_date=AS_OF + dt.timedelta(days=30), issue_date=AS_OF + dt.timedelta(days=1)
    )
    return {"a": a, "b": b}


def money(value: str) -> Decimal:
    return Decimal(value)


async def test_aging_buckets_by_days_past_due_at_every_boundary_to_the_cent(db):
    book = await aging_book()
    report = await queries.aging(AS_OF)
    assert report["as_of"] == AS_OF
    assert [(b["bucket"], b["invoices"], b["outstanding"]) for b in report["buckets"]] == [
        ("current", 2, money("10.01")),  # due in 10 days, due today (0 days)
        ("1-30", 2, money("3.30")),  # 1 and 30 days
        ("31-60", 3, money("74.37")),  # 31, 60 days and B's 66.67 left of 100.00 at 45 days
        ("61-90", 2, money("12.10")),  # 61 and 90 days
        ("90+", 2, money("16.50")),  # 91 and 400 days
    ]
    b, a = report["customers"]  # the largest total first
    assert (b["customer_id"], b["customer_code"], b["d31_60"], b["total"]) == (
        book["b"].id,
        "AGE-B",
        money("66.67"),
        money("66.67"),
    )
    assert (b["current"], b["d1_30"], b["d61_90"], b["d90_plus"]) == (0, 0, 0, 0)
    assert (a["customer_id"], a["company_name"]) == (book["a"].id, "账龄甲有限公司")
    assert [a[k] for k in ("current", "d1_30", "d31_60", "d61_90", "d90_plus", "total")] == [
        money("10.01"),
        money("3.30"),
        money("7.70"),
        money("12.10"),
        money("16.50"),
        money("49.61"),
    ]
    # exact Decimals with two places everywhere, and the two views agree
    assert all(x["outstanding"].as_tuple().exponent == -2 for x in report["buckets"])
    assert (
        sum(x["outstanding"] for x in report["buckets"])
        == sum(c["total"] for c in report["customers"])
        == money("116.28")
    )


async def test_aging_moves_invoices_between_buckets_with_the_day_asked(db):
    await aging_book()
    # a day later, each boundary invoice has crossed into the next bucket (and the one due
    # today is 1 day past due); B's invoice issued on AS_OF+1 now counts, not yet due
    report = await queries.aging(AS_OF + dt.timedelta(days=1))
    assert [(b["bucket"], b["invoices"], b["outstanding"]) for b in report["buckets"]] == [
        ("current", 2, money("910.00")),
        ("1-30", 2, money("1.11")),
        ("31-60", 3, money("72.17")),
        ("61-90", 2, money("9.90")),
        ("90+", 3, money("23.10")),
    ]


async def test_aging_by_customer_or_owner(db):
    owner = await make_user("operator")
    book = await aging_book()
    owned = await make_customer(customer_code="AGE-C", owner_id=owner.id)
    await make_invoice(owned, total="12.34", due_date=ago(5), issue_date=ago(35))
    only_b = await queries.aging(AS_OF, customer_id=book["b"].id)
    assert [c["customer_code"] for c in only_b["customers"]] == ["AGE-B"]
    assert [b["invoices"] for b in only_b["buckets"]] == [0, 0, 1, 0, 0]
    by_owner = await queries.aging(AS_OF, owner_id=owner.id)
    assert [(c["customer_code"], c["d1_30"]) for c in by_owner["customers"]] == [("AGE-C", money("12.34"))]
    no_owner = await queries.aging(AS_OF, owner_id=0)
    assert {c["customer_code"] for c in no_owner["customers"]} == {"AGE-A", "AGE-B"}
    nothing = await queries.aging(AS_OF, customer_id=999999)
    assert (
        nothing["customers"] == [] and [b["outstanding"] for b in nothing["buckets"]] == [money("0.00")] * 5
    )


def test_bucket_of_names_the_boundaries():
    assert [queries.bucket_of(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 1000)] == [
        "current",
        "current",
        "1-30",
        "1-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "90+",
        "90+",
    ]
