"""Gap-free document numbers: ``INV-YYYYMM-NNNNNN`` and ``CN-YYYYMM-NNNNNN`` (DESIGN §7).

A number is taken by incrementing the ``document_sequence`` row of (kind, month) under its row
lock, in the caller's transaction: a document that is rolled back gives its number back, and
two writers take turns on the row, so the numbers of a month have no gaps and no repeats.

The row of a month is created by :func:`ensure_sequence` in its own short transaction *before*
the caller's transaction opens: locking a row that does not exist yet takes a gap lock on
InnoDB, and two transactions inserting into the same gap deadlock. ``next_number`` still
creates a missing row itself (race-safe) so that it never fails for want of one.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from tortoise.exceptions import IntegrityError

from opcms.billing.models import DocumentSequence

INVOICE = "INV"
CREDIT_NOTE = "CN"
KINDS = (INVOICE, CREDIT_NOTE)


def month_key(day_or_period: dt.date | str) -> str:
    """``YYYYMM`` of a day, or of a period ``YYYY-MM``."""
    if isinstance(day_or_period, dt.date):
        return f"{day_or_period.year:04d}{day_or_period.month:02d}"
    year, month = day_or_period.split("-")
    return f"{int(year):04d}{int(month):02d}"


def format_number(kind: str, month: str, number: int) -> str:
    return f"{kind}-{month}-{number:06d}"


async def ensure_sequence(kind: str, day_or_period: dt.date | str) -> None:
    """Make sure the sequence row of the month exists (call outside the caller's transaction)."""
    month = month_key(day_or_period)
    if await DocumentSequence.filter(kind=kind, period=month).exists():
        return
    with contextlib.suppress(IntegrityError):  # another writer created it first: all we wanted
        await DocumentSequence.create(kind=kind, period=month, last_number=0)


async def next_number(kind: str, day_or_period: dt.date | str) -> str:
    """The next number of ``kind`` for the month, taken under the sequence row's lock.

    Must run inside the transaction that writes the document (the lock is held until it
    commits or rolls back)."""
    return (await next_numbers(kind, day_or_period, 1))[0]


async def next_numbers(kind: str, day_or_period: dt.date | str, count: int) -> list[str]:
    """The next ``count`` consecutive numbers, under one lock (documents written together)."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    month = month_key(day_or_period)
    sequence = await DocumentSequence.filter(kind=kind, period=month).select_for_update().first()
    if sequence is None:
        try:
            sequence = await DocumentSequence.create(kind=kind, period=month, last_number=0)
        except IntegrityError:
            # created meanwhile by another writer: read it again, under the lock
            sequence = await DocumentSequence.filter(kind=kind, period=month).select_for_update().get()
    first = sequence.last_number + 1
    sequence.last_number += count
    await sequence.save(update_fields=["last_number"])
    return [format_number(kind, month, n) for n in range(first, first + count)]
