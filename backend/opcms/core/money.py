"""Money: ``Decimal`` end to end, a string in JSON (DESIGN §2).

Amounts are ``DECIMAL(18,2)``; a line is rounded once, to 0.01, half up.

A decimal written as a string is taken only as the document shows it: ASCII digits, an
optional minus sign and fraction (``"1234.50"``). Python's ``Decimal`` also reads ``"1_000"``,
``"１２３"`` (other scripts' digits), ``" 1"`` and ``"1e3"``; a request holding one of those is a
422 naming the field, so what is stored is what anyone reading the request sees. A JSON number
is still taken as its value.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from opcms.core.i18n import Invalid

CENT = Decimal("0.01")
#: no money, with its cents (a sum of nothing answers "0.00", as the columns do)
ZERO = Decimal("0.00")

# The patterns the document shows, checked on every decimal a request writes as a string.
# [0-9], not \d: \d matches any script's digits in Python and in the document's readers.
AMOUNT_PATTERN = r"^-?[0-9]{1,16}(\.[0-9]{1,2})?$"
NON_NEGATIVE_AMOUNT_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"
# more than zero: a non-zero digit before the point, or a non-zero cent after "0."
POSITIVE_AMOUNT_PATTERN = r"^0*([1-9][0-9]{0,15}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9]))$"
# Quantities are DECIMAL(20,4) and unit prices DECIMAL(18,6) (DESIGN §2), strings in JSON.
QUANTITY_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,4})?$"
UNIT_PRICE_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,6})?$"


#: what every decimal string must look like before its type's own pattern is read
_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def written_as(pattern: str, example: str) -> Any:
    """A before-validator refusing a decimal string that does not match ``pattern`` (the
    document's), saying why. What it takes, string or JSON number, it hands on as a ``Decimal``
    to the field's own checks (digits, bounds), which then read it alike in strict mode too."""
    allowed = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Decimal(str(value))  # as pydantic reads a number: by its shortest repr
        if not isinstance(value, str):
            return value
        # fullmatch: "$" alone would let a trailing line break through
        if allowed.fullmatch(value):
            return Decimal(value)
        if not _PLAIN.fullmatch(value):
            raise Invalid(
                "plain_decimal",
                "must be a plain decimal such as {example} (digits 0-9 and a point; "
                "no exponent, digit separator, space or other script's digits)",
                example=example,
            )
        if value.startswith("-") and allowed.fullmatch(value[1:]):
            raise Invalid("must_not_be_negative", "must not be negative")
        if Decimal(value) == 0:
            raise Invalid("must_be_positive", "must be greater than 0")
        raise Invalid(
            "decimal_out_of_range",
            "is out of range or has too many digits (it must match {pattern})",
            pattern=pattern,
        )

    return BeforeValidator(check)


def _documented(pattern: str, example: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "example": example})


# Accepted as a JSON string (or number) and always answered as a string such as "1234.50".
Amount = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=2),
    written_as(AMOUNT_PATTERN, "1234.50"),
    _documented(AMOUNT_PATTERN, "1234.50"),
]
NonNegativeAmount = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=2),
    written_as(NON_NEGATIVE_AMOUNT_PATTERN, "50000.00"),
    _documented(NON_NEGATIVE_AMOUNT_PATTERN, "50000.00"),
]
#: money that must be more than zero (a payment, an allocation line, a credit note)
PositiveAmount = Annotated[
    Decimal,
    Field(gt=0, max_digits=18, decimal_places=2),
    written_as(POSITIVE_AMOUNT_PATTERN, "1200.00"),
    _documented(POSITIVE_AMOUNT_PATTERN, "1200.00"),
]
Quantity = Annotated[
    Decimal,
    Field(ge=0, max_digits=20, decimal_places=4),
    written_as(QUANTITY_PATTERN, "10000"),
    _documented(QUANTITY_PATTERN, "10000"),
]
UnitPrice = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=6),
    written_as(UNIT_PRICE_PATTERN, "0.010000"),
    _documented(UNIT_PRICE_PATTERN, "0.010000"),
]
# A quantity as a vendor reported it, which may be negative (a held usage anomaly): answers only.
SignedQuantity = Annotated[Decimal, _documented(r"^-?[0-9]{1,16}(\.[0-9]{1,4})?$", "-3")]
# An intermediate figure of the pricing engine kept exact (up to 6 decimals, e.g. a prorated
# monthly fee before the line is rounded): answers only.
ExactAmount = Annotated[Decimal, _documented(r"^-?[0-9]{1,18}(\.[0-9]{1,6})?$", "96.774194")]
