"""Every route is declared public or names a permission; the role matrix is enforced on all.

The list of routes comes from the running app, so a new route is covered automatically.
"""

from __future__ import annotations

import re

import pytest

from opcms.core.http import route_spec
from opcms.core.permissions import NON_WRITE, ROLE_PERMISSIONS, Role, allows
from tests.backend.factories import token_for

EXEMPT_PREFIXES = ("/docs", "/assets")  # sanic-ext's OpenAPI pages and static files


def api_routes(app) -> list[tuple[str, str, object]]:
    routes = []
    for route in app.router.routes:
        path = "/" + route.path.lstrip("/")
        if path.startswith(EXEMPT_PREFIXES) or path.startswith("/api/v1/test"):
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path, route.handler))
    return routes


def concrete(path: str) -> str:
    """Fill path parameters with values that route but match nothing."""
    return re.sub(r"<([^>:]+)(:[^>]+)?>", lambda m: "999999" if m.group(2) in (":int", None) else "x", path)


@pytest.fixture(scope="module")
def routes(app):
    return api_routes(app)


def test_every_route_is_public_or_names_a_permission(app):
    missing = [(m, p) for m, p, handler in api_routes(app) if route_spec(handler) is None]
    assert missing == []


def test_only_login_refresh_health_and_the_ui_are_public(app):
    public = {p for m, p, h in api_routes(app) if route_spec(h).public}
    assert public == {
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/healthz",
        "/readyz",
        "/metrics",
        "/",
        "/<path:path>",
    }


def test_an_auditor_holds_no_write_permission():
    assert ROLE_PERMISSIONS[Role.AUDITOR] <= NON_WRITE
    assert not any(p.endswith((":write", ":run")) for p in ROLE_PERMISSIONS[Role.AUDITOR])


async def test_anonymous_calls_to_protected_routes_are_401(client, app):
    for method, path, handler in api_routes(app):
        if route_spec(handler).public:
            continue
        response = await client.call(method, concrete(path))
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_each_role_gets_exactly_what_the_matrix_says(client, app, role):
    token = await token_for(role)
    for method, path, handler in api_routes(app):
        spec = route_spec(handler)
        if spec.public or path == "/api/v1/auth/logout":
            continue  # logout would end this very session; covered in test_auth
        response = await client.call(method, concrete(path), token=token, json={})
        if allows(role, spec.permission):
            assert response.status_code not in (401, 403), (role, method, path, response.text)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
            assert response.json()["error"]["code"] == "forbidden"


async def test_an_auditor_can_write_nothing(client, app):
    token = await token_for("auditor")
    for method, path, handler in api_routes(app):
        spec = route_spec(handler)
        if method == "GET" or spec.public or spec.permission == "session:self":
            continue
        response = await client.call(method, concrete(path), token=token, json={})
        assert response.status_code == 403, (method, path)
