"""The frontend's typed API modules call only routes the OpenAPI document declares."""

from __future__ import annotations

import re
from pathlib import Path

FRONTEND_API = Path(__file__).resolve().parents[2] / "frontend" / "src" / "api"
# a request of an API module: axios itself (`http.get(...)`) or the helpers of api/http.ts that
# answer the body (`getData`, `getQuery`, `postData`, `patchData`, `deleteData`)
CALL = re.compile(
    r"(?:http\.(get|post|put|patch|delete)|\b(get|post|patch|delete)(?:Data|Query))\s*(?:<[^(]*?>)?\(\s*[`'\"](/[^`'\"]*)[`'\"]"
)
# `collection('/path')` of api/http.ts: a record's GET, PATCH and DELETE at /path/{id} and its POST at /path
COLLECTION = re.compile(r"\bcollection\s*(?:<[^(]*?>)?\(\s*[`'\"](/[^`'\"]*)[`'\"]")


def _route(path: str) -> str:
    return re.sub(r"\$\{[^}]+\}", "{id}", path)


def frontend_calls() -> list[tuple[str, str]]:
    calls = []
    for module in FRONTEND_API.glob("*.ts"):
        text = module.read_text()
        for axios_method, helper_method, path in CALL.findall(text):
            calls.append(((axios_method or helper_method).upper(), _route(path)))
        for path in COLLECTION.findall(text):
            record = _route(path) + "/{id}"
            calls += [("GET", record), ("PATCH", record), ("DELETE", record), ("POST", _route(path))]
    return calls


def test_the_frontend_api_modules_are_parsed():
    calls = frontend_calls()
    assert ("POST", "/auth/login") in calls, "the API modules were not found or not parsed"
    # every way a module sends a request is read: a GET with a query, a PATCH, a DELETE
    assert ("GET", "/customers") in calls and ("PATCH", "/customers/{id}") in calls
    assert ("DELETE", "/customers/{id}") in calls


async def test_every_frontend_call_exists_in_the_openapi_document(client):
    spec = (await client.get("/docs/openapi.json")).json()
    documented = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{id}", path.removeprefix("/api/v1")))
        for path, operations in spec["paths"].items()
        for method in operations
    }
    missing = [call for call in frontend_calls() if call not in documented]
    assert missing == []


def test_every_permission_has_its_text_in_both_languages_of_the_ui():
    """The users page shows each permission's text in the chosen language; one without its
    Chinese text would show the backend's English description on a Chinese page."""
    from opcms.core.permissions import PERMISSIONS

    locale = FRONTEND_API.parent / "locale"
    for language in ("zh-CN", "en-US"):
        texts = "\n".join(path.read_text() for path in locale.rglob(f"{language}.ts"))
        keys = set(re.findall(r"['\"]permission\.([\w:-]+)['\"]\s*:", texts))
        assert "customers:read" in keys, f"no permission text found in the {language} locale files"
        missing = sorted(set(PERMISSIONS) - keys)
        assert not missing, f"{language}: no text for {missing}"
