"""Request ids, health, readiness and metrics."""

from __future__ import annotations


async def test_request_id_is_echoed_or_made(client):
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = await client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"})
    assert unsafe.headers["X-Request-ID"] != "bad id\twith junk"


async def test_readyz_checks_the_database_the_broker_and_the_file_store(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "storage": "ok"}}


async def test_metrics_count_requests_by_route_pattern_and_status(client):
    await client.get("/api/v1/users/123")  # 401: no token
    body = (await client.get("/metrics")).text
    line = next(
        text
        for text in body.splitlines()
        if text.startswith("opcms_http_requests_total")
        and 'route="api/v1/users/<user_id:int>"' in text
        and 'status="401"' in text
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1
    assert "opcms_http_request_duration_seconds_bucket" in body


async def test_a_forwarded_for_header_is_not_trusted_without_a_proxy(client):
    # an attacker rotating X-Forwarded-For must not escape the per-IP login throttle
    for i in range(6):
        await client.post(
            "/api/v1/auth/login",
            json={"username": f"u{i}", "password": "Bad-guess-0"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": "u9", "password": "Bad-guess-0"},
        headers={"X-Forwarded-For": "203.0.113.99"},
    )
    assert response.status_code == 429


def test_the_permissions_document_is_current():
    from pathlib import Path

    from opcms.core.permissions import matrix_markdown

    committed = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    assert committed == matrix_markdown(), "run `make permissions-doc`"


def test_json_logs_carry_the_request_id():
    import io
    import json
    import logging

    from opcms.core.context import current_request_id
    from opcms.core.logging import configure_logging

    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure_logging("INFO", "json")
        stream = io.StringIO()
        root.handlers[0].setStream(stream)
        token = current_request_id.set("req-42")
        logging.getLogger("opcms.test").warning("hello %s", "world")
        current_request_id.reset(token)
        record = json.loads(stream.getvalue().strip().splitlines()[-1])
        assert record["message"] == "hello world" and record["request_id"] == "req-42"
        assert record["level"] == "WARNING" and record["logger"] == "opcms.test"
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
