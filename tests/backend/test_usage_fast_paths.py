"""The usage ingest's short paths give the long paths' answers.

- classify: the common row (a whole number of a mapped account and an active metric on a
  requested day) is let through in whole-number arithmetic; every other row, and one near the
  spike threshold, goes through the full check. A window of a subclass is asked as it is, row
  by row (the long path), so the two are run side by side on the same rows: they must hold the
  same rows with the same messages and let through the same records, even where Decimal's
  rounding of the threshold decides (a factor of 3 over 9 days of 30: 10 is a spike).
- the store's VALUES text: what the rows of a day share written once; the same text as value
  by value, late rows and reviewed rows included, and the same refusals.
- the pull: consecutive days stored in groups of at most OPCMS_USAGE_BATCH_ROWS rows store the
  same rows, and count the same days, as one statement per day.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.core.periods import period_of
from opcms.core.settings import reset_settings
from opcms.pricing.models import UsageMetric
from opcms.usage import service
from opcms.usage.adapters import VendorUsage
from opcms.usage.ingest import (
    MIN_HISTORY_DAYS,
    Classified,
    IngestContext,
    SpikeWindow,
    classify_rows,
    ingest_rows,
)
from opcms.usage.models import CustomerSourceAccount, DataSource, UsageAnomaly, UsageRecord
from opcms.usage.store import CleanUsage, date_text, int_text, quantity_text, values_texts
from tests.backend.factories import make_customer
from tests.backend.test_usage_spike_window import a_random_year_of_vendor_rows, given_two_sources

DAY = dt.date(2026, 5, 1)


class RowByRow(SpikeWindow):
    """The same window, asked row by row: classify takes its long path with it."""


def a_context(window: SpikeWindow, factor: Decimal, accounts: dict[str, int]) -> IngestContext:
    return IngestContext(
        source_id=1,
        accounts=accounts,
        metrics={"api_calls": 1, "sms": 2},
        spike_factor=factor,
        window=window,
        has_anomalies=False,
    )


def answers(batch: Classified) -> tuple:
    return (
        [tuple(item) for item in batch.clean],
        [tuple(row) for row in batch.clean_rows],
        [(h.row, h.kind, h.detail, h.customer_id, h.metric_id, h.day, repr(h.quantity)) for h in batch.held],
        repr([tuple(item) for item in batch.clean]),  # the Decimals written the same way
    )


def history_and_a_day(history: list[str], today: list[str]) -> list[tuple[dt.date, list[VendorUsage]]]:
    """Days of one account's api_calls, then a day of several rows (accounts a0, a1, …)."""
    days = [
        (
            DAY + dt.timedelta(days=n),
            [
                VendorUsage(f"a{k}", "api_calls", (DAY + dt.timedelta(days=n)).isoformat(), q)
                for k in range(len(today))
            ],
        )
        for n, q in enumerate(history)
    ]
    last = DAY + dt.timedelta(days=len(history))
    days.append((last, [VendorUsage(f"a{k}", "api_calls", last.isoformat(), q) for k, q in enumerate(today)]))
    return days


def both_paths(factor: Decimal, batches: list[tuple[dt.date, list[VendorUsage]]], accounts: dict[str, int]):
    results = []
    for window in (SpikeWindow(forward=True), RowByRow(forward=True)):
        ctx = a_context(window, factor, accounts)
        results.append([answers(classify_rows(ctx, rows, (day, day))) for day, rows in batches])
    return results


@pytest.mark.parametrize(
    ("factor", "history", "near"),
    [
        # 9 days summing to 30, factor 3: the threshold is exactly 10, but Decimal's average
        # 3.333…3 × 3 is 9.999…9: 10 is held
        (Decimal(3), ["3"] * 8 + ["6"], ["9", "10", "11"]),
        (Decimal(10), ["100"] * 7, ["999", "1000", "1001"]),
        (Decimal("2.5"), ["7", "0", "13", "1", "1", "1", "2", "9"], ["10", "11", "12"]),
        (Decimal("1.1"), ["10"] * 10 + ["11"] * 3, ["11", "12"]),
        (Decimal(7), ["1", "1", "1", "1", "1", "1", "4"], ["9", "10", "11"]),
        (Decimal(3), ["0"] * 7, ["0", "1"]),  # an average of 0
        (Decimal(3), ["5"] * 6, ["500"]),  # too little history: let through
    ],
)
def test_a_whole_number_near_the_threshold_gets_the_long_paths_answer(factor, history, near):
    # given a window of history, and a day with quantities at, just below and just above the threshold
    batches = history_and_a_day(history, near)
    accounts = {f"a{k}": 100 + k for k in range(len(near))}
    # when both paths classify the same days
    fast, slow = both_paths(factor, batches, accounts)
    # then they let through and hold the same rows, with the same messages
    assert fast == slow


def test_the_ten_that_rounding_makes_a_spike_is_held_on_both_paths():
    batches = history_and_a_day(["3"] * 8 + ["6"], ["10"])
    fast, slow = both_paths(Decimal(3), batches, {"a0": 1})
    assert fast == slow
    assert len(fast[-1][2]) == 1 and "trailing average" in fast[-1][2][0][2]


ODD_ROWS = [
    ("acct-0", "api_calls", "0"),
    ("acct-1", "api_calls", "0012"),  # leading zeros
    ("acct-2", "api_calls", "9999999999999999"),  # 16 digits: the longest whole number
    ("acct-3", "api_calls", "10000000000000000"),  # 17: too large
    ("acct-4", "api_calls", "٣"),  # a digit, not ASCII
    ("acct-5", "api_calls", " 7 "),
    ("acct-6", "api_calls", "7.00000"),
    ("ACCT-7", "sms", "70"),  # another letter case
    ("acct-8", "minutes", "70"),  # no such metric
    ("nobody", "api_calls", "70"),
    ("acct-9", "api_calls", "-5"),
    ("acct-10", "api_calls", "1E+3"),
    ("acct-11", "api_calls", ""),
]


def test_odd_rows_get_the_long_paths_answer():
    # given history for every account, then a day of odd rows, some repeated, some on another day
    accounts = {f"acct-{k}": k + 1 for k in range(12)}
    rng = random.Random(7)
    batches = []
    for n in range(12):
        day = DAY + dt.timedelta(days=n)
        rows = [
            VendorUsage(a, m, day.isoformat(), str(rng.randrange(1, 90)))
            for a in accounts
            for m in ("api_calls", "sms")
        ]
        batches.append((day, rows))
    day = DAY + dt.timedelta(days=12)
    odd = [VendorUsage(a, m, day.isoformat(), q) for a, m, q in ODD_ROWS]
    odd += [
        VendorUsage("acct-0", "sms", f"{day.isoformat()}T00:00:00", "5"),  # the same day, written longer
        VendorUsage("acct-1", "sms", (day - dt.timedelta(days=1)).isoformat(), "5"),  # not the day asked
        VendorUsage("acct-2", "sms", "not a day", "5"),
        VendorUsage("acct-0", "api_calls", day.isoformat(), "3"),  # repeated: the last one wins
    ]
    batches.append((day, odd))
    # when both paths classify them
    fast, slow = both_paths(Decimal(10), batches, accounts)
    # then the same answers, row for row
    assert fast == slow
    held_kinds = {h[1] for h in fast[-1][2]}
    assert len(held_kinds) >= 4, held_kinds


async def test_a_random_year_ingested_on_both_paths_stores_the_same(db):
    # given two sources with the same customers, and a random year of their vendor rows
    # (spikes, decimals, re-pulls, late days, a week uploaded at once, repeated rows)
    rng = random.Random(20260502)
    sources, accounts = await given_two_sources(customers=3)
    batches = a_random_year_of_vendor_rows(rng, accounts)
    # when the year is ingested into one source on the short path and into the other row by row
    with acting_as(system_actor("test")):
        for source, window in zip(sources, (SpikeWindow(), RowByRow()), strict=True):
            context = await IngestContext.for_source(source.id, execution_id=None)
            context.window = window
            for first, last, rows in batches:
                await ingest_rows(context, rows, (first, last))

    # then the same rows were held, with the same messages, and the same records written
    held, written = {}, {}
    for source in sources:
        held[source.name] = sorted(
            await UsageAnomaly.filter(source_id=source.id).values_list(
                "kind", "external_account", "metric_code", "raw_day", "raw_quantity", "detail", "status"
            )
        )
        written[source.name] = sorted(
            await UsageRecord.filter(source_id=source.id).values_list(
                "customer_id", "metric_id", "usage_day", "quantity"
            )
        )
    assert held["running"] == held["rescan"]
    assert written["running"] == written["rescan"]
    assert len(held["rescan"]) > 20 and len(written["rescan"]) > 1000


def value_by_value(records, source_id, execution_id, now, late_pairs) -> list[str]:
    """The VALUES text as it was written before: every value through its own function."""
    from asyncmy.converters import escape_datetime

    now_text = escape_datetime(now)
    texts = []
    for r in records:
        late = bool(late_pairs) and (r.customer_id, period_of(r.usage_day)) in late_pairs
        texts.append(
            f"({int_text(r.customer_id)}, {int_text(r.metric_id)}, {date_text(r.usage_day)}, {int_text(source_id)}, "
            f"{quantity_text(r.quantity)}, {1 if late else 0}, {now_text if late else 'NULL'}, "
            f"{int_text(r.anomaly_id)}, {int_text(execution_id)}, {now_text}, {now_text})"
        )
    return texts


def test_the_values_text_is_the_value_by_value_text():
    # given records on two days of two months, odd quantities, reviewed rows and late pairs
    now = utcnow()
    days = [dt.date(2026, 4, 30), dt.date(2026, 5, 1)]
    quantities = ["1E+3", "0.0001", "-0", "0E-10", "9999999999999999.9999", "123.45", "7.00000", "12"]
    records = [
        CleanUsage(
            c,
            m,
            days[(c + m) % 2],
            Decimal(quantities[(c * 3 + m) % len(quantities)]),
            99 if c == 3 else None,
        )
        for c in range(1, 6)
        for m in (1, 2)
    ]
    for late_pairs in (set(), {(2, "2026-04"), (4, "2026-05"), (3, "2026-05")}):
        for execution_id in (None, 17):
            # when written both ways; then the same text
            assert values_texts(records, 5, execution_id, now, late_pairs) == value_by_value(
                records, 5, execution_id, now, late_pairs
            )


@pytest.mark.parametrize(
    "record",
    [
        CleanUsage(True, 1, DAY, Decimal(1)),
        CleanUsage(1, "2", DAY, Decimal(1)),  # type: ignore[arg-type]
        CleanUsage(1, 2, dt.datetime(2026, 5, 1), Decimal(1)),
        CleanUsage(1, 2, DAY, 1.5),  # type: ignore[arg-type]
        CleanUsage(1, 2, DAY, Decimal("NaN")),
        CleanUsage(1, 2, DAY, Decimal(1), "3"),  # type: ignore[arg-type]
    ],
)
def test_the_values_text_refuses_what_value_by_value_refuses(record):
    good = CleanUsage(1, 2, DAY, Decimal(1))
    with pytest.raises(TypeError):
        values_texts([good, record], 5, None, utcnow(), set())


@pytest.fixture
def batch_rows(monkeypatch):
    """Set OPCMS_USAGE_BATCH_ROWS for one pull."""

    def set_to(rows: int) -> None:
        monkeypatch.setenv("OPCMS_USAGE_BATCH_ROWS", str(rows))
        reset_settings()

    yield set_to
    monkeypatch.delenv("OPCMS_USAGE_BATCH_ROWS", raising=False)
    reset_settings()


async def test_days_stored_in_groups_store_what_a_statement_per_day_stores(db, batch_rows):
    # given a demo source for a few customers, one of them with a spike in the middle of the days
    for code in ("api_calls", "sms"):
        await UsageMetric.create(code=code, name=code, unit="次")
    profiles = {"acct-2": {"curve": [["2026-05-15", 1000], ["2026-05-16", 40000], ["2026-05-17", 1000]]}}
    sources = []
    for name in ("grouped", "daily"):
        sources.append(
            await DataSource.create(
                name=name, adapter="demo", settings={"metrics": ["api_calls", "sms"], "profiles": profiles}
            )
        )
    for n in range(5):
        customer = await make_customer(status="active")
        for source in sources:
            await CustomerSourceAccount.create(customer=customer, source=source, external_account=f"acct-{n}")
    first, last = dt.date(2026, 5, 1), dt.date(2026, 5, 31)
    assert MIN_HISTORY_DAYS < 15  # the spike's day has history enough

    # when a month is pulled from one in groups of days (25 rows: 2 days of 10 rows) and from
    # the other a statement per day
    executions = {}
    with acting_as(system_actor("test")):
        for source, rows in zip(sources, (25, 1), strict=True):
            batch_rows(rows)
            executions[source.name] = await service.run_pull(first, last, source_name=source.name)

    # then the same records, the same spike held, and the same days counted
    stored = {}
    for source in sources:
        stored[source.name] = sorted(
            await UsageRecord.filter(source_id=source.id).values_list(
                "customer_id", "metric_id", "usage_day", "quantity"
            )
        )
    assert stored["grouped"] == stored["daily"]
    assert len(stored["daily"]) == 5 * 2 * 31 - 2
    for source in sources:
        spikes = await UsageAnomaly.filter(source_id=source.id).values_list("external_account", "usage_day")
        assert sorted(spikes) == [("acct-2", dt.date(2026, 5, 16))] * 2
    counters = {name: dict(e.counters) for name, e in executions.items()}
    assert counters["grouped"] == counters["daily"]
    assert counters["daily"]["processed"] == counters["daily"]["succeeded"] == 31


def test_two_months_pulled_day_after_day_get_the_long_paths_answers():
    # given two months of a pull for a few accounts: whole numbers, decimals, spikes, missing
    # days (the window slides a day at a time, forgets the days that leave it, sometimes jumps)
    rng = random.Random(11)
    accounts = {f"acct-{k}": k + 1 for k in range(6)}
    batches = []
    for n in range(62):
        day = DAY + dt.timedelta(days=n)
        rows = []
        for account in accounts:
            for metric in ("api_calls", "sms"):
                roll = rng.random()
                if roll < 0.1:
                    continue  # no row today
                if roll < 0.15:
                    quantity = str(rng.randrange(1000, 5000))  # a spike
                elif roll < 0.3:
                    quantity = f"{rng.randrange(10, 90)}.{rng.randrange(100):02d}"
                else:
                    quantity = str(rng.randrange(10, 90))
                rows.append(VendorUsage(account, metric, day.isoformat(), quantity))
        if account == "acct-5" and 20 <= n < 55:
            rows = [row for row in rows if row.account != "acct-5"]  # a long silence: the window jumps
        batches.append((day, rows))
    # when both paths classify the days in order
    fast, slow = both_paths(Decimal(10), batches, accounts)
    # then the same answers, day for day, with spikes held after the window has slid a month
    assert fast == slow
    assert sum(len(day[2]) for day in fast[40:]) > 3
