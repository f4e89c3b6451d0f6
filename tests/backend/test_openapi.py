"""OpenAPI at /docs: every API route documented with its request and response schemas."""

from __future__ import annotations

import re

from tests.backend.test_permissions import api_routes


async def test_every_api_route_is_documented_with_schemas(client, app):
    spec = (await client.get("/docs/openapi.json")).json()
    components = spec["components"]["schemas"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    for method, path, _handler in api_routes(app):
        if not path.startswith("/api/v1"):
            continue
        documented_path = re.sub(r"<([^>:]+)(:[^>]+)?>", r"{\1}", path)
        operation = spec["paths"].get(documented_path, {}).get(method.lower())
        assert operation is not None, f"{method} {path} is not in the OpenAPI document"
        ok = [code for code in operation["responses"] if code.startswith("2")]
        assert ok, f"{method} {path} documents no success response"
        content = operation["responses"][ok[0]].get("content", {})
        if "application/json" in content:
            name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert name in components
        elif ok[0] != "204":  # a file download documents its media type as binary
            [(media, body)] = content.items()
            assert body["schema"] == {"type": "string", "format": "binary"}, (method, path, media)
        if method in ("POST", "PATCH", "PUT") and "requestBody" in operation:
            [(media, body)] = operation["requestBody"]["content"].items()  # JSON, or an upload's form
            assert media in ("application/json", "multipart/form-data"), (method, path, media)
            assert body["schema"]["$ref"].rsplit("/", 1)[1] in components


async def test_the_docs_ui_is_served_without_a_cdn(client):
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
    # every script and stylesheet of the page comes from this server (a closed intranet has no CDN)
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert assets and all(a.startswith("/docs-assets/") for a in assets), assets
    for asset in assets:
        served = await client.get(asset)
        assert served.status_code == 200 and len(served.content) > 1000, asset


async def test_no_field_of_the_api_is_a_json_number_money_and_quantities_travel_as_strings(client):
    spec = (await client.get("/docs/openapi.json")).json()

    def numbers(schema: dict, where: str):
        if schema.get("type") == "number":
            yield where
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, []):
                yield from numbers(option, where)
        if "items" in schema:
            yield from numbers(schema["items"], f"{where}[]")
        for name, prop in schema.get("properties", {}).items():
            yield from numbers(prop, f"{where}.{name}")

    found = [w for name, schema in spec["components"]["schemas"].items() for w in numbers(schema, name)]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                found += list(
                    numbers(parameter.get("schema", {}), f"{method.upper()} {path} ?{parameter['name']}")
                )
    # measurements that are not money nor quantities may be numbers
    assert [w for w in found if w not in {"HealthPublic.latency_ms"}] == []


async def test_the_docs_page_draws_the_document_in_parts_that_hold_every_operation_once(client):
    # given the whole document and the docs page's configuration
    whole = (await client.get("/docs/openapi.json")).json()
    config = (await client.get("/docs/swagger-config")).json()
    # when each part the page offers is read
    seen: list[tuple[str, str]] = []
    for definition in config["urls"]:
        part = (await client.get(definition["url"])).json()
        operations = [(path, method) for path, ops in part["paths"].items() for method in ops]
        # then each stays well under the size Swagger UI stopped drawing (134 operations)
        assert 0 < len(operations) <= 110, (definition["name"], len(operations))
        assert part["components"] == whole["components"]
        seen += operations
    # and together they hold every operation of the whole document exactly once
    every = [(path, method) for path, ops in whole["paths"].items() for method in ops]
    assert sorted(seen) == sorted(every)
    assert config["urls.primaryName"] == config["urls"][0]["name"]
    first = (await client.get(config["urls"][0]["url"])).json()
    assert "/api/v1/customers" in first["paths"]  # the part shown first holds the customers
    # a part that does not exist is a 404 in the one error shape
    missing = await client.get("/docs/openapi/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "route_not_found"
