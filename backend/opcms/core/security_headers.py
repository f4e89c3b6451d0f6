"""The browser-facing security headers on every answer: the admin UI (``index.html``), its
assets, the JSON API and the Swagger UI at ``/docs``.

Every answer says ``nosniff`` and may not be framed; HTML pages carry a Content-Security-Policy
that runs no inline script and loads nothing from another origin (the UI is one Vite bundle
under ``/assets``, Swagger UI comes from ``/docs-assets``). The one inline script we serve is
the Swagger page's start-up snippet (sanic-ext's template): it is allowed by the SHA-256 of its
exact text, computed from the page as rendered at server start, not by ``'unsafe-inline'``.

A header a route sets itself stays (the printable invoice sends its own, stricter policy).
nginx (``deploy/nginx/opcms.conf``) sends the same values on the files it serves itself and
passes the API's through.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import logging
import re
from types import SimpleNamespace
from typing import Any

from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse

from opcms.core.settings import Settings

log = logging.getLogger("opcms.security")

# No page of ours is meant to be framed (clickjacking); CSP's frame-ancestors says the same to
# current browsers, this to older ones.
FRAME_OPTIONS = "DENY"
# strict-origin-when-cross-origin rather than no-referrer: another site only ever sees our origin,
# never a path or a query (customer codes, search terms), while same-origin requests keep the
# full referrer that the access logs (nginx's log format has $http_referer) use to trace a
# request back to a page. Nothing in the UI links out today, so the origin is all that could go.
REFERRER_POLICY = "strict-origin-when-cross-origin"
# Sent only on an answer that reached us over TLS: over plain HTTP a browser ignores it, and a
# development or intranet host on http must not be pinned to https by accident. One year, no
# includeSubDomains: sibling hosts of an intranet domain are not ours to pin.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"

# style-src needs 'unsafe-inline', for three pages: ECharts writes its tooltips as HTML with
# style attributes (innerHTML, which CSP treats as inline style: without the keyword Chromium
# refuses a dozen of them on the dashboard, all from ECharts' tooltip); the printable
# invoice, opened from a blob URL, inherits this policy and is styled by its <style> block; the
# Swagger page has one too. Vue's and Arco's own styles go through the CSSOM, which CSP allows.
# Inline style cannot run code; what it could still do (restyle, or leak an attribute through a
# CSS selector) needs injected markup, which Vue's escaping keeps out.
# img-src data: and blob: are icons inlined in CSS and files shown from memory; font-src data:
# is fonts inlined in CSS. connect-src 'self' keeps every XHR on this origin: the tokens in
# localStorage can only be sent back to this API.
_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(script_hashes: tuple[str, ...] = ()) -> str:
    """The policy of an HTML page; ``script_hashes`` allow exactly those inline scripts."""
    directives = dict(_POLICY)
    if script_hashes:
        directives["script-src"] += "".join(f" '{digest}'" for digest in script_hashes)
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CONTENT_SECURITY_POLICY = content_security_policy()

# sanic-ext's routes for the Swagger page (the same page at /docs and /docs/swagger)
DOCS_PAGE_ROUTES = ("openapi.index", "openapi.swagger")

_SCRIPT = re.compile(r"<script(?P<attributes>[^>]*)>(?P<body>.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTRIBUTE = re.compile(r"\ssrc\s*=", re.IGNORECASE)


def inline_script_hashes(page: str) -> tuple[str, ...]:
    """CSP hash sources (``sha256-…``) of the inline ``<script>`` elements of ``page``.

    The browser hashes the element's text exactly as written (UTF-8), so the text between the
    tags is hashed untouched; a script loaded with ``src`` is not inline and has no hash.
    """
    hashes = []
    for script in _SCRIPT.finditer(page):
        if _SRC_ATTRIBUTE.search(script["attributes"]):
            continue
        digest = hashlib.sha256(script["body"].encode()).digest()
        hashes.append("sha256-" + base64.b64encode(digest).decode())
    return tuple(dict.fromkeys(hashes))


def _is_html(response: BaseHTTPResponse) -> bool:
    content_type = response.content_type or response.headers.get("content-type") or ""
    return str(content_type).lower().startswith("text/html")


def install_security_headers(app: Sanic[Any, Any], settings: Settings) -> None:
    """Add the headers to every answer of ``app``.

    ``settings`` is taken for symmetry with the other installers: nothing here depends on it,
    TLS is read from each request (``request.scheme`` honours X-Forwarded-Proto only from the
    ``OPCMS_PROXIES_COUNT`` trusted proxies, so a client cannot ask for HSTS over plain http).
    """
    # route name -> the policy of the page it serves; filled at server start, when sanic-ext's
    # docs routes exist and can be rendered
    page_policies: dict[str, str] = {}

    async def hash_docs_page(app: Sanic[Any, Any]) -> None:
        page_policies.update(await _docs_page_policies(app))

    async def add_headers(request: Request, response: BaseHTTPResponse) -> None:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", FRAME_OPTIONS)
        headers.setdefault("Referrer-Policy", REFERRER_POLICY)
        if _is_html(response):
            route_name = request.route.name if request.route else ""
            headers.setdefault(
                "Content-Security-Policy", page_policies.get(route_name, CONTENT_SECURITY_POLICY)
            )
        if request.scheme == "https":
            headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)

    app.before_server_start(hash_docs_page)
    # after the other response middleware (lower runs later), so an error answer made anywhere
    # still gets the headers
    app.register_middleware(add_headers, "response", priority=-100)


async def _docs_page_policies(app: Sanic[Any, Any]) -> dict[str, str]:
    """The policy of each docs route: the base one plus the hashes of its page's inline script.

    sanic-ext renders its page from a template and the app's config only (no request data),
    so the page rendered here once is the page every request gets. Its handler reads nothing
    from the request but ``request.app``.
    """
    policies: dict[str, str] = {}
    for route in app.router.routes:
        if not route.name.endswith(tuple("." + name for name in DOCS_PAGE_ROUTES)):
            continue
        try:
            answer = route.handler(SimpleNamespace(app=app))
            if inspect.isawaitable(answer):
                answer = await answer
            page = bytes(answer.body or b"").decode()
        except Exception:  # the docs page must not keep the API from starting
            log.warning("could not render %s to hash its inline script; /docs runs no script", route.name)
            continue
        policies[route.name] = content_security_policy(inline_script_hashes(page))
    return policies
