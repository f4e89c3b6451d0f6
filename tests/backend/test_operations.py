"""Request ids, health, readiness and metrics."""

from __future__ import annotations


async def test_request_id_is_echoed_or_made(client):
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = await client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"})
    assert unsafe.headers["X-Request-ID"] != "bad id\twith junk"


async def test_readyz_checks_the_database_and_the_broker(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


async def test_metrics_count_requests_by_route_pattern_and_status(client):
    await client.get("/api/v1/users/123")  # 401: no token
    body = (await client.get("/metrics")).text
    line = next(
        l for l in body.splitlines()
        if l.startswith("opcms_http_requests_total") and 'route="api/v1/users/<user_id:int>"' in l and 'status="401"' in l
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1
    assert "opcms_http_request_duration_seconds_bucket" in body
