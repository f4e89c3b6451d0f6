"""The spike check's trailing window keeps running sums instead of rescanning every recorded day
for every row; its answers must be exactly those of the rescan it replaces.

The rescan is kept here, as it was, as the reference. Given a year of random usage — days with
gaps, days recorded twice with another quantity, days out of order, quantities written with
0 to 4 decimals or an exponent — when the running window and the rescan are asked the same
questions, then they answer the same Decimal (digit for digit, ``repr`` included); and through
the real ingest on the real database, the rows held as spikes, their messages and the usage
records written are the same.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest

from opcms.core.context import acting_as, system_actor
from opcms.pricing.models import UsageMetric
from opcms.usage.adapters import VendorUsage
from opcms.usage.ingest import MIN_HISTORY_DAYS, WINDOW_DAYS, IngestContext, SpikeWindow, ingest_rows
from opcms.usage.models import AnomalyKind, CustomerSourceAccount, DataSource, UsageAnomaly, UsageRecord
from tests.backend.factories import make_customer

YEAR_START = dt.date(2026, 1, 1)
YEAR = [YEAR_START + dt.timedelta(days=n) for n in range(365)]


class RescanWindow:
    """The former spike window, verbatim: every recorded day of the key scanned per question."""

    def __init__(self) -> None:
        self._days: dict[tuple[int, int], dict[dt.date, Decimal]] = defaultdict(dict)

    @classmethod
    async def load(
        cls, source_id: int, customer_ids: list[int], first_day: dt.date, last_day: dt.date
    ) -> RescanWindow:
        window = cls()
        if customer_ids:
            rows = await UsageRecord.filter(
                source_id=source_id,
                customer_id__in=customer_ids,
                usage_day__gte=first_day - dt.timedelta(days=WINDOW_DAYS),
                usage_day__lt=last_day,
            ).values_list("customer_id", "metric_id", "usage_day", "quantity")
            for customer_id, metric_id, day, quantity in rows:
                window._days[(customer_id, metric_id)][day] = Decimal(quantity)
        return window

    def average(self, key: tuple[int, int], day: dt.date) -> Decimal | None:
        start = day - dt.timedelta(days=WINDOW_DAYS)
        values = [q for d, q in self._days.get(key, {}).items() if start <= d < day]
        if len(values) < MIN_HISTORY_DAYS:
            return None
        return sum(values, Decimal(0)) / len(values)

    def record(self, key: tuple[int, int], day: dt.date, quantity: Decimal) -> None:
        self._days[key][day] = quantity


def random_quantity(rng: random.Random) -> Decimal:
    """A quantity as the ingest may record it: from a vendor's text (0–4 decimals, an exponent,
    zero written several ways) or from the database (always 4 decimals)."""
    whole = rng.choice([0, 1, 7, 250, 1000, 12_345, 9_999_999, 10**15 + 1])
    kind = rng.randrange(8)
    if kind == 0:
        return Decimal(f"{whole}.{rng.randrange(10_000):04d}")
    if kind == 1:
        return Decimal(f"{whole}.{rng.randrange(10)}")
    if kind == 2:
        return Decimal(f"{rng.randrange(1, 10)}E+{rng.randrange(4)}")
    if kind == 3:
        return Decimal(rng.choice(["0", "0.00", "0.0000", "-0", "0E+2"]))
    if kind == 4:
        return Decimal(whole).quantize(Decimal("0.0001"))
    if kind == 5:
        return Decimal("9999999999999999.9999")
    return Decimal(whole + rng.randrange(100))


def a_year_of_questions(rng: random.Random) -> list[tuple[str, tuple[int, int], dt.date, Decimal | None]]:
    """Records and questions over a year for a few keys: mostly day after day, with gaps, jumps
    back, days recorded again, long silences and questions far from any record."""
    keys = [(customer, metric) for customer in (1, 2, 3) for metric in (1, 2)]
    steps: list[tuple[str, tuple[int, int], dt.date, Decimal | None]] = []
    for key in keys:
        days = [day for day in YEAR if rng.random() > 0.25]  # gaps
        # a few silences of weeks
        for _ in range(2):
            start = rng.randrange(len(days))
            del days[start : start + rng.randrange(10, 45)]
        order = list(days)
        # out of order: some days swapped far, some stretches delivered backwards
        for _ in range(20):
            i, j = rng.randrange(len(order)), rng.randrange(len(order))
            order[i], order[j] = order[j], order[i]
        start = rng.randrange(len(order) - 20)
        order[start : start + 15] = reversed(order[start : start + 15])
        for day in order:
            steps.append(("ask", key, day, None))
            steps.append(("record", key, day, random_quantity(rng)))
            if rng.random() < 0.1:  # the same day again (a re-pull, an upsert)
                steps.append(("record", key, day, random_quantity(rng)))
            if rng.random() < 0.1:  # a question about any day, even one never recorded
                steps.append(("ask", key, rng.choice(YEAR) + dt.timedelta(days=rng.randrange(-40, 40)), None))
    if rng.random() < 0.3:  # the keys' histories interleaved
        rng.shuffle(steps)
    return steps


@pytest.mark.parametrize("seed", range(12))
def test_the_running_window_answers_what_the_rescan_answers_on_a_random_year(seed):
    # given a year of random records and questions
    rng = random.Random(seed)
    steps = a_year_of_questions(rng)
    running, rescan = SpikeWindow(), RescanWindow()

    # when both windows record the same days and are asked the same questions
    answers = []
    for action, key, day, quantity in steps:
        if action == "record":
            assert quantity is not None
            running.record(key, day, quantity)
            rescan.record(key, day, quantity)
        else:
            answers.append((repr(running.average(key, day)), repr(rescan.average(key, day))))

    # then every answer is the same Decimal, written the same way
    assert [new for new, _ in answers] == [old for _, old in answers]
    # (and the year was not trivially short of history)
    assert sum(old != "None" for _, old in answers) > len(answers) // 2


def test_a_day_recorded_again_inside_the_window_replaces_its_quantity_in_the_sum():
    # given eight days of history and a window already placed on the day after them
    key, window, rescan = (1, 1), SpikeWindow(), RescanWindow()
    for n in range(8):
        for w in (window, rescan):
            w.record(key, YEAR[n], Decimal(10))
    assert window.average(key, YEAR[8]) == Decimal(10)

    # when a day inside the window is recorded again, then once more, and one leaves by a jump
    for w in (window, rescan):
        w.record(key, YEAR[3], Decimal("18.5"))
        w.record(key, YEAR[3], Decimal("90"))

    # then the average counts the day once, with its last quantity
    assert repr(window.average(key, YEAR[8])) == repr(rescan.average(key, YEAR[8])) == "Decimal('20')"
    assert window.average(key, YEAR[8] + dt.timedelta(days=WINDOW_DAYS)) is None


async def given_two_sources(customers: int) -> tuple[list[DataSource], list[str]]:
    """Two sources mapping the same accounts: one ingested with each window."""
    for code in ("api_calls", "sms"):
        await UsageMetric.create(code=code, name=code, unit="次")
    sources = [
        await DataSource.create(name=name, adapter="demo", settings={}) for name in ("running", "rescan")
    ]
    accounts = []
    for n in range(customers):
        customer = await make_customer(status="active")
        account = f"acct-{n}"
        accounts.append(account)
        for source in sources:
            await CustomerSourceAccount.create(customer=customer, source=source, external_account=account)
    return sources, accounts


def a_random_year_of_vendor_rows(
    rng: random.Random, accounts: list[str]
) -> list[tuple[dt.date, dt.date, list]]:
    """Batches as pulls and uploads deliver them: (first day, last day, rows), a year in all —
    days with no row, spikes, re-pulls of a day with other quantities, late and backwards days,
    a week uploaded at once, rows repeated within a batch."""
    base = {(a, m): rng.choice([5, 80, 1000, 40_000]) for a in accounts for m in ("api_calls", "sms")}

    def quantity(account: str, metric: str) -> str:
        level = base[(account, metric)]
        roll = rng.random()
        if roll < 0.04:  # a spike
            return str(level * rng.randrange(12, 40))
        if roll < 0.08:
            return f"{level * rng.randrange(1, 4)}.{rng.randrange(10_000):04d}"
        return str(level + rng.randrange(-level // 3, level // 3 + 1))

    def rows_of(day: dt.date) -> list[VendorUsage]:
        return [
            VendorUsage(account, metric, day.isoformat(), quantity(account, metric))
            for account in accounts
            for metric in ("api_calls", "sms")
            if rng.random() > 0.15
        ]

    days = [day for day in YEAR if rng.random() > 0.1]
    batches: list[tuple[dt.date, dt.date, list]] = []
    late: list[dt.date] = []
    i = 0
    while i < len(days):
        day = days[i]
        roll = rng.random()
        if roll < 0.05 and i + 7 < len(days):  # a week uploaded at once, rows in any order
            week = days[i : i + 7]
            rows = [row for d in week for row in rows_of(d)]
            rng.shuffle(rows)
            rows += rng.sample(rows, 3)  # repeated rows: the last one wins
            batches.append((week[0], week[-1], rows))
            i += 7
            continue
        if roll < 0.12:  # this day arrives later, after some of the following ones
            late.append(day)
        else:
            batches.append((day, day, rows_of(day)))
        if late and rng.random() < 0.3:
            missed = late.pop(0)
            batches.append((missed, missed, rows_of(missed)))
        if rng.random() < 0.05 and batches:  # a re-pull of an earlier day: other quantities
            earlier = rng.choice(days[max(0, i - 40) : i + 1])
            batches.append((earlier, earlier, rows_of(earlier)))
        i += 1
    batches.extend((day, day, rows_of(day)) for day in reversed(late))
    return batches


class Asked:
    """A window that notes every average it answers (the same questions for both windows)."""

    def __init__(self, window) -> None:
        self.window = window
        self.answers: list[tuple[tuple[int, int], dt.date, str]] = []

    def average(self, key: tuple[int, int], day: dt.date) -> Decimal | None:
        answer = self.window.average(key, day)
        self.answers.append((key, day, repr(answer)))
        return answer

    def record(self, key: tuple[int, int], day: dt.date, quantity: Decimal) -> None:
        self.window.record(key, day, quantity)


async def test_a_random_year_ingested_holds_the_same_spikes_as_the_rescan(db):
    # given two sources with the same customers, and a random year of their vendor rows
    rng = random.Random(20260101)
    sources, accounts = await given_two_sources(customers=3)
    batches = a_random_year_of_vendor_rows(rng, accounts)
    halfway = len(batches) // 2

    # when the year is ingested batch by batch into each source, one with the running window
    # and one with the rescan, each reloaded from its own records halfway (as a later pull)
    outcomes: dict[str, list] = {}
    asked: dict[str, list] = {}
    with acting_as(system_actor("test")):
        kinds: tuple[type[SpikeWindow] | type[RescanWindow], ...] = (SpikeWindow, RescanWindow)
        for source, kind in zip(sources, kinds, strict=True):
            context = await IngestContext.for_source(source.id, execution_id=None)
            customer_ids = sorted(set(context.accounts.values()))
            window = Asked(kind())
            context.window = window  # type: ignore[assignment]
            outcomes[source.name], asked[source.name] = [], window.answers
            for n, (first, last, rows) in enumerate(batches):
                if n == halfway:
                    window.window = await kind.load(source.id, customer_ids, first, last)
                outcome = await ingest_rows(context, rows, (first, last))
                outcomes[source.name].append((outcome.written, outcome.anomalies, dict(outcome.kinds)))

    # then both were asked the same questions and gave the same answers
    assert asked["running"] == asked["rescan"]
    assert sum(answer != "None" for *_, answer in asked["rescan"]) > 1000
    # and held the same rows as spikes, with the same messages, and wrote the same records
    assert outcomes["running"] == outcomes["rescan"]
    held = {}
    written = {}
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
    spikes = [row for row in held["rescan"] if row[0] == AnomalyKind.SPIKE]
    assert len(spikes) > 20, "the random year should hold some spikes"
