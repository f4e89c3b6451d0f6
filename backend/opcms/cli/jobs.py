"""Jobs now, in this process, under their run locks and recorded as task executions (trigger
``cli``): ``opcms pull-usage``, ``opcms bill`` and ``opcms run-job`` — the overdue reminders or
the account automation by hand, from cron on a host without Beat, or to see a job's log at once.
Exit 0 success, 1 partial or failed (some customers failed), 2 refused (unknown job, bad
parameters, the same run live)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterable
from typing import Any

from opcms.cli.common import settings_or_exit, with_db
from opcms.core.context import acting_as, system_actor
from opcms.core.errors import AppError, NotFound


# --- opcms run-job NAME [--param KEY=VALUE …] [--json] -------------------------------------------
def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a value that reads as JSON (numbers, lists, null) is taken as such."""
    parameters: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param {pair!r}: use KEY=VALUE")
        try:
            parameters[key] = json.loads(value)
        except json.JSONDecodeError:
            parameters[key] = value
    return parameters


async def run_job(name: str, parameters: dict[str, Any]) -> Any:
    from opcms.jobs import service as jobs
    from opcms.jobs.models import Trigger

    with acting_as(system_actor("run-job")):
        return await jobs.run_now(name, parameters, Trigger.CLI)


def report(execution: Any, as_json: bool, headline: str, *, lines: Iterable[str] = (), **extra: Any) -> int:
    """How every job command ends: one JSON object (the execution's id, status, parameters,
    counters, result and duration, plus ``extra``), or ``headline`` and ``lines`` for a person
    with the log excerpt and error on stderr. Exit 0 when the execution succeeded, else 1."""
    from opcms.jobs.models import ExecutionStatus

    if as_json:
        summary = {
            "execution_id": execution.id,
            "task_name": execution.task_name,
            "status": execution.status.value,
            "parameters": execution.parameters,
            "counters": execution.counters,
            "result": execution.result,
            "duration_ms": execution.duration_ms,
            **extra,
        }
        print(json.dumps(summary, ensure_ascii=False, default=str))
    else:
        print(headline)
        for line in lines:
            print(line)
        for text in (execution.log_excerpt, execution.error):
            if text:
                print(text, file=sys.stderr)
    return 0 if execution.status == ExecutionStatus.SUCCESS else 1


def counted(execution: Any) -> str:
    """The execution's counters as "name n, …", for a headline."""
    return ", ".join(f"{k} {v:,}" for k, v in sorted((execution.counters or {}).items()))


def cmd_run_job(args: argparse.Namespace) -> int:
    """Any registered job now, in this process; exit 0 success, 1 partial/failed, 2 refused."""
    settings_or_exit()
    try:
        parameters = parse_params(args.param)
        execution = with_db(run_job, args.name, parameters)
    except ValueError as error:
        print(f"opcms run-job: {error}", file=sys.stderr)
        return 2
    except AppError as error:
        details = "; ".join(
            f"{d.get('field')}: {d.get('message')}" for d in (error.details or []) if d.get("field")
        )
        print(f"opcms run-job: {error.message}" + (f" ({details})" if details else ""), file=sys.stderr)
        return 2
    headline = f"{execution.task_name} #{execution.id}: {execution.status.value}"
    return report(execution, args.json, f"{headline} ({counted(execution) or 'nothing counted'})")


# --- opcms pull-usage [--day D] [--to D] [--source NAME] [--json] -----------------------------------
def cmd_pull_usage(args: argparse.Namespace) -> int:
    """Pull usage now in this process, recorded as a task execution; exit 0 success, 1 otherwise."""
    settings_or_exit()
    from opcms.jobs import service as jobs
    from opcms.jobs.models import Trigger
    from opcms.usage import service
    from opcms.usage.pull import TASK_NAME

    try:
        first_day = dt.date.fromisoformat(args.day) if args.day else service.yesterday()
        last_day = dt.date.fromisoformat(args.to) if args.to else first_day
    except ValueError as error:
        print(f"opcms pull-usage: {error} (use YYYY-MM-DD)", file=sys.stderr)
        return 2

    async def run() -> Any:
        with acting_as(system_actor("pull-usage")):
            # under the job's run lock: the same days and source already being pulled → refused
            parameters = service.pull_parameters(first_day, last_day, args.source)
            return await jobs.run_now(TASK_NAME, parameters, Trigger.CLI)

    try:
        execution = with_db(run)
    except AppError as error:
        print(f"opcms pull-usage: {error.message}", file=sys.stderr)
        return 2
    headline = f"usage pull #{execution.id} {first_day}…{last_day}: {execution.status.value} "
    return report(execution, args.json, headline + counted(execution), days=[str(first_day), str(last_day)])


# --- opcms bill --period YYYY-MM [--customer CODE] [--issue-date D] [--json] ----------------------
# The invoice run of a period, chunk after chunk with the same code as the workers.
async def _customer_id(code: str) -> int:
    from opcms.customers.models import Customer, code_key

    row = await Customer.with_deleted().filter(customer_code=code).first()
    if row is None:
        row = await Customer.filter(code_key=code_key(code)).first()
    if row is None:
        raise NotFound(
            f"no customer with code {code!r}",
            code="customer_not_found",
            key="no_customer_with_code",
            params={"code": code},
        )
    return row.id


async def bill(period: str, customer_code: str | None, issue_date: dt.date | None, chunk_size: int) -> Any:
    """The run under the job's lock (a run of the period already live: refused, recorded skipped)."""
    from opcms.billing import run
    from opcms.jobs import service as jobs
    from opcms.jobs.models import Trigger

    with acting_as(system_actor("bill")):
        customer_id = await _customer_id(customer_code) if customer_code else None
        parameters = run.run_parameters(period, customer_id, issue_date, chunk_size)
        return await jobs.run_now(run.TASK_NAME, parameters, Trigger.CLI)


def print_outcome(execution: Any, as_json: bool) -> int:
    result = execution.result or {}
    headline = (
        f"invoice run #{execution.id} {result.get('period')}: {execution.status.value} — "
        f"{result.get('invoices', 0):,} invoices, receivable {result.get('receivable_total', '0.00')}, "
    )
    by_group = [
        f"  {key} {row[key] or '-'}: {row['invoices']:,} invoices, {row['total']}"
        for key in ("level", "industry")
        for row in result.get(f"by_{key}", [])
    ]
    return report(execution, as_json, headline + counted(execution), lines=by_group)


def cmd_bill(args: argparse.Namespace) -> int:
    """The invoice run of a period now, in this process; exit 0 success, 1 failures, 2 refused."""
    settings_or_exit()
    try:
        issue_date = dt.date.fromisoformat(args.issue_date) if args.issue_date else None
    except ValueError as error:
        print(f"opcms bill: {error} (use YYYY-MM-DD)", file=sys.stderr)
        return 2
    try:
        execution = with_db(bill, args.period, args.customer, issue_date, args.chunk_size)
    except AppError as error:
        print(f"opcms bill: {error.message}", file=sys.stderr)
        return 2
    return print_outcome(execution, args.json)


def add_commands(sub: Any) -> None:
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
