"""`opcms run-job` as an operator runs it: any registered job now, in its own process, under the
run lock and recorded as a task execution (issue 7)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from opcms.cli.jobs import parse_params
from opcms.customers.models import Customer, CustomerStatus, CustomerStatusHistory
from opcms.jobs.models import ExecutionStatus, TaskExecution, Trigger
from tests.backend.factories import make_customer, make_invoice
from tests.backend.test_usage_cli import run_opcms


def test_parameters_are_read_as_json_when_they_are_json_and_as_text_otherwise():
    assert parse_params(["stages=[-3,1,7]", "day=2026-11-24", "suspend_after_days=45", "source=null"]) == {
        "stages": [-3, 1, 7],
        "day": "2026-11-24",
        "suspend_after_days": 45,
        "source": None,
    }
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_params(["stages"])


async def test_run_job_runs_the_account_automation_now_and_records_it(db):
    # given an active customer with an invoice 46 days overdue on 2026-11-24
    customer = await make_customer(status="active")
    await make_invoice(customer, due_date=dt.date(2026, 10, 9))
    # when an operator runs the automation by hand with a 45-day threshold
    done = run_opcms(
        "run-job",
        "customers.account_automation",
        "--param",
        "suspend_after_days=45",
        "--param",
        "day=2026-11-24",
        "--json",
    )
    # then it exits 0, the customer is suspended by the automation, and the run is recorded
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "success" and summary["counters"]["suspended"] == 1
    assert (await Customer.get(id=customer.id)).status == CustomerStatus.SUSPENDED
    history = await CustomerStatusHistory.filter(customer_id=customer.id).order_by("-id").first()
    assert (history.actor, history.cause) == ("system:customers.account_automation", "overdue")
    execution = await TaskExecution.get(id=summary["execution_id"])
    assert execution.trigger == Trigger.CLI and execution.status == ExecutionStatus.SUCCESS
    assert execution.parameters == {"suspend_after_days": 45, "day": "2026-11-24"}
    assert execution.active_key is None


async def test_run_job_refuses_an_unknown_job_bad_parameters_and_a_malformed_pair(db):
    unknown = run_opcms("run-job", "nope.job")
    assert unknown.returncode == 2 and "nope.job" in unknown.stderr
    bad = run_opcms("run-job", "reminders.send_overdue", "--param", "stages=[1,1]")
    assert bad.returncode == 2 and "stages" in bad.stderr
    malformed = run_opcms("run-job", "reminders.send_overdue", "--param", "stages")
    assert malformed.returncode == 2 and "KEY=VALUE" in malformed.stderr
    # and nothing ran
    assert not await TaskExecution.exists()
