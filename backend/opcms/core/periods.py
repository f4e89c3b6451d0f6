"""Billing periods: a calendar month of the business time zone, written ``YYYY-MM``
(DESIGN §1, §7)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Annotated

from pydantic import Field

from opcms.core.i18n import Invalid

#: ``YYYY-MM``, years 1900 to 2999 and months 01 to 12: every period the parser below takes
#: (a year 0 is no date at all) and no other; ASCII digits only ([0-9], not \d, which matches
#: any script's digits)
PERIOD_PATTERN = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_PATTERN)

#: a period in a request: ``YYYY-MM``, month 01 to 12
Period = Annotated[str, Field(pattern=PERIOD_PATTERN, description="YYYY-MM, years 1900 to 2999")]


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period ``YYYY-MM`` (ValueError when malformed)."""
    if not _PERIOD.fullmatch(period or ""):
        raise Invalid(
            "period_format", "period must be YYYY-MM (years 1900 to 2999), not {value}", value=repr(period)
        )
    year, month = int(period[:4]), int(period[5:])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(day: dt.date) -> str:
    return period_of(day.replace(day=1) - dt.timedelta(days=1))
