"""The ``opcms`` command line (also ``python -m opcms``)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from opcms.core.settings import SettingsError, get_settings


def _settings_or_exit() -> Any:
    try:
        settings = get_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None
    from opcms.core.logging import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    return settings


def _with_db(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    from opcms.core.db import close_db, init_db

    async def runner() -> Any:
        await init_db()
        # usage written from here is flagged late when its period is invoiced (billing says which)
        import opcms.billing.late_usage  # noqa: F401

        try:
            return await fn(*args)
        finally:
            await close_db()

    return asyncio.run(runner())


# --- processes ----------------------------------------------------------------------------------
def cmd_api(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from opcms.app import create_app

    loader = AppLoader(factory=create_app)
    app = loader.load()
    single = settings.api_workers == 1
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.api_workers,
        access_log=False,
        single_process=single,
    )
    if single:
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)
    return 0


def _celery_argv(kind: str, args: argparse.Namespace) -> list[str]:
    from opcms.core.celery_app import BEAT_SCHEDULER

    settings = get_settings()
    argv = [kind, f"--loglevel={settings.log_level}"]
    if kind == "worker":
        if settings.broker_url.startswith("filesystem") or args.beat:
            # the embedded shape: one process, no fork, beat inside
            argv += ["--pool=solo"]
        else:
            argv += [f"--concurrency={args.concurrency}"]
        if args.beat:
            argv += ["--beat", f"--scheduler={BEAT_SCHEDULER}"]
    if kind == "beat":
        # the schedules are in the database; the Beat holding the lease fires them (docs/jobs.md)
        argv += [f"--scheduler={BEAT_SCHEDULER}"]
    return argv


def cmd_worker(args: argparse.Namespace) -> int:
    _settings_or_exit()
    from opcms.core.celery_app import configure_celery

    configure_celery().worker_main(_celery_argv("worker", args))
    return 0


def cmd_beat(args: argparse.Namespace) -> int:
    _settings_or_exit()
    from opcms.core.celery_app import configure_celery

    configure_celery().start(_celery_argv("beat", args))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Embedded default: API and a worker with embedded beat, stopped together on Ctrl-C."""
    settings = _settings_or_exit()
    me = [sys.executable, "-m", "opcms"]
    # Each child leads its own process group: a terminal's Ctrl-C reaches only this parent,
    # which stops the children exactly once (Sanic and Celery treat a second signal as
    # "kill everything now").
    children = [
        subprocess.Popen([*me, "api"], start_new_session=True),
        subprocess.Popen([*me, "worker", "--beat"], start_new_session=True),
    ]
    print(
        f"OP-CMS is starting at http://{settings.host}:{settings.port}  (API docs: /docs; Ctrl-C stops)",
        flush=True,
    )
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(
                    f"opcms run: {child.args[-2:]} exited with {child.returncode}; stopping", file=sys.stderr
                )
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.3)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    print("OP-CMS stopped.", flush=True)
    return exit_code


# --- database -----------------------------------------------------------------------------------
def cmd_migrate(args: argparse.Namespace) -> int:
    _settings_or_exit()
    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    from opcms.core.db import config_from_settings

    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)
            print(f"  applied {app_label}.{name}", flush=True)

    async def run() -> None:
        try:
            await migrate(config=config_from_settings(), progress=progress)
        finally:
            await Tortoise.close_connections()

    with warnings.catch_warnings():
        # MySQL notes such as "table tortoise_migrations already exists" are not news
        warnings.simplefilter("ignore")
        asyncio.run(run())
    print(f"migrations: {len(applied)} applied" if applied else "migrations: already up to date", flush=True)
    return 0


def cmd_makemigrations(args: argparse.Namespace) -> int:
    """Developer tool: write a migration for model changes (Tortoise's autodetector)."""
    _settings_or_exit()
    from tortoise.cli.cli import run_cli_async

    if args.check:
        return asyncio.run(_pending_model_changes())
    argv = ["--config", "opcms.core.db.TORTOISE_ORM", "makemigrations"]
    if args.name:
        argv += ["--name", args.name]
    return asyncio.run(run_cli_async(argv))


async def _pending_model_changes() -> int:
    """Exit status 1 when the models differ from what the committed migrations build."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    from opcms.core.db import config_from_settings

    config = config_from_settings()
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    for writer in writers:
        print(f"pending: {writer.app_label}.{writer.name} — run `opcms makemigrations --name ...`")
    if not writers:
        print("models and migrations agree")
    return 1 if writers else 0


# --- users --------------------------------------------------------------------------------------
def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("passwords do not match")
    return first


def cmd_createuser(args: argparse.Namespace) -> int:
    _settings_or_exit()
    from opcms.auth.schemas import UserCreate
    from opcms.auth.services.users import create_user
    from opcms.core.context import acting_as, system_actor
    from opcms.core.errors import AppError
    from opcms.core.http import validate_model

    password = _read_password(args)

    async def run() -> int:
        with acting_as(system_actor("createuser")):
            data = validate_model(
                UserCreate,
                {
                    "username": args.username,
                    "role": args.role,
                    "password": password,
                    "display_name": args.display_name or "",
                },
            )
            user = await create_user(data)
        print(f"created user {user.username} ({user.role}), id {user.id}")
        return 0

    try:
        return _with_db(run)
    except AppError as error:
        details = "; ".join(f"{d.get('field')}: {d.get('message')}" for d in error.details)
        print(f"error: {error.message}{' (' + details + ')' if details else ''}", file=sys.stderr)
        return 1


DEMO_ROLES = ("admin", "finance", "operator", "auditor")
DEMO_NAMES = {"admin": "系统管理员", "finance": "财务·演示", "operator": "运营·演示", "auditor": "审计·演示"}


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Demo data for the embedded default: one user per role sharing a generated password."""
    settings = _settings_or_exit()
    from opcms.auth.services.users import ensure_user
    from opcms.core.context import acting_as, system_actor

    credentials = settings.var_dir / "demo-login.txt"
    if credentials.exists():
        password = credentials.read_text().split("password:", 1)[1].strip()
    else:
        password = f"Demo-{secrets.token_urlsafe(9)}"

    async def run() -> list[str]:
        from opcms.demo.customers import seed_customers

        created = []
        with acting_as(system_actor("seed-demo")):
            for role in DEMO_ROLES:
                _, was_created = await ensure_user(role, role, password, display_name=DEMO_NAMES[role])
                if was_created:
                    created.append(role)
            if await seed_customers(args.customers):
                created.append(f"{args.customers} customers")
            from opcms.demo.usage import seed_pricing_and_usage

            if await seed_pricing_and_usage():
                created.append("pricing plans, subscriptions and demo usage")
            from opcms.demo.billing import seed_invoices_and_payments

            if await seed_invoices_and_payments():
                created.append("last month's invoices and payments")
            from opcms.demo.notifications import seed_demo_channel

            if await seed_demo_channel():
                created.append("an SMS channel that writes to the log, for the reminders")
        return created

    created = _with_db(run)
    if created or not credentials.exists():
        credentials.write_text(f"users: {', '.join(DEMO_ROLES)}\npassword: {password}\n")
        credentials.chmod(0o600)
    print(f"demo users ready ({', '.join(created) or 'already there'}); login in {credentials}")
    return 0


def cmd_print_login(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    credentials = settings.var_dir / "demo-login.txt"
    password = (
        credentials.read_text().split("password:", 1)[1].strip()
        if credentials.exists()
        else "(run opcms seed-demo)"
    )
    print(
        f"\n  OP-CMS  http://{settings.host}:{settings.port}   API docs http://{settings.host}:{settings.port}/docs\n"
        f"  login   admin / {password}   (also finance, operator, auditor with the same password)\n",
        flush=True,
    )
    return 0


# --- imports ------------------------------------------------------------------------------------
def cmd_import_customers(args: argparse.Namespace) -> int:
    """The API's import service on a local file; exit 0 no row failed, 1 some did, 2 refused."""
    import json
    from pathlib import Path

    settings = _settings_or_exit()
    from opcms.core.context import acting_as, system_actor
    from opcms.core.errors import AppError
    from opcms.core.excel import FileRefused
    from opcms.imports import queries, service

    def refused(error: AppError) -> int:
        if args.json:
            print(json.dumps(error.body(), ensure_ascii=False))
        else:
            print(f"refused ({error.code}): {error.message}", file=sys.stderr)
        return 2

    path = Path(args.file)
    if not path.is_file():
        return refused(FileRefused(f"{path}: no such file", code="file_missing"))
    if path.stat().st_size > settings.import_max_bytes:
        return refused(
            FileRefused(
                f"The file is {path.stat().st_size:,} bytes; the limit is {settings.import_max_bytes:,} bytes (OPCMS_IMPORT_MAX_BYTES)",
                code="file_too_large",
                status=413,
            )
        )
    data = path.read_bytes()

    async def run() -> tuple[Any, dict]:
        with acting_as(system_actor("import-customers")):
            job = await service.submit(data, path.name, args.mode, background=False)
        return job, await queries.report(job)

    try:
        job, report = _with_db(run)
    except AppError as error:
        return refused(error)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(
            f"import #{job.id} ({args.mode}) of {job.file_name}: {report['total']:,} rows — {report['created']:,} created, "
            f"{report['updated']:,} updated, {report['unchanged']:,} unchanged, {report['skipped_blank']:,} blank skipped, "
            f"{report['failed']:,} failed"
            + (" (validate: nothing written)" if args.mode == "validate" else "")
        )
        for error in report["errors"]:
            print(f"  row {error['row']}  {error['column']}  {error['value']!r}: {error['reason']}")
        if report["ignored_columns"]:
            print(f"ignored columns: {', '.join(report['ignored_columns'])}")
    return 0 if report["failed"] == 0 else 1


# --- pricing and usage ----------------------------------------------------------------------------
def cmd_price(args: argparse.Namespace) -> int:
    """Price preview of a plan document (same JSON as the API's plan body); no database."""
    from opcms.pricing.cli import price_command

    return price_command(
        args.plan,
        args.quantity,
        args.json,
        days_active=args.days_active,
        days_in_period=args.days_in_period,
        discount=args.discount,
    )


def cmd_pull_usage(args: argparse.Namespace) -> int:
    """Pull usage now in this process, recorded as a task execution; exit 0 success, 1 otherwise."""
    import datetime as dt
    import json

    _settings_or_exit()
    from opcms.core.context import acting_as, system_actor
    from opcms.core.errors import AppError
    from opcms.jobs.models import ExecutionStatus, Trigger
    from opcms.usage import service

    try:
        first_day = dt.date.fromisoformat(args.day) if args.day else service.yesterday()
        last_day = dt.date.fromisoformat(args.to) if args.to else first_day
    except ValueError as error:
        print(f"opcms pull-usage: {error} (use YYYY-MM-DD)", file=sys.stderr)
        return 2

    async def run() -> Any:
        from opcms.jobs import service as jobs
        from opcms.usage.pull import TASK_NAME

        with acting_as(system_actor("pull-usage")):
            # under the job's run lock: the same days and source already being pulled → refused
            parameters = service.pull_parameters(first_day, last_day, args.source)
            return await jobs.run_now(TASK_NAME, parameters, Trigger.CLI)

    try:
        execution = _with_db(run)
    except AppError as error:
        print(f"opcms pull-usage: {error.message}", file=sys.stderr)
        return 2
    summary = {
        "execution_id": execution.id,
        "status": execution.status.value,
        "days": [str(first_day), str(last_day)],
        "counters": execution.counters,
        "duration_ms": execution.duration_ms,
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(
            f"usage pull #{execution.id} {first_day}…{last_day}: {execution.status.value} "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(execution.counters.items()))
        )
        if execution.log_excerpt:
            print(execution.log_excerpt)
    return 0 if execution.status == ExecutionStatus.SUCCESS else 1


def cmd_bill(args: argparse.Namespace) -> int:
    """The invoice run of a period now, in this process; exit 0 success, 1 failures, 2 refused."""
    import datetime as dt

    _settings_or_exit()
    from opcms.billing.cli import bill, print_outcome
    from opcms.core.errors import AppError

    try:
        issue_date = dt.date.fromisoformat(args.issue_date) if args.issue_date else None
    except ValueError as error:
        print(f"opcms bill: {error} (use YYYY-MM-DD)", file=sys.stderr)
        return 2
    try:
        execution = _with_db(bill, args.period, args.customer, issue_date, args.chunk_size)
    except AppError as error:
        print(f"opcms bill: {error.message}", file=sys.stderr)
        return 2
    return print_outcome(execution, args.json)


def cmd_run_job(args: argparse.Namespace) -> int:
    """Any registered job now, in this process; exit 0 success, 1 partial/failed, 2 refused."""
    _settings_or_exit()
    from opcms.core.errors import AppError
    from opcms.jobs.cli import parse_params, print_execution, run_job

    try:
        parameters = parse_params(args.param)
        execution = _with_db(run_job, args.name, parameters)
    except ValueError as error:
        print(f"opcms run-job: {error}", file=sys.stderr)
        return 2
    except AppError as error:
        details = "; ".join(
            f"{d.get('field')}: {d.get('message')}" for d in (error.details or []) if d.get("field")
        )
        print(f"opcms run-job: {error.message}" + (f" ({details})" if details else ""), file=sys.stderr)
        return 2
    return print_execution(execution, args.json)


def cmd_bench(args: argparse.Namespace) -> int:
    """Benchmarks (DESIGN §15); the last line printed is one JSON object."""
    import tempfile

    from opcms.core.settings import reset_settings

    with tempfile.TemporaryDirectory(prefix="opcms-bench-var-") as var_dir:
        # uploads the bench stores are thrown away with it
        os.environ["OPCMS_VAR_DIR"] = var_dir
        reset_settings()
        _settings_or_exit()
        if args.name == "import":
            from opcms.bench.imports import main as bench_import

            return bench_import(args.rows or 50_000)
        if args.name == "api":
            from opcms.bench.customers import main as bench_api

            return bench_api(args.customers, args.concurrency, args.requests)
        if args.name == "price":
            from opcms.bench.pricing import main as bench_price

            return bench_price(args.evaluations)
        if args.name == "usage":
            from opcms.bench.usage import main as bench_usage

            return bench_usage(args.rows or 1_000_000)
        if args.name == "billing":
            from opcms.bench.billing import main as bench_billing

            return bench_billing(args.customers, args.workers)
        if args.name == "suggestions":
            from opcms.bench.payments import main as bench_suggestions

            return bench_suggestions(args.invoices, args.repeat)
        if args.name == "reminders":
            from opcms.bench.reminders import main as bench_reminders

            return bench_reminders(args.invoices)
    raise SystemExit(f"unknown bench {args.name!r}")


def cmd_permissions(args: argparse.Namespace) -> int:
    from opcms.core.permissions import matrix_markdown

    sys.stdout.write(matrix_markdown())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opcms", description="OP-CMS command line")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="embedded default: API + worker with embedded beat").set_defaults(fn=cmd_run)
    sub.add_parser("api", help="the HTTP API on OPCMS_HOST:OPCMS_PORT").set_defaults(fn=cmd_api)
    worker = sub.add_parser("worker", help="a Celery worker")
    worker.add_argument("--beat", action="store_true", help="run beat inside this worker (embedded shape)")
    worker.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    worker.set_defaults(fn=cmd_worker)
    sub.add_parser(
        "beat", help="the Celery beat scheduler (schedules from the database; one fires at a time)"
    ).set_defaults(fn=cmd_beat)
    sub.add_parser("migrate", help="apply schema migrations").set_defaults(fn=cmd_migrate)
    mk = sub.add_parser("makemigrations", help="write a migration for model changes (developers)")
    mk.add_argument("--name")
    mk.add_argument("--check", action="store_true", help="exit 1 if models changed without a migration")
    mk.set_defaults(fn=cmd_makemigrations)

    cu = sub.add_parser("createuser", help="make a user")
    cu.add_argument("username")
    cu.add_argument("--role", required=True, choices=DEMO_ROLES)
    cu.add_argument("--display-name")
    cu.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    cu.set_defaults(fn=cmd_createuser)

    seed = sub.add_parser("seed-demo", help="demo data for the embedded default")
    seed.add_argument(
        "--customers", type=int, default=200, help="demo customers to create when there are none"
    )
    seed.set_defaults(fn=cmd_seed_demo)
    sub.add_parser("print-login", help="print the URL and the demo login").set_defaults(fn=cmd_print_login)
    imp = sub.add_parser(
        "import-customers", help="import a customer list (.xlsx); exit 0 ok, 1 rows failed, 2 refused"
    )
    imp.add_argument("file")
    imp.add_argument("--mode", required=True, choices=["validate", "create", "upsert"])
    imp.add_argument("--json", action="store_true", help="print the report as one JSON object")
    imp.set_defaults(fn=cmd_import_customers)
    price = sub.add_parser(
        "price", help="price a quantity on a plan document (JSON file), with the tier breakdown"
    )
    price.add_argument("--plan", required=True, help="plan document JSON file (the API's plan body)")
    price.add_argument("--quantity", required=True)
    price.add_argument("--json", action="store_true")
    price.add_argument(
        "--days-active", type=int, default=None, help="days the plan was active in the period (proration)"
    )
    price.add_argument("--days-in-period", type=int, default=None)
    price.add_argument("--discount", default=None, help="discount percent, e.g. 10")
    price.set_defaults(fn=cmd_price)
    pull = sub.add_parser(
        "pull-usage", help="pull usage now (default: yesterday), recorded as a task execution"
    )
    pull.add_argument("--day", default=None, help="YYYY-MM-DD (business time zone); default yesterday")
    pull.add_argument("--to", default=None, help="last day of a back-fill (inclusive)")
    pull.add_argument("--source", default=None, help="one data source by name")
    pull.add_argument("--json", action="store_true")
    pull.set_defaults(fn=cmd_pull_usage)
    bill = sub.add_parser("bill", help="run invoicing for a period now, recorded as a task execution")
    bill.add_argument("--period", required=True, help="YYYY-MM (business time zone)")
    bill.add_argument("--customer", default=None, help="one customer by code")
    bill.add_argument("--issue-date", default=None, help="YYYY-MM-DD; default today")
    bill.add_argument("--chunk-size", type=int, default=200, help="customers per chunk")
    bill.add_argument("--json", action="store_true")
    bill.set_defaults(fn=cmd_bill)
    job = sub.add_parser(
        "run-job", help="run any job now (reminders, account automation…), recorded as a task execution"
    )
    job.add_argument("name", help="the job, e.g. reminders.send_overdue, customers.account_automation")
    job.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a job parameter (JSON values: --param stages=[-3,1,7] --param day=2026-11-24)",
    )
    job.add_argument("--json", action="store_true")
    job.set_defaults(fn=cmd_run_job)
    bench = sub.add_parser("bench", help="benchmarks against their floors (last line: one JSON object)")
    bench.add_argument(
        "name", choices=["import", "api", "price", "usage", "billing", "suggestions", "reminders"]
    )
    bench.add_argument(
        "--rows",
        type=int,
        default=None,
        help="rows of the generated customer list (import, default 50,000) or usage records (usage, default 1,000,000)",
    )
    bench.add_argument("--evaluations", type=int, default=200_000, help="price evaluations (price)")
    bench.add_argument(
        "--customers", type=int, default=10_000, help="customers in the database (api, billing)"
    )
    bench.add_argument(
        "--workers", type=int, default=2, help="Celery worker processes sharing the invoice run (billing)"
    )
    bench.add_argument(
        "--invoices",
        type=int,
        default=10_000,
        help="open invoices of the one customer (suggestions); customers with one overdue invoice each (reminders)",
    )
    bench.add_argument("--repeat", type=int, default=50, help="requests per payment (suggestions)")
    bench.add_argument("--concurrency", type=int, default=50, help="concurrent connections (api)")
    bench.add_argument("--requests", type=int, default=2_000, help="requests per endpoint (api)")
    bench.set_defaults(fn=cmd_bench)
    perms = sub.add_parser("permissions", help="print the role → permission matrix")
    perms.add_argument("--markdown", action="store_true")
    perms.set_defaults(fn=cmd_permissions)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    raise SystemExit(args.fn(args))
