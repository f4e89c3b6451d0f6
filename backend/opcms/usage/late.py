"""Late usage: usage written for a period that already has a non-void invoice (DESIGN §6).

Usage does not know invoices; billing does. Billing registers how to tell which
(customer, period) pairs are invoiced, and the store flags the records it writes into them.
Until a lookup is registered (the usage pull running before billing exists) nothing is late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
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
    pairs: Iterable[tuple[int, dt.date]], *, known: Invoiced | None = None
) -> set[tuple[int, str]]:
    """The (customer_id, period) pairs among ``pairs`` that are already invoiced; those that
    ``known`` (a lookup made moments before) asked about are not asked again."""
    if _lookup is None:
        return set()
    wanted = {(customer_id, period_of(day)) for customer_id, day in pairs}
    if known is None:
        return await _lookup(wanted) if wanted else set()
    rest = wanted - known.asked
    found = set(known.found & wanted)
    if rest:
        found |= await _lookup(rest)
    return found


async def look_up_invoiced(pairs: Iterable[tuple[int, dt.date]]) -> Invoiced:
    """Ask ahead which of ``pairs`` are invoiced (a pull asks while it classifies the day)."""
    wanted = frozenset((customer_id, period_of(day)) for customer_id, day in pairs)
    if _lookup is None or not wanted:
        return Invoiced(wanted, frozenset())
    return Invoiced(wanted, frozenset(await _lookup(set(wanted))))
