"""Field rules of a customer profile (DESIGN §3), shared by the API schemas and the import.

Each rule takes raw input and returns the clean value or raises ``ValueError`` with a message
a finance user understands.
"""

from __future__ import annotations

import re

from opcms.core.i18n import Invalid
from opcms.core.text import fold

# GB 32100-2015: the unified social credit code (统一社会信用代码)
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE = re.compile(rf"^[{CREDIT_CODE_CHARSET}]{{18}}$")


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def clean_credit_code(value: str) -> str:
    code = fold(value).upper().replace(" ", "")
    if not _CREDIT_CODE.match(code):
        raise Invalid("credit_code_format", "must be 18 characters of 0-9 and A-Y (no I, O, S, V, Z)")
    if credit_code_check_char(code[:17]) != code[17]:
        raise Invalid("credit_code_check_digit", "check digit does not match (GB 32100-2015)")
    return code


_PHONE_SEPARATORS = re.compile(r"[\s\-()（）.]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


def clean_phone(value: str) -> str:
    """Mainland mobile (11 digits) or landline with area code; +86 and separators removed."""
    digits = _PHONE_SEPARATORS.sub("", fold(value))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    raise Invalid("phone_format", "not a mainland mobile (11 digits) or landline with area code")


_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")


def clean_customer_code(value: str) -> str:
    code = fold(value)
    if not _CODE.match(code):
        raise Invalid("customer_code_format", "1-32 letters, digits, '-', '_' or '.'")
    return code


def clean_company_name(value: str) -> str:
    # stored as written (official names use full-width brackets: 腾讯科技（深圳）有限公司);
    # uniqueness compares the folded key, see Customer.name_key
    name = " ".join(value.split())
    if not name:
        raise Invalid("must_not_be_blank", "must not be blank")
    if len(name) > 200:
        raise Invalid("at_most_characters", "at most {limit} characters", limit=200)
    return name
