"""``opcms scale-check`` (``make scale-check``): scale-out proven with real processes (DESIGN §15).

On a throw-away MariaDB/MySQL database (OPCMS_SCALE_DATABASE_URL, whose name must contain
"scale"; created here and dropped at the end, also on failure) and a Redis database
(OPCMS_SCALE_REDIS_URL, emptied first), in named steps:

1. database: create and migrate; seed 2,000 customers with three metered subscriptions each,
   a ``demo`` data source mapping an account to each, and an admin;
2. processes, each an OS process of its own with its own log file: two ``opcms api`` (one
   process each, on two ports: the load spreads over both, as a proxy with two upstreams
   does), two ``opcms worker`` (one task at a time each, node names ``scale-w1@…`` and
   ``scale-w2@…``), one ``opcms beat`` and, once it holds the lease, a second that must stay
   idle;
3. load: client threads send a cheap authenticated list request to the APIs in turn, from
   here to the end;
4. usage pull: one pull per day for 3 days of last month, through ``POST /task-executions``;
5. invoice run of last month, through the same endpoint in chunks of 100; when both workers
   have billed chunks and about a third are done, worker 1 is SIGKILLed (its process group:
   the task in its hands is never acknowledged) and API 1 is sent SIGTERM under the load, then
   started again on its port once it has stopped. The run must finish on worker 2: the broker
   returns the killed worker's task after the visibility timeout (OPCMS_BROKER_VISIBILITY_TIMEOUT_SECONDS,
   set to 20 s here);
6. shared files: every process keeps its files in one bucket of an S3-compatible server (moto's,
   started here on 127.0.0.1 and stopped at the end, also on failure) while each has a var
   folder of its own, as on different hosts. A customer list with bad rows is uploaded through
   API 1 (above ``OPCMS_IMPORT_SYNC_ROWS``, set low here: the API queues it) and a worker runs
   it from the bucket; its error workbook and a customers export are downloaded through API 2;
7. checks (bench/scale_checks.py): exactly one live invoice per billable customer, gap-free
   numbers, usage rows exactly the vendor's (recomputed with ``demo_quantity``), both workers
   billed chunks, the second beat never held the lease, no failed HTTP request; the import ran
   on a worker, the error workbook names the bad rows, the export lists every customer, the
   upload is in the bucket and no process kept an upload or an export in its own folder.

Then a short report; every process started is stopped (its process group), also on failure
or Ctrl-C, and on failure the end of each process's log is shown.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncmy
import httpx
import openpyxl
import redis
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from opcms.bench import scale_checks
from opcms.bench.billing import PLANS
from opcms.bench.common import free_port, insert_customers
from opcms.bench.s3_server import LocalS3
from opcms.core.context import acting_as, system_actor
from opcms.core.db import config_from_settings, init_db
from opcms.core.models import utcnow
from opcms.core.periods import period_bounds, previous_period
from opcms.core.processes import stop_with_parent
from opcms.core.settings import business_today, get_settings, reset_settings

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/opcms_scale"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
CUSTOMERS = 2000
PULL_DAYS = 3
CHUNK_SIZE = 100
DEMO_SETTINGS: dict[str, Any] = {"metrics": [code for code, _, _ in PLANS], "base": 1000, "seed": "scale"}
ADMIN = "scale-admin"
WORKERS = ("scale-w1", "scale-w2")
# the broker returns a dead worker's unacknowledged task after this long (Celery's default: 1 h)
VISIBILITY_TIMEOUT_SECONDS = 20
LOAD_CLIENTS = 3
LOAD_PAUSE_SECONDS = 0.05  # between one client's requests: ~20 req/s each, the machine is shared
LOAD_PATH = "/api/v1/customers?page_size=20"
STEP_TIMEOUT_SECONDS = 120
LOG_TAIL_LINES = 40
# the shared file store: a bucket of the S3-compatible server this check starts, under a prefix
BUCKET = "opcms-scale"
STORE_PREFIX = "opcms"
# the customer list uploaded: IMPORT_ROWS rows, the ones on these Excel rows (the header is row
# 1) with a phone number that is refused
IMPORT_ROWS = 400
IMPORT_BAD_ROWS = (3, 150, IMPORT_ROWS + 1)
# a list above this many rows is queued for a worker: the default (2,000) would take a list five
# times as long to make and import for the same proof
IMPORT_SYNC_ROWS = 100
IMPORT_TASK = "opcms.imports.run"
# how long after the last byte of an export the API may take to remove it from the bucket
EXPORT_REMOVAL_SECONDS = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CheckFailed(Exception):
    """A step or a check found something wrong: the message says what."""


# --- the throw-away database --------------------------------------------------------------------
def database_name(url: str) -> str:
    name = urlsplit(url).path.strip("/")
    if not url.startswith("mysql") or "scale" not in name:
        raise SystemExit(
            "opcms scale-check creates and drops its database: OPCMS_SCALE_DATABASE_URL must be a mysql:// URL "
            f"of a throw-away database whose name contains 'scale' (e.g. {DEFAULT_DATABASE_URL}); got {url!r}"
        )
    return name


async def _server_sql(url: str, *statements: str) -> None:
    parts = urlsplit(url)
    conn = await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
    )
    try:
        async with conn.cursor() as cursor:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "database does not exist" on the first drop
                for statement in statements:
                    await cursor.execute(statement)
    finally:
        conn.close()


async def create_database(url: str) -> None:
    name = database_name(url)
    await _server_sql(
        url,
        f"DROP DATABASE IF EXISTS `{name}`",
        f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        await migrate(config=config_from_settings(get_settings()))
        await Tortoise.close_connections()
    await init_db(get_settings())


async def drop_database(url: str) -> None:
    await _server_sql(url, f"DROP DATABASE IF EXISTS `{database_name(url)}`")


# --- seeding ------------------------------------------------------------------------------------
@dataclass
class Seeded:
    customer_ids: list[int]
    accounts: dict[int, str]  # customer id → the account the vendor knows it by
    admin_password: str


async def seed(customers: int) -> Seeded:
    """Customers (the benches' bulk insert), a plan per metric (the billing bench's), a
    subscription per customer and metric, the demo data source with an account per customer,
    and an admin. The job schedules are disabled: a schedule falling due during the check
    (the nightly pull at 02:00 Shanghai) would add usage the check does not expect."""
    from opcms.auth.schemas import UserCreate
    from opcms.auth.service import create_user
    from opcms.jobs.models import JobSchedule
    from opcms.pricing.schemas import PlanCreate, UsageMetricCreate
    from opcms.pricing.service import create_metric, create_plan
    from opcms.usage.models import DataSource

    conn = connections.get("default")
    now = utcnow()
    since = dt.date(2026, 1, 1)
    password = secrets.token_urlsafe(18) + "aA1!"
    with acting_as(system_actor("scale-check")):
        plans = []
        for code, plan_code, terms in PLANS:
            metric = await create_metric(UsageMetricCreate(code=code, name=code, unit="次"))
            plan = await create_plan(
                PlanCreate(code=plan_code, name=plan_code, metric=code, effective_from=since, **terms)
            )
            plans.append((metric.id, plan.id))
        source = await DataSource.create(name="scale-vendor", adapter="demo", settings=DEMO_SETTINGS)
        await create_user(UserCreate(username=ADMIN, role="admin", password=password))
        await JobSchedule.all().update(is_enabled=False)
    ids = await insert_customers(conn, customers, now)
    accounts = {cid: f"scale-{cid:06d}" for cid in ids}
    await conn.execute_many(
        "INSERT INTO `subscription` (customer_id, metric_id, plan_id, effective_from, discount_percent,"
        " created_at, updated_at, is_deleted) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [[cid, metric_id, plan_id, since, 0, now, now, False] for cid in ids for metric_id, plan_id in plans],
    )
    await conn.execute_many(
        "INSERT INTO `customer_source_account` (customer_id, source_id, external_account, account_key, created_at,"
        " updated_at, is_deleted) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [[cid, source.id, account, account.casefold(), now, now, False] for cid, account in accounts.items()],
    )
    await analyze("customer", "subscription", "customer_source_account")
    return Seeded(ids, accounts, password)


async def analyze(*tables: str) -> None:
    """Table statistics as a database in service has them. Freshly filled tables may still look
    empty to the optimizer: the invoice run's usage sums then scanned all of usage_record for
    each chunk (6 s a chunk of 100 customers instead of a fraction of a second)."""
    for table in tables:
        await connections.get("default").execute_query(f"ANALYZE TABLE `{table}`")


def vendor_rows(accounts: dict[int, str], days: list[dt.date]) -> dict[scale_checks.UsageKey, Decimal]:
    """What the vendor sends for these accounts and days, worked out again from the demo
    adapter's documented formula (not through the adapter the pull used)."""
    from opcms.usage.adapters.demo import demo_quantity

    base, seed_text = DEMO_SETTINGS["base"], DEMO_SETTINGS["seed"]
    return {
        (cid, metric, day): Decimal(demo_quantity(account, metric, day, base=base, seed=seed_text))
        for cid, account in accounts.items()
        for metric in DEMO_SETTINGS["metrics"]
        for day in days
    }


# --- processes ----------------------------------------------------------------------------------
@dataclass
class Process:
    name: str
    argv: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes]
    var_dir: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class Processes:
    """The OS processes the check starts: each leads its own process group (a signal to the group
    reaches the children too: Celery's pool, the API's copies), writes to its own log and has a
    var folder of its own under ``hosts`` (as if each ran on a host of its own: the files they
    share go through the shared file store)."""

    def __init__(self, folder: Path, env: dict[str, str], hosts: Path) -> None:
        self.folder = folder
        self.env = env
        self.hosts = hosts
        self.started: list[Process] = []

    def start(self, name: str, *args: str, **env: str) -> Process:
        instance = f"{name}.{len([p for p in self.started if p.name == name])}"
        log_path = self.folder / f"{instance}.log"
        var_dir = self.hosts / instance / "var"
        argv = [sys.executable, "-m", "opcms", *args]
        with open(log_path, "wb") as log:
            # SIGTERM when this process dies, however it dies (Linux's parent-death signal)
            popen = subprocess.Popen(
                argv,
                env={**self.env, "OPCMS_VAR_DIR": str(var_dir), **env},
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=stop_with_parent,
            )
        process = Process(name, argv, log_path, popen, var_dir)
        self.started.append(process)
        return process

    def var_dirs(self) -> dict[str, Path]:
        """Each process started (``name.n``) → its own var folder."""
        return {process.var_dir.parent.name: process.var_dir for process in self.started}

    def signal(self, process: Process, signum: int) -> None:
        if process.alive:
            os.killpg(process.popen.pid, signum)

    def stop(self, process: Process, timeout: float = 30) -> int:
        self.signal(process, signal.SIGTERM)
        try:
            return process.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(process, signal.SIGKILL)
            return process.popen.wait()

    def stop_all(self) -> None:
        for process in self.started:
            self.signal(process, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.started:
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.signal(process, signal.SIGKILL)
                process.popen.wait()
        # a process group outlives its leader when a child lingers: make sure none is left
        for process in self.started:
            with suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name} (pid {p.popen.pid}, exit {p.popen.returncode}) {p.log_path}\n{p.tail()}"
            for p in self.started
        )


def wait_for(what: str, ready: Any, timeout: float = STEP_TIMEOUT_SECONDS, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = ready()
        if answer:
            return answer
        time.sleep(every)
    raise CheckFailed(f"{what}: not within {timeout:.0f} s")


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def start_api(processes: Processes, port: int) -> Process:
    return processes.start(f"api-{port}", "api", OPCMS_PORT=str(port))


def api_answering(process: Process, port: int) -> None:
    wait_for(
        f"opcms api on port {port} to answer /healthz",
        lambda: healthy(f"http://127.0.0.1:{port}") or _dead(process),
    )


def _dead(process: Process) -> bool:
    if not process.alive:
        raise CheckFailed(f"{process.name} exited with {process.popen.returncode} while starting")
    return False


def workers_answering(count: int) -> bool:
    from opcms.core.celery_app import configure_celery

    return len(configure_celery().control.ping(timeout=1.0) or []) >= count


def worker_args(name: str) -> list[str]:
    # one task at a time: with 2 cores, 2 workers of one process each share the run
    return [
        "worker",
        "--concurrency=1",
        "--",
        f"--hostname={name}@%h",
        "--without-gossip",
        "--without-mingle",
    ]


# --- load ---------------------------------------------------------------------------------------
@dataclass
class Tally:
    """What the load's requests got. ``refused``: the connection was refused (the request never
    reached a server) and was sent to the other API; ``reset``: a kept-alive connection was
    closed under it with no answer (the server gave no sign of reading it) and the GET — safe to
    repeat — was sent again to the other API. Either retry failing is a failure. Each is kept
    with its time: a 503, a refusal or a reset outside the API's restart window is a problem."""

    ok: int = 0
    # when each came (time.monotonic())
    unavailable: list[float] = field(default_factory=list)
    refused: list[float] = field(default_factory=list)
    reset: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: str, detail: str = "") -> None:
        with self.lock:
            if outcome == "ok":
                self.ok += 1
            elif outcome == "503":
                self.unavailable.append(time.monotonic())
            elif outcome == "refused":
                self.refused.append(time.monotonic())
            elif outcome == "reset":
                self.reset.append(time.monotonic())
            else:
                self.failures.append(f"{detail} (at {time.monotonic() - EPOCH:.1f} s)")


class Load:
    """``LOAD_CLIENTS`` threads, each with its own keep-alive client, sending ``LOAD_PATH`` to the
    APIs in turn until stopped."""

    def __init__(self, bases: list[str], token: str) -> None:
        self.bases = bases
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en-US"}
        self.tally = Tally()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(LOAD_CLIENTS)
        ]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _send(self, client: httpx.Client, base: str) -> tuple[str, str]:
        try:
            response = client.get(f"{base}{LOAD_PATH}")
        except httpx.ConnectError as error:
            return "refused", f"{base}: {error!r}"
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
            return "reset", f"{base}: {error!r}"
        except httpx.HTTPError as error:
            return "failed", f"{base}: {error!r}"
        if response.status_code == 200:
            return "ok", ""
        if response.status_code == 503:
            return "503", ""
        return "failed", f"{base}: {response.status_code} {response.text[:200]}"

    def _client(self, n: int) -> None:
        with httpx.Client(headers=self.headers, timeout=10) as client:
            turn = n
            while not self._stop.is_set():
                base, other = self.bases[turn % 2], self.bases[(turn + 1) % 2]
                turn += 1
                outcome, detail = self._send(client, base)
                if outcome in ("refused", "reset"):
                    self.tally.add(outcome)
                    outcome, detail = self._send(client, other)
                    if outcome in ("refused", "reset"):  # the retry too: a real failure
                        outcome, detail = "failed", f"retried after a {outcome}: {detail}"
                self.tally.add(outcome, detail)
                self._stop.wait(LOAD_PAUSE_SECONDS)


# --- the API as the UI calls it -----------------------------------------------------------------
class Api:
    def __init__(self, bases: list[str], token: str = "") -> None:
        self.bases = bases
        self.token = token

    def call(self, method: str, path: str, *, via: int | None = None, **kwargs: Any) -> Any:
        """The JSON answer of the API that is up (the other may be restarting), or of API
        ``via`` (0 or 1) alone."""
        return self.send(method, path, via=via, **kwargs).json()

    def download(self, path: str, *, via: int) -> bytes:
        """A file from API ``via`` (0 or 1) alone."""
        response = self.send("GET", path, via=via)
        if not response.headers.get("content-type", "").startswith(XLSX):
            raise CheckFailed(f"GET {path}: {response.headers.get('content-type')}, not a workbook")
        return response.content

    def send(self, method: str, path: str, *, via: int | None = None, **kwargs: Any) -> httpx.Response:
        last: Exception | None = None
        for base in self.bases if via is None else [self.bases[via]]:
            try:
                headers = {"Accept-Language": "en-US"}
                if self.token:
                    headers["Authorization"] = f"Bearer {self.token}"
                response = httpx.request(
                    method,
                    f"{base}/api/v1{path}",
                    headers=headers,
                    timeout=30,
                    **kwargs,
                )
            except httpx.TransportError as error:
                last = error
                continue
            if response.status_code >= 400:
                raise CheckFailed(f"{method} {path}: {response.status_code} {response.text[:500]}")
            return response
        raise CheckFailed(f"{method} {path}: no API answered ({last!r})")

    def login(self, password: str) -> str:
        self.token = self.call("POST", "/auth/login", json={"username": ADMIN, "password": password})[
            "access_token"
        ]
        return self.token

    def trigger(self, job: str, parameters: dict[str, Any]) -> int:
        return int(self.call("POST", "/task-executions", json={"job": job, "parameters": parameters})["id"])

    def execution(self, execution_id: int) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("GET", f"/task-executions/{execution_id}")
        return answer

    def finished(self, execution_id: int) -> dict[str, Any] | None:
        shown = self.execution(execution_id)
        return shown if shown.get("finished_at") else None


# --- the shared file store ----------------------------------------------------------------------
def import_workbook() -> tuple[bytes, dict[int, str], list[str]]:
    """A customer list of ``IMPORT_ROWS`` new customers (codes ``S0000001``…), those on
    ``IMPORT_BAD_ROWS`` with a phone number that is refused: the workbook, the bad rows (Excel
    row → code) and the codes of the good ones."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["客户编号", "公司名称", "客户等级", "联系电话"])
    bad: dict[int, str] = {}
    good: list[str] = []
    for n in range(1, IMPORT_ROWS + 1):
        code, row = f"S{n:07d}", n + 1
        phone = "12345" if row in IMPORT_BAD_ROWS else f"139{n:08d}"
        sheet.append([code, f"扩容检查客户{n}有限公司", "A", phone])
        if row in IMPORT_BAD_ROWS:
            bad[row] = code
        else:
            good.append(code)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), bad, good


def import_runs_by_worker() -> dict[str, tuple[int, int]]:
    """Each live worker node → (how many import tasks it ran, its pid), as the workers say."""
    from opcms.core.celery_app import configure_celery

    stats = configure_celery().control.inspect(timeout=2.0).stats() or {}
    return {
        node: (int((shown.get("total") or {}).get(IMPORT_TASK, 0)), int(shown.get("pid") or 0))
        for node, shown in stats.items()
    }


@dataclass
class SharedFiles:
    """What the shared-files step handed back, for the checks and the report."""

    store: str = ""
    queued: dict[str, Any] = field(default_factory=dict)
    done: dict[str, Any] = field(default_factory=dict)
    ran_by: dict[str, tuple[int, int]] = field(default_factory=dict)
    bad_rows: dict[int, str] = field(default_factory=dict)
    good: int = 0
    upload_key: str = ""
    upload_size: int = 0
    error_workbook: bytes = b""
    export: bytes = b""
    customer_codes: list[str] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)
    requests: dict[tuple[str, str], int] = field(default_factory=dict)
    var_dirs: dict[str, Path] = field(default_factory=dict)


async def _upload_key(import_id: int) -> str:
    from opcms.imports.models import ImportJob
    from opcms.imports.service import stored_key

    return stored_key(await ImportJob.get(id=import_id))


async def _customer_codes() -> list[str]:
    from opcms.customers.models import Customer

    return [
        str(code) for code in await Customer.filter(is_deleted=False).values_list("customer_code", flat=True)
    ]


def shared_files(api: Api, s3: LocalS3, processes: Processes) -> SharedFiles:
    """An import through API 1 that a worker runs from the bucket, its error workbook and a
    customers export through API 2; then what the bucket and the var folders hold."""
    files = SharedFiles(store=f"s3://{BUCKET}/{STORE_PREFIX}/ at {s3.endpoint_url}")
    data, files.bad_rows, good = import_workbook()
    files.good, files.upload_size = len(good), len(data)
    upload = {"file": ("scale-customers.xlsx", data, XLSX)}
    files.queued = api.call("POST", "/imports/customers", via=0, files=upload, data={"mode": "upsert"})
    import_id = int(files.queued["id"])

    def finished() -> dict[str, Any] | None:
        shown: dict[str, Any] = api.call("GET", f"/imports/{import_id}")
        return shown if shown["status"] in ("succeeded", "failed") else None

    files.done = wait_for(f"import {import_id} to finish", finished, every=0.2)
    files.ran_by = import_runs_by_worker()
    files.upload_key = run(_upload_key, import_id)
    if files.done["status"] == "succeeded":
        files.error_workbook = api.download(f"/imports/{import_id}/errors.xlsx", via=1)
    files.export = api.download("/customers/export", via=1)
    files.customer_codes = run(_customer_codes)
    prefix = f"{STORE_PREFIX}/"
    # the API removes an export once it has sent it, after the last byte: a moment to do so
    deadline = time.monotonic() + EXPORT_REMOVAL_SECONDS
    while True:
        files.stored = {key.removeprefix(prefix): size for key, size in s3.sizes(BUCKET, prefix).items()}
        if not any(key.startswith("exports/") for key in files.stored) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    files.requests = s3.requests
    files.var_dirs = {**processes.var_dirs(), "scale-check": get_settings().var_dir}
    return files


def shared_files_line(files: SharedFiles) -> list[str]:
    folders = Counter(key.split("/", 1)[0] for key in files.stored)
    held = ", ".join(f"{folder}/ {n}" for folder, n in sorted(folders.items())) or "nothing"
    size = sum(files.stored.values())
    runs = {node: pid for node, (times, pid) in files.ran_by.items() if times}
    ran = ", ".join(f"{node} (pid {pid})" for node, pid in runs.items()) or "no worker"
    errors = max(0, len(scale_checks.read_sheet(files.error_workbook, "error workbook")[0]) - 1)
    asked = ", ".join(
        f"{method} {folder or '(bucket)'} {n}" for (method, folder), n in sorted(files.requests.items())
    )
    report = files.done.get("report") or {}
    return [
        f"  shared file store    {files.store} (moto, over HTTP): {len(files.stored)} object{'' if len(files.stored) == 1 else 's'}, {size / 1024:.0f} KB "
        f"({held}); a var folder per process ({len(files.var_dirs)})",
        f"  import on a worker   import {files.queued.get('id')}: {IMPORT_ROWS} rows ({len(files.bad_rows)} bad) "
        f"uploaded to API 1, answered {'202 queued' if files.queued.get('background') else 'inline'}; "
        f"run by {ran}: {files.done.get('status')}, created {report.get('created')}, failed {report.get('failed')}",
        f"  downloads from API 2 error workbook {len(files.error_workbook) / 1024:.0f} KB ({errors} rows), "
        f"customers export {len(files.export) / 1024:.0f} KB ({len(files.customer_codes):,} customers)",
        f"  S3 requests          {asked} (by method and folder; the bucket's own: made and listed by the check)",
    ]


# --- the scenario -------------------------------------------------------------------------------
@dataclass
class Report:
    customers: int = 0
    usage_rows: int = 0
    invoices: int = 0
    chunks: dict[str, int] = field(default_factory=dict)
    invoices_by_worker: dict[str, int] = field(default_factory=dict)
    killed_at_chunks: str = ""
    late_chunks: list[int] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)
    lease_holders: Counter[str] = field(default_factory=Counter)
    durations: dict[str, float] = field(default_factory=dict)
    restart_window: tuple[float, float] = (0.0, 0.0)
    old_api_exited: float = 0.0
    tally: Tally | None = None
    files: SharedFiles | None = None
    problems: list[str] = field(default_factory=list)


@contextmanager
def step(report: Report, name: str) -> Iterator[None]:
    print(f"scale-check: {name} …", flush=True)
    started = time.monotonic()
    yield
    report.durations[name] = time.monotonic() - started


def run(async_fn: Any, *args: Any) -> Any:
    """Run a database step on the check's own event loop (Tortoise is bound to it)."""
    return LOOP.run_until_complete(async_fn(*args))


LOOP = asyncio.new_event_loop()
EPOCH = time.monotonic()  # the check's times are given in seconds from its start


async def _done_chunks(execution_id: int) -> list[tuple[int, str | None]]:
    from opcms.billing.models import ChunkStatus, InvoiceRunChunk

    return list(
        await InvoiceRunChunk.filter(execution_id=execution_id, status=ChunkStatus.DONE).values_list(
            "seq", "worker"
        )
    )


async def _chunk_count(execution_id: int) -> int:
    from opcms.billing.models import InvoiceRunChunk

    return await InvoiceRunChunk.filter(execution_id=execution_id).count()


async def _lease_holder() -> str | None:
    from opcms.jobs.models import Lease

    lease = await Lease.get_or_none(name="beat")
    return lease.holder if lease is not None else None


async def _invoices_by_worker(execution_id: int) -> dict[str, int]:
    from opcms.billing.models import InvoiceRunChunk

    counted: Counter[str] = Counter()
    for worker, counters in await InvoiceRunChunk.filter(execution_id=execution_id).values_list(
        "worker", "counters"
    ):
        counted[str(worker).split("@")[0]] += int((counters or {}).get("succeeded", 0))
    return dict(counted)


async def _chunk_timeline(execution_id: int, killed_at: dt.datetime) -> list[str]:
    """Each chunk as "seq:worker@+seconds after the kill" (negative: before it), in finishing order."""
    from opcms.billing.models import InvoiceRunChunk

    rows = (
        await InvoiceRunChunk.filter(execution_id=execution_id)
        .order_by("finished_at")
        .values_list("seq", "worker", "finished_at")
    )
    return [
        f"{seq}:{str(worker).split('@')[0].removeprefix('scale-')}@{(finished - killed_at).total_seconds():+.1f}s"
        for seq, worker, finished in rows
        if finished is not None
    ]


async def _late_chunks(execution_id: int, after: dt.datetime) -> list[int]:
    from opcms.billing.models import InvoiceRunChunk

    late = InvoiceRunChunk.filter(execution_id=execution_id, finished_at__gte=after)
    return sorted(int(seq) for (seq,) in await late.values_list("seq"))


async def _count(model_path: str) -> int:
    from opcms.settlement.models import Invoice
    from opcms.usage.models import UsageRecord

    return await {"invoice": Invoice, "usage_record": UsageRecord}[model_path].all().count()


def scenario(processes: Processes, report: Report, s3: LocalS3) -> None:
    settings = get_settings()
    period = previous_period(business_today())
    first_day, _ = period_bounds(period)
    days = [first_day + dt.timedelta(days=n) for n in range(PULL_DAYS)]

    with step(report, "database"):
        run(create_database, settings.database_url)
        seeded = run(seed, CUSTOMERS)
        report.customers = len(seeded.customer_ids)
        redis.Redis.from_url(settings.broker_url).flushdb()

    with step(report, "processes"):
        # all started at once (each takes seconds to load), then waited for
        ports = [free_port(), free_port()]
        apis = [start_api(processes, port) for port in ports]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        workers = {name: processes.start(name, *worker_args(name)) for name in WORKERS}
        beat = processes.start("beat", "beat", OPCMS_LOG_LEVEL="INFO")
        wait_for("the first beat to hold the lease", lambda: run(_lease_holder) or _dead(beat))
        # the second beat starts once the first holds the lease: it must stay idle
        idle_beat = processes.start("beat-idle", "beat", OPCMS_LOG_LEVEL="INFO")
        for process, port in zip(apis, ports, strict=True):
            api_answering(process, port)
        wait_for("both workers to answer a ping", lambda: workers_answering(len(WORKERS)))

    def finished_watching_the_lease(execution_id: int) -> dict[str, Any] | None:
        # while waiting, note who holds the beat lease: only the first beat may
        report.lease_holders.update([str(run(_lease_holder))])
        return api.finished(execution_id)

    api = Api(bases)
    api.login(seeded.admin_password)
    with Load(bases, api.token) as load:
        report.tally = load.tally

        with step(report, "usage pull"):
            pulls = [api.trigger("usage.pull_day", {"day": day.isoformat()}) for day in days]
            for execution_id in pulls:
                shown = wait_for(
                    f"usage pull {execution_id}", lambda e=execution_id: finished_watching_the_lease(e)
                )
                if shown["status"] != "success":
                    raise CheckFailed(f"usage pull {execution_id}: {shown['status']} {shown.get('error')}")
            report.usage_rows = run(_count, "usage_record")
            run(analyze, "usage_record")

        with step(report, "invoice run"):
            run_id = api.trigger(
                "billing.run_period",
                {"period": period, "issue_date": business_today().isoformat(), "chunk_size": CHUNK_SIZE},
            )
            chunks = wait_for("the invoice run to be planned", lambda: run(_chunk_count, run_id))

            def both_billing_and_more_to_do() -> bool:
                done = run(_done_chunks, run_id)
                names = {str(worker).split("@")[0] for _, worker in done}
                # about a third done, by both: the run is well under way, most of it still to do
                return set(WORKERS) <= names and chunks // 3 <= len(done) <= chunks - 3

            wait_for("both workers to bill a third of the chunks", both_billing_and_more_to_do, every=0.05)
            done_at_kill = len(run(_done_chunks, run_id))
            # worker 1 dies with a chunk in its hands (never acknowledged): only the broker's
            # visibility timeout brings that chunk back, to worker 2
            processes.signal(workers[WORKERS[0]], signal.SIGKILL)
            killed_at = utcnow()
            report.killed_at_chunks = f"{done_at_kill} of {chunks} chunks done"
            # and API 1 is told to stop under the load, then started again on its port
            restart_began = time.monotonic()
            processes.signal(apis[0], signal.SIGTERM)
            apis[0].popen.wait(timeout=40)
            report.old_api_exited = time.monotonic()
            apis[0] = start_api(processes, ports[0])
            api_answering(apis[0], ports[0])
            report.restart_window = (restart_began, time.monotonic())
            shown = wait_for("the invoice run to finish", lambda: finished_watching_the_lease(run_id))
            if shown["status"] != "success":
                raise CheckFailed(
                    f"invoice run {run_id}: {shown['status']} {shown.get('error')} {shown.get('log_excerpt')}"
                )
            report.late_chunks = run(
                _late_chunks, run_id, killed_at + dt.timedelta(seconds=VISIBILITY_TIMEOUT_SECONDS / 2)
            )
            report.timeline = run(_chunk_timeline, run_id, killed_at)
            report.chunks = run(scale_checks.chunks_by_worker, run_id)
            report.invoices_by_worker = run(_invoices_by_worker, run_id)
            report.invoices = run(_count, "invoice")

        with step(report, "shared files"):
            report.files = shared_files(api, s3, processes)

    with step(report, "checks"):
        report.lease_holders.update([str(run(_lease_holder))])
        problems = report.problems
        problems += run(scale_checks.one_invoice_each, period, seeded.customer_ids)
        problems += run(scale_checks.gap_free_numbers, period)
        problems += run(scale_checks.usage_as_the_vendor_sent, vendor_rows(seeded.accounts, days))
        problems += run(scale_checks.shared_by_workers, run_id, [f"{name}@" for name in WORKERS])
        idle_marker = f":{idle_beat.popen.pid}:"
        if any(idle_marker in holder for holder in report.lease_holders):
            problems.append("the second beat held the lease while the first one lived")
        if not any(f":{beat.popen.pid}:" in holder for holder in report.lease_holders):
            problems.append(f"the first beat was never seen holding the lease: {dict(report.lease_holders)}")
        if "holds the lease" in idle_beat.log_path.read_text(errors="replace"):
            problems.append("the second beat's log says it took the lease")
        if not (beat.alive and idle_beat.alive):
            problems.append("a beat exited during the check")
        if report.tally is not None and report.tally.failures:
            shown_failures = "; ".join(report.tally.failures[:SHOWN_FAILURES])
            problems.append(f"{len(report.tally.failures)} HTTP requests failed: {shown_failures}")
        if report.tally is not None:
            low, high = report.restart_window
            for what, times in (
                ("answered 503", report.tally.unavailable),
                ("were refused a connection", report.tally.refused),
                ("had their connection reset", report.tally.reset),
            ):
                if outside := [t for t in times if not low <= t <= high]:
                    problems.append(f"{len(outside)} requests {what} outside the API's restart window")
        files = report.files
        if files is not None:
            ran_by = {node: times for node, (times, _) in files.ran_by.items()}
            good, bad = files.good, len(files.bad_rows)
            problems += scale_checks.import_ran_on_a_worker(files.queued, files.done, ran_by, good, bad)
            if files.error_workbook:
                problems += scale_checks.error_workbook_names(files.error_workbook, files.bad_rows)
            problems += scale_checks.export_lists(files.export, files.customer_codes)
            problems += scale_checks.files_in_the_shared_store(
                files.stored, files.upload_key, files.upload_size, files.var_dirs, files.requests
            )


SHOWN_FAILURES = 5


def print_report(report: Report, wall: float) -> None:
    tally = report.tally or Tally()
    low, high = report.restart_window

    def inside(times: list[float]) -> int:
        return sum(low <= t <= high for t in times)

    in_window = inside(tally.unavailable)
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.durations.items())
    lines = [
        "",
        "scale-check report",
        f"  customers            {report.customers:,}",
        f"  usage rows           {report.usage_rows:,} ({PULL_DAYS} days pulled, one execution a day)",
        f"  invoices             {report.invoices:,}",
        f"  chunks by worker     {report.chunks}  invoices by worker {report.invoices_by_worker}",
        f"  worker kill          SIGKILL {WORKERS[0]} at {report.killed_at_chunks}; chunks finished "
        f"{VISIBILITY_TIMEOUT_SECONDS // 2}+ s later (returned by the broker after its {VISIBILITY_TIMEOUT_SECONDS} s "
        f"visibility timeout): {report.late_chunks}",
        f"  chunks finished      {' '.join(report.timeline)} (seq:worker@seconds after the kill)",
        f"  beat lease holders   {dict(report.lease_holders)}",
        f"  HTTP requests        ok {tally.ok:,}, 503 in the restart window {in_window}, "
        f"refused and sent to the other API {len(tally.refused)} ({inside(tally.refused)} in the window), "
        f"reset and retried {len(tally.reset)} ({inside(tally.reset)} in the window), "
        f"failed {len(tally.failures)}",
        f"  API restart window   {high - low:.1f} s, from {low - EPOCH:.1f} s to {high - EPOCH:.1f} s: SIGTERM, "
        f"the process exited {report.old_api_exited - low:.1f} s later, the new one answered /healthz "
        f"{high - report.old_api_exited:.1f} s after that"
        if high
        else "  API restart window   not reached",
        *(shared_files_line(report.files) if report.files else ["  shared file store    not reached"]),
        f"  durations            {steps}; wall {wall:.1f} s",
        f"  result               {'PASS' if not report.problems else 'FAIL'}",
    ]
    lines += [f"  problem: {problem}" for problem in report.problems]
    print("\n".join(lines), flush=True)


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    database_url = os.environ.get("OPCMS_SCALE_DATABASE_URL") or DEFAULT_DATABASE_URL
    database_name(database_url)
    redis_url = os.environ.get("OPCMS_SCALE_REDIS_URL") or DEFAULT_REDIS_URL
    started = time.monotonic()
    report = Report()
    # OPCMS_SCALE_LOG_DIR keeps the processes' logs there (else they go with the temporary folder)
    kept = os.environ.get("OPCMS_SCALE_LOG_DIR")
    try:  # the shared file store: an S3-compatible server of this process, stopped at the end
        s3 = LocalS3(count_requests=STORE_PREFIX).start()
    except ImportError as error:
        raise SystemExit(f"opcms scale-check needs moto and flask (make install): {error}") from None
    try:
        s3.bucket(BUCKET)
        _run_check(s3, database_url, redis_url, kept, report)
    finally:
        s3.stop()
    print_report(report, time.monotonic() - started)
    return 1 if report.problems else 0


def _run_check(s3: LocalS3, database_url: str, redis_url: str, kept: str | None, report: Report) -> None:
    with tempfile.TemporaryDirectory(prefix="opcms-scale-") as folder:
        logs = Path(kept) if kept else Path(folder)
        logs.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "OPCMS_DATABASE_URL": database_url,
            "OPCMS_BROKER_URL": redis_url,
            "OPCMS_REDIS_URL": redis_url,
            # this process's; each process started gets one of its own (Processes.start)
            "OPCMS_VAR_DIR": str(Path(folder) / "var"),
            **s3.env_for(BUCKET, STORE_PREFIX),
            "OPCMS_IMPORT_SYNC_ROWS": str(IMPORT_SYNC_ROWS),
            "OPCMS_SECRET_KEY": secrets.token_urlsafe(48),
            "OPCMS_API_WORKERS": "1",
            "OPCMS_HOST": "127.0.0.1",
            "OPCMS_LOG_LEVEL": "WARNING",
            "OPCMS_BROKER_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT_SECONDS),
        }
        os.environ.update(env)  # this process reads the same database and broker
        reset_settings()
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per load request otherwise
        processes = Processes(logs, env, Path(folder) / "hosts")
        # Ctrl-C or SIGTERM (a CI timeout) ends the check through the clean-up below
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)
        try:
            scenario(processes, report, s3)
        except (CheckFailed, KeyboardInterrupt) as error:
            report.problems.append(f"stopped: {error or type(error).__name__}")
        except Exception as error:  # a step broke: the same clean-up, and the trace
            traceback.print_exc()
            report.problems.append(f"stopped: {type(error).__name__}: {error}")
        finally:
            processes.stop_all()
            if report.problems:
                print(processes.logs(), flush=True)
            with suppress(Exception):
                LOOP.run_until_complete(Tortoise.close_connections())
            asyncio.run(drop_database(database_url))  # a loop of its own: the check's may be broken
