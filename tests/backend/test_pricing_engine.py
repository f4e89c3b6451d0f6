"""The pricing engine and the plan document (DESIGN §2, §5; docs/pricing.md). No database.

Golden figures are worked out by hand in the comments; the property tests then check the
rules that must hold for any plan."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from opcms.cli.pricing import price_command
from opcms.pricing.engine import CompiledPlan, Price, TierCharge, compile_plan, price
from opcms.pricing.plan import PlanDocument, PlanTerms, PricingMode

D = Decimal

DESIGN_EXAMPLE = {
    "metric": "api_calls", "mode": "graduated",
    "unit_price": None,
    "tiers": [{"up_to": "10000", "unit_price": "0.010000", "flat_fee": "0"},
              {"up_to": None, "unit_price": "0.008000", "flat_fee": "0"}],
    "package_size": None, "package_price": None,
    "monthly_fee": "0", "included_quantity": "0", "minimum_amount": "0",
}  # fmt: skip


def terms(**fields) -> PlanTerms:
    return PlanTerms.model_validate(fields)


def graduated(**extra) -> PlanTerms:
    # tier 1 (0, 1000] at 0.05 + 10; tier 2 (1000, 5000] at 0.04 + 20; tier 3 (5000, ∞) at 0.03
    return terms(mode="graduated", tiers=[
        {"up_to": "1000", "unit_price": "0.05", "flat_fee": "10"},
        {"up_to": "5000", "unit_price": "0.04", "flat_fee": "20"},
        {"up_to": None, "unit_price": "0.03"},
    ], **extra)  # fmt: skip


def volume(**extra) -> PlanTerms:
    # tier 1 (0, 1000] at 0.05; tier 2 (1000, 5000] at 0.04 + 20; tier 3 (5000, ∞) at 0.03 + 50
    return terms(mode="volume", tiers=[
        {"up_to": "1000", "unit_price": "0.05"},
        {"up_to": "5000", "unit_price": "0.04", "flat_fee": "20"},
        {"up_to": None, "unit_price": "0.03", "flat_fee": "50"},
    ], **extra)  # fmt: skip


def package(**extra) -> PlanTerms:
    return terms(mode="package", package_size="1000", package_price="8.50", **extra)


def per_unit(unit_price: str = "0.012", **extra) -> PlanTerms:
    return terms(mode="per_unit", unit_price=unit_price, **extra)


def amount(plan, quantity, **kwargs) -> Decimal:
    return price(plan, D(quantity), **kwargs).amount


# --- the plan document ----------------------------------------------------------------------------
def test_the_design_example_is_a_valid_plan_document():
    plan = PlanDocument.model_validate(DESIGN_EXAMPLE)
    assert plan.metric == "api_calls" and plan.mode is PricingMode.graduated
    assert [t.up_to for t in plan.tiers] == [D("10000"), None]
    assert list(PlanDocument.model_fields)[0] == "metric"  # as in the document
    assert isinstance(plan, PlanTerms)  # the engine takes it as it is
    # and it round-trips through its JSON
    assert PlanDocument.model_validate_json(plan.model_dump_json()) == plan


def test_tiers_null_means_no_tiers_and_omitted_fields_take_their_defaults():
    plan = PlanDocument.model_validate(
        {"metric": "sms", "mode": "per_unit", "unit_price": "0.05", "tiers": None}
    )
    assert (
        plan.tiers == []
        and plan.monthly_fee == 0
        and plan.included_quantity == 0
        and plan.minimum_amount == 0
    )
    # the last tier may leave up_to out: it is open-ended
    assert terms(mode="volume", tiers=[{"unit_price": "1"}]).tiers[0].up_to is None


def errors_of(document: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        PlanDocument.model_validate({"metric": "api_calls", **document})
    return [
        (".".join(map(str, e["loc"])), e["msg"].removeprefix("Value error, ")) for e in raised.value.errors()
    ]


def tiered(*bounds, mode="graduated", prices=None) -> dict:
    prices = prices or ["0.01"] * len(bounds)
    return {
        "mode": mode,
        "tiers": [{"up_to": b, "unit_price": p} for b, p in zip(bounds, prices, strict=False)],
    }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (tiered("10000", "5000", None), "tier 2: up_to 5000 must be greater than tier 1's up_to 10000"),
        (tiered("10000", "10000", None), "tier 2: up_to 10000 must be greater than tier 1's up_to 10000"),
        (tiered("0", "10", None), "tier 1: up_to must be greater than 0"),
        (
            tiered("10", None, "20", None),
            "tier 2: up_to is empty (open-ended), but only the last tier may be open-ended",
        ),
        (
            tiered("10", "20"),
            "tier 2: the last tier must be open-ended (up_to null) so that every quantity has a price, but it has up_to 20",
        ),
        (
            tiered("10", None, mode="volume", prices=["0.01", "-0.5"]),
            "tier 2 unit_price: must not be negative",
        ),
        (
            {"mode": "graduated", "tiers": [{"up_to": None, "unit_price": "1", "flat_fee": "-1"}]},
            "tier 1 flat_fee: must not be negative",
        ),
        (
            {"mode": "graduated", "tiers": [{"up_to": "-5", "unit_price": "1"}, {"unit_price": "1"}]},
            "tier 1 up_to: must not be negative",
        ),
        (tiered(*[str(i) for i in range(1, 21)], None), "at most 20 tiers are allowed; this plan has 21"),
    ],
)
def test_tier_rules_name_the_tier(document, message):
    assert errors_of(document) == [("tiers", message)]


def test_every_tier_problem_is_reported_at_once():
    [(field, message)] = errors_of(tiered("10", "5", None, "30"))
    assert field == "tiers"
    assert message.split("; ") == [
        "tier 2: up_to 5 must be greater than tier 1's up_to 10",
        "tier 3: up_to is empty (open-ended), but only the last tier may be open-ended",
        "tier 4: the last tier must be open-ended (up_to null) so that every quantity has a price, but it has up_to 30",
    ]


def test_twenty_tiers_are_allowed():
    plan = PlanDocument.model_validate({"metric": "x", **tiered(*[str(i) for i in range(1, 20)], None)})
    assert len(plan.tiers) == 20


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"mode": "per_unit"}, [("unit_price", "per_unit pricing needs a unit_price")]),
        (
            {"mode": "per_unit", "unit_price": "1", "tiers": [{"up_to": None, "unit_price": "1"}]},
            [("tiers", "per_unit pricing takes no tiers (tiers are for graduated and volume pricing)")],
        ),
        (
            {"mode": "per_unit", "unit_price": "1", "package_size": "10", "package_price": "1"},
            [
                (
                    "package_size",
                    "package_size is for package pricing only; leave it empty for per_unit pricing",
                ),
                (
                    "package_price",
                    "package_price is for package pricing only; leave it empty for per_unit pricing",
                ),
            ],
        ),
        (
            {"mode": "graduated"},
            [("tiers", "graduated pricing needs at least one tier (the last one with up_to null)")],
        ),
        (
            {"mode": "volume", "tiers": None},
            [("tiers", "volume pricing needs at least one tier (the last one with up_to null)")],
        ),
        (
            {**tiered(None), "unit_price": "0.01"},
            [("unit_price", "graduated pricing takes its prices from its tiers: leave unit_price empty")],
        ),
        (
            {**tiered(None, mode="volume"), "package_size": "100"},
            [("package_size", "package_size is for package pricing only; leave it empty for volume pricing")],
        ),
        (
            {"mode": "package"},
            [
                ("package_size", "package pricing needs a package_size"),
                ("package_price", "package pricing needs a package_price"),
            ],
        ),
        (
            {"mode": "package", "package_size": "0", "package_price": "5"},
            [("package_size", "package_size must be greater than 0 (units in one package)")],
        ),
        (
            {"mode": "package", "package_size": "10", "package_price": "5", "unit_price": "1"},
            [("unit_price", "package pricing takes its prices from package_price: leave unit_price empty")],
        ),
        (
            {"mode": "package", "package_size": "10", "package_price": "5", "tiers": [{"unit_price": "1"}]},
            [("tiers", "package pricing takes no tiers (tiers are for graduated and volume pricing)")],
        ),
    ],
)
def test_mode_rules(document, expected):
    assert errors_of(document) == expected


def test_bad_types_and_unknown_fields_are_refused():
    fields = {field for field, _ in errors_of({"mode": "per_unit", "unit_price": "-1", "monthly_fee": "1.001",
                                              "included_quantity": "-1", "discount": "5"})}  # fmt: skip
    assert fields == {"unit_price", "monthly_fee", "included_quantity", "discount"}
    assert [f for f, _ in errors_of({"mode": "per_minute"})] == ["mode"]
    with pytest.raises(ValidationError, match="metric"):
        PlanDocument.model_validate({"metric": "API calls", "mode": "per_unit", "unit_price": "1"})


# --- golden figures, mode by mode -----------------------------------------------------------------
def test_graduated_design_example():
    plan = PlanDocument.model_validate(DESIGN_EXAMPLE)
    assert amount(plan, "0") == D("0.00")
    assert price(plan, D(0)).breakdown == ()
    assert amount(plan, "5000") == D("50.00")  # inside tier 1: 5000 × 0.01
    assert amount(plan, "10000") == D("100.00")  # on the bound: tier 1 only (inclusive)
    assert amount(plan, "10001") == D("100.01")  # 100 + 1 × 0.008 = 100.008 → 100.01
    # 10000 × 0.01 + 15000 × 0.008 = 100 + 120
    result = price(plan, D("25000"))
    assert result.amount == D("220.00")
    assert [(line.tier, line.from_, line.up_to, line.quantity, line.amount) for line in result.breakdown] == [
        (1, D(0), D("10000"), D("10000"), D("100")),
        (2, D("10000"), None, D("15000"), D("120")),
    ]
    # 10^15: 100 + (10^15 − 10^4) × 0.008 = 100 + 7,999,999,999,920
    assert amount(plan, "1000000000000000") == D("8000000000020.00")


def test_graduated_flat_fees_are_charged_for_reached_tiers_only():
    plan = graduated()
    assert amount(plan, "0") == D("0.00")  # no tier reached: no flat fee
    assert amount(plan, "1") == D("10.05")  # 1 × 0.05 + 10
    assert amount(plan, "1000") == D("60.00")  # 1000 × 0.05 + 10; tier 2 not reached
    assert amount(plan, "1001") == D("80.04")  # 60 + 1 × 0.04 + 20
    assert amount(plan, "5000") == D("240.00")  # 60 + 4000 × 0.04 + 20
    # 60 + 180 + 1000 × 0.03
    result = price(plan, D("6000"))
    assert result.amount == D("270.00") and result.usage_amount == D("270")
    assert [(line.tier, line.quantity, line.flat_fee, line.amount) for line in result.breakdown] == [
        (1, D("1000"), D("10"), D("60")),
        (2, D("4000"), D("20"), D("180")),
        (3, D("1000"), D("0"), D("30")),
    ]
    # 10^15: 240 + (10^15 − 5000) × 0.03 = 240 + 29,999,999,999,850
    assert amount(plan, "1000000000000000") == D("30000000000090.00")


def test_volume_prices_everything_at_the_tier_reached():
    plan = volume()
    result = price(plan, D(0))
    assert result.amount == D("0.00") and result.breakdown == ()  # billed 0: no tier, no flat fee
    assert amount(plan, "1") == D("0.05")
    assert amount(plan, "1000") == D("50.00")  # on tier 1's bound: 1000 × 0.05
    assert amount(plan, "1001") == D("60.04")  # 1001 × 0.04 + 20
    assert amount(plan, "5000") == D("220.00")  # 5000 × 0.04 + 20
    result = price(plan, D("6000"))  # 6000 × 0.03 + 50
    assert result.amount == D("230.00")
    assert result.breakdown == (TierCharge(3, D("5000"), None, D("6000"), D("0.03"), D("50"), D("230.00")),)
    assert amount(plan, "1000000000000000") == D("30000000000050.00")  # 10^15 × 0.03 + 50


def test_package_rounds_packages_up():
    plan = package()
    result = price(plan, D(0))
    assert result.amount == D("0.00") and result.breakdown[0].packages == 0
    assert amount(plan, "1") == D("8.50")  # ceil(0.001) = 1 package
    assert amount(plan, "1000") == D("8.50")  # exactly 1 package
    assert amount(plan, "1000.0001") == D("17.00")  # 2 packages
    result = price(plan, D("3000.5"))  # ceil(3.0005) = 4 packages × 8.50
    assert result.amount == D("34.00")
    [line] = result.breakdown
    assert (line.tier, line.quantity, line.packages, line.unit_price, line.amount) == (
        1,
        D("3000.5"),
        4,
        D("8.50"),
        D("34.00"),
    )
    assert amount(plan, "1000000000000000") == D("8500000000000.00")  # 10^12 packages × 8.50


def test_per_unit():
    plan = per_unit()
    result = price(plan, D(0))
    assert result.amount == D("0.00") and len(result.breakdown) == 1 and result.breakdown[0].quantity == 0
    assert amount(plan, "12345.6789") == D("148.15")  # 148.1481468 → 148.15
    assert amount(plan, "1000000000000000") == D("12000000000000.00")  # 10^15 × 0.012


def test_included_quantity_is_free_and_comes_before_the_tiers():
    assert amount(per_unit(included_quantity="1000"), "11000") == D("120.00")  # 10000 × 0.012
    # included units larger than the quantity: nothing billed, never negative
    for plan in (per_unit(included_quantity="1000"), graduated(included_quantity="1000"),
                 volume(included_quantity="1000"), package(included_quantity="1000")):  # fmt: skip
        result = price(plan, D("999.9999"))
        assert result.billed_quantity == 0 and result.amount == D("0.00")
    # graduated: the tiers apply to the billed quantity: 1500 − 500 = 1000 → tier 1 only
    assert amount(graduated(included_quantity="500"), "1500") == D("60.00")
    assert amount(graduated(included_quantity="500"), "1501") == D("80.04")


def test_minimum_commitment_raises_the_charge():
    plan = per_unit(monthly_fee="100", minimum_amount="300")
    # 10000 × 0.012 + 100 = 220 < 300: topped up by 80
    result = price(plan, D("10000"))
    assert (result.usage_amount, result.monthly_fee, result.minimum_top_up, result.amount) == (
        D("120"),
        D("100"),
        D("80"),
        D("300.00"),
    )
    # 20000 × 0.012 + 100 = 340 ≥ 300: no top-up
    result = price(plan, D("20000"))
    assert result.minimum_top_up == 0 and result.amount == D("340.00")
    assert amount(plan, "0") == D("300.00")  # nothing used: the commitment is still due


def test_discount_applies_to_the_whole_charge():
    plan = per_unit(monthly_fee="100", minimum_amount="300")
    result = price(plan, D("20000"), discount_percent=D("10"))  # 340 − 34
    assert (result.discount, result.amount) == (D("34"), D("306.00"))
    assert amount(plan, "10000", discount_percent=D("12.5")) == D("262.50")  # 300 − 37.5
    assert amount(plan, "10000", discount_percent=D("100")) == D("0.00")
    assert amount(graduated(), "6000", discount_percent=D("0")) == D("270.00")


def test_proration_of_a_mid_month_start():
    # 20 of 30 days: monthly fee 100 → 66.666…, minimum 300 → 200; usage is not prorated
    plan = per_unit(included_quantity="1000", monthly_fee="100", minimum_amount="300")
    result = price(plan, D("11000"), days_active=20, days_in_period=30, discount_percent=D("10"))
    assert result.billed_quantity == D("10000") and result.usage_amount == D("120")
    assert result.minimum_amount == D("200")
    assert abs(result.monthly_fee - D("66.6666666666")) < D("1e-10")
    # 120 + 66.666… = 186.666… < 200 → top-up 13.333…, charge 200, discount 20
    assert abs(result.minimum_top_up - D("13.3333333333")) < D("1e-10")
    assert (result.discount, result.amount) == (D("20"), D("180.00"))
    assert result.proration == (20, 30)
    # above the minimum: 30000 billed × 0.012 = 360, + 66.666… = 426.666… → 426.67
    assert amount(plan, "31000", days_active=20, days_in_period=30) == D("426.67")
    # a whole month prorated is no proration
    assert amount(plan, "31000", days_active=30, days_in_period=30) == amount(plan, "31000")
    # 1 of 31 days: 100/31 = 3.2258… + 360 = 363.2258… → 363.23 (minimum 9.677… not reached)
    assert amount(plan, "31000", days_active=1, days_in_period=31) == D("363.23")


def test_rounding_happens_once_half_up():
    plan = per_unit("0.001")
    assert amount(plan, "5") == D("0.01")  # 0.005 → 0.01 (half up)
    assert amount(plan, "25") == D("0.03")  # 0.025 → 0.03 (half even would give 0.02)
    assert amount(plan, "4.9999") == D("0.00")  # 0.0049999 → 0.00
    assert amount(per_unit("0.000001"), "10005") == D("0.01")  # 0.010005 → 0.01
    assert amount(per_unit("1"), "0.125") == D("0.13")  # 0.125 → 0.13
    # tier amounts are not rounded one by one: 0.004 + 0.003 = 0.007 → 0.01 (not 0.00 + 0.00)
    plan = terms(mode="graduated", tiers=[{"up_to": "1", "unit_price": "0.004"}, {"unit_price": "0.003"}])
    result = price(plan, D(2))
    assert [line.amount for line in result.breakdown] == [D("0.004"), D("0.003")]
    assert result.amount == D("0.01")
    # a discount landing on half a cent: 0.10 × (1 − 95%) = 0.005 → 0.01
    assert amount(per_unit("0.1"), "1", discount_percent=D("95")) == D("0.01")


def test_arithmetic_is_exact_at_the_widest_values():
    # the widest DECIMAL(20,4) quantity × the widest DECIMAL(18,6) price: 38 significant digits,
    # beyond the default 28 of Python's decimal context
    quantity, unit_price = D("9999999999999999.9999"), D("999999999999.999999")
    result = price(per_unit(str(unit_price)), quantity)
    with localcontext() as ctx:
        ctx.prec = 100
        exact = quantity * unit_price
        rounded = exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert result.usage_amount == exact
    assert result.amount == rounded


def test_price_refuses_bad_arguments():
    plan = per_unit()
    for bad in (D(-1), D("NaN"), D("Infinity")):
        with pytest.raises(ValueError, match="quantity"):
            price(plan, bad)
    with pytest.raises(TypeError, match="float"):
        price(plan, 1.5)  # type: ignore[arg-type]
    assert price(plan, 10).amount == D("0.12")  # an int is fine
    for bad in (D("-1"), D("100.01"), D("NaN")):
        with pytest.raises(ValueError, match="discount_percent"):
            price(plan, D(1), discount_percent=bad)
    with pytest.raises(ValueError, match="both"):
        price(plan, D(1), days_active=3)
    with pytest.raises(ValueError, match="both"):
        price(plan, D(1), days_in_period=30)
    for active, period in ((0, 30), (31, 30), (-1, 30)):
        with pytest.raises(ValueError, match="days_active"):
            price(plan, D(1), days_active=active, days_in_period=period)


def test_compiled_plans_are_immutable_shareable_and_price_the_same():
    plan = graduated(monthly_fee="50")
    compiled = compile_plan(plan)
    assert compile_plan(compiled) is compiled
    assert hash(compiled) == hash(compile_plan(plan)) and compiled == compile_plan(plan)
    assert price(compiled, D("6000")) == price(plan, D("6000"))
    result = price(compiled, D("6000"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.amount = D(0)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        compiled.monthly_fee = D(0)  # type: ignore[misc]
    # the precomputed lines of wholly used tiers are shared, not mutated, by later calls
    first = price(compiled, D("1500")).breakdown
    price(compiled, D("7000"))
    assert first == price(compiled, D("1500")).breakdown


def test_to_dict_is_json_ready():
    plan = per_unit(included_quantity="1000", monthly_fee="100", minimum_amount="300")
    data = price(plan, D("11000"), days_active=20, days_in_period=30, discount_percent=D("10")).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "amount": "180.00", "quantity": "11000", "billed_quantity": "10000", "included_quantity": "1000",
        "usage_amount": "120.00", "monthly_fee": "66.6666666667", "minimum_amount": "200.00",
        "minimum_top_up": "13.3333333333", "discount_percent": "10", "discount": "20.00",
        "proration": {"days_active": 20, "days_in_period": 30},
        "breakdown": [{"tier": 1, "from": "0", "up_to": None, "quantity": "10000", "unit_price": "0.012",
                       "flat_fee": "0.00", "amount": "120.00", "packages": None}],
    }  # fmt: skip
    data = price(graduated(), D("1000.5")).to_dict()
    assert data["amount"] == "80.02"  # 60 + 0.5 × 0.04 + 20 = 80.02
    assert [line["amount"] for line in data["breakdown"]] == ["60.00", "20.02"]
    assert data["breakdown"][1]["from"] == "1000" and data["breakdown"][1]["up_to"] == "5000"
    assert price(per_unit("0.000001"), D("0.0001")).to_dict()["usage_amount"] == "0.0000000001"
    assert price(per_unit(), D(0)).to_dict()["amount"] == "0.00"
    assert price(package(), D(2500)).to_dict()["breakdown"][0]["packages"] == "3"
    assert price(per_unit("1"), D("1E+3")).to_dict()["quantity"] == "1000"  # never an exponent


# --- properties ----------------------------------------------------------------------------------
quantities = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
unit_prices = st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False, allow_infinity=False)
fees = st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False, allow_infinity=False)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def tiered_plans(draw, mode: str = "graduated") -> PlanTerms:
    bounds = sorted(draw(st.sets(st.decimals(min_value=D("0.0001"), max_value=10**8, places=4), max_size=5)))
    tiers = [{"up_to": b, "unit_price": draw(unit_prices), "flat_fee": draw(fees)} for b in bounds]
    tiers.append({"up_to": None, "unit_price": draw(unit_prices), "flat_fee": draw(fees)})
    return terms(mode=mode, tiers=tiers, included_quantity=draw(quantities), monthly_fee=draw(fees),
                 minimum_amount=draw(fees))  # fmt: skip


@st.composite
def any_plans(draw) -> PlanTerms:
    mode = draw(st.sampled_from(list(PricingMode)))
    common = {"included_quantity": draw(quantities), "monthly_fee": draw(fees), "minimum_amount": draw(fees)}
    if mode in (PricingMode.graduated, PricingMode.volume):
        return draw(tiered_plans(mode.value))
    if mode is PricingMode.per_unit:
        return terms(mode="per_unit", unit_price=draw(unit_prices), **common)
    size = draw(st.decimals(min_value=D("0.0001"), max_value=10**6, places=4))
    return terms(mode="package", package_size=size, package_price=draw(unit_prices), **common)


@settings(max_examples=300, deadline=None)
@given(tiered_plans(), quantities, quantities)
def test_graduated_is_monotone_in_quantity(plan, a, b):
    low, high = sorted((a, b))
    assert price(plan, low).usage_amount <= price(plan, high).usage_amount
    assert price(plan, low).amount <= price(plan, high).amount


@settings(max_examples=300, deadline=None)
@given(tiered_plans(), quantities)
def test_graduated_usage_is_the_sum_of_its_lines(plan, quantity):
    result = price(plan, quantity)
    assert result.usage_amount == sum((line.amount for line in result.breakdown), D(0))
    assert sum((line.quantity for line in result.breakdown), D(0)) == result.billed_quantity
    assert all(line.quantity > 0 for line in result.breakdown)
    for line in result.breakdown:  # each line stays inside its tier
        assert line.up_to is None or line.quantity <= line.up_to - line.from_


@settings(max_examples=300, deadline=None)
@given(unit_prices, quantities, quantities, fees, fees, percents)
def test_volume_with_one_open_tier_is_per_unit(unit_price, quantity, included, fee, minimum, discount):
    common = {"included_quantity": included, "monthly_fee": fee, "minimum_amount": minimum}
    as_volume = terms(mode="volume", tiers=[{"up_to": None, "unit_price": unit_price}], **common)
    as_per_unit = terms(mode="per_unit", unit_price=unit_price, **common)
    assert (
        price(as_volume, quantity, discount_percent=discount).amount
        == price(as_per_unit, quantity, discount_percent=discount).amount
    )


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=D("0.0001"), max_value=10**6, places=4), unit_prices, quantities)
def test_package_is_ceil_of_quantity_over_size_times_price(size, package_price, quantity):
    plan = terms(mode="package", package_size=size, package_price=package_price)
    with localcontext() as ctx:
        ctx.prec = 100
        packages = (quantity / size).to_integral_value(rounding=ROUND_CEILING)
        expected = packages * package_price
    result = price(plan, quantity)
    assert result.breakdown[0].packages == packages
    assert result.usage_amount == expected
    assert result.amount == expected.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@settings(max_examples=300, deadline=None)
@given(any_plans(), quantities)
def test_billed_quantity_is_never_negative(plan, quantity):
    result = price(plan, quantity)
    assert result.billed_quantity >= 0
    assert result.billed_quantity == max(D(0), quantity - plan.included_quantity)
    assert result.usage_amount >= 0 and result.amount >= 0


@settings(max_examples=500, deadline=None)
@given(
    any_plans(), quantities, percents, st.one_of(st.none(), st.tuples(st.integers(1, 31), st.integers(1, 31)))
)
def test_amount_has_two_decimals_and_is_the_charge_rounded_once(plan, quantity, discount, days):
    days_active, days_in_period = sorted(days) if days else (None, None)
    result = price(
        plan, quantity, discount_percent=discount, days_active=days_active, days_in_period=days_in_period
    )
    assert result.amount.as_tuple().exponent == -2
    tiny = D("1e-40")  # prorated figures are 60-digit approximations of repeating decimals
    with localcontext() as ctx:
        ctx.prec = 100
        # the rule: charge = max(usage + monthly fee, minimum), less the discount, rounded once
        charge = max(result.usage_amount + result.monthly_fee, result.minimum_amount)
        assert abs(result.usage_amount + result.monthly_fee + result.minimum_top_up - charge) < tiny
        assert abs(result.discount - charge * discount / 100) < tiny
        assert result.amount == (charge - charge * discount / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    if days is None:
        assert result.monthly_fee == plan.monthly_fee and result.minimum_amount == plan.minimum_amount


# --- opcms price (cli/pricing.py) ------------------------------------------------------------------
@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(DESIGN_EXAMPLE), encoding="utf-8")
    return str(path)


def test_cli_prints_the_amount_and_the_tier_table(plan_file, capsys):
    assert price_command(plan_file, "25000", False) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "amount 220.00"
    assert "api_calls · graduated · quantity 25000" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert rows == [
        ["1", "0", "10000", "10000", "0.01", "0.00", "100.00"],
        ["2", "10000", "∞", "15000", "0.008", "0.00", "120.00"],
    ]


def test_cli_json_is_the_preview_dict(plan_file, capsys):
    assert price_command(plan_file, "25000", True, days_active=20, days_in_period=30, discount="10") == 0
    data = json.loads(capsys.readouterr().out)
    assert data == price(PlanDocument.model_validate(DESIGN_EXAMPLE), D("25000"), days_active=20,
                         days_in_period=30, discount_percent=D("10")).to_dict()  # fmt: skip
    assert data["amount"] == "198.00"  # 220 × 0.9


def test_cli_package_table_shows_packages(tmp_path, capsys):
    path = tmp_path / "package.json"
    path.write_text('{"metric": "sms", "mode": "package", "package_size": "1000", "package_price": "30"}')
    assert price_command(str(path), "2500.5", False) == 0
    out = capsys.readouterr().out
    assert "amount 90.00" in out and "packages" in out and "package_price" in out


@pytest.mark.parametrize(
    ("content", "quantity", "kwargs", "complaint"),
    [
        (None, "1", {}, "cannot read plan file"),
        ("{not json", "1", {}, "not valid JSON"),
        (
            json.dumps(
                {
                    **DESIGN_EXAMPLE,
                    "tiers": [
                        {"up_to": "10000", "unit_price": "0.01"},
                        {"up_to": "5000", "unit_price": "0.01"},
                        {"unit_price": "0.01"},
                    ],
                }
            ),
            "1",
            {},
            "tier 2: up_to 5000 must be greater than tier 1's up_to 10000",
        ),
        (json.dumps({**DESIGN_EXAMPLE, "metric": None}), "1", {}, "metric"),
        (json.dumps(DESIGN_EXAMPLE), "abc", {}, "quantity must be"),
        (json.dumps(DESIGN_EXAMPLE), "-5", {}, "quantity must be"),
        (json.dumps(DESIGN_EXAMPLE), "1.00001", {}, "quantity must be"),
        (json.dumps(DESIGN_EXAMPLE), "1", {"discount": "150"}, "discount must be"),
        (json.dumps(DESIGN_EXAMPLE), "1", {"days_active": 31, "days_in_period": 30}, "days_active"),
        (json.dumps(DESIGN_EXAMPLE), "1", {"days_active": 3}, "both days_active and days_in_period"),
    ],
)
def test_cli_refuses_with_exit_2_and_names_the_problem(
    tmp_path, capsys, content, quantity, kwargs, complaint
):
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert price_command(str(path), quantity, False, **kwargs) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("opcms price: ") and complaint in captured.err


def test_cli_in_a_fresh_interpreter(plan_file):
    code = f"import sys; from opcms.cli.pricing import price_command; sys.exit(price_command({plan_file!r}, '12000', True))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["amount"] == "116.00"  # 100 + 2000 × 0.008


def test_price_and_its_lines_are_the_documented_types():
    result = price(graduated(), D("6000"))
    assert isinstance(result, Price) and all(isinstance(line, TierCharge) for line in result.breakdown)
    assert isinstance(compile_plan(graduated()), CompiledPlan)
