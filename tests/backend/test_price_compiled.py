"""The compiled price path gives the very Decimals of the engine it replaced, and a preview of a
stored plan prices with compiled terms cached by version that an in-place edit replaces.

``reference_price`` is the engine as it was before the compiled path (frozen dataclasses, the
rounding passed as keywords), kept here only to compare with: every figure of every price,
rounding included, must be the same Decimal with the same digits (``str``), over random tier
shapes, quantities, prorations and discounts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from bisect import bisect_left
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow
from typing import Any

import pytest

from opcms.core.context import acting_as, system_actor
from opcms.pricing import service
from opcms.pricing.engine import compile_plan, price
from opcms.pricing.models import PricingPlanVersion
from opcms.pricing.plan import PlanTerms, PricingMode
from opcms.pricing.schemas import PreviewRequest, VersionCreate
from tests.backend.factories import make_plan

D = Decimal

# --- the engine before the compiled path, as the reference -------------------------------------
_EXACT = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
_APPROX = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow])
ZERO, CENT, HUNDRED = D(0), D("0.01"), D(100)


@dataclasses.dataclass(frozen=True, slots=True)
class _Line:
    tier: int
    from_: Decimal
    up_to: Decimal | None
    quantity: Decimal
    unit_price: Decimal
    flat_fee: Decimal
    amount: Decimal
    packages: Decimal | None = None


def reference_price(
    terms: PlanTerms,
    quantity: Decimal,
    days_active: int | None = None,
    days_in_period: int | None = None,
    discount_percent: Decimal = ZERO,
) -> tuple[Any, ...]:
    """The figures of a price, in the order of ``engine.Price``'s fields."""
    mode = PricingMode(terms.mode)
    bands, lower = [], ZERO
    for number, tier in enumerate(terms.tiers or (), start=1):
        bands.append((number, lower, tier.up_to, tier.unit_price, tier.flat_fee))
        if tier.up_to is not None:
            lower = tier.up_to
    full_lines, totals_before, total = [], [], ZERO
    for number, low, upper, unit_price, flat_fee in bands:
        totals_before.append(total)
        if upper is None:
            break
        width = _EXACT.subtract(upper, low)
        amount = _EXACT.add(_EXACT.multiply(width, unit_price), flat_fee)
        full_lines.append(_Line(number, low, upper, width, unit_price, flat_fee, amount))
        total = _EXACT.add(total, amount)
    bounds = [band[2] for band in bands if band[2] is not None]
    plan_unit = terms.package_price if mode is PricingMode.package else terms.unit_price
    plan_unit = ZERO if plan_unit is None else plan_unit

    included = terms.included_quantity
    billed = _EXACT.subtract(quantity, included) if quantity > included else ZERO
    breakdown: tuple[_Line, ...]
    if mode is PricingMode.graduated:
        if billed:
            index = bisect_left(bounds, billed)
            number, low, upper, unit_price, flat_fee = bands[index]
            part = _EXACT.subtract(billed, low)
            line_amount = _EXACT.add(_EXACT.multiply(part, unit_price), flat_fee)
            usage = _EXACT.add(totals_before[index], line_amount)
            breakdown = (
                *full_lines[:index],
                _Line(number, low, upper, part, unit_price, flat_fee, line_amount),
            )
        else:
            usage, breakdown = ZERO, ()
    elif mode is PricingMode.per_unit:
        usage = _EXACT.multiply(billed, plan_unit)
        breakdown = (_Line(1, ZERO, None, billed, plan_unit, ZERO, usage),)
    elif mode is PricingMode.volume:
        if billed:
            number, low, upper, unit_price, flat_fee = bands[bisect_left(bounds, billed)]
            usage = _EXACT.add(_EXACT.multiply(billed, unit_price), flat_fee)
            breakdown = (_Line(number, low, upper, billed, unit_price, flat_fee, usage),)
        else:
            usage, breakdown = ZERO, ()
    else:
        assert terms.package_size is not None
        packages, rest = _EXACT.divmod(billed, terms.package_size)
        if rest:
            packages = _EXACT.add(packages, 1)
        usage = _EXACT.multiply(packages, plan_unit)
        breakdown = (_Line(1, ZERO, None, billed, plan_unit, ZERO, usage, packages),)

    monthly_fee, minimum, proration = terms.monthly_fee, terms.minimum_amount, None
    arithmetic = _EXACT
    if days_active is not None and days_in_period is not None:
        proration = (days_active, days_in_period)

        def prorate(value: Decimal) -> Decimal:
            if not value or days_active == days_in_period:
                return value
            return _APPROX.divide(_EXACT.multiply(value, days_active), days_in_period)

        monthly_fee, minimum, arithmetic = prorate(monthly_fee), prorate(minimum), _APPROX
    charge = arithmetic.add(usage, monthly_fee) if monthly_fee else usage
    if charge < minimum:
        top_up = arithmetic.subtract(minimum, charge)
        charge = minimum
    else:
        top_up = ZERO
    if discount_percent:
        discount = arithmetic.divide(arithmetic.multiply(charge, discount_percent), HUNDRED)
        charge = arithmetic.subtract(charge, discount)
    else:
        discount_percent, discount = ZERO, ZERO
    amount = charge.quantize(CENT, rounding=ROUND_HALF_UP, context=_APPROX)
    lines = tuple(dataclasses.astuple(line) for line in breakdown)
    return (
        quantity, included, billed, usage, monthly_fee, minimum, top_up,
        discount_percent, discount, amount, proration, lines,
    )  # fmt: skip


def exact(value: Any) -> Any:
    """A figure with its digits: Decimals as their str (2.50 is not 2.5), tuples walked."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return tuple(exact(item) for item in value)
    return value


# --- random plans ------------------------------------------------------------------------------
def _amount(rng: random.Random, places: int, top: int) -> Decimal:
    return D(rng.randrange(0, top * 10**places)).scaleb(-places)


def random_terms(rng: random.Random) -> PlanTerms:
    mode = rng.choice(list(PricingMode))
    places = rng.choice((0, 0, 2, 4))
    body: dict[str, Any] = {"mode": mode.value}
    if mode in (PricingMode.graduated, PricingMode.volume):
        count = rng.randint(1, 20)
        bounds = sorted({D(rng.randrange(1, 10**6 * 10**places)).scaleb(-places) for _ in range(count - 1)})
        body["tiers"] = [
            {
                "up_to": str(bound) if bound is not None else None,
                "unit_price": str(_amount(rng, 6, 2)),
                "flat_fee": str(_amount(rng, 2, 100) if rng.random() < 0.4 else ZERO),
            }
            for bound in [*bounds, None]
        ]
    elif mode is PricingMode.per_unit:
        body["unit_price"] = str(_amount(rng, 6, 2))
    else:
        body["package_size"] = str(D(rng.randrange(1, 10**4 * 10**places)).scaleb(-places))
        body["package_price"] = str(_amount(rng, 6, 100))
    for name, chance, places_, top in (
        ("included_quantity", 0.3, 4, 10**5),
        ("monthly_fee", 0.3, 2, 10**4),
        ("minimum_amount", 0.3, 2, 10**5),
    ):
        if rng.random() < chance:
            body[name] = str(_amount(rng, places_, top))
    return PlanTerms.model_validate(body)


def quantities(rng: random.Random, terms: PlanTerms) -> list[Decimal]:
    """Random ones, zero, and each bound, just below and just above it (after the allowance)."""
    picked = [ZERO, terms.included_quantity]
    picked += [_amount(rng, rng.choice((0, 4)), rng.choice((10, 10**4, 10**6, 10**8))) for _ in range(6)]
    for tier in terms.tiers:
        if tier.up_to is not None:
            edge = tier.up_to + terms.included_quantity
            picked += [edge, edge - D("0.0001"), edge + D("0.0001")]
    return [q for q in picked if q >= 0]


def test_the_compiled_path_prices_every_figure_as_the_old_engine_did():
    # given a thousand random plans of every mode, with 1 to 20 tiers, allowances, fees and minimums
    rng = random.Random(17)
    checked = 0
    for _ in range(1000):
        terms = random_terms(rng)
        compiled = compile_plan(terms)
        for quantity in quantities(rng, terms):
            days = rng.choice((None, 28, 30, 31))
            active = None if days is None else rng.randint(1, days)
            discount = rng.choice((ZERO, ZERO, D("5"), D("12.5"), D("33.33"), D("100")))
            # when both price the same quantity, proration and discount
            new = price(
                compiled, quantity, days_active=active, days_in_period=days, discount_percent=discount
            )
            old = reference_price(terms, quantity, active, days, discount)
            # then every figure, the breakdown's included, is the same Decimal with the same digits
            assert exact(tuple(new)) == exact(old), (terms, quantity, active, days, discount)
            checked += 1
    assert checked > 10_000


def test_results_stay_immutable_and_shared_lines_unchanged():
    # given a compiled graduated plan and a price with wholly used tiers
    terms = PlanTerms.model_validate(
        {"mode": "graduated", "tiers": [{"up_to": "10", "unit_price": "1"}, {"unit_price": "2"}]}
    )
    compiled = compile_plan(terms)
    result = price(compiled, D("15"))
    # when one tries to change a figure or a breakdown line, then it is refused
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.amount = D(0)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.breakdown[0].amount = D(0)  # type: ignore[misc]
    # and the line of the wholly used tier is the compiled one, the same for every price
    assert price(compiled, D("20")).breakdown[0] is result.breakdown[0]
    assert exact(tuple(result)) == exact(reference_price(terms, D("15")))


# --- the cache on the preview path ---------------------------------------------------------------
@pytest.fixture
def empty_cache():
    service._compiled.clear()
    yield
    service._compiled.clear()


async def _version(plan_id: int) -> PricingPlanVersion:
    found = await service.version_in_force(plan_id, dt.date(2024, 12, 31))
    assert found is not None
    return found


async def test_a_stored_version_is_compiled_once_and_priced_as_its_terms(db, empty_cache):
    # given a stored graduated plan
    plan = await make_plan(
        effective_from=dt.date(2024, 1, 1),
        mode="graduated",
        tiers=[{"up_to": "1000", "unit_price": "0.01", "flat_fee": "5"}, {"unit_price": "0.005"}],
        monthly_fee="10",
    )
    # when its version is previewed twice (read again from the database each time)
    first = service.price_preview(await _version(plan.id), D("1500.5"))
    cached = service._compiled[(await _version(plan.id)).id][1]
    second = service.price_preview(await _version(plan.id), D("1500.5"), discount_percent=D("10"))
    # then the second used the terms compiled by the first, and both price as the stored terms
    assert service._compiled[(await _version(plan.id)).id][1] is cached
    terms = service.terms_of(await _version(plan.id))
    assert exact(tuple(first)) == exact(reference_price(terms, D("1500.5")))
    assert exact(tuple(second)) == exact(reference_price(terms, D("1500.5"), discount_percent=D("10")))
    assert first.amount == D("27.50")  # 10 + 5 + 1000 × 0.01 + 500.5 × 0.005 = 27.5025


async def test_an_unbilled_version_edited_in_place_is_priced_with_its_new_terms(db, empty_cache):
    # given a stored plan previewed once (its terms now cached)
    plan = await make_plan(effective_from=dt.date(2024, 1, 1), mode="per_unit", unit_price="0.01")
    request = PreviewRequest(plan_id=plan.id, on=dt.date(2024, 6, 1), quantity=D("1000"))
    before, version = await service.preview(request)
    assert before.amount == D("10.00") and version is not None
    # when its unbilled version 1 is edited in place, on its own date
    with acting_as(system_actor("test")):
        edited, created = await service.add_version(
            plan.id, VersionCreate(mode="per_unit", unit_price=D("0.02"), effective_from=dt.date(2024, 1, 1))
        )
    assert not created and edited.id == version.id
    # then the next preview prices with the new terms, not the cached old ones
    after, again = await service.preview(request)
    assert after.amount == D("20.00") and again is not None and again.id == version.id
    assert service._compiled[version.id][0] == again.updated_at


async def test_a_preview_of_a_document_is_not_cached(db, empty_cache):
    # given a plan document (no stored version)
    body = {"metric": "api_calls", "mode": "per_unit", "unit_price": "0.5"}
    # when it is previewed, then it is priced and nothing is cached
    result, version = await service.preview(PreviewRequest.model_validate({"plan": body, "quantity": "3"}))
    assert (result.amount, version, service._compiled) == (D("1.50"), None, {})


def test_the_cache_is_bounded_and_forgets_the_oldest(monkeypatch, empty_cache):
    # given a cache of at most 2 entries
    monkeypatch.setattr(service, "COMPILED_LIMIT", 2)
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    versions = [
        PricingPlanVersion(id=n, mode="per_unit", unit_price=D("0.01"), tiers=[], updated_at=now)
        for n in (1, 2, 3)
    ]
    # when three versions are priced
    for version in versions:
        assert service.price_preview(version, D("100")).amount == D("1.00")
    # then the first is forgotten and the two latest are kept
    assert list(service._compiled) == [2, 3]
    # and a row that was never saved (no id) is priced but not cached
    assert service.price_preview(
        PricingPlanVersion(mode="per_unit", unit_price=D("1"), tiers=[]), D("2")
    ).amount
    assert list(service._compiled) == [2, 3]
