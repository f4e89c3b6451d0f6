"""The invoice run as processes: a queued run on a real Celery worker over Redis (2+ chunks),
`opcms bill` as a user runs it, and the Beat entry."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest
import redis

from opcms.billing.models import InvoiceRunChunk
from opcms.jobs.models import TaskExecution, Trigger
from opcms.settlement.models import Invoice
from tests.backend.conftest import TEST_REDIS_URL
from tests.backend.factories import token_for
from tests.backend.processes import celery_sends_to, opcms, stop
from tests.backend.test_billing_support import PERIOD, golden_book
from tests.backend.waiting import finished, wait_until


def test_beat_bills_last_month_on_day_one_at_four():
    # the seeded schedule: no period (the job resolves last month), day 1 at 04:00 business time
    seeded = {
        row[0]: row for row in importlib.import_module("opcms.migrations.0009_seed_job_schedules").SCHEDULES
    }
    _name, task, cron, parameters, _ = seeded["invoice-run-monthly"]
    assert (task, cron, parameters) == ("billing.run_period", "0 4 1 * *", {})


@pytest.mark.slow
async def test_a_queued_run_is_shared_out_in_chunks_on_a_worker(client, settings):
    # given the golden customers and a worker on Redis sharing the database
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    book = await golden_book()
    env = {**os.environ, "OPCMS_BROKER_URL": TEST_REDIS_URL, "OPCMS_VAR_DIR": str(settings.var_dir.resolve())}
    worker = opcms("worker", "--concurrency", "2", "--", "--hostname=billing-w1@%h", env=env)
    token = await token_for("finance")
    try:
        # when the API queues March in chunks of one customer (the default is 200)
        from opcms.billing import run

        with celery_sends_to(TEST_REDIS_URL):
            execution = await run.request_run(PERIOD, issue_date=None, chunk_size=1)
        assert execution.status.value == "pending"

        async def shown_run():
            return (await client.get(f"/api/v1/invoice-runs/{execution.id}", token=token)).json()

        shown = await wait_until(shown_run, timeout=90, what="the run to finish", done=finished)
    finally:
        stop(worker)
    # then the chunks ran on the worker and the last one finished the run with its summary
    assert shown["status"] == "success", (shown["counters"], shown["log_excerpt"], shown["error"])
    assert await InvoiceRunChunk.filter(execution_id=execution.id, status="done").count() == 4
    # and each chunk names the worker that billed it (its node name)
    billed_by = await InvoiceRunChunk.filter(execution_id=execution.id).values_list("worker", flat=True)
    assert len(billed_by) == 4 and all(str(name).startswith("billing-w1@") for name in billed_by), billed_by
    assert shown["counters"] == {"processed": 4, "succeeded": 3, "skipped": 0, "failed": 0, "no_charge": 1}
    assert shown["result"]["receivable_total"] == "388.97" and shown["trigger"] == "manual"
    assert await Invoice.filter(customer_id=book["a"].id).count() == 1


def run_opcms(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opcms", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_opcms_bill_runs_a_period_now_and_records_it(db):
    book = await golden_book()
    done = run_opcms("bill", "--period", PERIOD, "--issue-date", "2026-04-01", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "success" and summary["counters"]["succeeded"] == 3
    assert summary["result"]["receivable_total"] == "388.97"
    execution = await TaskExecution.get(id=summary["execution_id"])
    assert (execution.trigger, execution.triggered_by) == (Trigger.CLI, "system:bill")
    # one customer by code, again: skipped
    again = run_opcms("bill", "--period", PERIOD, "--customer", book["a"].customer_code)
    assert again.returncode == 0 and "skipped 1" in again.stdout
    assert await Invoice.all().count() == 3


async def test_opcms_bill_refuses_a_bad_period_and_an_unknown_customer(db):
    bad = run_opcms("bill", "--period", "2026-13")
    assert bad.returncode == 2 and "period" in bad.stderr
    unknown = run_opcms("bill", "--period", PERIOD, "--customer", "NOPE")
    assert unknown.returncode == 2 and "NOPE" in unknown.stderr


async def test_demo_invoices_and_payments_are_seeded_once_in_every_state(db):
    from opcms.core.context import acting_as, system_actor
    from opcms.demo.billing import seed_invoices_and_payments
    from opcms.demo.customers import seed_customers
    from opcms.demo.usage import seed_pricing_and_usage
    from opcms.settlement.models import Invoice, Payment

    # given demo customers with plans and 35 days of usage (last month included)
    with acting_as(system_actor("seed-demo")):
        await seed_customers(12)
        await seed_pricing_and_usage(days=35)
        # when the billing demo is seeded twice
        assert await seed_invoices_and_payments() is True
        assert await seed_invoices_and_payments() is False
    # then last month is invoiced once, with money in every state
    statuses = set(await Invoice.all().values_list("status", flat=True))
    assert {"settled", "partially_settled", "unsettled"} <= {s.value for s in statuses}
    payments = await Payment.all().values_list("status", "customer_id")
    assert {"allocated", "unallocated"} <= {s.value for s, _ in payments}
    assert any(customer is None for _, customer in payments)
    assert await Invoice.all().count() == len(set(await Invoice.all().values_list("customer_id", flat=True)))
