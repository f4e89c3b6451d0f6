"""Money: ``Decimal`` end to end, a string in JSON (DESIGN §2).

Amounts are ``DECIMAL(18,2)``; a line is rounded once, to 0.01, half up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, WithJsonSchema

CENT = Decimal("0.01")
#: no money, with its cents (a sum of nothing answers "0.00", as the columns do)
ZERO = Decimal("0.00")
AMOUNT_PATTERN = r"^-?\d{1,16}(\.\d{1,2})?$"


# Accepted as a JSON string (or number) and always answered as a string such as "1234.50".
Amount = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=2),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "example": "1234.50"}),
]
NonNegativeAmount = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=2),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,16}(\.\d{1,2})?$", "example": "50000.00"}),
]

# Quantities are DECIMAL(20,4) and unit prices DECIMAL(18,6) (DESIGN §2), strings in JSON.
QUANTITY_PATTERN = r"^\d{1,16}(\.\d{1,4})?$"
UNIT_PRICE_PATTERN = r"^\d{1,12}(\.\d{1,6})?$"
Quantity = Annotated[
    Decimal,
    Field(ge=0, max_digits=20, decimal_places=4),
    WithJsonSchema({"type": "string", "pattern": QUANTITY_PATTERN, "example": "10000"}),
]
UnitPrice = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=6),
    WithJsonSchema({"type": "string", "pattern": UNIT_PRICE_PATTERN, "example": "0.010000"}),
]
# A quantity as a vendor reported it, which may be negative (a held usage anomaly): answers only.
SignedQuantity = Annotated[
    Decimal,
    WithJsonSchema({"type": "string", "pattern": r"^-?\d{1,16}(\.\d{1,4})?$", "example": "-3"}),
]
# An intermediate figure of the pricing engine kept exact (up to 6 decimals, e.g. a prorated
# monthly fee before the line is rounded): answers only.
ExactAmount = Annotated[
    Decimal,
    WithJsonSchema({"type": "string", "pattern": r"^-?\d{1,18}(\.\d{1,6})?$", "example": "96.774194"}),
]
