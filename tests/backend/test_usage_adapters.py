"""Usage adapters behind one contract (DESIGN §6): no database.

``http_json`` is exercised against a real local HTTP vendor (tests/backend/fake_vendor.py);
the file parser against files built here (CSV in UTF-8 with BOM and GBK, .xlsx by openpyxl).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import socket
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import httpx
import openpyxl
import pytest

from opcms.core.excel import FileRefused
from opcms.usage.adapters import (
    AdapterConfigError,
    AdapterError,
    HealthResult,
    SourceConfig,
    UnknownAdapter,
    UsageAdapter,
    VendorRejected,
    VendorResponseInvalid,
    VendorUnavailable,
    VendorUsage,
    adapter_names,
    build_adapter,
    get_adapter_class,
    parse_usage_file,
    register_adapter,
)
from opcms.usage.adapters.demo import demo_quantity
from opcms.usage.adapters.file import number_text
from tests.backend.fake_vendor import FakeVendor

DAY = dt.date(2024, 5, 6)  # a Monday
ISO = DAY.isoformat()


def rec(account: str, metric: str, quantity: object, day: str = ISO) -> dict[str, object]:
    return {"account": account, "metric": metric, "day": day, "quantity": quantity}


def http_adapter(
    vendor: FakeVendor, secrets: dict[str, str] | None = None, timeout: float = 5, **settings: object
) -> UsageAdapter:
    config = SourceConfig(
        name="vendor",
        adapter="http_json",
        settings={"base_url": vendor.url, **settings},
        secrets=secrets or {},
        timeout_seconds=timeout,
    )
    return build_adapter(config)


async def fetch(
    adapter: UsageAdapter, accounts: Sequence[str] = ("a1", "a2", "a3"), day: dt.date = DAY
) -> list[VendorUsage]:
    async with adapter:
        return await adapter.fetch_usage(accounts, day)


def keys(rows: list[VendorUsage]) -> list[tuple[str, str, str]]:
    return [(r.account, r.metric, r.usage_day) for r in rows]


# --- http_json: paging ---------------------------------------------------------------------------


async def test_page_paging_reads_every_page(fake_vendor: FakeVendor) -> None:
    fake_vendor.paging = "page"
    fake_vendor.records = [rec(f"a{n % 3 + 1}", f"m{n}", n) for n in range(7)] + [
        rec("a1", "m0", 5, day="2024-05-07")
    ]
    rows = await fetch(http_adapter(fake_vendor, paging="page", page_size=3))
    assert sorted(r.metric for r in rows) == [f"m{n}" for n in range(7)]
    assert {r.usage_day for r in rows} == {ISO}
    calls = fake_vendor.usage_calls()
    assert [c.params["page"] for c in calls] == ["1", "2", "3"]
    assert {c.params["page_size"] for c in calls} == {"3"}
    assert {c.params["day"] for c in calls} == {ISO}
    assert calls[0].accounts == ["a1", "a2", "a3"]
    assert "accounts=a1,a2,a3" in calls[0].query


async def test_page_paging_without_has_more_stops_on_a_short_or_empty_page(fake_vendor: FakeVendor) -> None:
    fake_vendor.paging = "page"
    fake_vendor.send_has_more = False
    fake_vendor.records = [rec("a1", f"m{n}", n) for n in range(6)]
    rows = await fetch(http_adapter(fake_vendor, paging="page", page_size=3))
    assert len(rows) == 6
    assert fake_vendor.call_count == 3  # 3 + 3 + an empty page

    fake_vendor.calls.clear()
    fake_vendor.records = fake_vendor.records[:5]
    assert len(await fetch(http_adapter(fake_vendor, paging="page", page_size=3))) == 5
    assert fake_vendor.call_count == 2  # the second page is short: the end


async def test_cursor_paging_follows_the_cursor(fake_vendor: FakeVendor) -> None:
    fake_vendor.paging = "cursor"
    fake_vendor.records = [rec("a2", f"m{n}", n) for n in range(5)]
    rows = await fetch(http_adapter(fake_vendor, paging="cursor", page_size=2))
    assert [r.metric for r in rows] == ["m0", "m1", "m2", "m3", "m4"]
    calls = fake_vendor.usage_calls()
    assert [c.params.get("cursor") for c in calls] == [None, "c2", "c4"]


async def test_no_paging_is_one_request(fake_vendor: FakeVendor) -> None:
    fake_vendor.records = [rec("a1", "sms", 3), rec("zz", "sms", 4)]
    rows = await fetch(http_adapter(fake_vendor), accounts=["a1"])
    assert rows == [VendorUsage("a1", "sms", ISO, "3")]
    assert fake_vendor.call_count == 1


async def test_no_accounts_no_request(fake_vendor: FakeVendor) -> None:
    assert await fetch(http_adapter(fake_vendor), accounts=[]) == []
    assert fake_vendor.call_count == 0


@pytest.mark.parametrize("times", [1, 50])
async def test_repeated_page_ends_the_fetch_without_duplicates(fake_vendor: FakeVendor, times: int) -> None:
    fake_vendor.paging = "page"
    fake_vendor.records = [rec("a1", f"m{n}", n) for n in range(6)]
    # page 1 is answered, then page 1 again for page 2 (once, or a vendor ignoring the page number)
    fake_vendor.fail_next("repeat", times=times, after=1)
    rows = await asyncio.wait_for(fetch(http_adapter(fake_vendor, paging="page", page_size=2)), 10)
    assert keys(rows) == [("a1", "m0", ISO), ("a1", "m1", ISO)]
    assert fake_vendor.call_count == 2


async def test_same_cursor_returned_twice_ends_the_fetch(fake_vendor: FakeVendor) -> None:
    fake_vendor.paging = "cursor"
    fake_vendor.records = [rec("a1", f"m{n}", n) for n in range(6)]
    fake_vendor.fail_next("repeat", times=50, after=1)  # page 1 (next c2), then page 1 again (c2 again)
    rows = await asyncio.wait_for(fetch(http_adapter(fake_vendor, paging="cursor", page_size=2)), 10)
    assert keys(rows) == [("a1", "m0", ISO), ("a1", "m1", ISO)]
    assert fake_vendor.call_count == 2


class CyclingVendor(FakeVendor):
    """Cursors c0 → c2 → c4 → c2 → …: a cycle, each page different."""

    def _page(self, params: dict, *, short: bool) -> dict:
        page = super()._page(params, short=short)
        if params.get("cursor") == "c4":
            page["next_cursor"] = "c2"
        return page


async def test_a_cursor_cycle_ends_the_fetch_without_duplicates() -> None:
    with CyclingVendor(paging="cursor", records=[rec("a1", f"m{n}", n) for n in range(6)]) as vendor:
        rows = await asyncio.wait_for(fetch(http_adapter(vendor, paging="cursor", page_size=2)), 10)
        assert sorted(r.metric for r in rows) == [f"m{n}" for n in range(6)]
        assert len(keys(rows)) == len(set(keys(rows)))
        assert [c.params.get("cursor") for c in vendor.calls] == [None, "c2", "c4"]


async def test_duplicates_within_one_fetch_keep_the_last_value(fake_vendor: FakeVendor) -> None:
    fake_vendor.paging = "page"
    fake_vendor.records = [rec("a1", "sms", 1), rec("a1", "api", 2), rec("a1", "sms", 7)]
    rows = await fetch(http_adapter(fake_vendor, paging="page", page_size=2))
    assert sorted((r.metric, r.quantity) for r in rows) == [("api", "2"), ("sms", "7")]


async def test_field_map_with_nested_paths(fake_vendor: FakeVendor) -> None:
    fake_vendor.items_key = "result.items"
    fake_vendor.filter_keys = {"account": "owner.id", "day": "period.date"}
    fake_vendor.records = [
        {
            "owner": {"id": "a1"},
            "kind": {"code": "sms"},
            "period": {"date": ISO},
            "values": [{"qty": Decimal("12.50")}],
        },
        {"owner": {"id": "a2"}, "kind": {"code": "api"}, "period": {"date": ISO}, "values": []},
        {"owner": {"id": "a3"}, "kind": "flat", "period": {"date": ISO}, "values": [{"qty": 4}]},
    ]
    field_map = {
        "account": "owner.id",
        "metric": "kind.code",
        "usage_day": "period.date",
        "quantity": "values.0.qty",
    }
    rows = await fetch(http_adapter(fake_vendor, items_path="result.items", field_map=field_map))
    assert rows == [
        VendorUsage("a1", "sms", ISO, "12.50"),
        VendorUsage("a2", "api", ISO, ""),  # missing fields are empty: the caller raises an anomaly
        VendorUsage("a3", "", ISO, "4"),
    ]


async def test_usage_day_from_the_request_when_not_mapped(fake_vendor: FakeVendor) -> None:
    fake_vendor.records = [{"account": "a1", "metric": "sms", "quantity": 3}]
    field_map = {"usage_day": None}
    rows = await fetch(http_adapter(fake_vendor, field_map=field_map))
    assert rows == [VendorUsage("a1", "sms", ISO, "3")]


async def test_json_numbers_stay_exact(fake_vendor: FakeVendor) -> None:
    quantities = [
        Decimal("0.1"),
        12345678901234567890123,
        Decimal("1.10"),
        Decimal("1E+3"),
        Decimal("0.30000000000000004"),
        -5,
        "abc",
        None,
        True,
        Decimal("-0.0001"),
    ]
    fake_vendor.records = [rec("a1", f"m{n}", q) for n, q in enumerate(quantities)]
    rows = await fetch(http_adapter(fake_vendor))
    assert [r.quantity for r in rows] == [
        "0.1",
        "12345678901234567890123",
        "1.10",
        "1E+3",
        "0.30000000000000004",
        "-5",
        "abc",
        "",
        "true",
        "-0.0001",
    ]
    for row in rows[:6]:
        Decimal(row.quantity)  # all numbers the caller can parse exactly


async def test_nan_and_odd_values_come_through_as_text(fake_vendor: FakeVendor) -> None:
    fake_vendor.filter_keys = {"account": "no_filter", "day": "no_filter"}
    fake_vendor.records = [
        {"account": 42, "metric": "sms", "day": ISO, "quantity": Decimal("NaN")},
        {"account": "a1", "metric": "sms", "day": 20240506, "quantity": {"v": 1}},
    ]
    rows = await fetch(http_adapter(fake_vendor), accounts=["42", "a1"])
    assert rows == [VendorUsage("42", "sms", ISO, "NaN"), VendorUsage("a1", "sms", "20240506", '{"v":1}')]


async def test_post_sends_a_json_body(fake_vendor: FakeVendor) -> None:
    fake_vendor.paging = "page"
    fake_vendor.records = [rec("a1", "sms", 1), rec("a2", "sms", 2), rec("a3", "sms", 3)]
    rows = await fetch(
        http_adapter(fake_vendor, method="post", paging="page", page_size=2), accounts=["a1", "a3"]
    )
    assert sorted(r.account for r in rows) == ["a1", "a3"]
    call = fake_vendor.calls[0]
    assert call.method == "POST" and call.query == ""
    assert call.params == {"day": ISO, "accounts": ["a1", "a3"], "page": 1, "page_size": 2}
    assert call.headers["Content-Type"] == "application/json"


# --- http_json: auth -----------------------------------------------------------------------------


async def test_bearer_token_is_sent(fake_vendor: FakeVendor) -> None:
    fake_vendor.auth = "bearer"
    fake_vendor.records = [rec("a1", "sms", 1)]
    rows = await fetch(http_adapter(fake_vendor, {"token": "vendor-token"}, auth="bearer"))
    assert rows == [VendorUsage("a1", "sms", ISO, "1")]
    assert fake_vendor.calls[0].headers["Authorization"] == "Bearer vendor-token"


async def test_wrong_token_is_rejected_not_retryable(fake_vendor: FakeVendor) -> None:
    fake_vendor.auth = "bearer"
    with pytest.raises(VendorRejected) as caught:
        await fetch(http_adapter(fake_vendor, {"token": "stolen"}, auth="bearer"))
    assert caught.value.retryable is False
    assert caught.value.status == 401
    assert "401" in str(caught.value) and "stolen" not in str(caught.value)
    assert fake_vendor.call_count == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_hmac_signature_is_verified_by_the_vendor(fake_vendor: FakeVendor, method: str) -> None:
    fake_vendor.auth = "hmac"
    fake_vendor.hmac_header = "X-Vendor-Sig"
    fake_vendor.paging = "cursor"
    fake_vendor.records = [rec("a1", f"m{n}", n) for n in range(3)] + [rec("a 2/x", "sms", 9)]
    adapter = http_adapter(
        fake_vendor,
        {"hmac_secret": "vendor-hmac-secret"},
        auth="hmac",
        hmac_header="X-Vendor-Sig",
        method=method,
        paging="cursor",
        page_size=2,
    )
    rows = await fetch(adapter, accounts=["a1", "a 2/x"])
    assert len(rows) == 4
    assert all(c.status == 200 for c in fake_vendor.calls)
    assert all(c.headers["X-Vendor-Sig"] and c.headers["X-Timestamp"].isdigit() for c in fake_vendor.calls)


async def test_hmac_with_a_wrong_secret_is_rejected(fake_vendor: FakeVendor) -> None:
    fake_vendor.auth = "hmac"
    adapter = http_adapter(fake_vendor, {"hmac_secret": "wrong"}, auth="hmac")
    with pytest.raises(VendorRejected) as caught:
        await fetch(adapter)
    assert not caught.value.retryable


# --- http_json: failures -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "503", "429"])
async def test_server_errors_are_retryable_unavailable(fake_vendor: FakeVendor, kind: str) -> None:
    fake_vendor.records = [rec("a1", "sms", 1)]
    fake_vendor.fail_next(kind)
    adapter = http_adapter(fake_vendor)
    async with adapter:
        with pytest.raises(VendorUnavailable) as caught:
            await adapter.fetch_usage(["a1"], DAY)
        assert caught.value.retryable is True
        assert caught.value.status == int(kind)
        # the caller's retry then succeeds
        assert await adapter.fetch_usage(["a1"], DAY) == [VendorUsage("a1", "sms", ISO, "1")]


async def test_other_client_errors_are_rejected(fake_vendor: FakeVendor) -> None:
    fake_vendor.fail_next("404")
    with pytest.raises(VendorRejected) as caught:
        await fetch(http_adapter(fake_vendor))
    assert caught.value.status == 404 and not caught.value.retryable


async def test_a_slow_vendor_times_out_as_unavailable(fake_vendor: FakeVendor) -> None:
    fake_vendor.slow_seconds = 3
    fake_vendor.fail_next("slow")
    started = time.perf_counter()
    with pytest.raises(VendorUnavailable) as caught:
        await fetch(http_adapter(fake_vendor, timeout=0.3))
    assert time.perf_counter() - started < 2
    assert caught.value.retryable and "0.3 s" in str(caught.value)


async def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = SourceConfig(
        "gone", "http_json", {"base_url": f"http://127.0.0.1:{port}"}, {}, timeout_seconds=2
    )
    with pytest.raises(VendorUnavailable) as caught:
        await fetch(build_adapter(config))
    assert caught.value.retryable


@pytest.mark.parametrize("kind", ["malformed", "not_object", "no_items"])
async def test_unreadable_answers_are_invalid_and_retryable(fake_vendor: FakeVendor, kind: str) -> None:
    fake_vendor.fail_next(kind)
    with pytest.raises(VendorResponseInvalid) as caught:
        await fetch(http_adapter(fake_vendor))
    assert caught.value.retryable is True


async def test_truncated_body_is_a_retryable_error(fake_vendor: FakeVendor) -> None:
    fake_vendor.fail_next("truncated_body")
    with pytest.raises(AdapterError) as caught:
        await fetch(http_adapter(fake_vendor))
    assert caught.value.retryable is True


async def test_items_not_a_list_and_items_not_objects(fake_vendor: FakeVendor) -> None:
    fake_vendor.records = ["not an object"]  # type: ignore[list-item]
    fake_vendor.filter_keys = {"account": "x", "day": "y"}
    with pytest.raises(VendorResponseInvalid, match="not an object"):
        await fetch(http_adapter(fake_vendor))
    with pytest.raises(VendorResponseInvalid, match="not a list"):
        await fetch(http_adapter(fake_vendor, items_path="data.0"))


async def test_short_page_is_invalid(fake_vendor: FakeVendor) -> None:
    fake_vendor.paging = "page"
    fake_vendor.records = [rec("a1", f"m{n}", n) for n in range(5)]
    fake_vendor.fail_next("short")  # page 1 carries 1 of 2 records but says has_more
    with pytest.raises(VendorResponseInvalid, match="short") as caught:
        await fetch(http_adapter(fake_vendor, paging="page", page_size=2))
    assert caught.value.retryable


async def test_truncated_page_against_the_announced_count(fake_vendor: FakeVendor) -> None:
    fake_vendor.paging = "cursor"
    fake_vendor.count_key = "meta.count"
    fake_vendor.records = [rec("a1", f"m{n}", n) for n in range(5)]
    adapter = http_adapter(fake_vendor, paging="cursor", page_size=2, count_path="meta.count")
    assert len(await fetch(adapter)) == 5
    fake_vendor.fail_next("short", after=1)
    with pytest.raises(VendorResponseInvalid, match="truncated"):
        await fetch(http_adapter(fake_vendor, paging="cursor", page_size=2, count_path="meta.count"))


async def test_max_pages_is_a_safety_stop(fake_vendor: FakeVendor) -> None:
    fake_vendor.paging = "page"
    fake_vendor.records = [rec("a1", f"m{n}", n) for n in range(10)]
    with pytest.raises(VendorResponseInvalid, match="max_pages") as caught:
        await fetch(http_adapter(fake_vendor, paging="page", page_size=2, max_pages=3))
    assert caught.value.retryable is False
    assert fake_vendor.call_count == 3


# --- http_json: health, config, client ------------------------------------------------------------


async def test_health_check(fake_vendor: FakeVendor) -> None:
    fake_vendor.auth = "bearer"
    async with http_adapter(fake_vendor, {"token": "vendor-token"}, auth="bearer", paging="page") as adapter:
        result = await adapter.health_check()
    assert result.ok and result.detail.startswith("HTTP 200") and result.latency_ms is not None
    call = fake_vendor.calls[-1]
    assert call.path == "/usage"
    assert call.params["page_size"] == "1" and call.params["day"] == dt.date.today().isoformat()
    assert "accounts" not in call.params

    async with http_adapter(
        fake_vendor, {"token": "vendor-token"}, auth="bearer", health_path="/health"
    ) as adapter:
        assert (await adapter.health_check()).ok
    assert fake_vendor.calls[-1].path == "/health"

    async with http_adapter(fake_vendor, {"token": "nope"}, auth="bearer") as adapter:
        result = await adapter.health_check()
    assert not result.ok and "401" in result.detail

    fake_vendor.fail_next("500")
    async with http_adapter(fake_vendor, {"token": "vendor-token"}, auth="bearer") as adapter:
        assert not (await adapter.health_check()).ok


async def test_health_check_of_an_unreachable_vendor() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = SourceConfig(
        "gone", "http_json", {"base_url": f"http://127.0.0.1:{port}"}, {}, timeout_seconds=2
    )
    async with build_adapter(config) as adapter:
        result = await adapter.health_check()
    assert result == HealthResult(False, result.detail, None) and result.detail


@pytest.mark.parametrize(
    ("settings", "secrets", "field"),
    [
        ({}, {}, "settings.base_url"),
        ({"base_url": "ftp://vendor.example"}, {}, "settings.base_url"),
        ({"base_url": "https://vendor.example?x=1"}, {}, "settings.base_url"),
        ({"base_url": "https://vendor.example", "paging": "offset"}, {}, "settings.paging"),
        ({"base_url": "https://vendor.example", "page_size": 0}, {}, "settings.page_size"),
        ({"base_url": "https://vendor.example", "path": "usage"}, {}, "settings.path"),
        ({"base_url": "https://vendor.example", "items_path": "a..b"}, {}, "settings.items_path"),
        (
            {"base_url": "https://vendor.example", "field_map": {"amount": "x"}},
            {},
            "settings.field_map.amount",
        ),
        ({"base_url": "https://vendor.example", "headers": {"Authorization": "x"}}, {}, "settings.headers"),
        ({"base_url": "https://vendor.example", "tokn": "x"}, {}, "settings.tokn"),
        ({"base_url": "https://vendor.example", "auth": "bearer"}, {}, "secrets.token"),
        ({"base_url": "https://vendor.example", "auth": "hmac"}, {"token": "x"}, "secrets.hmac_secret"),
    ],
)
def test_bad_http_json_config_names_the_setting(settings: dict, secrets: dict, field: str) -> None:
    cls = get_adapter_class("http_json")
    with pytest.raises(AdapterConfigError) as caught:
        cls.validate_settings(settings, secrets)
    assert field in str(caught.value)
    assert field in [d["field"] for d in caught.value.details]
    assert caught.value.retryable is False
    with pytest.raises(AdapterConfigError):
        build_adapter(SourceConfig("bad", "http_json", settings, secrets))


def test_good_http_json_config_passes() -> None:
    cls = get_adapter_class("http_json")
    cls.validate_settings(
        {"base_url": "https://vendor.example/api/", "method": "post", "paging": "cursor"}, {}
    )
    adapter = build_adapter(SourceConfig("ok", "http_json", {"base_url": "https://vendor.example/api/"}, {}))
    assert adapter.settings.base_url == "https://vendor.example/api"


async def test_a_shared_client_is_left_open(fake_vendor: FakeVendor) -> None:
    fake_vendor.records = [rec("a1", "sms", 1)]
    async with httpx.AsyncClient() as client:
        config = SourceConfig("v", "http_json", {"base_url": fake_vendor.url}, {})
        adapter = build_adapter(config, http=client)
        assert await adapter.fetch_usage(["a1"], DAY)
        await adapter.aclose()
        assert not client.is_closed
    own = build_adapter(SourceConfig("v", "http_json", {"base_url": fake_vendor.url}, {}))
    assert await own.fetch_usage(["a1"], DAY)
    client = own.http
    await own.aclose()
    assert client.is_closed


# --- registry ------------------------------------------------------------------------------------


def test_builtins_are_registered() -> None:
    assert {"http_json", "file", "demo"} <= set(adapter_names())
    assert get_adapter_class("demo").name == "demo"


def test_unknown_adapter_is_a_clear_config_error() -> None:
    with pytest.raises(UnknownAdapter) as caught:
        build_adapter(SourceConfig("x", "acme_cloud", {}, {}))
    error = caught.value
    assert isinstance(error, AdapterConfigError) and isinstance(error, LookupError)
    assert not error.retryable
    assert "'acme_cloud'" in str(error) and "http_json" in str(error)
    with pytest.raises(UnknownAdapter):
        get_adapter_class("")


async def test_a_new_vendor_is_one_registered_class() -> None:
    @register_adapter
    class Echo(UsageAdapter):
        name = "test_echo"

        async def fetch_usage(self, accounts: Sequence[str], day: dt.date) -> list[VendorUsage]:
            return [VendorUsage(a, "echo", day.isoformat(), "1") for a in accounts]

        async def health_check(self) -> HealthResult:
            return HealthResult(True, "fine", 0.0)

    assert register_adapter(Echo) is Echo  # registering the same class again is harmless
    adapter = build_adapter(SourceConfig("e", "test_echo", {"anything": 1}, {}))
    assert await adapter.fetch_usage(["x"], DAY) == [VendorUsage("x", "echo", ISO, "1")]

    class Other(Echo):
        name = "test_echo"

    with pytest.raises(ValueError, match="taken"):
        register_adapter(Other)

    class Abstract(UsageAdapter):
        name = "test_abstract"

    with pytest.raises(TypeError):
        register_adapter(Abstract)
    with pytest.raises(TypeError):
        register_adapter(dict)  # type: ignore[arg-type]


# --- demo ----------------------------------------------------------------------------------------


async def test_demo_is_deterministic_and_plausible() -> None:
    config = SourceConfig("demo", "demo", {"metrics": ["api_calls", "sms"], "base": 1000}, {})
    accounts = [f"acct-{n:03d}" for n in range(60)]
    first = await build_adapter(config).fetch_usage(accounts, DAY)
    again = await build_adapter(config).fetch_usage(accounts, DAY)
    assert first == again
    assert len(first) == 120 and {r.metric for r in first} == {"api_calls", "sms"}
    assert all(r.usage_day == ISO and r.quantity.isdigit() for r in first)
    # a known value, so a change of the formula is a conscious one
    assert demo_quantity("acct-000", "sms", DAY) == 2387
    assert demo_quantity("acct-001", "api_calls", dt.date(2024, 5, 11)) == 13
    quantities = [int(r.quantity) for r in first]
    assert min(quantities) < 150 and max(quantities) > 2000  # small and large accounts

    week = [DAY + dt.timedelta(days=n) for n in range(7)]  # Monday … Sunday
    totals = []
    for day in week:
        rows = await build_adapter(config).fetch_usage(accounts, day)
        totals.append(sum(int(r.quantity) for r in rows))
    assert min(totals[:5]) > 2 * max(totals[5:])  # weekdays busier than the weekend
    assert len(set(totals)) == 7  # and every day differs

    other = await build_adapter(SourceConfig("d", "demo", {"seed": "x"}, {})).fetch_usage(accounts, DAY)
    assert [r.quantity for r in other] != [r.quantity for r in first]
    assert (await build_adapter(config).health_check()).ok


def test_demo_settings_are_checked() -> None:
    with pytest.raises(AdapterConfigError, match="settings.base"):
        get_adapter_class("demo").validate_settings({"base": -1}, {})
    with pytest.raises(AdapterConfigError, match="settings.metrics"):
        get_adapter_class("demo").validate_settings({"metrics": []}, {})


# --- file parser ---------------------------------------------------------------------------------


def test_csv_utf8_with_bom() -> None:
    text = "Account,Metric,Usage Day,Quantity,Note\r\na1,sms,2024-05-06,12.50,x\r\n,,,,\r\na2,api_calls,2024-05-06,-3,\r\n"
    rows = parse_usage_file(b"\xef\xbb\xbf" + text.encode(), "usage.csv")
    assert rows == [VendorUsage("a1", "sms", ISO, "12.50"), VendorUsage("a2", "api_calls", ISO, "-3")]


def test_csv_gbk_with_chinese_headers_and_a_title_row() -> None:
    text = "2024年5月用量\n客户账号;指标;日期;用量\n客户甲;短信;2024-05-06; 7 \n"
    rows = parse_usage_file(text.encode("gbk"), "用量.csv")
    assert rows == [VendorUsage("客户甲", "短信", ISO, "7")]
    rows = parse_usage_file("账号\t指标\t日期\t数量\na1\tsms\t2024/5/6\tabc\n".encode(), "x.txt")
    assert rows == [VendorUsage("a1", "sms", "2024/5/6", "abc")]  # raw: the caller judges


def test_csv_missing_column_names_it() -> None:
    with pytest.raises(FileRefused) as caught:
        parse_usage_file(b"account,metric,quantity\na1,sms,1\n", "u.csv")
    assert caught.value.code == "missing_columns"
    assert "usage_day" in caught.value.message and "日期" in caught.value.message
    assert [d["field"] for d in caught.value.details] == ["usage_day"]
    with pytest.raises(FileRefused, match="account"):
        parse_usage_file(b"nothing,here\n1,2\n", "u.csv")


def test_bad_files_are_refused() -> None:
    with pytest.raises(FileRefused) as caught:
        parse_usage_file(b"", "u.csv")
    assert caught.value.code == "empty_file"
    with pytest.raises(FileRefused) as caught:
        parse_usage_file(b"\xff\xfe\x00\x01", "u.csv")
    assert caught.value.code == "bad_encoding"
    with pytest.raises(FileRefused) as caught:
        parse_usage_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls")
    assert caught.value.code == "not_xlsx"
    with pytest.raises(FileRefused) as caught:
        parse_usage_file(b"account,metric,day,quantity\n" + b"a,b,c,1\n" * 5, "u.csv", max_rows=3)
    assert caught.value.code == "too_many_rows"


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_chinese_headers_dates_and_numbers() -> None:
    content = xlsx(
        [
            ["五月用量"],
            ["客户账号", "指标", "日期", "数量", "备注"],
            ["a1", "sms", dt.date(2024, 5, 6), 12.5, None],
            ["a2", "sms", dt.datetime(2024, 5, 6), 3, None],
            [1001, "api_calls", "2024-05-06", 0.1 + 0.2, None],
            [None, None, None, None, None],
            ["a4", "sms", dt.datetime(2024, 5, 6, 13, 30), 1e20, "x"],
            ["a5", "sms", ISO, "'=1+1", None],
            ["a6", "sms", ISO, -2.25, None],
        ]
    )
    rows = parse_usage_file(content, "whatever.bin")
    assert rows == [
        VendorUsage("a1", "sms", ISO, "12.5"),
        VendorUsage("a2", "sms", ISO, "3"),
        VendorUsage("1001", "api_calls", ISO, "0.3"),
        VendorUsage("a4", "sms", "2024-05-06 13:30:00", "100000000000000000000"),
        VendorUsage("a5", "sms", ISO, "=1+1"),
        VendorUsage("a6", "sms", ISO, "-2.25"),
    ]


def test_xlsx_missing_column_names_it() -> None:
    with pytest.raises(FileRefused) as caught:
        parse_usage_file(xlsx([["账号", "日期", "用量"], ["a1", ISO, 1]]), "u.xlsx")
    assert [d["field"] for d in caught.value.details] == ["metric"]


def test_number_text_has_no_float_noise() -> None:
    assert [number_text(v) for v in (12.5, 3.0, 0.1 + 0.2, 1e-7, -0.0, 123456789.123)] == [
        "12.5",
        "3",
        "0.3",
        "0.0000001",
        "0",
        "123456789.123",
    ]


# --- file adapter --------------------------------------------------------------------------------


def write(path: Path, content: bytes, mtime: float) -> None:
    path.write_bytes(content)
    os.utime(path, (mtime, mtime))


async def test_file_adapter_reads_the_day_newest_file_winning(tmp_path: Path) -> None:
    now = time.time()
    write(
        tmp_path / "old.csv",
        b"account,metric,day,quantity\na1,sms,2024-05-06,1\na2,sms,2024/5/6,2\n"
        b"a1,sms,2024-05-07,9\nzz,sms,2024-05-06,5\n",
        now - 100,
    )
    write(
        tmp_path / "new.xlsx",
        xlsx([["account", "metric", "day", "quantity"], ["a1", "sms", DAY, 10]]),
        now - 10,
    )
    write(tmp_path / ".partial.csv", b"garbage", now)
    write(tmp_path / "notes.txt", b"ignored", now)
    adapter = build_adapter(SourceConfig("uploads", "file", {"directory": str(tmp_path)}, {}))
    rows = await adapter.fetch_usage(["a1", "a2"], DAY)
    assert sorted(rows, key=lambda r: r.account) == [
        VendorUsage("a1", "sms", ISO, "10"),  # the newer file wins
        VendorUsage("a2", "sms", ISO, "2"),  # answered with the ISO day
    ]
    assert await adapter.fetch_usage(["a1"], DAY + dt.timedelta(days=1)) == [
        VendorUsage("a1", "sms", "2024-05-07", "9")
    ]
    assert await adapter.fetch_usage([], DAY) == []
    health = await adapter.health_check()
    assert health.ok and "2 usage file" in health.detail


async def test_file_adapter_failures(tmp_path: Path) -> None:
    missing = build_adapter(SourceConfig("uploads", "file", {"directory": str(tmp_path / "nope")}, {}))
    with pytest.raises(VendorRejected):
        await missing.fetch_usage(["a1"], DAY)
    assert not (await missing.health_check()).ok

    (tmp_path / "bad.csv").write_bytes(b"who,what\n1,2\n")
    adapter = build_adapter(SourceConfig("uploads", "file", {"directory": str(tmp_path)}, {}))
    with pytest.raises(VendorResponseInvalid, match="bad.csv") as caught:
        await adapter.fetch_usage(["a1"], DAY)
    assert caught.value.retryable is False

    with pytest.raises(AdapterConfigError, match="settings.directory"):
        build_adapter(SourceConfig("uploads", "file", {}, {}))
