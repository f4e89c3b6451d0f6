"""The frontend's typed API modules call only routes the OpenAPI document declares."""

from __future__ import annotations

import re
from pathlib import Path

FRONTEND_API = Path(__file__).resolve().parents[2] / "frontend" / "src" / "api"
CALL = re.compile(r"http\.(get|post|put|patch|delete)\s*(?:<[^>]*>)?\(\s*[`'\"]([^`'\"]+)[`'\"]")


def frontend_calls() -> list[tuple[str, str]]:
    calls = []
    for module in FRONTEND_API.glob("*.ts"):
        for method, path in CALL.findall(module.read_text()):
            calls.append((method.upper(), re.sub(r"\$\{[^}]+\}", "{id}", path)))
    return calls


def test_the_frontend_api_modules_are_parsed():
    calls = frontend_calls()
    assert ("POST", "/auth/login") in calls, "the API modules were not found or not parsed"


async def test_every_frontend_call_exists_in_the_openapi_document(client):
    spec = (await client.get("/docs/openapi.json")).json()
    documented = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{id}", path.removeprefix("/api/v1")))
        for path, operations in spec["paths"].items()
        for method in operations
    }
    missing = [call for call in frontend_calls() if call not in documented]
    assert missing == []
