"""Late usage: usage written for a period that already has a non-void invoice (DESIGN §6).

Usage does not know invoices; billing does. Billing registers how to tell which
(customer, period) pairs are invoiced, and the store flags the records it writes into them.
Until a lookup is registered (the usage pull running before billing exists) nothing is late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from opcms.core.periods import period_of

# {(customer_id, "YYYY-MM")} → the subset that has a non-void invoice
InvoicedLookup = Callable[[set[tuple[int, str]]], Awaitable[set[tuple[int, str]]]]

_lookup: InvoicedLookup | None = None


def register_invoiced_lookup(lookup: InvoicedLookup | None) -> InvoicedLookup | None:
    """Install the lookup; returns the one it replaces (so a test can put it back)."""
    global _lookup
    previous, _lookup = _lookup, lookup
    return previous


@dataclass(frozen=True)
class Invoiced:
    """The answer of one lookup: the pairs asked about, and those of them invoiced."""

    asked: frozenset[tuple[int, str]]
    found: frozenset[tuple[int, str]]


async def invoiced_pairs(
    customers_by_day: Mapping[dt.date, Iterable[int]], *, known: Invoiced | None = None
) -> set[tuple[int, str]]:
    """The (customer_id, period) pairs of these customers and days that are already invoiced;
    those that ``known`` (a lookup made moments before) asked about are not asked again."""
    if _lookup is None:
        return set()
    wanted = _with_periods(customers_by_day)
    if known is None:
        return await _lookup(wanted) if wanted else set()
    rest = wanted - known.asked
    found = set(known.found & wanted)
    if rest:
        found |= await _lookup(rest)
    return found


async def look_up_invoiced(customers_by_day: Mapping[dt.date, Iterable[int]]) -> Invoiced:
    """Ask ahead which periods of these customers and days are invoiced (a pull asks just
    before it stores the days)."""
    wanted = frozenset(_with_periods(customers_by_day))
    if _lookup is None or not wanted:
        return Invoiced(wanted, frozenset())
    return Invoiced(wanted, frozenset(await _lookup(set(wanted))))


def _with_periods(customers_by_day: Mapping[dt.date, Iterable[int]]) -> set[tuple[int, str]]:
    """``{(customer_id, period of the day)}``: one pair per customer and period."""
    by_period: dict[str, set[int]] = {}
    for day, customers in customers_by_day.items():
        by_period.setdefault(period_of(day), set()).update(customers)
    return {(customer_id, period) for period, customers in by_period.items() for customer_id in customers}
