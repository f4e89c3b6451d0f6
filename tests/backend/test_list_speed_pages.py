"""The busy lists read the cheap way (issue 17) answer exactly what they answered before.

The customer, invoice and payment lists read a page as the ids of the page from an index, then
those rows (``core.list_pages``), and their rows carry no audit before-image. Each test compares
every filter and sort the list allows, page by page, with the plain reading the lists used
before (``core.pagination.paginate`` over the same filters: one ORDER BY … LIMIT over the rows
with their related rows joined), on data made to have ties and NULLs in the sort keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import logging
from collections.abc import Iterator
from decimal import Decimal

import pytest
from tortoise.queryset import QuerySet

from opcms.billing import queries as invoice_queries
from opcms.billing.reports.schemas import SORTABLE as INVOICE_SORTABLE
from opcms.billing.reports.schemas import InvoiceQuery
from opcms.billing.schemas import InvoicePage
from opcms.billing.service import invoice_public
from opcms.core import list_pages
from opcms.core.audit import AuditLog
from opcms.core.context import acting_as, system_actor
from opcms.core.db import as_numbers
from opcms.core.pagination import paginate
from opcms.customers import queries as customer_queries
from opcms.customers.models import Customer, code_key, name_key
from opcms.customers.schemas import SORTABLE as CUSTOMER_SORTABLE
from opcms.customers.schemas import CustomerListQuery, CustomerPage
from opcms.payments import queries as payment_queries
from opcms.payments.schemas import PAYMENT_SORTABLE, PaymentListQuery, PaymentPage, PaymentPublic
from opcms.settlement.models import Invoice
from tests.backend.factories import invoice_values, make_customer, make_payment, make_user, token_for

PAGE_SIZE = 7
STATUSES = ("prospect", "trial", "active", "suspended", "closed")


def sorts(fields: tuple[str, ...]) -> list[str | None]:
    """No sort (the default), each field both ways, and two-key sorts mixing directions."""
    return [None, *fields, *(f"-{f}" for f in fields), "status,-customer_code", "-level,company_name"]


def pages_of(total: int) -> list[int]:
    # every page, and one past the last (no rows, the same total)
    return list(range(1, total // PAGE_SIZE + 3))


async def assert_same_pages(read, reference, make_query, filters: list[dict], sort_names: list[str | None]):
    """For every filter and sort: page after page, ``read`` answers what ``reference`` answers
    (the same rows in the same order, the same answer for each row, the same total)."""
    checked = 0
    for given, sort in itertools.product(filters, sort_names):
        query = make_query(**given, sort=sort, page=1, page_size=PAGE_SIZE)
        total = (await reference(query))["total"]
        for page in pages_of(total):
            query = make_query(**given, sort=sort, page=page, page_size=PAGE_SIZE)
            expected, got = await reference(query), await read(query)
            assert got == expected, f"filters {given}, sort {sort}, page {page}"
            checked += 1
    return checked


# --- customers ----------------------------------------------------------------------------------
async def seed_customers() -> list:
    """45 customers: statuses, levels (NULL in a third), owners (two, or none), signing dates
    with ties and NULLs, equal credit limits and scores; five of them soft-deleted."""
    owners = [
        await make_user("operator", username="owner-a"),
        await make_user("operator", username="owner-b"),
    ]
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(45):
        deleted = n % 9 == 4
        code, name = f"K{(n * 17) % 45:03d}", f"客户{(n * 7) % 45:02d}有限公司"
        rows.append(
            Customer(
                customer_code=code,
                company_name=name,
                status=STATUSES[n % 5],
                level=(None, "A", "B")[n % 3],
                industry=("internet", "finance")[n % 2],
                province=("上海", "北京", None)[n % 3],
                owner_id=(owners[0].id, owners[1].id, None)[n % 3 if n % 4 else 2],
                signed_at=None if n % 6 == 0 else dt.date(2024, 1 + n % 4, 1),
                contract_end_at=dt.date(2026, 1 + n % 3, 1),
                credit_limit=Decimal(("100.00", "20.00", "3000.50")[n % 3]),
                credit_score=(None, 40, 80)[n % 3],
                churn_score=n % 4,
                churn_level=("none", "watch", "high")[n % 3],
                value_tier=("S", "A", "B", "C")[n % 4],
                lifecycle=("new", "stable")[n % 2],
                is_deleted=deleted,
                deleted_at=now if deleted else None,
                deleted_by="tester" if deleted else None,
                code_key=None if deleted else code_key(code),
                name_key=None if deleted else name_key(name),
                created_at=now + dt.timedelta(minutes=n % 5),
                updated_at=now + dt.timedelta(minutes=n % 7),
            )
        )
    await Customer.bulk_create(rows)
    return owners


def customer_reading_before(deleted: bool):
    async def read(query: CustomerListQuery) -> dict:
        queryset = customer_queries.filtered(query, deleted=deleted, with_owner=True)
        page = await paginate(queryset, query, sortable=CUSTOMER_SORTABLE, default_sort="-id")
        return CustomerPage.model_validate(page).model_dump()

    return read


def customer_reading_now(deleted: bool):
    async def read(query: CustomerListQuery) -> dict:
        return CustomerPage.model_validate(
            await customer_queries.list_customers(query, deleted=deleted)
        ).model_dump()

    return read


async def test_the_customer_list_answers_as_before_for_every_filter_sort_and_page(db):
    # given customers with ties and NULLs in every sort key, some of them deleted
    owners = await seed_customers()
    filters = [
        {},
        {"status": "active"},
        {"status": "trial"},
        {"owner_id": owners[0].id},
        {"owner_id": 0},
        {"level": "A", "status": "prospect"},
        {"keyword": "K01"},
        {"credit_score_min": 50},
        {"signed_from": dt.date(2024, 2, 1), "province": "上海"},
    ]
    # when each page is read the new way and the old way, then both answer the same
    checked = await assert_same_pages(
        customer_reading_now(False),
        customer_reading_before(False),
        CustomerListQuery,
        filters,
        sorts(CUSTOMER_SORTABLE),
    )
    assert checked > len(filters) * len(CUSTOMER_SORTABLE) * 2
    # and the deleted customers' list too
    await assert_same_pages(
        customer_reading_now(True),
        customer_reading_before(True),
        CustomerListQuery,
        [{}, {"status": "suspended"}],
        sorts(CUSTOMER_SORTABLE),
    )


async def test_a_customer_list_page_counts_all_matches_and_names_the_owners(db):
    # given 40 live customers, 14 of them active, some owned by owner-a
    owners = await seed_customers()
    # when the second page of the active ones is read by code
    page = CustomerPage.model_validate(
        await customer_queries.list_customers(
            CustomerListQuery(status="active", sort="customer_code", page=2, page_size=5)
        )
    )
    # then the total counts every live active customer, the page is the 6th to 10th by code
    active = await Customer.filter(status="active").order_by("customer_code", "id")
    assert page.total == len(active) == 8
    assert [c.id for c in page.items] == [c.id for c in active[5:10]]
    # and each row names its owner
    names = {owners[0].id: "owner-a", owners[1].id: "owner-b", None: None}
    assert [c.owner_name for c in page.items] == [names[c.owner_id] for c in active[5:10]]


async def test_rows_read_for_a_list_page_are_not_saved_and_a_change_is_audited_as_before(db):
    # given a customer
    await seed_customers()
    target = await Customer.filter(status="active").order_by("id").first()
    assert target is not None
    # when the list reads it
    page = await customer_queries.list_customers(CustomerListQuery(status="active", sort="id", page_size=1))
    listed = page["items"][0]
    assert listed.id == target.id
    # then it carries no audit before-image, and saving it is refused
    assert "_audit_snapshot" not in listed.__dict__
    listed.company_name = "改名有限公司"
    with pytest.raises(PermissionError):
        await listed.save()
    assert (await Customer.get(id=target.id)).company_name == target.company_name
    # and a row loaded to be changed is audited with its before and after, as ever
    row = await Customer.get(id=target.id)
    row.company_name = "改名有限公司"
    with acting_as(system_actor("tester")):
        await row.save()
    audit = await AuditLog.filter(entity_type="customer", entity_id=str(target.id)).order_by("-id").first()
    assert audit is not None and audit.action == "update"
    assert audit.before == {"company_name": target.company_name}
    assert audit.after == {"company_name": "改名有限公司"}


# --- invoices -----------------------------------------------------------------------------------
async def seed_invoices(owner_id: int) -> list:
    """33 invoices of three customers (one owned): equal totals, paid, part-paid and void ones,
    due dates with ties, some soft-deleted."""
    customers = [
        Customer(
            customer_code=f"INV{n}", company_name=f"开票客户{n}", code_key=f"inv{n}", name_key=f"开票客户{n}"
        )
        for n in range(3)
    ]
    customers[0].owner_id = owner_id
    await Customer.bulk_create(customers)
    customers = await Customer.filter(customer_code__startswith="INV").order_by("id")
    rows = []
    for n in range(33):
        total = ("100.00", "20.00", "1000.00", "20.00")[n % 4]
        paid = (Decimal("0.00"), Decimal(total), Decimal("10.00"))[n % 3]
        extra = {"status": "void", "live_period": None} if n % 7 == 3 else {}
        rows.append(
            Invoice(
                **invoice_values(
                    customers[n % 3],
                    total,
                    paid=paid,
                    due_date=dt.date(2020, 1 + n % 5, 10),
                    is_deleted=n % 11 == 5,
                    **extra,
                )
            )
        )
    await Invoice.bulk_create(rows)
    return customers


async def invoices_before(query: InvoiceQuery) -> dict:
    rows, sort_as = as_numbers(
        invoice_queries.invoice_rows(query, dt.date(2020, 3, 1)), "total", "outstanding"
    )
    page = await paginate(rows, query, sortable=INVOICE_SORTABLE, default_sort="-id", sort_as=sort_as)
    page["items"] = [invoice_public(i) for i in page["items"]]
    return InvoicePage.model_validate(page).model_dump()


async def invoices_now(query: InvoiceQuery) -> dict:
    page = await invoice_queries.list_invoices(query, dt.date(2020, 3, 1))
    page["items"] = [invoice_public(i) for i in page["items"]]
    return InvoicePage.model_validate(page).model_dump()


async def test_the_invoice_list_answers_as_before_for_every_filter_sort_and_page(db):
    # given invoices with equal amounts and due dates, void and deleted ones among them
    owner = await make_user("operator", username="owner-i")
    customers = await seed_invoices(owner.id)
    filters = [
        {},
        {"status": "unsettled"},
        {"status": "void"},
        {"customer_id": customers[1].id},
        {"overdue": True},
        {"overdue": False, "customer_id": customers[0].id},
        {"owner_id": owner.id},
        {"owner_id": 0},
        {"amount_min": Decimal("20.00"), "amount_max": Decimal("100.00")},
        {"q": "INV1"},
    ]
    invoice_sorts = [None, *INVOICE_SORTABLE, *(f"-{f}" for f in INVOICE_SORTABLE), "status,-total"]
    # when each page is read the new way and the old way, then both answer the same
    checked = await assert_same_pages(invoices_now, invoices_before, InvoiceQuery, filters, invoice_sorts)
    assert checked > len(filters) * len(INVOICE_SORTABLE) * 2


# --- payments -----------------------------------------------------------------------------------
async def payments_before(query: PaymentListQuery) -> dict:
    queryset = payment_queries.payment_rows(query).select_related("customer")
    page = await paginate(queryset, query, sortable=PAYMENT_SORTABLE, default_sort="-id")
    page["items"] = [PaymentPublic.model_validate(p) for p in page["items"]]
    return PaymentPage.model_validate(page).model_dump()


async def payments_now(query: PaymentListQuery) -> dict:
    return PaymentPage.model_validate(await payment_queries.list_payments(query)).model_dump()


async def test_the_payment_list_answers_as_before_for_every_filter_sort_and_page(db):
    # given payments of two customers and unassigned ones, with equal amounts and dates
    customers = [
        Customer(
            customer_code=f"PAY{n}", company_name=f"付款客户{n}", code_key=f"pay{n}", name_key=f"付款客户{n}"
        )
        for n in range(2)
    ]
    await Customer.bulk_create(customers)
    customers = await Customer.filter(customer_code__startswith="PAY").order_by("id")
    for n in range(20):
        await make_payment(
            customers[n % 3] if n % 3 < 2 else None,
            ("100.00", "20.00", "300.00")[n % 3],
            received_on=dt.date(2025, 1 + n % 4, 1),
            method=("bank_transfer", "cash")[n % 2],
            payer_name=f"付款人{n % 5}",
        )
    filters = [
        {},
        {"customer_id": customers[0].id},
        {"unassigned": True},
        {"method": "cash"},
        {"status": "unallocated", "received_from": dt.date(2025, 2, 1)},
        {"q": "PAY1"},
        {"q": "付款人3"},
    ]
    payment_sorts = [None, *PAYMENT_SORTABLE, *(f"-{f}" for f in PAYMENT_SORTABLE), "-received_on,amount"]
    # when each page is read the new way and the old way, then both answer the same
    checked = await assert_same_pages(payments_now, payments_before, PaymentListQuery, filters, payment_sorts)
    assert checked > len(filters) * len(PAYMENT_SORTABLE) * 2


# --- the total of a long list -------------------------------------------------------------------
@pytest.fixture
def counts_above_five(monkeypatch):
    """Lists count exactly up to 5 matching rows only (instead of thousands); no count kept
    leaks into another test."""
    monkeypatch.setattr(list_pages, "EXACT_COUNT_UP_TO", 5)
    list_pages.forget_counts()
    yield
    list_pages.forget_counts()


async def test_a_long_list_answers_a_recent_count_and_says_so_a_short_one_counts_every_time(
    db, counts_above_five, monkeypatch
):
    # given 3 active customers and 6 trial ones (5 rows are counted exactly on every read)
    for n in range(9):
        await make_customer(status="active" if n < 3 else "trial")
    trial, active = CustomerListQuery(status="trial"), CustomerListQuery(status="active")
    # when each list is read, then both totals are counted for the answer
    first = await customer_queries.list_customers(trial)
    assert (first["total"], first["total_is_estimate"]) == (6, False)
    assert (await customer_queries.list_customers(active))["total"] == 3
    # when one more of each is added and the lists are read again at once
    new_trial = await make_customer(status="trial")
    await make_customer(status="active")
    again = await customer_queries.list_customers(trial)
    # then the long list answers its count of a moment ago, says so, and still shows the new row
    assert (again["total"], again["total_is_estimate"]) == (6, True)
    assert again["items"][0].id == new_trial.id
    # and the short list counts the new row at once
    short = await customer_queries.list_customers(active)
    assert (short["total"], short["total_is_estimate"]) == (4, False)
    # when the count kept is older than its bound, then the long list counts again
    monkeypatch.setattr(list_pages, "COUNT_TTL", 0.0)
    fresh = CustomerPage.model_validate(await customer_queries.list_customers(trial))
    assert (fresh.total, fresh.total_is_estimate) == (7, False)


class SelectsRun(logging.Handler):
    """The SELECT statements the database client runs while attached (it logs each at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if args and isinstance(args[0], str) and args[0].lstrip().upper().startswith("SELECT"):
            self.statements.append(args[0])


@contextlib.contextmanager
def selects_run() -> Iterator[list[str]]:
    logger, handler = logging.getLogger("tortoise.db_client"), SelectsRun()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_a_page_whose_count_is_kept_is_read_in_one_statement_with_its_owners(db, counts_above_five):
    # given 9 trial customers, some owned, and their list read once (its count is kept: 9 > 5)
    owners = await seed_customers()
    query = CustomerListQuery(status="trial", sort="-customer_code", page=2, page_size=3)
    await customer_queries.list_customers(query)
    # when the list is read again
    with selects_run() as statements:
        page = CustomerPage.model_validate(await customer_queries.list_customers(query))
    # then one statement read the page: its ids, its rows and its owners' names together
    assert len(statements) == 1, statements
    # and the page is the 4th to 6th trial customer by code, descending, each with its owner's name
    trial = await Customer.filter(status="trial").order_by("-customer_code", "-id").select_related("owner")
    assert [c.id for c in page.items] == [c.id for c in trial[3:6]]
    names = {owners[0].id: "owner-a", owners[1].id: "owner-b"}
    assert [c.owner_name for c in page.items] == [names.get(c.owner_id) for c in trial[3:6]]
    assert any(c.owner_name for c in page.items) and page.total_is_estimate


async def test_requests_that_find_a_long_count_expired_together_wait_for_one_count(
    db, counts_above_five, monkeypatch
):
    # given 8 trial customers, a long list (more than 5 rows), whose kept count has expired
    for _ in range(8):
        await make_customer(status="trial")
    monkeypatch.setattr(list_pages, "COUNT_TTL", 0.0)
    counted: list[str] = []
    real_count = QuerySet.count

    def counting(self, *args, **kwargs):
        counted.append(self.model.__name__)
        return real_count(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "count", counting)
    # when ten requests read the list at the same moment
    pages = await asyncio.gather(
        *(customer_queries.list_customers(CustomerListQuery(status="trial")) for _ in range(10))
    )
    # then the rows were counted once, and every answer carries that count
    assert counted == ["Customer"]
    assert {page["total"] for page in pages} == {8}
    # the one that counted says it counted; the others that they answer a count not their own
    assert sorted(page["total_is_estimate"] for page in pages) == [False] + [True] * 9
    # and a count that fails reaches every request waiting for it, and is not kept
    counted.clear()

    def failing(self, *args, **kwargs):
        counted.append("failing")

        async def fail() -> int:
            await asyncio.sleep(0.01)
            raise RuntimeError("the database went away")

        return fail()

    monkeypatch.setattr(QuerySet, "count", failing)
    outcomes = await asyncio.gather(
        *(customer_queries.list_customers(CustomerListQuery(status="trial")) for _ in range(3)),
        return_exceptions=True,
    )
    assert counted == ["failing"]
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    monkeypatch.setattr(QuerySet, "count", real_count)
    assert (await customer_queries.list_customers(CustomerListQuery(status="trial")))["total"] == 8


async def test_an_answer_is_compact_utf8_json_whose_text_is_what_its_values_dump_to(client, db):
    # given a customer with a Chinese name and money on it, and an admin
    await make_customer(company_name="杭州云帆科技有限公司", credit_limit=Decimal("12345.60"))
    token = await token_for("admin")
    # when the customer list is read
    response = await client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    # then the text is the compact JSON of its values: UTF-8 (not \\u escapes), money as strings
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert response.content == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert "杭州云帆科技有限公司".encode() in response.content
    assert body["items"][0]["credit_limit"] == "12345.60"
