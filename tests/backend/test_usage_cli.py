"""`opcms pull-usage` and `opcms price` as a user runs them: real processes, real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from opcms.jobs.models import TaskExecution, Trigger
from opcms.pricing.models import UsageMetric
from opcms.usage.models import CustomerSourceAccount, DataSource, UsageRecord
from tests.backend.factories import make_customer


def run_opcms(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opcms", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_pull_usage_runs_a_day_now_and_records_it(db):
    # given a demo source with one mapped customer
    await UsageMetric.create(code="api_calls", name="API", unit="次")
    source = await DataSource.create(name="demo", adapter="demo", settings={"metrics": ["api_calls"]})
    customer = await make_customer(status="active")
    await CustomerSourceAccount.create(customer=customer, source=source, external_account="demo-1")
    # when
    done = run_opcms("pull-usage", "--day", "2026-11-01", "--to", "2026-11-03", "--source", "demo", "--json")
    # then
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "success" and summary["counters"]["written"] == 3
    assert await UsageRecord.filter(customer_id=customer.id).count() == 3
    execution = await TaskExecution.get(id=summary["execution_id"])
    assert (execution.trigger, execution.triggered_by) == (Trigger.CLI, "system:pull-usage")


async def test_pull_usage_refuses_an_unknown_source_and_a_bad_day(db):
    unknown = run_opcms("pull-usage", "--day", "2026-11-01", "--source", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    bad_day = run_opcms("pull-usage", "--day", "2026-13-01")
    assert bad_day.returncode == 2 and "YYYY-MM-DD" in bad_day.stderr


def test_price_prints_the_amount_and_breakdown_of_a_plan_document(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "metric": "api_calls",
                "mode": "graduated",
                "unit_price": None,
                "tiers": [
                    {"up_to": "10000", "unit_price": "0.010000", "flat_fee": "0"},
                    {"up_to": None, "unit_price": "0.008000", "flat_fee": "0"},
                ],
                "package_size": None,
                "package_price": None,
                "monthly_fee": "0",
                "included_quantity": "0",
                "minimum_amount": "0",
            }
        )
    )
    done = run_opcms("price", "--plan", str(plan), "--quantity", "12345", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    # 10,000 × 0.01 + 2,345 × 0.008 = 100 + 18.76
    assert answer["amount"] == "118.76"
    assert [(line["tier"], line["quantity"]) for line in answer["breakdown"]] == [(1, "10000"), (2, "2345")]


async def test_demo_pricing_and_usage_are_seeded_once_through_the_real_pipeline(db):
    from opcms.core.context import acting_as, system_actor
    from opcms.customers.models import Customer
    from opcms.demo.customers import seed_customers
    from opcms.demo.usage import seed_pricing_and_usage
    from opcms.pricing.models import Subscription
    from opcms.usage.ingest import USAGE_STATUSES

    with acting_as(system_actor("seed-demo")):
        await seed_customers(20)
        assert await seed_pricing_and_usage(days=3) is True
        assert await seed_pricing_and_usage(days=3) is False
    with_usage = await Customer.filter(status__in=list(USAGE_STATUSES)).count()
    assert with_usage > 0
    assert await Subscription.all().count() == 2 * with_usage
    assert await UsageRecord.all().count() == 2 * 3 * with_usage
