"""JWT middleware: authenticates every request whose route names a permission.

Public routes (login, refresh, health) skip it; everything else without a valid bearer token
is a 401 before the handler runs. The permission itself is checked by ``endpoint``. A user
signed in with a one-time password reaches only the routes marked ``open_before_password_change``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sanic import Request

from opcms.auth.service import authenticate
from opcms.core.context import current_actor
from opcms.core.errors import Forbidden, Unauthorized
from opcms.core.http import route_spec

_OPEN_BEFORE_PASSWORD_CHANGE = "__opcms_open_before_password_change__"
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def open_before_password_change(handler: HandlerT) -> HandlerT:
    """Mark a route a user holding a one-time password may still call (/auth/me, /auth/password,
    /auth/logout); every other route answers them 403 password_change_required."""
    setattr(handler, _OPEN_BEFORE_PASSWORD_CHANGE, True)
    return handler


async def jwt_middleware(request: Request) -> None:
    request.ctx.user = None
    route = request.route
    spec = route_spec(route.handler) if route else None
    if spec is None or spec.public:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Sign in first: missing bearer token", code="not_authenticated")
    session = await authenticate(token.strip())
    request.ctx.user = session.user
    request.ctx.session = session
    current_actor.set(session.actor)
    handler = route.handler if route else None
    if session.user.must_change_password and not getattr(handler, _OPEN_BEFORE_PASSWORD_CHANGE, False):
        raise Forbidden(
            "Choose a new password first: you signed in with a one-time password",
            code="password_change_required",
        )
