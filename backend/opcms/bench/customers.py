"""``opcms bench api``: ``GET /api/v1/customers`` under load, against its floor (DESIGN §15).

Fills a throw-away database with N customers (through the real import), starts ``opcms api``
as production runs it, signs in, and sends requests from C concurrent connections:

- the floor: ``GET /healthz`` (the framework, the socket and this load generator, no database);
- the figure: ``GET /api/v1/customers`` with filters and page 50 (authenticated: the token's
  session is checked on every request).

The load comes from ``wrk`` (Debian package) when it is installed — a C load generator that
leaves the CPU to the server — else from an httpx client in this process, which costs as much
CPU as the server and inflates every figure. It prints p50/p90/p99 of both; the last line is
one JSON object
``{"bench": "api", "value": p99 ms, "floor": healthz p99 ms, "ratio", "unit": "ms", …}``.
Target: p99 < 50 ms at 50 concurrent connections with 10,000 customers. The load generator
shares the machine with the server, so the figures are an upper bound.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from opcms.auth.service import ensure_user
from opcms.bench.common import figure, fresh_database, percentile, running_api
from opcms.bench.imports import OWNERS, generate
from opcms.core.context import acting_as, system_actor
from opcms.core.db import close_db
from opcms.core.settings import get_settings
from opcms.imports import service

TARGET_P99_MS = 50.0
LIST_PATH = "/api/v1/customers?status=active&sort=customer_code&page=50&page_size=20"


async def _load(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], concurrency: int, total: int
) -> list[float]:
    latencies: list[float] = []
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get(path, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"bench api: {path} answered {response.status_code}: {response.text[:200]}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def _seed(customers: int) -> str:
    settings = get_settings()
    settings.import_max_rows = max(settings.import_max_rows, customers)
    settings.import_max_bytes = max(settings.import_max_bytes, customers * 200)
    await fresh_database(settings, "api")
    password = "Bench-Password-1"
    try:
        with acting_as(system_actor("bench")):
            await ensure_user("bench-admin", "admin", password)
            for username, name in OWNERS:
                await ensure_user(username, "operator", password, display_name=name)
            with tempfile.TemporaryDirectory(prefix="opcms-bench-") as folder:
                path = Path(folder) / "customers.xlsx"
                generate(path, customers)
                job = await service.submit(path.read_bytes(), path.name, "upsert", background=False)
                if job.created != customers:
                    raise SystemExit(f"bench api: seeded {job.created} of {customers} customers")
    finally:
        await close_db()
    return password


async def _measure_httpx(
    base: str, token: str, concurrency: int, requests: int
) -> dict[str, dict[str, float]]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        headers = {"Authorization": f"Bearer {token}"}
        figures = {}
        for label, path in (("healthz", "/healthz"), ("customers", LIST_PATH)):
            await _load(client, path, headers, concurrency, min(requests, 200))  # warm-up
            samples = await _load(client, path, headers, concurrency, requests)
            figures[label] = {f"p{q}": percentile(samples, q) for q in (50, 90, 99)}
            figures[label]["rps"] = 0.0
        return figures


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(base: str, token: str, path: str, concurrency: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            base + path,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures: dict[str, float] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "90%", "99%"):
            number = parts[1].rstrip("usm")
            unit = parts[1][len(number) :]
            figures[f"p{parts[0][:-1]}"] = float(number) * _WRK_UNITS[unit]
        elif line.startswith("Requests/sec:"):
            figures["rps"] = float(parts[1])
        elif "Non-2xx" in line:
            raise SystemExit(f"bench api: {path} answered errors: {line.strip()}")
    return figures


def main(customers: int, concurrency: int, requests: int) -> int:
    password = asyncio.run(_seed(customers))
    settings = get_settings()
    with running_api("api") as base:
        token = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": "bench-admin", "password": password}
        ).json()["access_token"]
        if shutil.which("wrk"):
            loader = "wrk"
            figures = {}
            for label, path in (("healthz", "/healthz"), ("customers", LIST_PATH)):
                _wrk(base, token, path, concurrency, 2)  # warm-up
                figures[label] = _wrk(base, token, path, concurrency, 10)
        else:
            loader = "httpx (install wrk for server-only figures)"
            figures = asyncio.run(_measure_httpx(base, token, concurrency, requests))
    print(
        f"api bench: {customers:,} customers, {concurrency} connections, load from {loader}, "
        f"{settings.api_workers} API process(es), database {settings.database_url.split(':', 1)[0]}"
    )
    for label, stats in figures.items():
        print(
            f"  {label:<10} p50 {stats['p50']:7.1f} ms  p90 {stats['p90']:7.1f} ms  p99 {stats['p99']:7.1f} ms"
            f"  {stats['rps']:8.0f} req/s"
        )
    value, floor = figures["customers"]["p99"], figures["healthz"]["p99"]
    verdict = "meets" if value < TARGET_P99_MS else "MISSES"
    print(f"  {LIST_PATH}: p99 {value:.1f} ms (target < {TARGET_P99_MS:g} ms): {verdict} the target")
    result = figure(
        "api",
        value,
        floor,
        unit="ms",
        places=2,
        p50=round(figures["customers"]["p50"], 2),
        rps=figures["customers"]["rps"],
        customers=customers,
        concurrency=concurrency,
        api_workers=settings.api_workers,
        loader=loader.split()[0],
    )
    print(json.dumps(result), flush=True)
    return 0
