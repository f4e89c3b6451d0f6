"""What an alert rule can watch, and how the domains that own the data offer it.

The alerts domain imports none of the domains it watches, and none of them imports it: each
offers a plain read function in its own ``queries.py``, registered here by
:mod:`opcms.wiring` with one visible line (as the business figures of ``/metrics`` are).

**The contract.** A reader is an async function called with keyword arguments: ``since`` and
``until`` (UTC), the window the evaluation covers — events (a failed execution, a finished pull
or invoice run) are read in it, each window following the last so an event is seen once — and
the rule's parameters that concern it (``job``, ``source``, ``channel``, ``older_than_minutes``,
``in_a_row`` …, see :data:`KINDS`). It answers a list of observations as plain tuples, a shape
any domain can return without importing this module:

    (subject key, value, text parameters)

``("job:usage.pull_day", 2, {"job": "usage.pull_day", "executions": [41, 42], …})``. The
subject key says what the observation is about; the quiet period is kept per (rule, subject).
The reader observes; whether the value breaches the rule's threshold is decided here
(:func:`breached`), so "does not fire below its threshold" is one rule for every reader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opcms.alerts.models import ConditionKind

#: what a reader answers: (subject key, value, text parameters)
Reading = tuple[str, Decimal | int, dict[str, Any]]
Reader = Callable[..., Awaitable[Sequence[Reading]]]


@dataclass(frozen=True)
class Observation:
    subject: str
    value: Decimal
    params: dict[str, Any]


@dataclass(frozen=True)
class ConditionReader:
    """A condition kind's reader, offered by the domain that owns what it reads."""

    kind: ConditionKind
    read: Reader

    @property
    def reads(self) -> str:
        """What it reads: the first line of the reader's own description (logs, docs)."""
        doc = (getattr(self.read, "__doc__", None) or "").strip()
        return doc.splitlines()[0] if doc else getattr(self.read, "__qualname__", repr(self.read))


@dataclass(frozen=True)
class KindRule:
    """What the alerts domain knows of a kind: the threshold's meaning and how it compares, and
    the parameters the reader is given."""

    compare: str  # "gte", "gt", "lte", or "direction" (the rule's above/below)
    threshold_is_whole: bool  # a count (2, 50) or a multiplier (3, 0.2)
    reader_params: tuple[str, ...]  # the rule's parameters handed to the reader
    threshold_as: str | None = None  # the reader also gets the threshold, under this name


KINDS: dict[ConditionKind, KindRule] = {
    # failed executions of one job in the window ≥ threshold
    ConditionKind.JOB_FAILED: KindRule("gte", True, ("job",)),
    # rows a pull fetched for a source ≤ threshold (0: nothing at all)
    ConditionKind.USAGE_PULL_EMPTY: KindRule("lte", True, ("source",)),
    # a day's quantity ÷ its trailing average > threshold (above) or < threshold (below)
    ConditionKind.USAGE_VS_AVERAGE: KindRule("direction", False, ("source", "metric")),
    # messages waiting longer than older_than_minutes on a channel > threshold
    ConditionKind.NOTIFICATION_BACKLOG: KindRule("gt", True, ("older_than_minutes", "channel")),
    # the channel's last `threshold` tried messages all failed
    ConditionKind.CHANNEL_FAILING: KindRule("gte", True, ("channel",), threshold_as="in_a_row"),
    # customers an invoice run failed to bill ≥ threshold
    ConditionKind.INVOICE_RUN_FAILED: KindRule("gte", True, ()),
}

_readers: dict[ConditionKind, ConditionReader] = {}


def register_conditions(readers: dict[ConditionKind, Reader]) -> None:
    """Offer each kind's reader (opcms.wiring, one line a kind); a kind registered again is replaced."""
    for kind, read in readers.items():
        _readers[kind] = ConditionReader(kind, read)


def reader_of(kind: ConditionKind) -> ConditionReader | None:
    return _readers.get(kind)


def registered_kinds() -> list[ConditionKind]:
    return [kind for kind in ConditionKind if kind in _readers]


def breached(kind: ConditionKind, value: Decimal, threshold: Decimal, params: dict[str, Any]) -> bool:
    compare = KINDS[kind].compare
    if compare == "direction":
        return value < threshold if params.get("direction") == "below" else value > threshold
    if compare == "gt":
        return value > threshold
    if compare == "lte":
        return value <= threshold
    return value >= threshold


async def observe(
    kind: ConditionKind,
    threshold: Decimal,
    params: dict[str, Any],
    *,
    since: dt.datetime,
    until: dt.datetime,
) -> list[Observation]:
    """What the kind's reader observes in [since, until) that breaches ``threshold``."""
    reader = reader_of(kind)
    if reader is None:
        raise LookupError(f"no reader registered for the alert condition {kind.value!r}")
    rule = KINDS[kind]
    arguments = {name: params[name] for name in rule.reader_params if params.get(name) is not None}
    if rule.threshold_as:
        arguments[rule.threshold_as] = int(threshold)
    found = await reader.read(since=since, until=until, **arguments)
    observations = [Observation(subject, Decimal(value), dict(text)) for subject, value, text in found]
    return [o for o in observations if breached(kind, o.value, threshold, params)]
