"""``opcms price``: price a quantity on a plan document file, no database (DESIGN §14).

The plan file is the same JSON as the API's plan body (``PlanDocument``) and the quantity,
discount and proration are checked as the preview endpoint checks them, so the command and
``POST /api/v1/pricing/preview`` answer the same figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from opcms.core.money import Quantity
from opcms.pricing.engine import Price, money, price
from opcms.pricing.plan import PlanDocument

_QUANTITY = TypeAdapter(Quantity)
_PERCENT = TypeAdapter(Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)])


class _Refused(Exception):
    """Bad input: the message is printed on stderr and the command exits 2."""


def price_command(
    plan_path: str,
    quantity: str,
    as_json: bool,
    days_active: int | None = None,
    days_in_period: int | None = None,
    discount: str | None = None,
) -> int:
    """Print the price of ``quantity`` on the plan in ``plan_path``: the amount and a tier
    table, or ``Price.to_dict()`` as JSON. Exit 0, or 2 with a message on stderr when the file,
    the plan or an argument is refused."""
    try:
        plan = _read_plan(plan_path)
        billed_quantity = _parse(_QUANTITY, quantity, "quantity", "a number ≥ 0 such as 12500 or 12500.5")
        discount_percent = (
            _parse(_PERCENT, discount, "discount", "a percentage between 0 and 100")
            if discount
            else Decimal(0)
        )
        try:
            result = price(
                plan, billed_quantity,
                days_active=days_active, days_in_period=days_in_period, discount_percent=discount_percent,
            )  # fmt: skip
        except (ValueError, TypeError) as error:  # proration days out of range, one without the other
            raise _Refused(str(error)) from None
    except _Refused as error:
        print(f"opcms price: {error}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print(render(plan, result))
    return 0


def _read_plan(plan_path: str) -> PlanDocument:
    try:
        text = Path(plan_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise _Refused(f"cannot read plan file {plan_path}: {reason}") from None
    try:
        return PlanDocument.model_validate_json(text)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "json_invalid":  # not JSON at all: say where
                message = f"not valid JSON ({item.get('ctx', {}).get('error', message)})"
            problems.append(f"{field}: {message}" if field else message)
        raise _Refused(f"invalid plan in {plan_path}:\n  " + "\n  ".join(problems)) from None


def _parse(adapter: TypeAdapter[Decimal], text: str, name: str, expected: str) -> Decimal:
    try:
        return adapter.validate_python(text.strip())
    except ValidationError as error:
        reason = error.errors()[0]["msg"]
        raise _Refused(f"{name} must be {expected}, not {text!r} ({reason})") from None


def render(plan: PlanDocument, result: Price) -> str:
    """The price as finance reads it: the amount first, then how it was reached."""
    data = result.to_dict()
    lines = [f"amount {data['amount']}", ""]
    lines.append(
        f"{plan.metric} · {plan.mode.value} · quantity {data['quantity']} "
        f"(included {data['included_quantity']}, billed {data['billed_quantity']})"
    )
    if data["breakdown"]:
        lines.append(_table(data["breakdown"]))
    else:
        lines.append("(no tier reached: nothing billed)")
    proration = result.proration
    prorated = f" × {proration.days_active}/{proration.days_in_period} days" if proration else ""
    figures: list[tuple[str, str]] = [("usage", data["usage_amount"])]
    if plan.monthly_fee:
        figures.append((f"monthly fee {money(plan.monthly_fee)}{prorated}", data["monthly_fee"]))
    if result.minimum_top_up:
        figures.append((f"minimum {money(plan.minimum_amount)}{prorated}: top-up", data["minimum_top_up"]))
    if result.discount:
        figures.append((f"discount {data['discount_percent']}%", f"-{data['discount']}"))
    figures.append(("amount (rounded to 0.01, half up)", data["amount"]))
    width = max(len(label) for label, _ in figures)
    value_width = max(len(value) for _, value in figures)
    lines.append("")
    lines.extend(f"{label:<{width}}  {value:>{value_width}}" for label, value in figures)
    return "\n".join(lines)


def _table(breakdown: list[dict[str, Any]]) -> str:
    package = any(line["packages"] is not None for line in breakdown)
    columns = ["tier", "from", "up_to", "quantity"] + (["packages"] if package else [])
    columns += ["unit_price", "flat_fee", "amount"]
    headers = {"unit_price": "package_price"} if package else {}
    rows = [[headers.get(name, name) for name in columns]]
    for line in breakdown:
        rows.append(["∞" if line[name] is None and name == "up_to" else str(line[name]) for name in columns])
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=False)) for row in rows)


def cmd_price(args: argparse.Namespace) -> int:
    """Price preview of a plan document (same JSON as the API's plan body); no database."""
    return price_command(
        args.plan,
        args.quantity,
        args.json,
        days_active=args.days_active,
        days_in_period=args.days_in_period,
        discount=args.discount,
    )


def add_commands(sub: Any) -> None:
    price = sub.add_parser(
        "price", help="price a quantity on a plan document (JSON file), with the tier breakdown"
    )
    price.add_argument("--plan", required=True, help="plan document JSON file (the API's plan body)")
    price.add_argument("--quantity", required=True)
    price.add_argument("--json", action="store_true")
    price.add_argument(
        "--days-active", type=int, default=None, help="days the plan was active in the period (proration)"
    )
    price.add_argument("--days-in-period", type=int, default=None)
    price.add_argument("--discount", default=None, help="discount percent, e.g. 10")
    price.set_defaults(fn=cmd_price)
