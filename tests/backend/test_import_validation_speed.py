"""A contact email's domain is checked once per distinct domain: the answers stay those of the
email library read whole (the same addresses accepted, the same normalized form, the same message
for a refused one), on the first row with a domain and on every later row with it."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError

from opcms.core.context import acting_as, system_actor
from opcms.core.text import fold
from opcms.customers.models import Customer
from opcms.customers.schemas import CustomerCreate, _accepted_domain
from opcms.imports import queries, service
from tests.backend.factories import workbook_bytes

ADDRESSES = [
    "ops@example.com",
    "Ops.Team+billing@Example.COM",
    "ops@EXAMPLE.com",
    "a..b@example.com",  # two dots in the part before the @-sign
    "ops@ex..com",  # two dots in the domain
    "ops@-ex.com",
    "ops@localhost",  # no dot: not a domain that can receive mail
    "ops@invalid",  # a special-use name
    "ops@com",
    "ops@ex_ample.com",
    "PostMaster@example.com",  # a mailbox name the library lower-cases
    "用户@例子.中国",
    "ops@xn--fsqu00a.xn--fiqs8s",  # the IDNA ASCII form, normalized to Unicode
    "ＯＰＳ＠ＥＸＡＭＰＬＥ．ＣＯＭ",  # full width, folded first
    '"quoted"@example.com',
    "x" * 64 + "@example.com",
    "x" * 65 + "@example.com",
    "x" * 60 + "@" + ("y" * 60 + ".") * 3 + "com",  # over 254 characters with its domain
    "ops@" + "y" * 64 + ".com",  # a label over 63 characters
    "ops@example.com.",
    "ops@@example.com",
]


def _library(value: str) -> tuple[str, str]:
    """What the library says of the whole address, read the way the schema reads it."""
    try:
        return "ok", validate_email(fold(value), check_deliverability=False).normalized
    except EmailNotValidError as error:
        return "refused", str(error)


def _schema(value: str) -> tuple[str, str]:
    try:
        customer = CustomerCreate(customer_code="K1", company_name="某某有限公司", contact_email=value)
    except ValidationError as error:
        [detail] = error.errors()
        assert detail["loc"] == ("contact_email",)
        return "refused", detail["ctx"]["error"].params["error"]
    assert customer.contact_email is not None
    return "ok", customer.contact_email


@pytest.mark.parametrize("value", ADDRESSES)
def test_an_address_is_judged_as_the_library_judges_it_the_first_time_and_again(value):
    # given a domain not seen yet
    _accepted_domain.cache_clear()
    expected = _library(value)
    # when the address is validated on a first row and again on a later one (domain known)
    first, again = _schema(value), _schema(value)
    # then both answers are the library's: same acceptance, same normalized form or message
    assert first == expected
    assert again == expected


def test_an_address_refused_for_its_domain_is_refused_again_on_the_next_row_with_that_domain():
    _accepted_domain.cache_clear()
    # given a first row whose domain is refused
    first = _schema("alice@ex..com")
    # when a second row, with another person at the same domain, is validated
    second = _schema("bob@ex..com")
    # then it is refused too, with the library's message
    assert first == ("refused", "An email address cannot have two periods in a row.")
    assert second == first


def test_mixed_case_domains_normalize_as_the_library_normalizes_them():
    _accepted_domain.cache_clear()
    # given rows at one domain written in three letter cases
    answers = [_schema(v) for v in ("a@Example.COM", "b@example.com", "c@EXAMPLE.com", "d@Example.COM")]
    # then each keeps its part before the @-sign and the domain is lower-cased, as the library does
    assert answers == [
        ("ok", "a@example.com"),
        ("ok", "b@example.com"),
        ("ok", "c@example.com"),
        ("ok", "d@example.com"),
    ]
    assert answers == [
        _library(v) for v in ("a@Example.COM", "b@example.com", "c@EXAMPLE.com", "d@Example.COM")
    ]


async def test_an_import_refuses_every_row_at_a_refused_domain_and_stores_the_others_normalized(db):
    _accepted_domain.cache_clear()
    # given a list where two rows share a refused domain and two share one in mixed case
    data = workbook_bytes(
        [
            ["customer_code", "company_name", "contact_email"],
            ["M1", "一号有限公司", "alice@ex..com"],
            ["M2", "二号有限公司", "Bob@Example.COM"],
            ["M3", "三号有限公司", "carol@ex..com"],
            ["M4", "四号有限公司", "dave@example.com"],
        ]
    )
    # when it is imported in create mode
    with acting_as(system_actor("test-import")):
        job = await service.submit(data, "客户清单.xlsx", "create", background=False)
    # then both rows at the refused domain fail with the library's message
    report = await queries.report(job)
    assert (report["created"], report["failed"]) == (2, 2)
    assert [(e["row"], e["column"], e["reason"]) for e in report["errors"]] == [
        (2, "contact_email", "An email address cannot have two periods in a row."),
        (4, "contact_email", "An email address cannot have two periods in a row."),
    ]
    # and the others are stored in the library's normalized form
    stored = await Customer.all().order_by("customer_code").values_list("customer_code", "contact_email")
    assert stored == [("M2", "Bob@example.com"), ("M4", "dave@example.com")]
