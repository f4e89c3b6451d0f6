"""``opcms bench price``: pricing evaluations per second in process (DESIGN §15: ≥ 100,000/s).

The mix is what an invoice run sees: plans compiled once, then one ``price()`` per customer
with its own quantity, some with an included allowance, a minimum commitment, a discount or a
part-month proration. The last line printed is one JSON object (higher is better here).
"""

from __future__ import annotations

import json
import random
import time
from decimal import Decimal

from opcms.pricing.engine import CompiledPlan, compile_plan, price
from opcms.pricing.plan import PlanTerms

FLOOR = 100_000  # evaluations/s (DESIGN §15)

PLANS: dict[str, dict] = {
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


Case = tuple[CompiledPlan, Decimal, "int | None", "int | None", Decimal]


def _cases(plans: list[CompiledPlan], evaluations: int, seed: int = 20240501) -> list[Case]:
    """(plan, quantity, days_active, days_in_period, discount) per evaluation, made up front so
    that only pricing is timed."""
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
            plans[i % len(plans)], quantity,
            rng.randint(1, 30) if prorated else None, 30 if prorated else None,
            rng.choice(discounts),
        ))  # fmt: skip
    return cases


def main(evaluations: int = 200_000) -> int:
    evaluations = max(1, evaluations)
    plans = [compile_plan(PlanTerms.model_validate(terms)) for terms in PLANS.values()]
    cases = _cases(plans, evaluations)
    # warm-up (first calls pay for imports and caches), then the timed run, best of 3
    for plan, quantity, days_active, days_in_period, discount in cases[:1000]:
        price(
            plan, quantity, days_active=days_active, days_in_period=days_in_period, discount_percent=discount
        )
    best = float("inf")
    total = Decimal(0)
    for _ in range(3):
        total = Decimal(0)
        started = time.perf_counter()
        for plan, quantity, days_active, days_in_period, discount in cases:
            total += price(
                plan,
                quantity,
                days_active=days_active,
                days_in_period=days_in_period,
                discount_percent=discount,
            ).amount
        best = min(best, time.perf_counter() - started)
    value = evaluations / best

    # per mode, for the record (same cases, each mode alone)
    print(
        f"price bench: {evaluations:,} evaluations over {len(PLANS)} plans (best of 3), total billed {total:,}"
    )
    for name, plan in zip(PLANS, plans, strict=False):
        own = [case for case in cases if case[0] is plan]
        started = time.perf_counter()
        for _, quantity, days_active, days_in_period, discount in own:
            price(
                plan,
                quantity,
                days_active=days_active,
                days_in_period=days_in_period,
                discount_percent=discount,
            )
        seconds = time.perf_counter() - started
        print(f"  {name:<10} {len(own) / max(seconds, 1e-9):>12,.0f} evaluations/s")
    # a PlanTerms priced without compiling first (a one-off preview does this)
    terms = PlanTerms.model_validate(PLANS["graduated"])
    runs = min(evaluations, 20_000)
    started = time.perf_counter()
    for _, quantity, *_ in cases[:runs]:
        price(terms, quantity)
    print(
        f"  {'uncompiled':<10} {runs / (time.perf_counter() - started):>12,.0f} evaluations/s (graduated, compiled per call)"
    )
    print(
        f"  all        {value:>12,.0f} evaluations/s  floor {FLOOR:,}: {'meets' if value >= FLOOR else 'MISSES'} the target"
    )
    result = {
        "bench": "price", "value": round(value, 1), "floor": FLOOR, "ratio": round(value / FLOOR, 3),
        "unit": "evaluations/s", "better": "higher", "meets": value >= FLOOR, "evaluations": evaluations,
    }  # fmt: skip
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
