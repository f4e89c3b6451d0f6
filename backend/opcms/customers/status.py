"""The account status machine (DESIGN §3).

prospect → trial → active ⇄ suspended;  any state except closed → closed
"""

from __future__ import annotations

from opcms.customers.models import CustomerStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.PROSPECT: frozenset({S.TRIAL, S.CLOSED}),
    S.TRIAL: frozenset({S.ACTIVE, S.CLOSED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.CLOSED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.CLOSED}),
    S.CLOSED: frozenset(),
}


def can_move(current: S, target: S) -> bool:
    return target in TRANSITIONS[current]
