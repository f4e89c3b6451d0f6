"""The customer scores as plain rules over one customer's facts (no database here): value tier,
lifecycle, churn warning and credit score. Every number a rule uses is in its reason or factor,
so a score explains itself. Formulas and worked examples: ``docs/analytics.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from opcms.analytics.models import ChurnLevel, Lifecycle, ValueTier

NEW_CUSTOMER_DAYS = 90
DORMANT_DAYS = 30
TREND_BAND = Decimal(10)  # growing / declining past ±10 % against the trailing 3-month average
USAGE_DROP_FROM = Decimal(20)  # a drop of at least 20 % is a churn reason
QUIET_DAYS_FROM = 7  # so is a week or more without usage
CHURN_HIGH, CHURN_WATCH = 60, 30
SUSPENDED_POINTS, CHEAPER_PLAN_POINTS = 15, 10
TENURE_FULL_DAYS = 730

ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class PlanMove:
    """A move to another plan for the same metric within the last 90 days."""

    from_plan: str
    to_plan: str
    change_percent: Decimal  # the monthly charge at recent usage, new plan against old


@dataclass
class CustomerFacts:
    customer_id: int
    status: str
    tenure_days: int
    credit_limit: Decimal
    trailing_invoiced: Decimal = Decimal("0.00")
    # metric id → (usage in the last 30 days, usage in the 90 days before them)
    usage: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    last_usage_day: dt.date | None = None
    overdue_count: int = 0
    overdue_amount: Decimal = Decimal("0.00")
    longest_overdue_days: int = 0
    outstanding: Decimal = Decimal("0.00")
    invoices_due: int = 0
    on_time: int = 0
    days_late: int = 0
    plan_moves: list[PlanMove] = field(default_factory=list)


def whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def value_tier(trailing: Decimal, s_min: Decimal, a_min: Decimal, b_min: Decimal) -> ValueTier:
    if trailing >= s_min:
        return ValueTier.S
    if trailing >= a_min:
        return ValueTier.A
    if trailing >= b_min:
        return ValueTier.B
    return ValueTier.C


def usage_change(facts: CustomerFacts) -> Decimal | None:
    """The last 30 days against the trailing 3-month average (its 90 days ÷ 3), in percent: the
    mean over the metrics that had usage in those three months (units differ, ratios do not)."""
    ratios = [recent / (base / 3) for recent, base in facts.usage.values() if base > 0]
    if not ratios:
        return None
    return ((sum(ratios, Decimal(0)) / len(ratios) - 1) * 100).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def days_without_usage(facts: CustomerFacts, day: dt.date) -> int | None:
    """Whole days since the last day with usage, up to the day before ``day`` (usage of a day is
    pulled the night after): usage yesterday is 0 days without."""
    if facts.last_usage_day is None:
        return None
    return max(0, (day - facts.last_usage_day).days - 1)


def lifecycle(facts: CustomerFacts, day: dt.date) -> Lifecycle:
    if facts.status == "closed":
        return Lifecycle.CLOSED
    if facts.tenure_days < NEW_CUSTOMER_DAYS:
        return Lifecycle.NEW
    quiet = days_without_usage(facts, day)
    if quiet is None or quiet >= DORMANT_DAYS:
        return Lifecycle.DORMANT
    change = usage_change(facts)
    if change is not None and change >= TREND_BAND:
        return Lifecycle.GROWING
    if change is not None and change <= -TREND_BAND:
        return Lifecycle.DECLINING
    return Lifecycle.STABLE


def _percent(value: Decimal) -> str:
    return f"{value:+.1f}".replace("-", "−")


def churn(facts: CustomerFacts, day: dt.date) -> tuple[int, ChurnLevel, list[dict[str, Any]]]:
    """Score 0–100 from its reasons' points (capped at 100); level high ≥ 60, watch ≥ 30."""
    if facts.status == "closed":
        return 0, ChurnLevel.NONE, []
    reasons: list[dict[str, Any]] = []
    change = usage_change(facts)
    if change is not None and change <= -USAGE_DROP_FROM:
        points = min(40, whole(-change / 2))
        reasons.append(
            {"code": "usage_drop", "points": points, "value": str(change),
             "message": f"usage {_percent(change)}% vs 3-month average"}
        )  # fmt: skip
    quiet = days_without_usage(facts, day)
    if quiet is not None and quiet >= QUIET_DAYS_FROM:
        reasons.append(
            {"code": "no_usage", "points": min(25, quiet), "value": str(quiet),
             "message": f"no usage for {quiet} days"}
        )  # fmt: skip
    if facts.overdue_count:
        longest = facts.longest_overdue_days
        points = 10 if longest <= 30 else 20
        noun = "invoice" if facts.overdue_count == 1 else "invoices"
        reasons.append(
            {"code": "overdue", "points": points, "value": str(longest), "count": facts.overdue_count,
             "amount": str(facts.overdue_amount),
             "message": f"{facts.overdue_count} {noun} overdue, the oldest {longest} days"}
        )  # fmt: skip
    if facts.status == "suspended":
        reasons.append(
            {"code": "suspended", "points": SUSPENDED_POINTS, "value": None, "message": "account suspended"}
        )
    cheaper = [move for move in facts.plan_moves if move.change_percent < 0]
    if cheaper:
        move = min(cheaper, key=lambda m: m.change_percent)
        reasons.append(
            {"code": "cheaper_plan", "points": CHEAPER_PLAN_POINTS, "value": str(move.change_percent),
             "from_plan": move.from_plan, "to_plan": move.to_plan,
             "message": f"moved from {move.from_plan} to {move.to_plan} ({_percent(move.change_percent)}% at recent usage)"}
        )  # fmt: skip
    score = min(100, sum(int(r["points"]) for r in reasons))
    level = (
        ChurnLevel.HIGH
        if score >= CHURN_HIGH
        else ChurnLevel.WATCH
        if score >= CHURN_WATCH
        else ChurnLevel.NONE
    )
    return score, level, reasons


def credit(facts: CustomerFacts) -> tuple[int, list[dict[str, Any]]]:
    """Score 0–100 as the sum of five factors' points (each a whole number, so they add up)."""
    factors: list[dict[str, Any]] = []

    def factor(code: str, max_points: int, share: Decimal, value: str | None, message: str) -> None:
        share = min(Decimal(1), max(Decimal(0), share))
        factors.append(
            {"code": code, "points": whole(max_points * share), "max_points": max_points, "value": value,
             "message": message}
        )  # fmt: skip

    if facts.invoices_due:
        ratio = Decimal(facts.on_time) / facts.invoices_due
        percent = (ratio * 100).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
        factor(
            "on_time",
            35,
            ratio,
            str(percent),
            f"{facts.on_time} of {facts.invoices_due} invoices paid on time",
        )
        average = (Decimal(facts.days_late) / facts.invoices_due).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
        factor("days_late", 20, 1 - average / 60, str(average), f"{average} days late on average")
    else:
        factor("on_time", 35, Decimal("0.5"), None, "no invoice due yet: half marks")
        factor("days_late", 20, Decimal("0.5"), None, "no invoice due yet: half marks")
    if facts.overdue_count:
        longest = facts.longest_overdue_days
        factor(
            "overdue",
            20,
            1 - Decimal(longest) / 90,
            str(longest),
            f"oldest overdue invoice {longest} days past due",
        )
    else:
        factor("overdue", 20, Decimal(1), "0", "nothing overdue")
    if facts.credit_limit > 0:
        use = (facts.outstanding / facts.credit_limit * 100).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
        factor("limit_use", 15, 1 - use / 100, str(use), f"{use}% of the credit limit in use")
    else:
        factor("limit_use", 15, Decimal("0.5"), None, "no credit limit set: half marks")
    factor(
        "tenure",
        10,
        Decimal(facts.tenure_days) / TENURE_FULL_DAYS,
        str(facts.tenure_days),
        f"customer for {facts.tenure_days} days",
    )
    return sum(int(f["points"]) for f in factors), factors
