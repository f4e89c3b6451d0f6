"""``opcms bench price``: price previews per second in process (DESIGN §15: ≥ 200,000/s).

Measured is the path a preview of a stored plan takes once its version row is read:
``pricing.service.price_preview(version, …)``, which finds the version's compiled terms in the
cache (by version id and updated_at) and prices with them. The versions are rows as the
database gives them back (decimal columns at their scale, tiers as stored strings). The mix is
an invoice run's: one price per customer with its own quantity, some with an included
allowance, a minimum commitment, a discount or a part-month proration.

The floor is the same arithmetic by the cheapest known means: a hand-inlined loop of Decimal
operators over tiers precomputed once (bounds, the cumulative amount of the tiers below),
with no result objects and no checks; both loops' totals must agree to the cent. The last line
printed is one JSON object (higher is better here).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from bisect import bisect_left
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from opcms.bench.common import figure
from opcms.pricing.engine import price
from opcms.pricing.models import PricingPlanVersion
from opcms.pricing.plan import PlanTerms
from opcms.pricing.schemas import plan_terms_values
from opcms.pricing.service import price_preview, terms_of

TARGET = 200_000  # evaluations/s (DESIGN §15)
CHUNK = 10_000  # evaluations per timed slice
REPEAT = 5  # timings of each slice, the best kept

PLANS: dict[str, dict[str, Any]] = {
    "per_unit": {"mode": "per_unit", "unit_price": "0.012000", "included_quantity": "1000"},
    "graduated": {
        "mode": "graduated",
        "tiers": [
            {"up_to": "10000", "unit_price": "0.010000", "flat_fee": "20"},
            {"up_to": "100000", "unit_price": "0.008000"},
            {"up_to": None, "unit_price": "0.005000"},
        ],
        "monthly_fee": "100",
        "minimum_amount": "300",
    },
    "volume": {
        "mode": "volume",
        "tiers": [
            {"up_to": "10000", "unit_price": "0.010000"},
            {"up_to": "100000", "unit_price": "0.008000", "flat_fee": "50"},
            {"up_to": None, "unit_price": "0.006000", "flat_fee": "80"},
        ],
        "included_quantity": "500",
    },
    "package": {
        "mode": "package",
        "package_size": "1000",
        "package_price": "8.500000",
        "minimum_amount": "50",
    },
}

Case = tuple[PricingPlanVersion, Decimal, "int | None", "int | None", Decimal]


def stored_version(number: int, terms: dict[str, Any]) -> PricingPlanVersion:
    """A version row as the database answers it: decimal columns at their column's scale, tiers
    as the stored strings, an id and an updated_at."""
    values = plan_terms_values(PlanTerms.model_validate(terms))
    fields = PricingPlanVersion._meta.fields_map
    for name, value in values.items():
        places = getattr(fields[name], "decimal_places", None)
        if isinstance(value, Decimal) and places is not None:
            values[name] = value.quantize(Decimal(1).scaleb(-places))
    now = dt.datetime(2026, 1, 1, 8, 0, 0, number, tzinfo=dt.UTC)
    return PricingPlanVersion(
        id=number, plan_id=number, version=1, effective_from=now.date(), updated_at=now, **values
    )


def _cases(versions: list[PricingPlanVersion], evaluations: int, seed: int = 20240501) -> list[Case]:
    """(version, quantity, days_active, days_in_period, discount) per evaluation, made up front
    so that only pricing is timed."""
    rng = random.Random(seed)
    discounts = [Decimal(0)] * 7 + [Decimal("5"), Decimal("10"), Decimal("12.5")]
    cases = []
    for i in range(evaluations):
        # quantities from 0 to a few hundred thousand, 4 decimals sometimes (storage GB)
        quantity = (
            Decimal(rng.randrange(0, 300_000_0000)).scaleb(-4)
            if i % 3 == 0
            else Decimal(rng.randrange(0, 300_000))
        )
        prorated = i % 10 == 0  # a customer who started mid-month
        cases.append((
            versions[i % len(versions)], quantity,
            rng.randint(1, 30) if prorated else None, 30 if prorated else None,
            rng.choice(discounts),
        ))  # fmt: skip
    return cases


def _timed(run: Callable[[], Decimal], repeat: int = 3) -> tuple[float, Decimal]:
    """Best time of ``repeat`` runs, and the total the run answered."""
    best, total = float("inf"), Decimal(0)
    for _ in range(repeat):
        started = time.perf_counter()
        total = run()
        best = min(best, time.perf_counter() - started)
    return best, total


def _previews(cases: list[Case]) -> Decimal:
    """The measured path: one preview per case, as the API's preview prices a stored version."""
    total = Decimal(0)
    for version, quantity, days_active, days_in_period, discount in cases:
        total += price_preview(
            version,
            quantity,
            days_active=days_active,
            days_in_period=days_in_period,
            discount_percent=discount,
        ).amount
    return total


# --- the floor: the same arithmetic, hand-inlined ------------------------------------------------
_FLOOR_CONTEXT = Context(prec=60)  # the engine's precision; nothing trapped, nothing checked
_HALF_UP = Context(prec=60, rounding=ROUND_HALF_UP)
_CENT = Decimal("0.01")
_ZERO = Decimal(0)


def _floor_plan(version: PricingPlanVersion) -> tuple[Any, ...]:
    """A plan as the floor walks it: (mode, included, monthly fee, minimum, bounds, per tier
    (lower, unit price, flat fee, cumulative amount of the tiers below), price, package size)."""
    terms = terms_of(version)
    tiers, lower, below = [], _ZERO, _ZERO
    for tier in terms.tiers:
        tiers.append((lower, tier.unit_price, tier.flat_fee, below))
        if tier.up_to is not None:
            below += (tier.up_to - lower) * tier.unit_price + tier.flat_fee
            lower = tier.up_to
    unit = terms.package_price if terms.mode == "package" else terms.unit_price
    return (
        str(terms.mode.value), terms.included_quantity, terms.monthly_fee, terms.minimum_amount,
        [t.up_to for t in terms.tiers if t.up_to is not None], tiers, unit, terms.package_size,
    )  # fmt: skip


def _floor(cases: list[tuple[tuple[Any, ...], Decimal, int | None, int | None, Decimal]]) -> Decimal:
    total = _ZERO
    quantize = _HALF_UP.quantize
    with localcontext(_FLOOR_CONTEXT):
        for (mode, included, fee, minimum, bounds, tiers, unit, size), q, active, days, discount in cases:
            billed = q - included if q > included else _ZERO
            if mode == "graduated":
                if billed:
                    lower, rate, flat, below = tiers[bisect_left(bounds, billed)]
                    usage = below + ((billed - lower) * rate + flat)
                else:
                    usage = _ZERO
            elif mode == "per_unit":
                usage = billed * unit
            elif mode == "volume":
                if billed:
                    _, rate, flat, _ = tiers[bisect_left(bounds, billed)]
                    usage = billed * rate + flat
                else:
                    usage = _ZERO
            else:
                packages, rest = divmod(billed, size)
                usage = (packages + 1 if rest else packages) * unit
            if active is not None and active != days:
                fee = fee * active / days if fee else fee
                minimum = minimum * active / days if minimum else minimum
            charge = usage + fee if fee else usage
            if charge < minimum:
                charge = minimum
            if discount:
                charge = charge - charge * discount / 100
            total += quantize(charge, _CENT)
    return total


def main(evaluations: int = 200_000) -> int:
    evaluations = max(1, evaluations)
    versions = [stored_version(number, terms) for number, terms in enumerate(PLANS.values(), start=1)]
    cases = _cases(versions, evaluations)
    floor_plans = {version.id: _floor_plan(version) for version in versions}
    floor_cases = [(floor_plans[case[0].id], *case[1:]) for case in cases]

    _previews(cases[:1000])  # warm-up: the first call of each version compiles and caches it
    _floor(floor_cases[:1000])
    # CPU-bound loops on a shared machine: each slice of CHUNK evaluations is timed REPEAT
    # times, previews and floor interleaved (a busy moment hits both), and each keeps its best
    # time per slice (timeit's estimate of the uncontended cost); the totals of every run
    # must agree to the cent
    seconds = floor_seconds = 0.0
    total = floor_total = Decimal(0)
    for first in range(0, evaluations, CHUNK):
        slice_, floor_slice = cases[first : first + CHUNK], floor_cases[first : first + CHUNK]
        best = floor_best = float("inf")
        for _ in range(REPEAT):
            run_seconds, part = _timed(lambda: _previews(slice_), repeat=1)  # noqa: B023
            best = min(best, run_seconds)
            run_seconds, floor_part = _timed(lambda: _floor(floor_slice), repeat=1)  # noqa: B023
            floor_best = min(floor_best, run_seconds)
            if part != floor_part:
                raise SystemExit(f"price bench: the previews total {part} but the floor {floor_part}")
        seconds += best
        floor_seconds += floor_best
        total += part
        floor_total += floor_part
    value, floor = evaluations / seconds, evaluations / floor_seconds

    print(
        f"price bench: {evaluations:,} previews over {len(PLANS)} stored plan versions (best of 5 per slice of 10,000),"
        f" total billed {total:,}"
    )
    lines = []
    for name, version in zip(PLANS, versions, strict=True):
        own = [case for case in cases if case[0] is version]
        mode_seconds, _ = _timed(lambda own=own: _previews(own), repeat=1)  # type: ignore[misc]
        lines.append(
            {"label": f"{name} plans", "value": round(len(own) / mode_seconds, 1), "unit": "evaluations/s"}
        )
        print(f"  {name:<10} {len(own) / mode_seconds:>12,.0f} previews/s")
    # for the record, what a cache saves: the version's terms validated and compiled per call
    runs = min(evaluations, 20_000)
    started = time.perf_counter()
    for version, quantity, *_ in cases[:runs]:
        price(terms_of(version), quantity)  # as the preview priced before the cache
    uncached = runs / (time.perf_counter() - started)
    print(f"  {'uncached':<10} {uncached:>12,.0f} previews/s (terms read and compiled per call)")
    meets = value >= TARGET
    print(
        f"  all        {value:>12,.0f} previews/s  floor (inlined Decimal loop) {floor:,.0f}/s,"
        f" ratio {value / floor:.2f}; target ≥ {TARGET:,}/s: {'meets' if meets else 'MISSES'} it"
    )
    result = figure(
        "price", value, floor, unit="evaluations/s", better="higher", places=1,
        target=f"≥ {TARGET:,}/s", meets=meets, evaluations=evaluations,
        uncached=round(uncached, 1), lines=lines,
    )  # fmt: skip
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
