"""The plan document (DESIGN §5): what a plan charges for one metric, and the rules that make
it priceable.

``PlanTerms`` is the document without its metric: the terms of a plan version (the API's
version body, the columns of ``pricing_plan_version``, the input of ``engine.price``).
``PlanDocument`` adds the metric: the body of a new plan, a preview, and ``opcms price --plan``.

Every rule is checked here, once, with messages written for the finance users who type the
plans in: a tier is named by its 1-based position ("tier 2: ..."), as the UI shows it. The
pricing engine then trusts a validated document and does no checking of its own.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

from pydantic import Field, ValidationError, ValidationInfo, ValidatorFunctionWrapHandler, field_validator

from opcms.core.i18n import Clauses, Invalid, Message, pydantic_message
from opcms.core.money import NonNegativeAmount, Quantity, UnitPrice
from opcms.core.schemas import Schema

MAX_TIERS = 20
METRIC_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class PricingMode(str, enum.Enum):
    per_unit = "per_unit"  # 单层定价: billed × unit_price
    graduated = "graduated"  # 多层阶梯(分段累进): each tier prices the part inside it
    volume = "volume"  # 多层阶梯(总量定档): all of it at the tier the total falls into
    package = "package"  # 按包计费: ceil(billed / package_size) × package_price


TIERED_MODES = frozenset({PricingMode.graduated, PricingMode.volume})


def plain(value: Decimal) -> str:
    """A decimal as finance writes it: no exponent, no trailing zeros ("10000", "0.008")."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _null_allowed(schema: dict[str, Any]) -> None:
    """The published schema of ``tiers`` says what is accepted: an array, or null for none."""
    array = {key: schema.pop(key) for key in ("type", "items") if key in schema}
    schema["anyOf"] = [array, {"type": "null"}]


class Tier(Schema):
    """One step of a graduated or volume plan; it covers quantities in (previous up_to, up_to]."""

    # null = open-ended; only the last tier may (and must) be. Omitted means null too, so the
    # last tier can simply leave it out.
    up_to: Quantity | None = Field(
        default=None, description="inclusive upper bound; null for the last, open-ended tier"
    )
    unit_price: UnitPrice
    flat_fee: NonNegativeAmount = Field(
        default=Decimal(0), description="charged once when the tier is reached"
    )


class PlanTerms(Schema):
    """The terms of a plan: mode, prices, and the fees around them (the plan document without
    its metric). Fields that do not belong to the mode must be left empty: a stray value would
    look like a price that is never charged."""

    mode: PricingMode
    # validate_default: the mode rules below also run on a field that was left out
    unit_price: UnitPrice | None = Field(default=None, validate_default=True, description="per_unit only")
    tiers: list[Tier] = Field(
        default_factory=list,
        validate_default=True,
        description="graduated and volume only; ascending up_to, last one null (null means no tiers)",
        json_schema_extra=_null_allowed,
    )
    package_size: Quantity | None = Field(
        default=None, validate_default=True, description="package only: units per package, > 0"
    )
    package_price: UnitPrice | None = Field(
        default=None, validate_default=True, description="package only: price of one package"
    )
    monthly_fee: NonNegativeAmount = Field(
        default=Decimal(0), description="fixed fee per month, prorated for part months"
    )
    included_quantity: Quantity = Field(default=Decimal(0), description="free units deducted before pricing")
    minimum_amount: NonNegativeAmount = Field(
        default=Decimal(0), description="monthly commitment: the metric's charge is raised to it"
    )

    @field_validator("tiers", mode="wrap")
    @classmethod
    def _check_tiers(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> list[Tier]:
        if value is None:  # a plan document with "tiers": null (per_unit, package) means none
            value = []
        if isinstance(value, list) and len(value) > MAX_TIERS:
            raise Invalid(
                "too_many_tiers",
                "at most {limit} tiers are allowed; this plan has {count}",
                limit=MAX_TIERS,
                count=len(value),
            )
        try:
            tiers: list[Tier] = handler(value)
        except ValidationError as error:
            # pydantic would say "tiers.1.unit_price": name the tier the way finance counts them
            raise Invalid(
                "clauses", None, items=Clauses(_tier_error(item) for item in error.errors())
            ) from None
        _check_bounds(tiers)
        mode = info.data.get("mode")
        if mode in TIERED_MODES and not tiers:
            raise Invalid(
                "tiers_needed",
                "{mode} pricing needs at least one tier (the last one with up_to null)",
                mode=mode,
            )
        if tiers and mode is not None and mode not in TIERED_MODES:
            raise Invalid(
                "tiers_refused",
                "{mode} pricing takes no tiers (tiers are for graduated and volume pricing)",
                mode=mode,
            )
        return tiers

    @field_validator("unit_price")
    @classmethod
    def _check_unit_price(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        mode = info.data.get("mode")
        if mode is PricingMode.per_unit and value is None:
            raise Invalid("unit_price_needed", "per_unit pricing needs a unit_price")
        if mode is not None and mode is not PricingMode.per_unit and value is not None:
            if mode in TIERED_MODES:
                raise Invalid(
                    "unit_price_from_tiers",
                    "{mode} pricing takes its prices from its tiers: leave unit_price empty",
                    mode=mode,
                )
            raise Invalid(
                "unit_price_from_package",
                "{mode} pricing takes its prices from package_price: leave unit_price empty",
                mode=mode,
            )
        return value

    @field_validator("package_size", "package_price")
    @classmethod
    def _check_package(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        mode = info.data.get("mode")
        name = info.field_name
        if mode is PricingMode.package:
            if value is None:
                raise Invalid("package_field_needed", "package pricing needs a {name}", name=name)
            if name == "package_size" and value <= 0:
                raise Invalid(
                    "package_size_positive", "package_size must be greater than 0 (units in one package)"
                )
        elif mode is not None and value is not None:
            raise Invalid(
                "package_field_refused",
                "{name} is for package pricing only; leave it empty for {mode} pricing",
                name=name,
                mode=mode,
            )
        return value


def _check_bounds(tiers: list[Tier]) -> None:
    """Stripe's tier rules: bounds > 0 and strictly ascending, only the last one open-ended.
    Every problem is reported at once, so a plan can be fixed in one go."""
    problems: list[Message] = []
    last = len(tiers) - 1
    previous: Decimal | None = None  # the last bound seen, to compare the next one with
    previous_number = 0
    for index, tier in enumerate(tiers):
        number = index + 1
        if tier.up_to is None:
            if index != last:
                problems.append(Message("tier_open_not_last", {"number": number}))
            continue
        if tier.up_to <= 0:
            problems.append(Message("tier_bound_positive", {"number": number}))
        elif previous is not None and tier.up_to <= previous:
            problems.append(
                Message(
                    "tier_bound_ascending",
                    {
                        "number": number,
                        "up_to": plain(tier.up_to),
                        "previous": previous_number,
                        "bound": plain(previous),
                    },
                )
            )
        if index == last:
            problems.append(Message("tier_last_open", {"number": number, "up_to": plain(tier.up_to)}))
        previous, previous_number = tier.up_to, number
    if problems:
        raise Invalid("clauses", None, items=Clauses(problems))


def _tier_error(item: Any) -> Message:
    """One pydantic error inside the tiers list, as "tier N unit_price: <message>"."""
    loc = item["loc"]
    message = pydantic_message(item)
    if item["type"] == "greater_than_equal" and item.get("ctx", {}).get("ge") in (0, Decimal(0)):
        message = Message("must_not_be_negative")
    if loc and isinstance(loc[0], int):
        field = ".".join(str(part) for part in loc[1:])
        if field:
            return Message("tier_field_problem", {"number": loc[0] + 1, "field": field, "problem": message})
        return Message("tier_problem", {"number": loc[0] + 1, "problem": message})
    return message


class _Metric(Schema):
    metric: str = Field(pattern=METRIC_PATTERN, description="the metric this plan prices, e.g. api_calls")


# _Metric comes after PlanTerms in the bases so that pydantic, which collects fields from the
# far end of the MRO first, puts `metric` first (as in the document), while a PlanDocument
# still is the PlanTerms that the engine takes.
class PlanDocument(PlanTerms, _Metric):
    """The plan document (DESIGN §5): the metric and its terms."""
