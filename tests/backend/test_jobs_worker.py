"""A worker killed (SIGKILL) in the middle of an invoice run: the execution keeps beating while
the worker lives, is failed by the reaper once the heartbeat is older than the timeout (not
before), and its retry on a new worker bills every customer exactly once with gap-free numbers
(issue 7, DESIGN §10). Real MariaDB, Redis and Celery worker processes."""

from __future__ import annotations

import os
import signal
import time
from urllib.parse import urlsplit

import pytest
import redis
from tortoise import connections

from opcms.billing.numbering import INVOICE, ensure_sequence
from opcms.jobs.models import ExecutionStatus, TaskExecution
from opcms.jobs.service import reap_stale
from opcms.settlement.models import Invoice
from tests.backend.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, is_mysql_url
from tests.backend.factories import token_for
from tests.backend.processes import celery_sends_to, opcms, stop
from tests.backend.test_billing_support import PERIOD, golden_book
from tests.backend.waiting import finished, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not is_mysql_url(TEST_DATABASE_URL), reason="row locks held across connections: MariaDB"
    ),
]

HEARTBEAT, STALE_AFTER = 1, 4


async def hold_sequence_lock():
    """A connection of its own holding the March invoice sequence row FOR UPDATE: a chunk that
    takes invoice numbers waits for it (no hook in the product code)."""
    import asyncmy

    parts = urlsplit(TEST_DATABASE_URL)
    conn = await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        database=parts.path.strip("/"),
        autocommit=False,
    )
    async with conn.cursor() as cursor:
        await cursor.execute("BEGIN")
        await cursor.execute(
            "SELECT last_number FROM document_sequence WHERE kind = 'INV' AND period = '202603' FOR UPDATE"
        )
        await cursor.fetchall()
    return conn


async def lock_waits() -> int:
    rows = await connections.get("default").execute_query_dict(
        "SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"
    )
    return int(rows[0]["n"])


def worker_env(settings, **more: str) -> dict[str, str]:
    """A worker's environment on the test broker and var folder, beating every HEARTBEAT s."""
    return {
        **os.environ,
        "OPCMS_BROKER_URL": TEST_REDIS_URL,
        "OPCMS_VAR_DIR": str(settings.var_dir.resolve()),
        "OPCMS_JOB_HEARTBEAT_SECONDS": str(HEARTBEAT),
        **more,
    }


async def queue_march_by_one_customer(client, admin: str) -> int:
    """An admin queues March's invoice run in chunks of one customer; the execution's id."""
    with celery_sends_to(TEST_REDIS_URL):
        queued = await client.post(
            "/api/v1/task-executions",
            token=admin,
            json={
                "job": "billing.run_period",
                "parameters": {"period": PERIOD, "chunk_size": 1, "issue_date": "2026-04-01"},
            },
        )
    assert queued.status_code == 202, queued.text
    return int(queued.json()["id"])


async def assert_march_billed_once(shown: dict, book: dict, execution_id: int) -> None:
    """The run ``shown`` succeeded and billed the golden customers a, b, c once each (d owes
    nothing), numbered without gaps, all under ``execution_id``."""
    assert shown["status"] == "success", shown
    assert shown["counters"] == {"processed": 4, "succeeded": 3, "skipped": 0, "failed": 0, "no_charge": 1}
    invoices = await Invoice.filter(live_period=PERIOD).order_by("number")
    assert sorted(i.customer_id for i in invoices) == sorted(book[k].id for k in "abc")
    assert [i.number for i in invoices] == [f"INV-202603-{n:06d}" for n in (1, 2, 3)]
    assert {i.execution_id for i in invoices} == {execution_id}


async def test_a_worker_killed_mid_run_is_failed_after_the_heartbeat_timeout_and_the_retry_bills_once(
    client, settings, monkeypatch
):
    # given the golden customers, March's number sequence held by another transaction, and a worker
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    book = await golden_book()
    await ensure_sequence(INVOICE, PERIOD)
    lock = await hold_sequence_lock()
    env = worker_env(settings, OPCMS_JOB_STALE_AFTER_SECONDS=str(STALE_AFTER))
    monkeypatch.setattr(settings, "job_stale_after_seconds", STALE_AFTER)  # the reaper here, as in Beat
    admin = await token_for("admin")
    worker = opcms("worker", "--concurrency", "1", env=env)
    retry_worker = None
    try:
        # when an admin queues March in chunks of one customer
        execution_id = await queue_march_by_one_customer(client, admin)
        # and its first chunk is waiting for invoice numbers on the worker
        await wait_until(lock_waits, timeout=60, what="a chunk waiting on the sequence lock")
        running = await TaskExecution.get(id=execution_id)
        assert running.status == ExecutionStatus.RUNNING and running.heartbeat_at is not None
        # the worker keeps beating while the chunk waits
        first_beat = running.heartbeat_at

        async def beat_after_the_first():
            return (await TaskExecution.get(id=execution_id)).heartbeat_at > first_beat

        await wait_until(beat_after_the_first, timeout=HEARTBEAT * 5, what="a heartbeat after the first")

        # when the worker is killed
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        killed_at = time.monotonic()
        # then right after, its heartbeat is still fresh: not failed yet
        assert await reap_stale() == []
        assert (await TaskExecution.get(id=execution_id)).status == ExecutionStatus.RUNNING
        await lock.rollback()
        lock.close()
        lock = None
        # and once the heartbeat is older than the timeout, the reaper fails it and frees the lock
        assert await wait_until(reap_stale, timeout=20, what="the reaper") == [execution_id]
        assert time.monotonic() - killed_at >= STALE_AFTER - HEARTBEAT - 0.5
        lost = await TaskExecution.get(id=execution_id)
        assert lost.status == ExecutionStatus.FAILED and lost.active_key is None
        assert lost.status_reason.startswith("no heartbeat since ") and lost.status_reason.endswith(
            "(worker lost)"
        )
        assert await Invoice.all().count() == 0  # the killed chunk's transaction was rolled back

        # when an admin retries it on a new worker (the dead run's queued chunks come first: they do nothing)
        retry_worker = opcms("worker", "--concurrency", "1", env=env)
        with celery_sends_to(TEST_REDIS_URL):
            retried = await client.post(f"/api/v1/task-executions/{execution_id}/retry", token=admin)
        assert retried.status_code == 202, retried.text
        retry_id = retried.json()["id"]

        async def shown_retry():
            return (await client.get(f"/api/v1/task-executions/{retry_id}", token=admin)).json()

        shown = await wait_until(shown_retry, timeout=90, what="the retry to finish", done=finished)
    finally:
        if lock is not None:
            lock.close()
        stop(worker, signal.SIGKILL)
        if retry_worker is not None:
            stop(retry_worker)
    # then the retry bills every customer once, with numbers without gaps, under the retry
    assert (shown["retry_of_id"], shown["trigger"]) == (execution_id, "retry")
    await assert_march_billed_once(shown, book, retry_id)
    assert (await TaskExecution.get(id=execution_id)).status == ExecutionStatus.FAILED


async def test_a_worker_told_to_stop_finishes_its_chunk_and_a_new_worker_finishes_the_run(client, settings):
    # given the golden customers, March's number sequence held by another transaction, and a worker
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    book = await golden_book()
    await ensure_sequence(INVOICE, PERIOD)
    lock = await hold_sequence_lock()
    env = worker_env(settings)
    admin = await token_for("admin")
    worker = opcms("worker", "--concurrency", "1", env=env)
    next_worker = None
    try:
        # when an admin queues March in chunks of one customer, and a chunk waits for invoice numbers
        execution_id = await queue_march_by_one_customer(client, admin)
        await wait_until(lock_waits, timeout=60, what="a chunk waiting on the sequence lock")
        # and the worker is told to stop (SIGTERM: Celery's warm shutdown) while the chunk waits
        os.killpg(worker.pid, signal.SIGTERM)
        time.sleep(2)
        # then it does not leave its chunk: it is still running, the chunk still waiting
        assert worker.poll() is None
        assert await lock_waits() == 1
        # when the lock goes, the chunk finishes and the worker exits by itself
        await lock.rollback()
        lock.close()
        lock = None
        assert worker.wait(timeout=60) == 0
        assert await Invoice.filter(live_period=PERIOD).count() == 1
        # and a new worker takes the chunks left on the broker and finishes the run
        next_worker = opcms("worker", "--concurrency", "1", env=env)

        async def shown_run():
            return (await client.get(f"/api/v1/task-executions/{execution_id}", token=admin)).json()

        shown = await wait_until(shown_run, timeout=90, what="the run to finish", done=finished)
    finally:
        if lock is not None:
            lock.close()
        stop(worker, signal.SIGKILL)
        if next_worker is not None:
            stop(next_worker)
    # then every customer is billed once, with numbers without gaps, under the one run
    await assert_march_billed_once(shown, book, execution_id)
