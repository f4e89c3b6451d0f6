"""The run lock of jobs: one live execution per job and parameters, the second recorded as
skipped; a holder whose worker died is failed and the key taken; the lock is released however
a run ends (issue 7, DESIGN §10)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from opcms.billing import run
from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.jobs import service as jobs
from opcms.jobs.models import ExecutionStatus, TaskExecution, Trigger
from opcms.settlement.models import Invoice
from tests.backend.factories import token_for
from tests.backend.test_billing_support import PERIOD, golden_book

JOB = "billing.run_period"
MARCH = {"period": PERIOD, "issue_date": "2026-04-01"}


async def trigger(parameters=MARCH, trigger=Trigger.MANUAL):
    with acting_as(system_actor("test")):
        return await jobs.trigger(JOB, dict(parameters), trigger)


async def test_two_concurrent_triggers_of_the_same_invoice_run_one_runs_one_is_skipped(db):
    # given nothing running
    # when the same invoice run is triggered twice at the same moment
    outcomes = await asyncio.gather(trigger(), trigger(), return_exceptions=True)
    # then one execution is pending and holds the lock, the other is recorded as skipped, not dropped
    queued = [o for o in outcomes if isinstance(o, TaskExecution)]
    refused = [o for o in outcomes if isinstance(o, jobs.JobAlreadyRunning)]
    assert len(queued) == 1 and len(refused) == 1, outcomes
    running, skipped = await TaskExecution.get(id=queued[0].id), refused[0].skipped
    assert running.status == ExecutionStatus.PENDING and running.active_key
    skipped = await TaskExecution.get(id=skipped.id)
    assert skipped.status == ExecutionStatus.SKIPPED and skipped.active_key is None and skipped.finished_at
    assert skipped.status_reason == f"run #{running.id} of the same job with the same parameters is running"
    assert refused[0].running.id == running.id
    # the concrete parameters are stored on both (the lock key is made of them)
    assert (
        skipped.parameters
        == running.parameters
        == {"period": PERIOD, "customer_id": None, "issue_date": "2026-04-01", "chunk_size": run.CHUNK_SIZE}
    )


async def test_the_lock_is_on_the_run_not_on_its_chunk_size_and_other_periods_do_not_collide(db):
    first = await trigger()
    # the same period with another chunk size is the same run
    with pytest.raises(jobs.JobAlreadyRunning):
        await trigger({**MARCH, "chunk_size": 1})
    # another period, or one customer's run, is another run
    february = await trigger({"period": "2026-02"})
    book = await golden_book()
    one_customer = await trigger({**MARCH, "customer_id": book["a"].id})
    assert len({first.id, february.id, one_customer.id}) == 3
    assert await TaskExecution.filter(status=ExecutionStatus.PENDING).count() == 3
    assert await TaskExecution.filter(status=ExecutionStatus.SKIPPED).count() == 1


async def test_the_lock_is_released_when_the_run_ends_and_the_same_run_can_start_again(db):
    # given a queued run that a worker (here: in process) finishes
    book = await golden_book()
    queued = await trigger()
    with acting_as(system_actor(JOB)):
        done = await run.run_execution_here(queued.id)
    assert done.status == ExecutionStatus.SUCCESS and done.active_key is None
    # when the same run is started again, now
    with acting_as(system_actor("test")):
        again = await jobs.run_now(JOB, MARCH, Trigger.CLI)
    # then it runs (nothing twice: every customer already has its invoice) and frees the key too
    assert again.status == ExecutionStatus.SUCCESS and again.active_key is None
    assert again.counters["skipped"] == 3 and await Invoice.all().count() == 3
    assert await Invoice.filter(customer_id=book["a"].id).count() == 1


async def test_a_holder_that_lost_its_worker_is_failed_and_the_trigger_goes_ahead(db, settings, monkeypatch):
    monkeypatch.setattr(settings, "job_stale_after_seconds", 60)
    # given a run that a worker started, and whose heartbeat stopped two minutes ago
    holder = await trigger()
    long_ago = utcnow() - dt.timedelta(minutes=2)
    await TaskExecution.filter(id=holder.id).update(
        status=ExecutionStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    # when the same run is triggered
    fresh = await trigger()
    # then the lost one is failed with the reason, and the new one holds the lock
    lost = await TaskExecution.get(id=holder.id)
    assert lost.status == ExecutionStatus.FAILED and lost.active_key is None
    assert lost.status_reason.startswith("no heartbeat since ") and lost.status_reason.endswith(
        "(worker lost)"
    )
    assert fresh.status == ExecutionStatus.PENDING and fresh.active_key


async def test_a_holder_with_a_fresh_heartbeat_is_not_failed(db, settings, monkeypatch):
    monkeypatch.setattr(settings, "job_stale_after_seconds", 60)
    holder = await trigger()
    await TaskExecution.filter(id=holder.id).update(
        status=ExecutionStatus.RUNNING, started_at=utcnow() - dt.timedelta(minutes=5), heartbeat_at=utcnow()
    )
    with pytest.raises(jobs.JobAlreadyRunning):
        await trigger()
    assert await jobs.reap_stale() == []
    assert (await TaskExecution.get(id=holder.id)).status == ExecutionStatus.RUNNING
    # a minute later without a beat, the reaper (Beat, every minute) fails it
    assert await jobs.reap_stale(now=utcnow() + dt.timedelta(seconds=61)) == [holder.id]
    assert (await TaskExecution.get(id=holder.id)).active_key is None


async def test_two_concurrent_http_requests_for_the_same_invoice_run_one_202_one_409(client):
    token = await token_for("finance")
    body = {"period": PERIOD}
    first, second = await asyncio.gather(
        client.post("/api/v1/invoice-runs", token=token, json=body),
        client.post("/api/v1/invoice-runs", token=token, json=body),
    )
    answers = sorted([first, second], key=lambda r: r.status_code)
    assert [r.status_code for r in answers] == [202, 409], [r.text for r in answers]
    accepted, conflict = answers[0].json(), answers[1].json()["error"]
    assert accepted["status"] == "pending" and accepted["triggered_by"].startswith("finance")
    assert conflict["code"] == "job_already_running"
    detail = conflict["details"][0]
    assert detail["running_execution_id"] == accepted["id"]
    skipped = (await client.get(f"/api/v1/invoice-runs/{detail['skipped_execution_id']}", token=token)).json()
    assert skipped["status"] == "skipped" and f"run #{accepted['id']}" in skipped["status_reason"]


async def test_a_second_pull_of_the_same_day_is_a_409_and_another_day_is_not(client):
    token = await token_for("operator")
    assert (
        await client.post("/api/v1/usage/pulls", token=token, json={"day": "2026-11-01"})
    ).status_code == 202
    again = await client.post("/api/v1/usage/pulls", token=token, json={"day": "2026-11-01"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "job_already_running"
    other = await client.post("/api/v1/usage/pulls", token=token, json={"day": "2026-11-02"})
    assert other.status_code == 202


async def test_a_run_that_cannot_be_queued_is_failed_and_frees_the_lock(client):
    from tests.backend.processes import celery_sends_to, free_port

    token = await token_for("finance")
    with celery_sends_to(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        refused = await client.post("/api/v1/invoice-runs", token=token, json={"period": PERIOD})
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "queue_unavailable"
    (execution,) = await TaskExecution.all()
    assert execution.status == ExecutionStatus.FAILED and "could not be queued" in execution.error
    assert execution.active_key is None
    # the broker is back: the same run is accepted
    assert (
        await client.post("/api/v1/invoice-runs", token=token, json={"period": PERIOD})
    ).status_code == 202


async def test_opcms_bill_while_the_same_run_is_live_is_refused_and_recorded(db):
    holder = await trigger({"period": PERIOD})
    done = subprocess.run(
        [sys.executable, "-m", "opcms", "bill", "--period", PERIOD, "--json"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "already pending" in done.stderr, done.stdout + done.stderr
    skipped = await TaskExecution.get(status=ExecutionStatus.SKIPPED)
    assert (skipped.trigger, skipped.triggered_by) == (Trigger.CLI, "system:bill")
    assert f"run #{holder.id}" in skipped.status_reason
    assert json.loads(json.dumps(skipped.parameters))["period"] == PERIOD


async def test_a_late_chunk_of_a_run_that_was_failed_writes_nothing(db):
    # given a planned run whose worker was lost (the reaper failed it) with its chunks still queued
    from opcms.billing.models import ChunkStatus, InvoiceRunChunk

    await golden_book()
    queued = await trigger({**MARCH, "chunk_size": 2})
    chunk_ids = await run.plan_run(queued.id)
    assert len(chunk_ids) == 2
    await TaskExecution.filter(id=queued.id).update(status=ExecutionStatus.FAILED, active_key=None)
    # when a redelivered chunk runs late
    await run.bill_chunk(chunk_ids[0])
    # then it bills nobody and the run stays failed; its chunks stay pending
    assert await Invoice.all().count() == 0
    assert (await TaskExecution.get(id=queued.id)).status == ExecutionStatus.FAILED
    assert await InvoiceRunChunk.filter(execution_id=queued.id, status=ChunkStatus.PENDING).count() == 2


async def test_a_running_chunk_keeps_its_run_alive(db, settings, monkeypatch):
    # given a run planned a while ago, with its last heartbeat long past
    monkeypatch.setattr(settings, "job_stale_after_seconds", 60)
    await golden_book()
    queued = await trigger({**MARCH, "chunk_size": 4})
    (chunk_id,) = await run.plan_run(queued.id)
    long_ago = utcnow() - dt.timedelta(minutes=5)
    await TaskExecution.filter(id=queued.id).update(heartbeat_at=long_ago)
    # when a worker bills its chunk, the chunk beats for the run first
    with acting_as(system_actor("billing.run_chunk")):
        await run.bill_chunk(chunk_id)
    done = await TaskExecution.get(id=queued.id)
    assert done.status == ExecutionStatus.SUCCESS and done.heartbeat_at > long_ago and done.active_key is None
