"""From vendor rows to billable usage: classify, hold anomalies, upsert the rest (DESIGN §6).

A vendor row is billable when its account maps to a customer, its metric is known, its day is
the day asked for, and its quantity is a number ≥ 0 with at most 4 decimals that is not a
spike. Anything else becomes (or updates) a ``usage_anomaly`` and is not billed until an
operator accepts or corrects it. A re-pull honours earlier reviews: a row an operator
accepted, corrected or rejected is treated the same way again as long as the vendor sends the
same quantity; a different quantity reopens the anomaly.

Spike rule: a quantity above ``OPCMS_USAGE_SPIKE_FACTOR`` × the trailing average of the same
customer, metric and source (the days with records among the 30 days before) is held, once
there are at least ``MIN_HISTORY_DAYS`` such days (a brand-new account has no baseline).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, getcontext
from operator import attrgetter

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from opcms.core.context import current_actor
from opcms.core.db import is_mysql
from opcms.core.models import utcnow
from opcms.core.settings import get_settings
from opcms.customers.models import CustomerStatus
from opcms.jobs.recorder import ExecutionRun
from opcms.pricing.models import UsageMetric
from opcms.usage.adapters.contract import VendorUsage
from opcms.usage.late import Invoiced
from opcms.usage.models import (
    AnomalyKind,
    AnomalyStatus,
    CustomerSourceAccount,
    UsageAnomaly,
    UsageRecord,
    account_key_of,
)
from opcms.usage.store import CleanUsage, upsert_usage

WINDOW_DAYS = 30
MIN_HISTORY_DAYS = 7
MAX_QUANTITY = Decimal("1e16")
QUANTUM = Decimal("0.0001")
_WHOLE_DIGITS = 16  # a whole number of at most 16 digits is below MAX_QUANTITY
assert Decimal(10**_WHOLE_DIGITS) == MAX_QUANTITY
RESOLVED = (AnomalyStatus.ACCEPTED, AnomalyStatus.CORRECTED, AnomalyStatus.REJECTED)
# customers whose usage is collected: not prospects, not closed (and not deleted)
USAGE_STATUSES = (CustomerStatus.TRIAL, CustomerStatus.ACTIVE, CustomerStatus.SUSPENDED)


def row_key(source_id: int, row: VendorUsage) -> str:
    """One anomaly per vendor row (source, account, metric, day), whatever its quantity."""
    raw = "\x1f".join((str(source_id), row.account, row.metric, row.usage_day))
    return hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()


def parse_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def parse_quantity(text: str) -> tuple[Decimal | None, AnomalyKind | None, str]:
    """The quantity, or why it cannot be billed."""
    if text.isdigit() and text.isascii() and len(text) <= _WHOLE_DIGITS:
        # a whole number of at most 16 digits (what most vendors send): a Decimal ≥ 0, below
        # MAX_QUANTITY, no decimals — the checks below would all pass
        return Decimal(text), None, ""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None, AnomalyKind.INVALID_QUANTITY, f"not a number: {text[:40]!r}"
    if not value.is_finite():
        return None, AnomalyKind.INVALID_QUANTITY, f"not a number: {text[:40]!r}"
    if value < 0:
        return (
            value if abs(value) < MAX_QUANTITY else None,
            AnomalyKind.NEGATIVE_QUANTITY,
            f"negative quantity {text[:40]}",
        )
    if value >= MAX_QUANTITY:
        return None, AnomalyKind.INVALID_QUANTITY, "quantity too large for DECIMAL(20,4)"
    if value != value.quantize(QUANTUM):
        return None, AnomalyKind.INVALID_QUANTITY, f"more than 4 decimals: {text[:40]}"
    return value, None, ""


class _Trail:
    """One (customer, metric)'s recorded days and a running window over them.

    ``days`` maps a day's ordinal to its quantity (the last one recorded wins) as a whole number
    of ``10 ** -places`` (exact: ``places`` grows when a quantity with more decimals comes): a
    plain int for a quantity written without decimals (a vendor's whole number, the common
    day), else the pair (that int, the quantity's exponent). The window covers the ordinals
    ``[end - WINDOW_DAYS, end)``: ``total`` is the exact sum of its quantities (the same whole
    numbers), ``count`` how many days it holds, ``exponents`` how many of them have each
    exponent below 0 (a rescan's sum is written with the smallest exponent among 0 and the
    quantities': with it the average is the same Decimal digit for digit, not merely the same
    number).
    """

    __slots__ = ("count", "days", "end", "exponents", "forward", "places", "scale", "total")

    def __init__(self, forward: bool = False) -> None:
        # forward: the window only ever moves to later days (a pull), so a day that leaves it
        # is forgotten (a year's back-fill keeps 30 days per customer and metric, not 365)
        self.forward = forward
        self.days: dict[int, int | tuple[int, int]] = {}
        self.end: int | None = None
        self.places = 4
        self.scale = 10**4  # 10 ** places: the units of 1
        self.total = 0
        self.count = 0
        self.exponents: dict[int, int] = {}

    def _add(self, held: int | tuple[int, int]) -> None:
        self.count += 1
        if type(held) is int:
            self.total += held
            return
        units, exponent = held  # type: ignore[misc]
        self.total += units
        self.exponents[exponent] = self.exponents.get(exponent, 0) + 1

    def _remove(self, held: int | tuple[int, int]) -> None:
        self.count -= 1
        if type(held) is int:
            self.total -= held
            return
        units, exponent = held  # type: ignore[misc]
        self.total -= units
        left = self.exponents[exponent] - 1
        if left:
            self.exponents[exponent] = left
        else:
            del self.exponents[exponent]

    def move_to(self, end: int) -> None:
        """Make the window ``[end - WINDOW_DAYS, end)``: slide it when it moves a little (one
        lookup per day entering or leaving), rebuild it when it jumps (one per day it covers)."""
        days, old = self.days, self.end
        if old == end:
            return
        if self.forward and old is not None and end < old:
            raise ValueError("a forward-only spike window cannot move back")
        if old is not None and end == old + 1:  # the next day: the common step of a pull
            leaving_day = old - WINDOW_DAYS
            held = days.pop(leaving_day, None) if self.forward else days.get(leaving_day)
            if held is not None:
                self._remove(held)
            if (held := days.get(old)) is not None:
                self._add(held)
            self.end = end
            return
        if old is None or abs(end - old) >= WINDOW_DAYS:
            self.total, self.count, self.exponents = 0, 0, {}
            if self.forward:
                for ordinal in [o for o in days if o < end - WINDOW_DAYS]:
                    del days[ordinal]
            entering: range = range(end - WINDOW_DAYS, end)
            leaving: range = range(0)
        elif end > old:
            entering, leaving = range(old, end), range(old - WINDOW_DAYS, end - WINDOW_DAYS)
        else:
            entering, leaving = range(end - WINDOW_DAYS, old - WINDOW_DAYS), range(end, old)
        for ordinal in leaving:
            held = days.pop(ordinal, None) if self.forward else days.get(ordinal)
            if held is not None:
                self._remove(held)
        for ordinal in entering:
            if (held := days.get(ordinal)) is not None:
                self._add(held)
        self.end = end

    def average(self) -> Decimal | None:
        if self.count < MIN_HISTORY_DAYS:
            return None
        # the sum as a rescan writes it, Decimal(0) + each quantity: exact (at most WINDOW_DAYS
        # quantities below MAX_QUANTITY with 4 decimals, far within the context's 28 digits),
        # so written with the smallest exponent among 0 and the quantities'
        exponent = min(self.exponents, default=0)
        unit = _UNITS.get(exponent) or Decimal((0, (1,), exponent))
        return Decimal(self.total).scaleb(-self.places).quantize(unit) / self.count

    def record(self, ordinal: int, quantity: Decimal) -> None:
        # the exponent: a vendor's whole number and a stored DECIMAL(20,4) are checked first
        if quantity.same_quantum(_ONE):
            exponent = 0
        elif quantity.same_quantum(_UNITS[-4]):
            exponent = -4
        else:
            found = quantity.as_tuple().exponent
            assert isinstance(found, int), "a recorded quantity is a finite number"
            exponent = min(found, 0)  # 1E+3 is written as 1000 in a sum
        if -exponent > self.places:
            self._rescale(-exponent)
        units = int(quantity.scaleb(self.places))
        held = (units, exponent) if exponent else units
        before = self.days.get(ordinal)
        self.days[ordinal] = held
        end = self.end
        if end is not None and end - WINDOW_DAYS <= ordinal < end:
            if before is not None:
                self._remove(before)
            self._add(held)

    def _rescale(self, places: int) -> None:
        """Count in ``10 ** -places`` from now on (a quantity with more decimals came)."""
        factor = 10 ** (places - self.places)
        self.days = {
            ordinal: held * factor if type(held) is int else (held[0] * factor, held[1])  # type: ignore[index]
            for ordinal, held in self.days.items()
        }
        self.total *= factor
        self.places, self.scale = places, 10**places


# 1, 0.1, … 0.0001: the units a window's sum is written in
_UNITS = {-places: Decimal((0, (1,), -places)) for places in range(5)}
_ONE = _UNITS[0]


class SpikeWindow:
    """Quantities by day of one source for some customers, to compute trailing averages.

    Each (customer, metric) keeps a running sum over its trailing window, moved along with the
    days asked for: a pull asking day after day pays one step per row, however many days are
    recorded (a rescan of every recorded day per row made a back-fill quadratic in its days).
    Days may come in any order and be recorded again (the last quantity wins); the average is
    the Decimal a rescan of the window's days gives.
    """

    def __init__(self, *, forward: bool = False) -> None:
        """``forward``: days are asked in ascending order only (a pull, day after day), and a
        day that has left every window asked since is forgotten; asking an earlier day than
        the last one asked is then an error."""
        self._trails: dict[tuple[int, int], _Trail] = {}
        self._forward = forward

    @classmethod
    async def load(
        cls,
        source_id: int,
        customer_ids: list[int],
        first_day: dt.date,
        last_day: dt.date,
        *,
        forward: bool = False,
    ) -> SpikeWindow:
        window = cls(forward=forward)
        if customer_ids:
            rows = await UsageRecord.filter(
                source_id=source_id,
                customer_id__in=customer_ids,
                usage_day__gte=first_day - dt.timedelta(days=WINDOW_DAYS),
                usage_day__lt=last_day,
            ).values_list("customer_id", "metric_id", "usage_day", "quantity")
            for customer_id, metric_id, day, quantity in rows:
                window.record((customer_id, metric_id), day, Decimal(quantity))
        return window

    def average(self, key: tuple[int, int], day: dt.date) -> Decimal | None:
        """The mean quantity of the days recorded among the WINDOW_DAYS before ``day``, when
        there are at least MIN_HISTORY_DAYS of them."""
        trail = self._trails.get(key)
        if trail is None:
            return None
        trail.move_to(day.toordinal())
        return trail.average()

    def record(self, key: tuple[int, int], day: dt.date, quantity: Decimal) -> None:
        trail = self._trails.get(key)
        if trail is None:
            trail = self._trails[key] = _Trail(self._forward)
        trail.record(day.toordinal(), quantity)


@dataclass
class IngestContext:
    """What one pull (or upload) of one source knows while it classifies rows."""

    source_id: int
    accounts: dict[str, int]  # vendor account (as mapped) → customer id
    metrics: dict[str, int]  # metric code → metric id
    spike_factor: Decimal
    window: SpikeWindow
    execution_id: int | None = None
    batch_rows: int = 1000
    # False when the source has never had an anomaly: no need to look for earlier reviews
    has_anomalies: bool = True
    # vendor rows name accounts in any letter case
    _customers_by_key: dict[str, int] = field(init=False, repr=False)
    # … and mostly as they were asked for: those found without working out their key
    _customers_as_asked: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_key = self._customers_by_key = {account_key_of(a): c for a, c in self.accounts.items()}
        self._customers_as_asked = {a: c for a, c in self.accounts.items() if by_key[account_key_of(a)] == c}

    def with_window(self, window: SpikeWindow) -> IngestContext:
        """This context with another spike window (a chunk's): the account lookups are shared,
        not worked out again (``dataclasses.replace`` would, for every account of the source)."""
        chunk = copy.copy(self)
        chunk.window = window
        return chunk

    def customer_of(self, account: str) -> int | None:
        customer = self._customers_as_asked.get(account)
        return customer if customer is not None else self._customers_by_key.get(account_key_of(account))

    @classmethod
    async def for_source(cls, source_id: int, *, execution_id: int | None) -> IngestContext:
        """What a pull or an upload of this source needs: its mapped accounts, the active
        metrics, the settings; the spike window is loaded per batch of customers."""
        settings = get_settings()
        return cls(
            source_id=source_id,
            accounts=await mapped_accounts(source_id),
            metrics=dict(await UsageMetric.filter(is_active=True).values_list("code", "id")),
            spike_factor=settings.usage_spike_factor,
            window=SpikeWindow(),
            execution_id=execution_id,
            batch_rows=settings.usage_batch_rows,
            has_anomalies=await UsageAnomaly.with_deleted().filter(source_id=source_id).exists(),
        )


async def mapped_accounts(source_id: int) -> dict[str, int]:
    """Vendor account → customer id, for the customers whose usage is collected."""
    return dict(
        await CustomerSourceAccount.filter(
            source_id=source_id, customer__is_deleted=False, customer__status__in=list(USAGE_STATUSES)
        ).values_list("external_account", "customer_id")
    )


@dataclass
class IngestOutcome:
    received: int = 0
    written: int = 0
    anomalies: int = 0
    honoured_reviews: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def count_on(self, run: ExecutionRun, source_name: str) -> None:
        """Add this outcome to a run's counters, in total and for its source (pull and upload
        count alike; DESIGN §10)."""
        run.count_for(source_name, "records", self.received)
        run.count_for(source_name, "written", self.written)
        run.count_for(source_name, "anomalies", self.anomalies)
        run.count("alerts", self.anomalies)
        if self.honoured_reviews:
            run.count("honoured_reviews", self.honoured_reviews)


@dataclass
class _Held:
    row: VendorUsage
    kind: AnomalyKind
    detail: str
    customer_id: int | None
    metric_id: int | None
    day: dt.date | None
    quantity: Decimal | None


@dataclass
class Classified:
    """A batch of vendor rows classified (the spike window has its clean rows), to be stored."""

    outcome: IngestOutcome
    unique: list[VendorUsage]
    clean: list[CleanUsage]
    clean_rows: list[VendorUsage]  # the vendor row of each clean one
    held: list[_Held]


def join_classified(parts: list[Classified]) -> Classified:
    """Classified batches (days classified one after the other) to be stored as one."""
    if len(parts) == 1:
        return parts[0]
    return Classified(
        IngestOutcome(received=sum(part.outcome.received for part in parts)),
        [row for part in parts for row in part.unique],
        [item for part in parts for item in part.clean],
        [row for part in parts for row in part.clean_rows],
        [item for part in parts for item in part.held],
    )


async def ingest_rows(
    ctx: IngestContext, rows: list[VendorUsage], requested: tuple[dt.date, dt.date]
) -> IngestOutcome:
    """Classify vendor rows asked for the days ``requested`` (inclusive) and store them."""
    return await store_classified(ctx, classify_rows(ctx, rows, requested))


def classify_rows(
    ctx: IngestContext, rows: list[VendorUsage], requested: tuple[dt.date, dt.date]
) -> Classified:
    """The first half of :func:`ingest_rows`: no database. Until the batch is stored, the
    next one may be classified only when this one holds no row (a held row that an earlier
    review lets through is recorded in the spike window when it is stored)."""
    outcome = IngestOutcome(received=len(rows))
    # the vendor may repeat a row: the last one wins
    unique = list({row[:3]: row for row in rows}.values())
    clean: list[CleanUsage] = []
    clean_rows: list[VendorUsage] = []
    held: list[_Held] = []
    days: dict[str, dt.date | None] = {}
    window = ctx.window
    if type(window) is not SpikeWindow:  # another window (a test's reference): asked as it is
        for row in sorted(unique, key=_USAGE_DAY):
            _classify_one(ctx, row, requested, days, clean, clean_rows, held)
        return Classified(outcome, unique, clean, clean_rows, held)

    # The common row — a whole number of a mapped account (as asked) and an active metric on a
    # requested day — is read here without the calls of _classify, and let through when it is
    # certainly not a spike: its quantity × the window's count against the factor × the
    # window's sum, compared in whole numbers (the exact numbers the Decimal check rounds to 28
    # digits), far enough from equal that the rounding cannot change the answer. Any other row,
    # and one too near the threshold, goes to _classify: the answers are _classify's.
    trails, forward = window._trails, window._forward
    customers, metrics = ctx._customers_as_asked, ctx.metrics
    numerator, denominator = ctx.spike_factor.as_integer_ratio()
    # Decimal's two roundings (the average, then × the factor) move the threshold by less than
    # 10 ** (3 - precision) of itself
    margin = 10 ** (getcontext().prec - 3)
    first, last = requested
    requested_days: dict[str, tuple[dt.date, int] | None] = {}  # a day's text → (day, ordinal)
    for row in sorted(unique, key=_USAGE_DAY):
        account, metric, text, quantity_text = row
        customer_id = customers.get(account)
        metric_id = metrics.get(metric)
        if text in requested_days:
            day_of = requested_days[text]
        else:
            day = parse_day(text)
            day_of = requested_days[text] = (
                (day, day.toordinal()) if day is not None and first <= day <= last else None
            )
        if (
            customer_id is None
            or metric_id is None
            or day_of is None
            or not (
                quantity_text.isdigit() and quantity_text.isascii() and len(quantity_text) <= _WHOLE_DIGITS
            )
        ):
            _classify_one(ctx, row, requested, days, clean, clean_rows, held)
            continue
        day, ordinal = day_of
        key = (customer_id, metric_id)
        trail = trails.get(key)
        if trail is None:
            trail = trails[key] = _Trail(forward)
        end = trail.end
        if end != ordinal:
            if forward and end is not None and ordinal == end + 1:
                # the next day of a pull (move_to's common step, without the call): the day
                # that leaves the window is forgotten, the day before enters it
                held_days = trail.days
                if (leaving := held_days.pop(end - WINDOW_DAYS, None)) is not None:
                    if type(leaving) is int:
                        trail.total -= leaving
                        trail.count -= 1
                    else:
                        trail._remove(leaving)
                if (entering := held_days.get(end)) is not None:
                    if type(entering) is int:
                        trail.total += entering
                        trail.count += 1
                    else:
                        trail._add(entering)
                trail.end = ordinal
            else:
                trail.move_to(ordinal)
        units = int(quantity_text) * trail.scale
        count = trail.count
        if count >= MIN_HISTORY_DAYS:
            threshold = numerator * trail.total
            over = units * count * denominator - threshold
            if over >= 0 or -over * margin <= abs(threshold):
                _classify_one(ctx, row, requested, days, clean, clean_rows, held)
                continue
        # the day asked is the window's end, outside it: recorded without touching its sum
        trail.days[ordinal] = units
        clean.append(CleanUsage(customer_id, metric_id, day, Decimal(quantity_text)))
        clean_rows.append(row)
    return Classified(outcome, unique, clean, clean_rows, held)


def _classify_one(
    ctx: IngestContext,
    row: VendorUsage,
    requested: tuple[dt.date, dt.date],
    days: dict[str, dt.date | None],
    clean: list[CleanUsage],
    clean_rows: list[VendorUsage],
    held: list[_Held],
) -> None:
    item = _classify(ctx, row, requested, days)
    if isinstance(item, _Held):
        held.append(item)
    else:
        clean.append(item)
        clean_rows.append(row)
        # later days of the same batch (a back-fill, an upload) compare against this one
        ctx.window.record((item.customer_id, item.metric_id), item.usage_day, item.quantity)


_USAGE_DAY = attrgetter("usage_day")


async def store_classified(
    ctx: IngestContext, batch: Classified, invoiced: Invoiced | None = None
) -> IngestOutcome:
    """The second half of :func:`ingest_rows`: anomalies and usage records written
    (``invoiced``: which periods were invoiced, asked ahead)."""
    outcome, unique, clean, held = batch.outcome, batch.unique, batch.clean, batch.held
    existing: dict[str, UsageAnomaly] = {}
    if ctx.has_anomalies:
        keys = [row_key(ctx.source_id, r) for r in unique]
        for start in range(0, len(keys), 500):
            for held_before in await UsageAnomaly.filter(row_key__in=keys[start : start + 500]):
                existing[held_before.row_key] = held_before

    to_store = list(clean)
    if not held and not existing and len(to_store) <= ctx.batch_rows and is_mysql():
        # only clean rows, nothing held before: one upsert statement, atomic by itself (the
        # common day of a pull: no transaction to open and commit around it)
        outcome.written = await upsert_usage(
            to_store,
            source_id=ctx.source_id,
            execution_id=ctx.execution_id,
            batch_rows=ctx.batch_rows,
            invoiced=invoiced,
        )
        return outcome

    async with in_transaction() as conn:
        now, actor = utcnow(), current_actor.get().name[:64]
        for row in batch.clean_rows if existing else ():
            # a row that now passes closes what an earlier pull held for it
            anomaly = existing.get(row_key(ctx.source_id, row))
            if anomaly is not None and anomaly.status == AnomalyStatus.OPEN:
                anomaly.status = AnomalyStatus.ACCEPTED
                anomaly.resolution_reason = "a later pull delivered this row without a problem"
                anomaly.resolved_by, anomaly.resolved_at = actor, now
                await anomaly.save(using_db=conn)
        for item in held:
            key = row_key(ctx.source_id, item.row)
            anomaly = existing.get(key)
            if (
                anomaly is not None
                and anomaly.status in RESOLVED
                and anomaly.raw_quantity == item.row.quantity[:64]
            ):
                outcome.honoured_reviews += 1
                if anomaly.status == AnomalyStatus.REJECTED:
                    continue
                quantity = (
                    anomaly.corrected_quantity
                    if anomaly.status == AnomalyStatus.CORRECTED
                    else anomaly.quantity
                )
                if anomaly.customer_id and anomaly.metric_id and anomaly.usage_day and quantity is not None:
                    to_store.append(
                        CleanUsage(
                            anomaly.customer_id, anomaly.metric_id, anomaly.usage_day, quantity, anomaly.id
                        )
                    )
                continue
            outcome.anomalies += 1
            outcome.kinds[item.kind.value] = outcome.kinds.get(item.kind.value, 0) + 1
            await _hold(ctx, key, item, anomaly, conn)
        outcome.written = await upsert_usage(
            to_store,
            source_id=ctx.source_id,
            execution_id=ctx.execution_id,
            batch_rows=ctx.batch_rows,
            conn=conn,
            invoiced=invoiced,
        )
    # the rows stored because a review said so count for later days too (the clean ones are in)
    for reviewed in to_store[len(clean) :]:
        ctx.window.record((reviewed.customer_id, reviewed.metric_id), reviewed.usage_day, reviewed.quantity)
    return outcome


def _classify(
    ctx: IngestContext,
    row: VendorUsage,
    requested: tuple[dt.date, dt.date],
    days: dict[str, dt.date | None],
) -> CleanUsage | _Held:
    """``days``: the days read so far from the batch's texts (a pull's batch has one)."""
    customer_id = ctx.customer_of(row.account)
    metric_id = ctx.metrics.get(row.metric)
    text = row.usage_day
    day = days[text] if text in days else days.setdefault(text, parse_day(text))
    quantity, bad_quantity, why = parse_quantity(row.quantity)

    if customer_id is None:
        kind, detail = AnomalyKind.UNKNOWN_ACCOUNT, f"no customer is mapped to account {row.account[:64]!r}"
    elif metric_id is None:
        kind, detail = AnomalyKind.UNKNOWN_METRIC, f"no active metric {row.metric[:64]!r}"
    elif bad_quantity is not None:
        kind, detail = bad_quantity, why
    elif day is None or not requested[0] <= day <= requested[1]:
        asked = requested[0].isoformat() if requested[0] == requested[1] else f"{requested[0]}…{requested[1]}"
        kind, detail = AnomalyKind.DAY_OUTSIDE_REQUEST, f"day {text[:32]!r} outside the request ({asked})"
    else:
        assert quantity is not None
        average = ctx.window.average((customer_id, metric_id), day)
        if average is None or quantity <= ctx.spike_factor * average:
            return CleanUsage(customer_id, metric_id, day, quantity)
        kind = AnomalyKind.SPIKE
        detail = f"{quantity} > {ctx.spike_factor} × trailing average {average.quantize(QUANTUM)}"
    return _Held(row, kind, detail, customer_id, metric_id, day, quantity)


async def _hold(
    ctx: IngestContext, key: str, item: _Held, anomaly: UsageAnomaly | None, conn: BaseDBAsyncClient
) -> None:
    values = dict(
        source_id=ctx.source_id,
        kind=item.kind,
        status=AnomalyStatus.OPEN,
        external_account=item.row.account[:64],
        metric_code=item.row.metric[:64],
        raw_day=item.row.usage_day[:32],
        raw_quantity=item.row.quantity[:64],
        customer_id=item.customer_id,
        metric_id=item.metric_id,
        usage_day=item.day,
        quantity=item.quantity if item.quantity is not None and abs(item.quantity) < MAX_QUANTITY else None,
        detail=item.detail[:255],
        corrected_quantity=None,
        resolution_reason=None,
        resolved_by=None,
        resolved_at=None,
        execution_id=ctx.execution_id,
        row_key=key,
    )
    if anomaly is None:
        await UsageAnomaly.create(using_db=conn, **values)
        ctx.has_anomalies = True
        return
    for name, value in values.items():
        setattr(anomaly, name, value)
    await anomaly.save(using_db=conn)
