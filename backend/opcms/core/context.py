"""Who is acting, in which request: carried by context variables so that models and the
audit log can fill ``created_by`` and friends without every service passing them around.

A request sets them in middleware; a Celery task sets ``system:<task>`` via :func:`acting_as`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """The author of a write: a user (``user_id`` set) or the system (``system:<task>``)."""

    name: str
    user_id: int | None = None
    role: str | None = None


ANONYMOUS = Actor(name="anonymous")
SYSTEM = Actor(name="system")

current_actor: ContextVar[Actor] = ContextVar("opcms_actor", default=SYSTEM)
current_request_id: ContextVar[str | None] = ContextVar("opcms_request_id", default=None)
current_client_ip: ContextVar[str | None] = ContextVar("opcms_client_ip", default=None)


def system_actor(task: str) -> Actor:
    return Actor(name=f"system:{task}")


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = current_actor.set(actor)
    try:
        yield actor
    finally:
        current_actor.reset(token)
