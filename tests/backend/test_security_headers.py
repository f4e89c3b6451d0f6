"""Browser security headers from the API: every answer is ``nosniff``, not frameable and keeps
its path from other sites; HTML pages (the UI, /docs) carry a Content-Security-Policy without
inline script; HSTS only on an answer that came over TLS (through a trusted proxy)."""

from __future__ import annotations

import re
import shutil

import httpx
import pytest

from opcms.billing.reports.printable import CONTENT_SECURITY_POLICY as PRINT_POLICY
from opcms.core.security_headers import (
    CONTENT_SECURITY_POLICY,
    FRAME_OPTIONS,
    REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY,
    inline_script_hashes,
)
from opcms.core.settings import REPO_ROOT
from tests.backend.conftest import TMP
from tests.backend.factories import make_invoice, token_for
from tests.backend.processes import api_env, free_port, opcms, stop, wait_http

HSTS = "Strict-Transport-Security"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def assert_browser_headers(response: httpx.Response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def assert_strict_page_policy(policy: str) -> dict[str, list[str]]:
    """No inline or foreign script, nothing fetched elsewhere, never framed."""
    parsed = directives(policy)
    assert parsed["default-src"] == ["'self'"]
    assert parsed["script-src"][0] == "'self'"
    assert all(source.startswith("'sha256-") for source in parsed["script-src"][1:]), policy
    assert parsed["connect-src"] == ["'self'"]
    assert parsed["object-src"] == ["'none'"]
    assert parsed["base-uri"] == ["'self'"]
    assert parsed["form-action"] == ["'self'"]
    assert parsed["frame-ancestors"] == ["'none'"]
    assert parsed["img-src"] == ["'self'", "data:", "blob:"]
    return parsed


async def test_a_json_answer_is_not_sniffed_framed_or_referred_and_has_no_hsts_over_http(client):
    # given an admin
    token = await token_for("admin")
    # when the API answers JSON over plain http
    response = await client.get("/api/v1/customers", token=token)
    # then the browser headers are there, and no HSTS (there is no TLS to pin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_browser_headers(response)
    assert HSTS not in response.headers


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/customers", 401),  # refused before the handler (JWT middleware)
        ("/api/v1/no-such-route", 404),  # no route at all
        ("/api/v1/test/boom", 500),  # the handler fails
    ],
)
async def test_error_answers_carry_the_headers_too(client, path, status):
    # when an answer is an error made outside any handler's control
    response = await client.get(path)
    # then it is still the JSON error shape with the headers
    assert response.status_code == status
    assert "error" in response.json()
    assert_browser_headers(response)


async def test_the_docs_page_allows_its_own_inline_script_by_hash_and_nothing_else(client):
    # when the Swagger page is asked for
    response = await client.get("/docs")
    # then it is HTML under the strict policy
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_browser_headers(response)
    parsed = assert_strict_page_policy(response.headers["Content-Security-Policy"])
    # and exactly the page's inline scripts are allowed, each by the hash of its text
    page_hashes = inline_script_hashes(response.text)
    assert page_hashes, "sanic-ext's Swagger page starts Swagger UI from an inline script"
    assert parsed["script-src"] == ["'self'", *(f"'{digest}'" for digest in page_hashes)]
    assert "'unsafe-inline'" not in parsed["script-src"] and "'unsafe-eval'" not in parsed["script-src"]
    # and its assets come from this server (the frontend build's docs-assets), none from a CDN
    for source in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', response.text):
        assert source.startswith("/docs-assets/"), source
    # and Swagger UI is told not to show the validator badge from validator.swagger.io, which
    # would send the spec's URL away and be refused by img-src
    config = (await client.get("/docs/swagger-config")).json()
    assert "validatorUrl" in config and config["validatorUrl"] is None


def test_inline_script_hashes_are_the_browsers_hashes_of_inline_scripts_only():
    # given a page with an external script and an inline one
    page = '<script src="/a.js"></script><script>\n  alert("x")\n</script><SCRIPT type="module">1</SCRIPT>'
    # then only the inline ones are hashed, each over its exact text (as a browser computes it:
    # `printf '\n  alert("x")\n' | openssl dgst -sha256 -binary | base64`)
    assert inline_script_hashes(page) == (
        "sha256-TXDo70RWXKLufWkQ1pcoWTBc6BhjI4kVwfSP8R+IpyY=",
        "sha256-a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s=",
    )


async def test_a_page_that_sets_its_own_stricter_policy_keeps_it(client):
    # given an invoice, and a reader
    invoice = await make_invoice()
    token = await token_for("auditor")
    # when its printable page (which forbids every script and image) is asked for
    response = await client.get(f"/api/v1/invoices/{invoice.id}/print", token=token)
    # then its own policy is kept, and the other headers are added
    assert response.status_code == 200
    assert response.headers.get_list("Content-Security-Policy") == [PRINT_POLICY]
    assert_browser_headers(response)


async def test_https_claimed_by_a_client_when_no_proxy_is_trusted_gets_no_hsts(client):
    # given the app with no trusted proxy (OPCMS_PROXIES_COUNT=0)
    # when a client itself says the request came over https
    response = await client.get(
        "/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    )
    # then nothing is pinned: the claim is not believed
    assert response.status_code == 200
    assert HSTS not in response.headers


@pytest.fixture
def built_ui():
    """A built UI as Vite lays it out: index.html loading a module script and a stylesheet."""
    dist = TMP / "security-headers-dist"
    (dist / "assets").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "frontend" / "index.html", dist / "index.html")
    (dist / "assets" / "index-0123abcd.js").write_text("document.title = 'OP-CMS';\n")
    yield dist
    shutil.rmtree(dist, ignore_errors=True)


@pytest.mark.slow
async def test_the_ui_behind_a_tls_proxy_gets_the_page_policy_and_hsts(database, built_ui):
    # given a real `opcms api` serving that UI behind one trusted proxy (nginx in production)
    port = free_port()
    env = api_env(port, TMP / "security-headers", OPCMS_PROXIES_COUNT="1", OPCMS_FRONTEND_DIST=str(built_ui))
    process = opcms("api", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", process)
        async with httpx.AsyncClient(base_url=base, timeout=30) as api:
            # when the UI's page is asked for, at the root and at a path the SPA routes itself
            for path in ("/", "/customers/12"):
                page = await api.get(path)
                # then it is the HTML page with the strict policy and the other headers
                assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
                assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
                assert_strict_page_policy(page.headers["Content-Security-Policy"])
                assert_browser_headers(page)
            # and a script of the bundle cannot be sniffed into anything else
            script = await api.get("/assets/index-0123abcd.js")
            assert script.status_code == 200
            assert_browser_headers(script)

            # when the proxy says the browser came over TLS
            via_tls = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
            for path in ("/", "/api/v1/customers"):
                answer = await api.get(path, headers=via_tls)
                # then the browser is told to keep to https for a year
                assert answer.headers[HSTS] == "max-age=31536000", path
            # and over plain http through the same proxy, it is not
            plain = await api.get("/", headers={**via_tls, "X-Forwarded-Proto": "http"})
            assert HSTS not in plain.headers
    finally:
        stop(process)
    output = process.stdout.read()
    assert "Traceback" not in output, output


def test_nginx_sends_the_same_headers_on_the_files_it_serves():
    # given the nginx site of the deployment (it serves index.html and the assets itself)
    conf = (REPO_ROOT / "deploy" / "nginx" / "opcms.conf").read_text()
    # each header's value is the first entry of its map: what nginx adds where the API sent none
    values = dict(re.findall(r'map [^{]*\$opcms_(\w+) \{\s*"[^"]*"\s+"([^"]*)";', conf))
    # then they are the API's values, and every one is added to the answers
    assert values == {
        "nosniff": "nosniff",
        "frame_options": FRAME_OPTIONS,
        "referrer_policy": REFERRER_POLICY,
        "content_security_policy": CONTENT_SECURITY_POLICY,
        "strict_transport_security": STRICT_TRANSPORT_SECURITY,
    }
    for name in values:
        assert re.search(rf"add_header [\w-]+ \$opcms_{name} always;", conf), name
