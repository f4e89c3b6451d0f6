"""Every route is declared public or names a permission; the role matrix is enforced on all.

The list of routes comes from the running app, so a new route is covered automatically.
"""

from __future__ import annotations

import re

import pytest

from opcms.core.http import route_spec
from opcms.core.permissions import NON_WRITE, PERMISSIONS, ROLE_PERMISSIONS, Role, allows
from tests.backend.factories import token_for

EXEMPT_PREFIXES = ("/docs", "/assets")  # sanic-ext's OpenAPI pages and static files

# Who may do what, written out by hand: every permission × every role (x allowed, - refused).
# Deliberately not derived from opcms.core.permissions — a change to the matrix there fails
# these tests until this table is changed with it, in the same review.
PINNED_MATRIX = """
permission               admin finance operator auditor
session:self               x      x       x        x
users:read                 x      -       -        x
users:write                x      -       -        -
audit:read                 x      -       -        x
customers:read             x      x       x        x
customers:write            x      -       x        -
customers_deleted:read     x      -       -        x
customers:restore          x      -       -        -
deleted:read               x      -       -        x
deleted:restore            x      -       -        -
dictionaries:write         x      -       -        -
imports:read               x      x       x        x
imports:write              x      x       x        -
pricing:read               x      x       x        x
pricing:preview            x      x       x        -
pricing:write              x      x       -        -
usage:read                 x      x       x        x
usage:review               x      -       x        -
usage:ingest               x      x       x        -
data_sources:write         x      -       -        -
billing:read               x      x       x        x
billing:run                x      x       -        -
billing:credit             x      x       -        -
payments:read              x      x       x        x
payments:write             x      x       -        -
payments:allocate          x      x       -        -
statements:read            x      x       -        x
statements:write           x      x       -        -
jobs:read                  x      x       x        x
jobs:run                   x      -       -        -
jobs:schedule              x      -       -        -
notifications:read         x      x       x        x
notifications:write        x      -       -        -
alerts:read                x      -       -        x
alerts:write               x      -       -        -
analytics:read             x      x       x        x
analytics:all_owners       x      x       -        x
"""


def pinned_matrix() -> dict[str, dict[str, bool]]:
    header, *rows = [line for line in PINNED_MATRIX.splitlines() if line.strip()]
    roles = header.split()[1:]
    matrix: dict[str, dict[str, bool]] = {}
    for row in rows:
        permission, *marks = row.split()
        assert len(marks) == len(roles) and set(marks) <= {"x", "-"}, row
        assert permission not in matrix, f"{permission} is pinned twice"
        matrix[permission] = dict(zip(roles, (mark == "x" for mark in marks), strict=True))
    return matrix


EXPECTED = pinned_matrix()


def expected_allows(role: str, permission: str) -> bool:
    assert permission in EXPECTED, f"{permission} is not in the pinned matrix"
    return EXPECTED[permission][role]


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


def test_the_role_matrix_in_the_code_is_the_one_pinned_here():
    roles = [r.value for r in Role]
    assert list(next(iter(EXPECTED.values()))) == roles
    assert sorted(PERMISSIONS) == sorted(EXPECTED)
    for role in roles:
        pinned = {permission for permission, allowed in EXPECTED.items() if allowed[role]}
        assert ROLE_PERMISSIONS[Role(role)] == pinned, role
        for permission in EXPECTED:
            assert allows(role, permission) == expected_allows(role, permission), (role, permission)


def test_an_unknown_role_is_allowed_nothing():
    assert not any(allows("nobody", permission) for permission in PERMISSIONS)


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
        if expected_allows(role, spec.permission):
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
