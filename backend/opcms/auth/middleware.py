"""JWT middleware: authenticates every request whose route names a permission.

Public routes (login, refresh, health) skip it; everything else without a valid bearer token
is a 401 before the handler runs. The permission itself is checked by ``endpoint``.
"""

from __future__ import annotations

from sanic import Request

from opcms.auth.service import authenticate
from opcms.core.context import current_actor
from opcms.core.errors import Unauthorized
from opcms.core.http import route_spec


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
