"""The API document is the truth (DESIGN §16): what a route can answer is documented, an
undeclared method is a 405 that names the allowed ones, and what the document calls invalid is
refused (a blank parameter, a day that is not ISO text, a body value of another JSON type)."""

from __future__ import annotations

import re

from tests.backend.factories import make_customer, token_for
from tests.backend.test_permissions import api_routes

CUSTOMERS = "/api/v1/customers"


def documented(path: str) -> str:
    return re.sub(r"<([^>:]+)(:[^>]+)?>", r"{\1}", path)


async def test_every_operation_documents_the_errors_its_method_and_path_can_meet(client, app):
    # given the document
    spec = (await client.get("/docs/openapi.json")).json()
    # then every API operation lists 503 (the database gone), 404 where an id is given, 409 on
    # writes, 413 and 415 where it takes a body, each in the one error shape
    for method, path, _handler in api_routes(app):
        if not path.startswith("/api/v1"):
            continue
        operation = spec["paths"][documented(path)][method.lower()]
        responses = operation["responses"]
        expected = {"503"}
        if "<" in path or method in ("POST", "PUT", "PATCH", "DELETE"):
            expected.add("404")
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            expected.add("409")
        if "requestBody" in operation:
            expected |= {"413", "415"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path, status)
    # and the session routes say they answer 401, and login 429 when throttled
    login = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "429"} <= set(login)
    assert "401" in spec["paths"]["/api/v1/auth/refresh"]["post"]["responses"]


async def test_answers_are_documented_as_they_are_written(client):
    spec = (await client.get("/docs/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    # the dashboard answers "from" and "to" (its fields are start and end in Python)
    assert {"from", "to"} <= set(schemas["Dashboard"]["required"])
    assert "start" not in schemas["Dashboard"]["properties"]
    # the health checks document the bodies they answer
    health = spec["paths"]["/healthz"]["get"]["responses"]["200"]["content"]["application/json"]
    assert health["schema"] == {"$ref": "#/components/schemas/Liveness"}
    ready = spec["paths"]["/readyz"]["get"]["responses"]
    assert ready["503"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Readiness"}


async def test_request_text_fields_document_the_characters_they_refuse(client):
    spec = (await client.get("/docs/openapi.json")).json()
    company_name = spec["components"]["schemas"]["CustomerCreate"]["properties"]["company_name"]
    pattern = company_name["pattern"]
    # the pattern refuses what the API refuses: control characters, bidi overrides
    assert re.fullmatch(pattern, "北京某某科技有限公司")
    for refused in ("\u202eabc", "a\x00b"):
        assert not re.fullmatch(pattern, refused), refused
    # and, where a text is required, blank text (it is trimmed first); a multi-line text takes
    # line breaks
    reason = spec["components"]["schemas"]["ReasonRequest"]["properties"]["reason"]["pattern"]
    assert re.fullmatch(reason, "客户要求\n作废") and not re.fullmatch(reason, " \n ")


async def test_an_undeclared_method_is_a_405_naming_the_allowed_methods(client):
    token = await token_for("admin")
    customer = await make_customer()
    # when a method no route takes is sent to a path with an id
    response = await client.call("PUT", f"{CUSTOMERS}/{customer.id}", token=token)
    # then it is a 405 in the error shape whose Allow header names what the path takes
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    allowed = {method.strip() for method in response.headers["allow"].split(",")}
    assert {"GET", "PATCH", "DELETE"} <= allowed and "PUT" not in allowed


async def test_an_id_that_is_no_id_names_no_route_whatever_the_method(client):
    token = await token_for("admin")
    # when an id that cannot be one is sent with a method the UI's catch-all does not take
    for method in ("DELETE", "PATCH", "POST"):
        response = await client.call(method, f"{CUSTOMERS}/null,null", token=token)
        # then it is a 404 (no API route has that path), not a 405 from the UI's catch-all
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "route_not_found"


async def test_a_parameter_sent_blank_is_checked_like_any_value(client):
    token = await token_for("finance")
    # when a period is sent blank to an export
    response = await client.get("/api/v1/invoices/export", token=token, params={"period": ""})
    # then it is refused, not read as "no period"
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "period"


async def test_a_day_is_taken_only_as_iso_text(client):
    token = await token_for("finance")
    # when a day is sent as a number, or in a form the document does not show
    for value in ("0", "20261201", "2026-02-30"):
        response = await client.get("/api/v1/reports/aging", token=token, params={"as_of": value})
        # then it is a 422 naming the field (pydantic alone reads "0" as 1970-01-01)
        assert response.status_code == 422, value
        assert response.json()["error"]["details"][0]["field"] == "as_of"
    assert (
        await client.get("/api/v1/reports/aging", token=token, params={"as_of": "2026-12-01"})
    ).status_code == 200


async def test_a_body_value_of_another_json_type_is_refused(client):
    token = await token_for("admin")
    customer = await make_customer()
    # when a body gives a number where the document says boolean, or a string for an id
    channel = {"name": "sms-typed", "kind": "sms", "settings": {}, "is_enabled": 0}
    wrong_bool = await client.post("/api/v1/notification-channels", token=token, json=channel)
    wrong_id = await client.post(
        f"{CUSTOMERS}/batch",
        token=token,
        json={"action": "assign_owner", "customer_ids": [str(customer.id)], "owner_id": 1},
    )
    # then both are 422s naming the field, and nothing was created
    assert wrong_bool.status_code == 422 and wrong_bool.json()["error"]["details"][0]["field"] == "is_enabled"
    assert wrong_id.status_code == 422
    assert wrong_id.json()["error"]["details"][0]["field"].startswith("customer_ids")
    channels = (await client.get("/api/v1/notification-channels", token=token)).json()["items"]
    assert "sms-typed" not in {row["name"] for row in channels}


async def test_a_day_with_an_earliest_value_documents_it(client):
    spec = (await client.get("/docs/openapi.json")).json()
    # given the aging report, which takes days from 2000-01-01 on
    parameters = spec["paths"]["/api/v1/analytics/aging"]["get"]["parameters"]
    [as_of] = [p for p in parameters if p["name"] == "as_of"]
    schema = as_of["schema"]
    pattern = schema.get("pattern") or next(v["pattern"] for v in schema.get("anyOf", []) if "pattern" in v)
    # then its document refuses the day before and takes the first day and later ones
    assert not re.fullmatch(pattern, "1999-12-31")
    assert all(re.fullmatch(pattern, day) for day in ("2000-01-01", "2026-12-01", "9999-12-31"))


async def test_a_whole_number_in_a_query_is_taken_only_in_digits(client):
    token = await token_for("finance")
    # when an id is written as a decimal ("7.0"), which pydantic alone reads as 7
    response = await client.get("/api/v1/invoices", token=token, params={"customer_id": "7.0"})
    # then it is a 422 naming the field; in digits it is taken
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "customer_id"
    assert (await client.get("/api/v1/invoices", token=token, params={"customer_id": "7"})).status_code == 200


async def test_a_text_longer_than_its_maximum_as_sent_is_refused_before_trimming(client):
    token = await token_for("admin")
    customer = await make_customer()
    # when a remark of 2,001 characters is sent, its first a space (2,000 once trimmed)
    response = await client.patch(
        f"{CUSTOMERS}/{customer.id}", token=token, json={"remark": " " + "备" * 2000}
    )
    # then it is refused as the document's maxLength counts it, and nothing changed
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "remark"
    assert (await client.get(f"{CUSTOMERS}/{customer.id}", token=token)).json()["remark"] == customer.remark
    # and 2,000 as sent are taken
    taken = await client.patch(f"{CUSTOMERS}/{customer.id}", token=token, json={"remark": "备" * 2000})
    assert taken.status_code == 200 and taken.json()["remark"] == "备" * 2000


async def test_who_may_not_write_hears_403_whatever_the_body_type(client):
    # given an auditor (no write permission) and an operator (who writes customers)
    auditor, operator = await token_for("auditor"), await token_for("operator")
    body = {"content": b"plain text", "headers": {"Content-Type": "text/plain"}}
    # when each sends a body of the wrong type to a write route
    refused = await client.post(CUSTOMERS, token=auditor, **body)
    wrong_type = await client.post(CUSTOMERS, token=operator, **body)
    # then the auditor is told 403 (the permission comes first), the operator 415
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert wrong_type.status_code == 415 and wrong_type.json()["error"]["code"] == "unsupported_media_type"


async def test_every_reference_of_the_document_resolves(client):
    document = await client.get("/docs/openapi.json")
    spec, text = document.json(), document.text
    # then no reference points inside one schema's own definitions (a query's enums did)
    assert "#/$defs/" not in text
    # and every component a reference names exists; a nullable enum lists null among its values
    for name in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert name in spec["components"]["schemas"], name
    [status] = [p for p in spec["paths"]["/api/v1/payments"]["get"]["parameters"] if p["name"] == "status"]
    assert status["schema"].get("$ref") or status["schema"].get("anyOf") or status["schema"].get("enum")
    assert None in spec["components"]["schemas"]["BatchAction"]["properties"]["status"]["enum"]
