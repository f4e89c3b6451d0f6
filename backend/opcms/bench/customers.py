"""``opcms bench api``: the list endpoints under load, each beside its floor (DESIGN §15).

Fills a throw-away database with N customers (through the real import: owners, levels, statuses
as a spreadsheet brings them), then, by raw batched INSERTs, 3 invoices and 2 payments per
customer and 5 audit rows per customer. Starts ``opcms api`` as production runs it: as many API
processes as production (``OPCMS_API_WORKERS`` when it is set, else the default of
docker-compose.yml), their metrics added up through ``PROMETHEUS_MULTIPROC_DIR``. Signs in once.

For ``/healthz`` and each list (customers, invoices, payments, audit log) it measures:

- **alone**: requests one after the other on one keep-alive connection, median and p99 as the
  client sees them on loopback, and the server's own mean time per request (the API sends no
  Server-Timing header; the mean comes from its Prometheus histogram,
  ``opcms_http_request_duration_seconds``, sum over count for the route). Floor: the same SQL
  statements the endpoint runs for that page (captured from the ORM's log in this process),
  replayed through one connection of the driver, without HTTP, ORM objects or JSON;
- **closed loop**: ``wrk`` with C connections (50) for S seconds: requests/s, p50/p99, wrk's
  socket errors (connect/read/write/timeout, its timeout is 2 s) and non-2xx answers. Floor:
  ``/healthz`` under the same load (the framework, the sockets and wrk, no database);
- **open loop**: requests sent at a fixed rate (200/s) for S seconds whatever the answers, by the
  generator below (raw HTTP/1.1 keep-alive sockets; a request finding no idle connection opens
  one); latency counts from the time the request was due, so a stalled server is not hidden
  (no coordinated omission); a request unanswered 2 s after it was due is a timeout. Floor:
  ``/healthz`` at the same rate.

Targets (issue 17, 2 cores, 10,000 customers): alone ≤ 3 ms server time; open loop at 200/s
p99 < 50 ms; closed loop at 50 connections ≥ 500 req/s, no timeout, no error, p99 < 250 ms.
Each line prints the figure, its floor, their ratio and whether it meets its target. The load
generators share the 2 cores with the server and the database: the figures are an upper bound.
The last line is one JSON object (``bench.common.figure``) whose value is the customer list's
closed-loop p99; every line is under its ``lines`` key.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from tortoise import connections

from opcms.auth.service import ensure_user
from opcms.bench.common import driver_connection, figure, fresh_database, percentile, running_api
from opcms.bench.imports import OWNERS, generate
from opcms.core.context import acting_as, system_actor
from opcms.core.db import close_db
from opcms.core.settings import REPO_ROOT, get_settings
from opcms.imports import service

# the page a user asks for, per list: filters, a sort, page 50 (the audit log pages by cursor)
LISTS = {
    "customers": "/api/v1/customers?status=active&sort=customer_code&page=50&page_size=20",
    "invoices": "/api/v1/invoices?status=unsettled&page=50&page_size=20",
    "payments": "/api/v1/payments?status=unallocated&page=50&page_size=20",
    "audit log": "/api/v1/audit-log?entity_type=customer&page_size=50",
}
HEALTHZ = "/healthz"
TARGET_ALONE_MS = 3.0
TARGET_OPEN_P99_MS = 50.0
TARGET_CLOSED_RPS = 500.0
TARGET_CLOSED_P99_MS = 250.0
TIMEOUT_SECONDS = 2.0  # wrk's default; the open loop counts a timeout the same
INVOICES_PER_CUSTOMER = 3
PAYMENTS_PER_CUSTOMER = 2
AUDIT_ROWS_PER_CUSTOMER = 5
BATCH = 2000
PASSWORD = "Bench-Password-1"
# how long the API's processes may take to start on a machine busy with other work
STARTUP_SECONDS = 120.0


# --- the processes production runs -------------------------------------------------------------
def production_api_workers() -> tuple[int, str]:
    """How many API processes production runs: ``OPCMS_API_WORKERS`` when this environment sets
    it, else docker-compose.yml's default for the ``api`` service."""
    if os.environ.get("OPCMS_API_WORKERS"):
        return get_settings().api_workers, "OPCMS_API_WORKERS"
    compose = REPO_ROOT / "docker-compose.yml"
    found = re.search(r"OPCMS_API_WORKERS:\s*\$\{OPCMS_API_WORKERS:-(\d+)\}", compose.read_text())
    if found:
        return int(found.group(1)), "docker-compose.yml's default"
    return get_settings().api_workers, "settings default"


# --- seeding --------------------------------------------------------------------------------------
async def _seed(customers: int) -> None:
    settings = get_settings()
    settings.import_max_rows = max(settings.import_max_rows, customers)
    settings.import_max_bytes = max(settings.import_max_bytes, customers * 200)
    await fresh_database(settings, "api")
    try:
        with acting_as(system_actor("bench")):
            await ensure_user("bench-admin", "admin", PASSWORD)
            for username, name in OWNERS:
                await ensure_user(username, "operator", PASSWORD, display_name=name)
            with tempfile.TemporaryDirectory(prefix="opcms-bench-") as folder:
                path = Path(folder) / "customers.xlsx"
                generate(path, customers)
                job = await service.submit(path.read_bytes(), path.name, "upsert", background=False)
                if job.created != customers:
                    raise SystemExit(f"bench api: seeded {job.created} of {customers} customers")
        await _seed_documents()
    finally:
        await close_db()


async def _seed_documents() -> None:
    """Invoices, payments and audit rows of the imported customers, by raw batched INSERTs."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict("SELECT id, customer_code, company_name FROM customer ORDER BY id")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    invoices: list[list[Any]] = []
    statuses = ("unsettled", "partially_settled", "settled")
    for n, (month, status) in enumerate(zip(("2026-08", "2026-09", "2026-10"), statuses, strict=True)):
        issue = dt.date.fromisoformat(f"{month}-01") + dt.timedelta(days=31)
        for i, row in enumerate(rows):
            total = f"{100 + (i * 37 + n * 11) % 9000}.00"
            paid = {"unsettled": "0.00", "partially_settled": "50.00", "settled": total}[status]
            outstanding = {
                "unsettled": total,
                "partially_settled": f"{float(total) - 50:.2f}",
                "settled": "0.00",
            }
            # the 2nd month of every 4th customer is still open: each status has its share
            state = "unsettled" if n == 1 and i % 4 == 0 else status
            invoices.append(
                [
                    now,
                    now,
                    "bench",
                    False,
                    f"INV{month.replace('-', '')}{i:06d}",
                    month,
                    month,
                    issue,
                    issue + dt.timedelta(days=30),
                    "CNY",
                    row["customer_code"],
                    row["company_name"],
                    total,
                    "0.00",
                    total,
                    "0.00",
                    "0.00" if state == "unsettled" else paid,
                    total if state == "unsettled" else outstanding[status],
                    state,
                    row["id"],
                ]
            )
    await _insert(
        conn,
        "invoice",
        "created_at, updated_at, created_by, is_deleted, number, period, live_period, issue_date, due_date,"
        " currency, customer_code, company_name, subtotal, discount_amount, total, credited_amount,"
        " paid_amount, outstanding, status, customer_id",
        invoices,
    )
    payments: list[list[Any]] = []
    for n in range(PAYMENTS_PER_CUSTOMER):
        for i, row in enumerate(rows):
            amount = f"{200 + (i * 13 + n) % 5000}.00"
            allocated = n == 0 and i % 3 != 0
            payments.append(
                [
                    now,
                    now,
                    "bench",
                    False,
                    amount,
                    "CNY",
                    dt.date(2026, 9, 1) + dt.timedelta(days=(i + n * 7) % 60),
                    "bank_transfer",
                    row["company_name"],
                    f"BR{n}{i:08d}",
                    f"br{n}{i:08d}",
                    amount if allocated else "0.00",
                    "0.00" if allocated else amount,
                    "allocated" if allocated else "unallocated",
                    row["id"],
                ]
            )
    await _insert(
        conn,
        "payment",
        "created_at, updated_at, created_by, is_deleted, amount, currency, received_on, method, payer_name,"
        " bank_reference, reference_key, allocated_amount, unallocated_amount, status, customer_id",
        payments,
    )
    audit: list[list[Any]] = []
    for n in range(AUDIT_ROWS_PER_CUSTOMER):
        for i, row in enumerate(rows):
            audit.append(
                [
                    now - dt.timedelta(seconds=(n * len(rows) + i)),
                    "bench",
                    "update",
                    "customer",
                    str(row["id"]),
                    json.dumps({"remark": f"before {n}"}),
                    json.dumps({"remark": f"after {n}"}),
                    f"bench change {n}",
                ]
            )
    await _insert(
        conn,
        "audit_log",
        "occurred_at, actor, action, entity_type, entity_id, `before`, `after`, message",
        audit,
    )
    await conn.execute_script("ANALYZE TABLE customer, invoice, payment, audit_log")


async def _insert(conn: Any, table: str, columns: str, rows: list[list[Any]]) -> None:
    marks = ", ".join(["%s"] * len(rows[0]))
    for first in range(0, len(rows), BATCH):
        await conn.execute_many(
            f"INSERT INTO `{table}` ({columns}) VALUES ({marks})", rows[first : first + BATCH]
        )


# --- the SQL an endpoint runs, and its replay (the floor of "alone") ------------------------------
class _Statements(logging.Handler):
    """The statements Tortoise's client logs (at DEBUG) while it is attached."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) == 2 and isinstance(args[0], str) and args[0].lstrip().upper().startswith("SELECT"):
            self.statements.append((args[0], args[1]))


async def _capture_sql(token: str) -> dict[str, list[tuple[str, Any]]]:
    """Per list, the SELECTs its endpoint runs for the bench's page (the app served in this
    process, over ASGI; the session is checked on a first request, so only the list's own
    statements are caught on the second)."""
    from opcms.app import create_app
    from opcms.core.db import init_db

    settings = get_settings()
    await init_db(settings)
    app = create_app(settings, name="opcms_bench_sql", manage_db=False)
    app.asgi = True
    await app._startup()
    await app._server_event("init", "before")
    await app._server_event("init", "after")
    logger = logging.getLogger("tortoise.db_client")
    captured: dict[str, list[tuple[str, Any]]] = {}
    try:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
            for label, path in LISTS.items():
                (await client.get(path)).raise_for_status()
                handler, level, propagate = _Statements(), logger.level, logger.propagate
                logger.addHandler(handler)
                logger.setLevel(logging.DEBUG)
                logger.propagate = False  # caught here, not printed
                try:
                    (await client.get(path)).raise_for_status()
                finally:
                    logger.removeHandler(handler)
                    logger.setLevel(level)
                    logger.propagate = propagate
                captured[label] = handler.statements
    finally:
        await app._server_event("shutdown", "before")
        await app._server_event("shutdown", "after")
        await close_db()
    return captured


async def _replay(statements: list[tuple[str, Any]], repeat: int) -> list[float]:
    """Milliseconds of each replay of ``statements`` on one driver connection, one after another."""
    conn = await driver_connection(get_settings().database_url)
    samples = []
    try:
        for round_ in range(repeat + repeat // 10):
            started = time.perf_counter()
            for sql, values in statements:
                async with conn.cursor() as cursor:
                    await cursor.execute(sql, values or None)
                    await cursor.fetchall()
            if round_ >= repeat // 10:  # the first tenth warms up
                samples.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return samples


# --- raw HTTP/1.1 client --------------------------------------------------------------------------
class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        # the server said "Connection: close" (a process above its share sheds one): connect again
        self.closed = False

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        return cls(*await asyncio.open_connection(host, port))

    async def send(self, request: bytes) -> int:
        """Send one request, read its whole answer; answers the status."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("chunked answers are not read by this client")
            elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                self.closed = True
        await self.reader.readexactly(length)
        if self.closed:
            self.close()
        return status

    def close(self) -> None:
        self.writer.close()


def _request(host: str, port: int, path: str, token: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\nConnection: keep-alive\r\n\r\n"
    ).encode()


@dataclass
class Alone:
    p50: float
    p99: float


async def _alone(host: str, port: int, path: str, token: str, count: int) -> Alone:
    conn = await _Connection.open(host, port)
    request = _request(host, port, path, token)
    samples = []
    try:
        for i in range(count + count // 10):
            started = time.perf_counter()
            if conn.closed:  # connecting again is part of that request's time, as for any client
                conn = await _Connection.open(host, port)
            status = await conn.send(request)
            if status != 200:
                raise SystemExit(f"bench api: {path} answered {status}")
            if i >= count // 10:
                samples.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return Alone(percentile(samples, 50), percentile(samples, 99))


@dataclass
class OpenLoop:
    sent: int
    p50: float = 0.0
    p99: float = 0.0
    timeouts: int = 0
    errors: int = 0
    non_2xx: int = 0
    connections: int = 0
    late_ms: float = 0.0  # how much later than due the generator itself sent (its own lag)
    latencies: list[float] = field(default_factory=list, repr=False)


async def _open_loop(host: str, port: int, path: str, token: str, rate: float, seconds: float) -> OpenLoop:
    """``rate`` requests per second for ``seconds``, each sent when due whatever the others do."""
    loop = asyncio.get_running_loop()
    request = _request(host, port, path, token)
    idle: list[_Connection] = []
    result = OpenLoop(sent=int(rate * seconds))
    tasks = set()

    async def one(due: float) -> None:
        result.late_ms = max(result.late_ms, (loop.time() - due) * 1000)
        conn = idle.pop() if idle else None
        try:
            async with asyncio.timeout_at(due + TIMEOUT_SECONDS):
                if conn is None:
                    conn = await _Connection.open(host, port)
                    result.connections += 1
                status = await conn.send(request)
        except TimeoutError:
            result.timeouts += 1
            if conn is not None:
                conn.close()
            return
        except (OSError, asyncio.IncompleteReadError, ValueError, RuntimeError):
            result.errors += 1
            if conn is not None:
                conn.close()
            return
        result.latencies.append((loop.time() - due) * 1000)
        if not 200 <= status < 300:
            result.non_2xx += 1
        if not conn.closed:
            idle.append(conn)

    start = loop.time() + 0.05
    for i in range(result.sent):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.gather(*list(tasks))
    for conn in idle:
        conn.close()
    if result.latencies:
        result.p50 = percentile(result.latencies, 50)
        result.p99 = percentile(result.latencies, 99)
    return result


# --- wrk (closed loop) ----------------------------------------------------------------------------
_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class ClosedLoop:
    rps: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    requests: int = 0
    connect_errors: int = 0
    read_errors: int = 0
    write_errors: int = 0
    timeouts: int = 0
    non_2xx: int = 0
    per_process: list[int] = field(default_factory=list)  # connections each API process held

    @property
    def socket_errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors


def _connections_by_process(port: int) -> list[int]:
    """How many client connections each process holds on ``port`` now, most first (``ss``); empty
    when ``ss`` is missing."""
    if not shutil.which("ss"):
        return []
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True
    ).stdout
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[pid] = counts.get(pid, 0) + 1
    return sorted(counts.values(), reverse=True)


def _wrk(base: str, token: str, path: str, concurrency: int, seconds: float) -> ClosedLoop:
    wrk = subprocess.Popen(
        [
            "wrk",
            "-t2",
            f"-c{concurrency}",
            f"-d{seconds:g}s",
            f"--timeout={TIMEOUT_SECONDS:g}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            base + path,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    # midway: how the API's processes share wrk's connections (each keeps the ones it accepted)
    time.sleep(seconds / 2)
    spread = _connections_by_process(urlsplit(base).port or 80)
    out, _ = wrk.communicate()
    if wrk.returncode:
        raise SystemExit(f"bench api: wrk failed ({wrk.returncode})")
    result = ClosedLoop(per_process=spread)
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "99%"):
            number = parts[1].rstrip("usm")
            value = float(number) * _WRK_UNITS[parts[1][len(number) :]]
            setattr(result, f"p{parts[0][:-1]}", value)
        elif line.startswith("Requests/sec:"):
            result.rps = float(parts[1])
        elif "requests in" in line:
            result.requests = int(parts[0])
        elif line.strip().startswith("Socket errors:"):
            found = dict(re.findall(r"(connect|read|write|timeout) (\d+)", line))
            result.connect_errors = int(found.get("connect", 0))
            result.read_errors = int(found.get("read", 0))
            result.write_errors = int(found.get("write", 0))
            result.timeouts = int(found.get("timeout", 0))
        elif "Non-2xx" in line:
            result.non_2xx = int(parts[-1])
    return result


# --- the server's own time, from its metrics --------------------------------------------------------
def _server_seconds(base: str) -> dict[str, tuple[float, float]]:
    """Per route pattern: (Σ seconds, count) of GET requests, from the API's /metrics."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    totals: dict[str, list[float]] = {}
    for line in text.splitlines():
        found = re.match(r"opcms_http_request_duration_seconds_(sum|count)\{(.*)\} (\S+)", line)
        if not found or 'method="GET"' not in found.group(2):
            continue
        route = re.search(r'route="([^"]*)"', found.group(2))
        entry = totals.setdefault(route.group(1) if route else "", [0.0, 0.0])
        entry[0 if found.group(1) == "sum" else 1] += float(found.group(3))
    return {route: (sums[0], sums[1]) for route, sums in totals.items()}


def _server_mean_ms(
    before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]], path: str
) -> float | None:
    route = urlsplit(path).path.strip("/")
    for name, (seconds, count) in after.items():
        if name.strip("/") == route:
            earlier = before.get(name, (0.0, 0.0))
            if count > earlier[1]:
                return (seconds - earlier[0]) / (count - earlier[1]) * 1000
    return None


# --- lines ------------------------------------------------------------------------------------------
def _line(
    label: str, value: float, floor: float | None, unit: str, target: str = "", meets: bool | None = None
) -> dict[str, Any]:
    """One figure: lower is better but for a rate (req/s), whose ratio to its floor is a share;
    a figure without a target has no ``target`` nor ``meets``."""
    line: dict[str, Any] = {
        "label": label,
        "value": round(value, 2),
        "floor": None if floor is None else round(floor, 3),
        "ratio": round(value / floor, 2) if floor else None,
        "unit": unit,
        "better": "higher" if unit == "req/s" else "lower",
    }
    if target:
        line.update(target=target, meets=meets)
    return line


def _print_line(line: dict[str, Any]) -> None:
    floor = (
        "" if line["floor"] is None else f"  floor {line['floor']:>9.2f}  ratio {line['ratio'] or 0:>7.2f}"
    )
    verdict = "" if line.get("meets") is None else ("  meets" if line["meets"] else "  MISSES")
    target = f"  target {line['target']}" if line.get("target") else ""
    print(
        f"  {line['label']:<44} {line['value']:>9.2f} {line['unit']:<5}{floor}{target}{verdict}", flush=True
    )


@contextlib.contextmanager
def _api(attempts: int = 3) -> Iterator[str]:
    """``running_api`` (its processes given ``STARTUP_SECONDS`` to start), tried again when the
    API does not come up."""
    for attempt in range(1, attempts + 1):
        with contextlib.ExitStack() as stack:
            try:
                base = stack.enter_context(running_api("api", startup_seconds=STARTUP_SECONDS))
            except SystemExit:
                if attempt == attempts:
                    raise
                print(f"bench api: the API did not start (attempt {attempt}); again", flush=True)
                continue
            yield base
            return


def _measure(
    base: str, token: str, path: str, concurrency: int, alone_requests: int, rate: float, seconds: float
) -> tuple[Alone, float | None, ClosedLoop, OpenLoop]:
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    before = _server_seconds(base)
    alone = asyncio.run(_alone(host, port, path, token, alone_requests))
    server_ms = _server_mean_ms(before, _server_seconds(base), path)
    _wrk(base, token, path, concurrency, 2)  # warm-up: every process, every pooled connection
    closed = _wrk(base, token, path, concurrency, seconds)
    opened = asyncio.run(_open_loop(host, port, path, token, rate, seconds))
    return alone, server_ms, closed, opened


def main(customers: int, concurrency: int, requests: int, rate: float = 200.0, seconds: float = 10.0) -> int:
    if not shutil.which("wrk"):
        raise SystemExit("bench api: the closed loop needs wrk (Debian package wrk)")
    workers, source = production_api_workers()
    asyncio.run(_seed(customers))
    settings = get_settings()
    alone_requests = max(50, min(requests, 500))
    metrics_dir = tempfile.TemporaryDirectory(prefix="opcms-bench-metrics-")
    os.environ.update(OPCMS_API_WORKERS=str(workers), PROMETHEUS_MULTIPROC_DIR=metrics_dir.name)
    results: dict[str, tuple[Alone, float | None, ClosedLoop, OpenLoop]] = {}
    with metrics_dir, _api() as base:
        token = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": "bench-admin", "password": PASSWORD}, timeout=30
        ).json()["access_token"]
        statements = asyncio.run(_capture_sql(token))
        floors = {label: asyncio.run(_replay(sql, alone_requests)) for label, sql in statements.items()}
        for label, path in {"healthz": HEALTHZ, **LISTS}.items():
            results[label] = _measure(base, token, path, concurrency, alone_requests, rate, seconds)
    print(
        f"api bench: {customers:,} customers, {customers * INVOICES_PER_CUSTOMER:,} invoices,"
        f" {customers * PAYMENTS_PER_CUSTOMER:,} payments, {customers * AUDIT_ROWS_PER_CUSTOMER:,}+ audit rows;"
        f" {workers} API process(es) ({source}), pool of {settings.api_db_pool_max} connections each (taken in turns),"
        f" session cache {settings.session_cache_seconds:g} s; database {settings.database_url.split(':', 1)[0]};"
        f" closed loop: wrk, {concurrency} connections, {seconds:g} s; open loop: {rate:g} req/s for {seconds:g} s"
    )
    print(
        "  alone: one connection, one request after another; server time = the API's own mean"
        " (Prometheus histogram; no Server-Timing header), client time on loopback"
    )
    health_alone, health_server, health_closed, health_open = results["healthz"]
    lines: list[dict[str, Any]] = [
        _line("healthz alone, client p50", health_alone.p50, None, "ms"),
        _line("healthz alone, server mean", health_server or 0.0, None, "ms"),
        _line(f"healthz {concurrency} conns, req/s", health_closed.rps, None, "req/s"),
        _line(f"healthz {concurrency} conns, p99", health_closed.p99, None, "ms"),
        _line(f"healthz {rate:g}/s open loop, p99", health_open.p99, None, "ms"),
    ]
    for label, path in LISTS.items():
        alone, server_ms, closed, opened = results[label]
        sql = floors[label]
        sql_mean, sql_p50, sql_p99 = statistics.fmean(sql), percentile(sql, 50), percentile(sql, 99)
        lines += [
            _line(
                f"{label} alone, server mean",
                server_ms or 0.0,
                sql_mean,
                "ms",
                f"<= {TARGET_ALONE_MS:g} ms",
                server_ms is not None and server_ms <= TARGET_ALONE_MS,
            ),
            _line(f"{label} alone, client p50", alone.p50, sql_p50, "ms"),
            _line(f"{label} alone, client p99", alone.p99, sql_p99, "ms"),
            _line(
                f"{label} {concurrency} conns, req/s",
                closed.rps,
                health_closed.rps,
                "req/s",
                f">= {TARGET_CLOSED_RPS:g}",
                closed.rps >= TARGET_CLOSED_RPS,
            ),
            _line(f"{label} {concurrency} conns, p50", closed.p50, health_closed.p50, "ms"),
            _line(
                f"{label} {concurrency} conns, p99",
                closed.p99,
                health_closed.p99,
                "ms",
                f"< {TARGET_CLOSED_P99_MS:g} ms",
                closed.p99 < TARGET_CLOSED_P99_MS,
            ),
            _line(
                f"{label} {concurrency} conns, timeouts",
                closed.timeouts,
                None,
                "req",
                "0",
                closed.timeouts == 0,
            ),
            _line(
                f"{label} {concurrency} conns, errors (socket, non-2xx)",
                closed.socket_errors + closed.non_2xx,
                None,
                "req",
                "0",
                closed.socket_errors + closed.non_2xx == 0,
            ),
            _line(f"{label} {rate:g}/s open loop, p50", opened.p50, health_open.p50, "ms"),
            _line(
                f"{label} {rate:g}/s open loop, p99",
                opened.p99,
                health_open.p99,
                "ms",
                f"< {TARGET_OPEN_P99_MS:g} ms",
                opened.p99 < TARGET_OPEN_P99_MS and opened.timeouts == 0,
            ),
            _line(
                f"{label} {rate:g}/s open loop, timeouts+errors",
                opened.timeouts + opened.errors + opened.non_2xx,
                None,
                "req",
                "0",
                opened.timeouts + opened.errors + opened.non_2xx == 0,
            ),
        ]
        print(
            f"  {label}: {path}  (floor of alone: its {len(statements[label])} SQL statement(s) on one"
            f" connection; of the loops: /healthz under the same load); wrk: {closed.requests:,} requests,"
            f" socket errors connect {closed.connect_errors}, read {closed.read_errors}, write"
            f" {closed.write_errors}, timeout {closed.timeouts}; non-2xx {closed.non_2xx}; connections held"
            f" per API process: {'/'.join(map(str, closed.per_process)) or '?'};"
            f" open loop: {opened.sent:,} sent, {opened.connections} connection(s) opened, sent at most"
            f" {opened.late_ms:.1f} ms late",
            flush=True,
        )
    for line in lines:
        _print_line(line)
    customers_closed = results["customers"][2]
    missed = [line["label"] for line in lines if line.get("meets") is False]
    print(f"  targets: {len(missed)} missed" + (f" ({'; '.join(missed)})" if missed else ""), flush=True)
    result = figure(
        "api",
        customers_closed.p99,
        health_closed.p99,
        unit="ms",
        places=2,
        label=f"GET /customers p99 at {concurrency} connections",
        target=f"< {TARGET_CLOSED_P99_MS:g} ms, no timeout",
        meets=customers_closed.p99 < TARGET_CLOSED_P99_MS and customers_closed.timeouts == 0,
        targets_missed=len(missed),
        p50=round(customers_closed.p50, 2),
        rps=customers_closed.rps,
        timeouts=customers_closed.timeouts,
        connections_per_process=customers_closed.per_process,
        customers=customers,
        concurrency=concurrency,
        rate=rate,
        api_workers=workers,
        db_pool_max=settings.api_db_pool_max,
        loader="wrk",
        lines=lines,
    )
    print(json.dumps(result), flush=True)
    return 0
