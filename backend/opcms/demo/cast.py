"""Who is who in the demo's history (``opcms seed-demo``): each customer's size, how its usage
moves, its plan moves and how it pays.

Decided from the customers (id order, status, signed date) and the business day by a seeded
generator, so the usage and the billing parts of the seed read the same cast, and a seed on
another day tells the same kind of story:

* the first active customers play the parts every page needs: a large customer that moved to
  a bigger plan some months ago (grows, pays on receipt); one whose usage falls away over the
  last months and who moved to a cheaper plan last month (pays late); one without usage for
  the last three weeks (stopped paying too); one that grows fast;
* the next active ones pay in part, on receipt, late — so even a dozen customers show every
  state of money; with more customers, one left four months ago (its subscriptions ended)
  and one paused for two months in the middle of the year and came back;
* trial customers are new (signed in the last 90 days: a short history that ramps up);
  suspended customers stopped paying some months ago;
* everyone else draws a size (a handful large, some mid, many small), a usage shape (mostly
  steady with mild growth, some growing, a few falling) and a way of paying.

Curves and sizes are in per mille, as the ``demo`` adapter's profiles take them
(:class:`opcms.usage.adapters.demo.DemoProfile`).
"""

from __future__ import annotations

import datetime as dt
import enum
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from opcms.usage.adapters.demo import DemoProfile

SEED = 20261202
HISTORY_MONTHS = 13  # invoiced months: the dashboard's 12-month trend and the month before it
DEBTOR_DAYS = 150  # debtors have paid nothing that fell due in this many days before today
STOPPED_DAYS = 22  # the customer without usage lately used it last this many days ago
RAMP_DAYS = 35  # a new account reaches its size in about a month


class Usage(str, enum.Enum):
    STEADY = "steady"
    GROWING = "growing"
    FALLING = "falling"
    STOPPED = "stopped"
    NEW = "new"


class Payer(str, enum.Enum):
    PROMPT = "prompt"  # pays on receipt of the invoice
    ON_TIME = "on_time"  # a few days before the due date, now and then late
    LATE = "late"  # 5 to 60 days after the due date
    PARTIAL = "partial"  # part on receipt, the rest late or never
    DEBTOR = "debtor"  # paid on time, stopped paying DEBTOR_DAYS ago


class PlanMove(str, enum.Enum):
    UPGRADE = "upgrade"  # API-STD → API-PRO
    DOWNGRADE = "downgrade"  # API-PRO → API-STD


@dataclass(frozen=True)
class Member:
    """What the cast is decided from."""

    id: int
    status: str
    signed_at: dt.date | None


@dataclass(frozen=True)
class Role:
    customer_id: int
    usage: Usage
    payer: Payer
    size: int  # per mille of the demo source's base
    since: dt.date  # first day of usage and of the subscriptions
    until: dt.date | None  # last day of usage (None: still using it)
    curve: tuple[tuple[dt.date, int], ...]
    plan_move: PlanMove | None = None
    move_day: dt.date | None = None  # the first day on the new plan
    subscribed_until: dt.date | None = None  # the last day of its subscriptions (None: open)
    pause: tuple[dt.date, dt.date] | None = None  # months without service (first, last day)

    def profile(self) -> dict[str, Any]:
        """The ``demo`` adapter's profile of this customer's account (JSON)."""
        return {
            "size": self.size,
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "pauses": [[self.pause[0].isoformat(), self.pause[1].isoformat()]] if self.pause else [],
            "curve": [[day.isoformat(), level] for day, level in self.curve],
        }


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    """The first day of the month ``months_back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def history_start(today: dt.date) -> dt.date:
    """The first day of the history: HISTORY_MONTHS whole months before this one."""
    return month_start(today, HISTORY_MONTHS)


# sizes by class, per mille of base 1000: at the demo prices about S ≥ 200,000, A ≥ 50,000,
# B ≥ 10,000 CNY invoiced over twelve months, C below
SIZES = {"S": (40_000, 80_000), "A": (9_000, 28_000), "B": (2_200, 7_500), "C": (150, 1_500)}
SIZE_WEIGHTS = {"S": 3, "A": 9, "B": 27, "C": 61}
SHAPE_WEIGHTS = {Usage.STEADY: 83, Usage.GROWING: 12, Usage.FALLING: 5}
PAYER_WEIGHTS = {Payer.ON_TIME: 55, Payer.PROMPT: 12, Payer.LATE: 20, Payer.PARTIAL: 13}
# the parts the first active customers play, and the ways of paying the next ones show
LEADS = ("upgrade", "falling", "stopped", "growing")
SUPPORTING_PAYERS = (Payer.PARTIAL, Payer.PROMPT, Payer.LATE)
LATER_LEADS = ("churned", "paused")


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _size(rng: random.Random, size_class: str) -> int:
    low, high = SIZES[size_class]
    return rng.randint(low, high)


def cast(members: Sequence[Member], today: dt.date, *, start: dt.date) -> dict[int, Role]:
    """The role of each customer whose usage is collected; ``start`` is the first day of usage."""
    roles: dict[int, Role] = {}
    leads = list(LEADS)
    supporting = list(SUPPORTING_PAYERS)
    later = list(LATER_LEADS)
    for member in sorted(members, key=lambda m: m.id):
        # each customer draws from its own generator: one customer's part never changes
        # what another draws
        rng = random.Random(f"{SEED}:{member.id}")
        since = max(start, member.signed_at or start)
        if member.status == "active" and leads:
            roles[member.id] = _lead(leads.pop(0), member.id, since, today, start, rng)
            continue
        payer = _pick(rng, PAYER_WEIGHTS)
        if member.status == "active" and supporting:
            payer = supporting.pop(0)
        elif member.status == "active" and later:
            role = _later_lead(later[0], member.id, since, today, start, rng)
            if role is not None:
                later.pop(0)
                roles[member.id] = role
                continue
        shape = Usage.NEW if member.status == "trial" else _pick(rng, SHAPE_WEIGHTS)
        if member.status == "suspended":
            payer = Payer.DEBTOR
        roles[member.id] = Role(
            customer_id=member.id,
            usage=shape,
            payer=payer,
            size=_size(rng, _pick(rng, SIZE_WEIGHTS)),
            since=since,
            until=None,
            curve=_ramped(_curve(shape, start, today, rng), since, start),
        )
    return roles


def _curve(shape: Usage, start: dt.date, today: dt.date, rng: random.Random) -> list[tuple[dt.date, int]]:
    span = (today - start).days
    first = rng.randint(820, 960)
    if shape == Usage.GROWING:
        middle = start + dt.timedelta(days=span // 2)
        return [(start, first // 2), (middle, rng.randint(550, 700)), (today, 1000)]
    if shape == Usage.FALLING:
        return [
            (start, first),
            (today - dt.timedelta(days=rng.randint(75, 95)), 1000),
            (today - dt.timedelta(days=rng.randint(3, 10)), rng.randint(220, 420)),
        ]
    # steady (and new, once ramped up): a mild random walk with a slight upward drift
    points, level = [], first
    for n in range(4):
        points.append((start + dt.timedelta(days=span * n // 3), level))
        level += rng.randint(-60, 120)
    return points


def _ramped(
    curve: list[tuple[dt.date, int]], since: dt.date, start: dt.date
) -> tuple[tuple[dt.date, int], ...]:
    """A customer signed after the history started ramps up from its signing day."""
    if since <= start:
        return tuple(curve)
    full = since + dt.timedelta(days=RAMP_DAYS)
    reached = DemoProfile(curve=curve).level(full)
    return ((since, 250), (full, reached), *[(day, level) for day, level in curve if day > full])


def _lead(
    part: str, customer_id: int, since: dt.date, today: dt.date, start: dt.date, rng: random.Random
) -> Role:
    def days_ago(n: int) -> dt.date:
        return today - dt.timedelta(days=n)

    if part == "upgrade":
        # grew into the bigger plan half a year ago, and kept growing a little
        move = max(month_start(today, 6), month_start(since, -2))
        return Role(
            customer_id=customer_id,
            usage=Usage.GROWING,
            payer=Payer.PROMPT,
            size=_size(rng, "S"),
            since=since,
            until=None,
            curve=_ramped([(start, 550), (move, 950), (today, 1050)], since, start),
            plan_move=PlanMove.UPGRADE,
            move_day=move,
        )
    if part == "falling":
        # a large account walking away: its usage falls over the last three months, and it
        # moved to the cheaper plan at the start of last month
        return Role(
            customer_id=customer_id,
            usage=Usage.FALLING,
            payer=Payer.LATE,
            size=rng.randint(30_000, 38_000),
            since=since,
            until=None,
            curve=_ramped([(start, 980), (days_ago(85), 1000), (days_ago(8), 280)], since, start),
            plan_move=PlanMove.DOWNGRADE,
            move_day=max(month_start(today, 1), month_start(since, -1)),
        )
    if part == "stopped":
        return Role(
            customer_id=customer_id,
            usage=Usage.STOPPED,
            payer=Payer.DEBTOR,
            size=_size(rng, "B"),
            since=since,
            until=days_ago(STOPPED_DAYS),
            curve=_ramped([(start, 1000), (days_ago(70), 950), (days_ago(STOPPED_DAYS), 550)], since, start),
        )
    middle = start + dt.timedelta(days=(today - start).days // 2)
    return Role(
        customer_id=customer_id,
        usage=Usage.GROWING,
        payer=Payer.ON_TIME,
        size=rng.randint(8_000, 14_000),
        since=since,
        until=None,
        curve=_ramped([(start, 300), (middle, 550), (today, 1000)], since, start),
    )


def _later_lead(
    part: str, customer_id: int, since: dt.date, today: dt.date, start: dt.date, rng: random.Random
) -> Role | None:
    """The churned and the paused customer, when this customer's history is long enough."""
    size = _size(rng, "B")
    if part == "churned":
        left = month_start(today, 4) - dt.timedelta(days=1)
        if since >= month_start(left, 2):
            return None
        curve = [(start, 1000), (left - dt.timedelta(days=60), 900), (left, 500)]
        return Role(
            customer_id=customer_id,
            usage=Usage.STOPPED,
            payer=Payer.ON_TIME,
            size=size,
            since=since,
            until=left,
            curve=_ramped(curve, since, start),
            subscribed_until=left,
        )
    pause = (month_start(today, 7), month_start(today, 5) - dt.timedelta(days=1))
    if since >= month_start(pause[0], 2):
        return None
    return Role(
        customer_id=customer_id,
        usage=Usage.STEADY,
        payer=Payer.ON_TIME,
        size=size,
        since=since,
        until=None,
        curve=_ramped([(start, 900), (today, 1050)], since, start),
        pause=pause,
    )
