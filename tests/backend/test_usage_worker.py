"""The usage pull on a real Celery worker (Redis broker), and its place in the Beat schedule."""

from __future__ import annotations

import importlib
import os

import pytest
import redis

from opcms.core.secrets import encrypt_json
from opcms.pricing.models import UsageMetric
from opcms.usage.models import CustomerSourceAccount, DataSource, UsageRecord
from tests.backend.conftest import TEST_REDIS_URL
from tests.backend.factories import make_customer, token_for
from tests.backend.fake_vendor import FakeVendor
from tests.backend.processes import celery_sends_to, opcms, stop
from tests.backend.waiting import finished, wait_until


def test_beat_pulls_yesterday_at_two_in_the_business_time_zone(settings):
    from opcms.core.celery_app import BEAT_SCHEDULER, configure_celery

    # the seeded schedule: no day (the job resolves yesterday), 02:00 in Asia/Shanghai, read by Beat's DB scheduler
    seeded = {
        row[0]: row for row in importlib.import_module("opcms.migrations.0009_seed_job_schedules").SCHEDULES
    }
    _name, task, cron, parameters, _ = seeded["usage-pull-nightly"]
    assert (task, cron, parameters) == ("usage.pull_day", "0 2 * * *", {})
    assert configure_celery(settings).conf.beat_scheduler == BEAT_SCHEDULER
    assert configure_celery(settings).conf.timezone == "Asia/Shanghai"


@pytest.mark.slow
async def test_a_queued_pull_runs_on_a_worker(client, settings):
    # given a vendor, a mapped customer and a worker on Redis sharing the database
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    await UsageMetric.create(code="api_calls", name="API", unit="次")
    with FakeVendor(auth="bearer") as vendor:
        source = await DataSource.create(
            name="vendor",
            adapter="http_json",
            settings={"base_url": vendor.url, "auth": "bearer"},
            secrets_encrypted=encrypt_json({"token": vendor.token}),
        )
        customer = await make_customer(status="active")
        await CustomerSourceAccount.create(customer=customer, source=source, external_account="acct-1")
        vendor.records = [{"account": "acct-1", "metric": "api_calls", "day": "2026-11-01", "quantity": 42}]
        env = {
            **os.environ,
            "OPCMS_BROKER_URL": TEST_REDIS_URL,
            "OPCMS_VAR_DIR": str(settings.var_dir.resolve()),
        }
        worker = opcms("worker", "--concurrency", "1", env=env)
        token = await token_for("finance")
        try:
            # when the API is asked for a pull
            with celery_sends_to(TEST_REDIS_URL):
                queued = await client.post("/api/v1/usage/pulls", token=token, json={"day": "2026-11-01"})
            assert queued.status_code == 202, queued.text
            # then the worker runs it and records the outcome on the same execution

            async def shown_pull():
                return (await client.get(f"/api/v1/usage/pulls/{queued.json()['id']}", token=token)).json()

            shown = await wait_until(
                shown_pull, timeout=60, what="the pull to finish", done=finished, interval=0.1
            )
        finally:
            stop(worker)
    assert shown["status"] == "success", shown
    assert shown["triggered_by"].startswith("finance") and shown["counters"]["written"] == 1
    assert [q for q in await UsageRecord.all().values_list("quantity", flat=True)] == [42]
