"""The sessions this API process checked in the last few seconds, so that a request does not
query the database to learn again that its session is live.

An entry is keyed by the access token (its SHA-256: one token, one ``jti``; a hit skips decoding
and verifying the token again, which the first request did) and lives
``OPCMS_SESSION_CACHE_SECONDS`` (5 by default; 0 turns the cache off), never past the token's own
expiry. That is the bound on how late another process honours a
revocation (logout, a password change or reset, an admin ending the sessions, a user disabled
or deleted, a role changed): the entry expires and the next request reads the database again.
The process that revokes drops the entries of that session or user at once
(:func:`SessionCache.forget`), so there the revocation is immediate. A lookup that started
before a :func:`~SessionCache.forget` is not stored (it may have read the row before the
change). Each hit answers its own copy of the user, so that a handler changing it (a password
change) does not change the cached one.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opcms.auth.service import Session

# a bound on memory: each live access token of the last few seconds holds one entry
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class _Entry:
    expires: float
    session: Session


class SessionCache:
    """Sessions by token key, each for ``seconds`` of ``clock`` (monotonic seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[bytes | str, _Entry] = {}
        # bumped by every forget(): a lookup that began under an older generation is not stored
        self.generation = 0

    def get(self, key: bytes | str) -> Session | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self._clock():
            self._entries.pop(key, None)
            return None
        cached = entry.session
        return type(cached)(user=copy.copy(cached.user), family_id=cached.family_id)

    def put(self, key: bytes | str, session: Session, seconds: float, *, generation: int) -> None:
        """Keep ``session`` for ``seconds``, unless a revocation happened since ``generation``
        (read before the database was)."""
        if seconds <= 0 or generation != self.generation:
            return
        now = self._clock()
        if len(self._entries) >= self._max_entries:
            self._entries = {key: entry for key, entry in self._entries.items() if entry.expires > now}
            while len(self._entries) >= self._max_entries:  # still full: the oldest go first
                del self._entries[next(iter(self._entries))]
        self._entries[key] = _Entry(now + seconds, session)

    def forget(self, *, family_id: str | None = None, user_id: int | None = None) -> None:
        """Drop the entries of a session (``family_id``) or of every session of a user."""
        self.generation += 1
        self._entries = {
            key: entry
            for key, entry in self._entries.items()
            if entry.session.family_id != family_id and entry.session.user.id != user_id
        }

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# the process's cache (one per process: every API process keeps its own)
sessions = SessionCache()
