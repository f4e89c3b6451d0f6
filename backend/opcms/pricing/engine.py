"""The pricing engine: one pure function, ``price()``, used by the preview and by billing.

No I/O, no float, ``Decimal`` only. It trusts a validated plan (``pricing.plan``) and prices
one metric for one period. docs/pricing.md has the same rules with worked examples.

Rules, in the order they apply:

1. **billed quantity** = max(0, quantity − included_quantity). The mode prices the billed
   quantity; tier bounds apply to it (the included units come "before" tier 1).
2. **usage amount**, by mode:

   - ``per_unit``: billed × unit_price.
   - ``package``: ceil(billed / package_size) × package_price; billed 0 is 0 packages.
   - ``graduated`` (Stripe's "graduated"): tier i covers (up_to[i-1], up_to[i]], the first
     starting above 0; each tier prices the part of billed inside it at its unit_price, and
     its flat_fee is charged when that part is > 0.
   - ``volume`` (Stripe's "volume"): all of billed at the unit_price of the first tier with
     up_to >= billed (the open-ended last tier otherwise), plus that tier's flat_fee. Billed 0
     reaches no tier: amount 0, no flat fee.

3. **proration**: with ``days_active`` and ``days_in_period`` (1 ≤ days_active ≤
   days_in_period), monthly_fee and minimum_amount are multiplied by days_active /
   days_in_period. Usage is not: it already is the usage of the active days only.
4. **charge** = usage amount + (prorated) monthly_fee; below the (prorated) minimum_amount it
   is raised to it, the difference being ``minimum_top_up``.
5. **discount** = charge × discount_percent / 100 (0 ≤ discount_percent ≤ 100).
6. **amount** = charge − discount, rounded once, here, to 0.01 ROUND_HALF_UP (DESIGN §2: an
   invoice line is rounded once). Everything before is exact: the figures of the result other
   than ``amount`` (tier amounts, usage amount, fees, discount) are unrounded.

Exactness: quantities and prices are at most 20 and 18 digits, so a product needs at most 38;
arithmetic runs in a private 60-digit context that traps ``Inexact``, so an input needing
more raises instead of being rounded silently. The one inexact step is the division by
days_in_period in a proration (2/3 has no finite decimal); it is carried to 60 significant
digits, far below the cent, so the final rounding is the one of the exact value.

Speed: billing prices thousands of customers with the same plan, so the plan is compiled once
(``compile_plan``) into a ``CompiledPlan`` with its tier bounds, and for graduated plans the
charge of every wholly used tier, precomputed; ``price()`` then does a bisection and a few
multiplications. Passing a ``PlanTerms`` compiles it on every call: fine for one preview,
wasteful in a loop.

Breakdown lines (``TierCharge``): graduated lists the tiers with quantity > 0 (none when
billed is 0); volume the one tier reached (none when billed is 0); per_unit and package always
one line, numbered tier 1, from 0, open-ended. A package line's ``quantity`` is the billed
quantity, ``packages`` the number of packages charged and ``unit_price`` the package price.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import FrozenInstanceError, dataclass
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from typing import Any, NamedTuple

from opcms.pricing.plan import PlanTerms, PricingMode, plain

__all__ = ["CompiledPlan", "Price", "Proration", "TierCharge", "compile_plan", "price", "price_compiled"]

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# Exact arithmetic: 60 digits hold any product of schema-valid inputs with room to spare, and
# Inexact is trapped so that a value needing more raises rather than being rounded silently.
_EXACT = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
# After a proration the figures are 60-digit approximations of repeating decimals: adding or
# rounding them is inexact by nature (and harmless, far below the cent), so nothing is trapped.
_APPROX = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow])

# The final rounding: to the cent, half up (what charge.quantize(CENT, ROUND_HALF_UP) does in
# _APPROX, through a context that carries the rounding so the hot path passes no keywords).
_ROUND_CENT = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])

# bound methods: the hot path calls them directly (no context switch per call)
_mul = _EXACT.multiply
_add = _EXACT.add
_sub = _EXACT.subtract
_round = _ROUND_CENT.quantize
# a result tuple made without the named tuple's keyword-handling __new__ (all fields given)
_new = tuple.__new__

_PER_UNIT = PricingMode.per_unit
_GRADUATED = PricingMode.graduated
_VOLUME = PricingMode.volume
_PACKAGE = PricingMode.package


class TierCharge(NamedTuple):
    """One line of the breakdown: the part of the billed quantity priced by one tier.

    ``from_`` is the tier's exclusive lower bound (0 for the first), ``up_to`` its inclusive
    upper bound (None: open-ended). ``amount`` = quantity × unit_price + flat_fee, exact
    (for a package line: packages × unit_price, where unit_price is the package price).

    Immutable (a named tuple: made in a fraction of a frozen dataclass's time, which matters
    at hundreds of thousands of prices a second); the lines of wholly used tiers are shared by
    every price of a compiled plan."""

    tier: int
    from_: Decimal
    up_to: Decimal | None
    quantity: Decimal
    unit_price: Decimal
    flat_fee: Decimal
    amount: Decimal
    packages: Decimal | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "from": plain(self.from_),
            "up_to": None if self.up_to is None else plain(self.up_to),
            "quantity": plain(self.quantity),
            "unit_price": plain(self.unit_price),
            "flat_fee": money(self.flat_fee),
            "amount": money(self.amount),
            "packages": None if self.packages is None else plain(self.packages),
        }


class Proration(NamedTuple):
    days_active: int
    days_in_period: int


class Price(NamedTuple):
    """The priced line. Every figure is exact except ``amount``, rounded once to 0.01.
    Immutable, like ``TierCharge``."""

    quantity: Decimal
    included_quantity: Decimal
    billed_quantity: Decimal
    usage_amount: Decimal
    monthly_fee: Decimal  # prorated when proration is given
    minimum_amount: Decimal  # prorated when proration is given
    minimum_top_up: Decimal  # what the minimum added to the charge (0 when not reached)
    discount_percent: Decimal
    discount: Decimal  # taken off the charge, a positive number
    amount: Decimal  # (usage + monthly fee + top-up − discount), rounded to 0.01 half up
    proration: Proration | None
    breakdown: tuple[TierCharge, ...]

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: decimals as strings (``amount`` always with 2 decimals)."""
        return {
            "amount": str(self.amount),
            "quantity": plain(self.quantity),
            "billed_quantity": plain(self.billed_quantity),
            "included_quantity": plain(self.included_quantity),
            "usage_amount": money(self.usage_amount),
            "monthly_fee": money(self.monthly_fee),
            "minimum_amount": money(self.minimum_amount),
            "minimum_top_up": money(self.minimum_top_up),
            "discount_percent": plain(self.discount_percent),
            "discount": money(self.discount),
            "proration": None if self.proration is None else self.proration._asdict(),
            "breakdown": [line.to_dict() for line in self.breakdown],
        }


class _Band(NamedTuple):
    """A tier as the engine walks it."""

    number: int  # 1-based
    lower: Decimal  # exclusive
    upper: Decimal | None  # inclusive; None for the open-ended last tier
    unit_price: Decimal
    flat_fee: Decimal


@dataclass(frozen=True, slots=True)
class CompiledPlan:
    """A plan's terms ready for ``price()``: immutable and hashable, so one can be shared by
    every customer on a plan version (and cached by version id)."""

    mode: PricingMode
    unit_price: Decimal  # per_unit: the unit price; package: the package price
    package_size: Decimal | None
    monthly_fee: Decimal
    included_quantity: Decimal
    minimum_amount: Decimal
    bands: tuple[_Band, ...]
    # up_to of every tier but the open-ended last, ascending: bisect_left(bounds, billed) is
    # the index of the tier billed falls into ((lower, upper] per tier)
    bounds: tuple[Decimal, ...]
    # graduated: the line of tier i when wholly used, and the total of the tiers before tier i
    full_lines: tuple[TierCharge, ...]
    totals_before: tuple[Decimal, ...]


def compile_plan(terms: PlanTerms | CompiledPlan) -> CompiledPlan:
    """Precompute what ``price()`` needs from validated terms (a CompiledPlan is returned as is)."""
    if isinstance(terms, CompiledPlan):
        return terms
    mode = PricingMode(terms.mode)
    bands: list[_Band] = []
    lower = ZERO
    for number, tier in enumerate(terms.tiers or (), start=1):
        bands.append(_Band(number, lower, tier.up_to, tier.unit_price, tier.flat_fee))
        if tier.up_to is not None:
            lower = tier.up_to
    full_lines: list[TierCharge] = []
    totals_before: list[Decimal] = []
    total = ZERO
    for band in bands:
        totals_before.append(total)
        if band.upper is None:
            break
        width = _sub(band.upper, band.lower)
        amount = _add(_mul(width, band.unit_price), band.flat_fee)
        full_lines.append(
            TierCharge(band.number, band.lower, band.upper, width, band.unit_price, band.flat_fee, amount)
        )
        total = _add(total, amount)
    unit_price = terms.package_price if mode is _PACKAGE else terms.unit_price
    return CompiledPlan(
        mode=mode,
        unit_price=ZERO if unit_price is None else unit_price,
        package_size=terms.package_size,
        monthly_fee=terms.monthly_fee,
        included_quantity=terms.included_quantity,
        minimum_amount=terms.minimum_amount,
        bands=tuple(bands),
        bounds=tuple(band.upper for band in bands if band.upper is not None),
        full_lines=tuple(full_lines),
        totals_before=tuple(totals_before),
    )


def price(
    terms: PlanTerms | CompiledPlan,
    quantity: Decimal,
    *,
    days_active: int | None = None,
    days_in_period: int | None = None,
    discount_percent: Decimal = ZERO,
) -> Price:
    """Price ``quantity`` of a metric for one period on a plan (rules in the module docstring).

    Raises ValueError for a negative or non-finite quantity, a discount outside 0..100, or a
    proration that is not 1 ≤ days_active ≤ days_in_period (or gives only one of the two)."""
    plan = terms if type(terms) is CompiledPlan else compile_plan(terms)
    return price_compiled(plan, quantity, days_active, days_in_period, discount_percent)


def price_compiled(
    plan: CompiledPlan,
    quantity: Decimal,
    days_active: int | None = None,
    days_in_period: int | None = None,
    discount_percent: Decimal = ZERO,
) -> Price:
    """``price()`` of a compiled plan, its arguments positional: the hot path of a preview."""
    if type(quantity) is not Decimal:
        quantity = _as_decimal(quantity, "quantity")
    if not quantity.is_finite() or quantity < ZERO:
        raise ValueError(f"quantity must be a number ≥ 0, not {quantity}")

    included = plan.included_quantity
    billed = _sub(quantity, included) if quantity > included else ZERO

    # --- usage amount and its breakdown -------------------------------------------------------
    mode = plan.mode
    if mode is _GRADUATED:
        if billed:
            index = bisect_left(plan.bounds, billed)
            number, lower, upper, unit_price, flat_fee = plan.bands[index]
            part = _sub(billed, lower)
            line_amount = _add(_mul(part, unit_price), flat_fee)
            usage = _add(plan.totals_before[index], line_amount)
            breakdown = plan.full_lines[:index] + (
                _new(TierCharge, (number, lower, upper, part, unit_price, flat_fee, line_amount, None)),
            )
        else:
            usage, breakdown = ZERO, ()
    elif mode is _PER_UNIT:
        usage = _mul(billed, plan.unit_price)
        breakdown = (_new(TierCharge, (1, ZERO, None, billed, plan.unit_price, ZERO, usage, None)),)
    elif mode is _VOLUME:
        if billed:
            number, lower, upper, unit_price, flat_fee = plan.bands[bisect_left(plan.bounds, billed)]
            usage = _add(_mul(billed, unit_price), flat_fee)
            breakdown = (_new(TierCharge, (number, lower, upper, billed, unit_price, flat_fee, usage, None)),)
        else:
            usage, breakdown = ZERO, ()
    else:  # package
        # validated terms: a package plan always has its package_size
        packages, rest = _EXACT.divmod(billed, plan.package_size)  # type: ignore[arg-type]
        if rest:
            packages = _add(packages, 1)
        usage = _mul(packages, plan.unit_price)
        breakdown = (_new(TierCharge, (1, ZERO, None, billed, plan.unit_price, ZERO, usage, packages)),)

    # --- fees, minimum, discount -----------------------------------------------------------------
    monthly_fee = plan.monthly_fee
    minimum = plan.minimum_amount
    proration = None
    if days_active is not None or days_in_period is not None:
        proration = _proration(days_active, days_in_period)
        monthly_fee = _prorate(monthly_fee, proration)
        minimum = _prorate(minimum, proration)
        arithmetic = _APPROX  # from here on the figures may be repeating decimals
    else:
        arithmetic = _EXACT

    charge = arithmetic.add(usage, monthly_fee) if monthly_fee else usage
    if charge < minimum:
        top_up = arithmetic.subtract(minimum, charge)
        charge = minimum
    else:
        top_up = ZERO

    if discount_percent:
        if type(discount_percent) is not Decimal:
            discount_percent = _as_decimal(discount_percent, "discount_percent")
        if not discount_percent.is_finite() or not ZERO <= discount_percent <= HUNDRED:
            raise ValueError(f"discount_percent must be between 0 and 100, not {discount_percent}")
        discount = arithmetic.divide(arithmetic.multiply(charge, discount_percent), HUNDRED)
        charge = arithmetic.subtract(charge, discount)
    else:
        discount_percent = ZERO
        discount = ZERO

    # the context's rounding is ROUND_HALF_UP: charge.quantize(CENT, ROUND_HALF_UP), positional
    amount = _round(charge, CENT)
    return _new(Price, (
        quantity, included, billed, usage, monthly_fee, minimum, top_up,
        discount_percent, discount, amount, proration, breakdown,
    ))  # fmt: skip


def _as_decimal(value: Any, name: str) -> Decimal:
    """An int is taken as is; a float is refused (it cannot hold 0.01 exactly), as is the rest."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"{name} must be a Decimal (or int), not {type(value).__name__}")


def _proration(days_active: int | None, days_in_period: int | None) -> Proration:
    if days_active is None or days_in_period is None:
        raise ValueError("proration needs both days_active and days_in_period")
    for name, value in (("days_active", days_active), ("days_in_period", days_in_period)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 1 <= days_active <= days_in_period:
        raise ValueError(
            f"days_active must be between 1 and days_in_period ({days_in_period}), not {days_active}"
        )
    return Proration(days_active, days_in_period)


def _prorate(value: Decimal, proration: Proration) -> Decimal:
    """value × days_active / days_in_period: the multiplication is exact, the division is the
    engine's only inexact step (60 significant digits)."""
    if not value or proration.days_active == proration.days_in_period:
        return value
    return _APPROX.divide(_mul(value, proration.days_active), proration.days_in_period)


# --- display ------------------------------------------------------------------------------------
_DISPLAY_STEP = Decimal("1e-10")


def money(value: Decimal) -> str:
    """A money figure for display: at least 2 decimals ("120.00", "0.0125"), trailing zeros
    beyond them dropped. Exact figures have at most 10 decimals (4 of a quantity + 6 of a unit
    price); only prorated fees, top-ups and discounts can have more, and show 10 (rounded half
    up, display only: the amount was computed from the exact value)."""
    # as_tuple().exponent is a str only for NaN and infinities, which no amount is
    if value.as_tuple().exponent < -10:  # type: ignore[operator]
        value = value.quantize(_DISPLAY_STEP, rounding=ROUND_HALF_UP, context=_APPROX)
    normal = value.normalize(_APPROX)
    if normal.as_tuple().exponent >= -2:  # type: ignore[operator]  # finite, as above
        return format(value.quantize(CENT, context=_APPROX), "f")
    return format(normal, "f")
