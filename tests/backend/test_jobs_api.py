"""The jobs API: the jobs there are, executions (list, detail, trigger, cancel, retry) and
schedules (read, edit), with their permissions and refusals (issue 7, DESIGN §10)."""

from __future__ import annotations

import datetime as dt

from opcms.billing import run
from opcms.core.audit import AuditLog
from opcms.core.context import acting_as, system_actor
from opcms.jobs.models import ExecutionStatus, JobSchedule, TaskExecution
from opcms.jobs.registry import get_runner
from tests.backend.factories import token_for
from tests.backend.test_billing_support import PERIOD, golden_book

JOB = "billing.run_period"


async def queue(client, token, parameters=None, job=JOB):
    return await client.post(
        "/api/v1/task-executions",
        token=token,
        json={"job": job, "parameters": parameters if parameters is not None else {"period": PERIOD}},
    )


async def test_the_jobs_are_listed_with_the_schema_of_their_parameters(client):
    token = await token_for("operator")  # jobs:read
    items = {job["name"]: job for job in (await client.get("/api/v1/jobs", token=token)).json()["items"]}
    assert {"usage.pull_day", "billing.run_period"} <= set(items)
    assert items[JOB]["title"] == "Invoice run"
    assert {"period", "customer_id", "issue_date", "chunk_size"} <= set(
        items[JOB]["parameters_schema"]["properties"]
    )


async def test_an_admin_triggers_a_job_and_bad_parameters_or_jobs_are_refused(client):
    admin = await token_for("admin")
    # when an admin triggers the invoice run without a period
    queued = await queue(client, admin, {})
    # then it is queued for last month (the lock and the execution hold the concrete period)
    assert queued.status_code == 202, queued.text
    shown = queued.json()
    from opcms.core.periods import previous_period
    from opcms.core.settings import business_today

    assert shown["status"] == "pending" and shown["trigger"] == "manual"
    assert shown["parameters"]["period"] == previous_period(business_today())
    # bad parameters are a 422 naming the field, an unknown job a 404; nothing is recorded for either
    bad = await queue(client, admin, {"period": "2026-13"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "parameters.period"
    unknown_field = await queue(client, admin, {"perod": "2026-03"})
    assert unknown_field.status_code == 422
    future = await queue(client, admin, {"period": "2999-01"})
    assert future.status_code == 422
    missing_customer = await queue(client, admin, {"period": PERIOD, "customer_id": 999999})
    assert missing_customer.status_code == 404
    nope = await queue(client, admin, {}, job="nope.job")
    assert nope.status_code == 404 and nope.json()["error"]["code"] == "job_not_found"
    assert await TaskExecution.all().count() == 1


async def test_only_jobs_run_may_trigger_cancel_or_retry_and_only_jobs_schedule_may_edit(client):
    finance, auditor = await token_for("finance"), await token_for("auditor")
    assert (await queue(client, finance)).status_code == 403
    assert (await client.get("/api/v1/task-executions", token=auditor)).status_code == 200
    assert (
        await client.post("/api/v1/task-executions/1/cancel", token=finance, json={"reason": "x"})
    ).status_code == 403
    assert (await client.post("/api/v1/task-executions/1/retry", token=finance)).status_code == 403
    assert (
        await client.patch("/api/v1/job-schedules/1", token=finance, json={"is_enabled": False})
    ).status_code == 403
    assert (await client.get("/api/v1/job-schedules", token=finance)).status_code == 200
    assert await TaskExecution.all().count() == 0


async def test_executions_are_listed_with_filters_and_shown_with_heartbeat_and_reason(client):
    admin = await token_for("admin")
    first = (await queue(client, admin)).json()
    skipped = (await queue(client, admin)).json()["error"]["details"][0]["skipped_execution_id"]
    pull = (await queue(client, admin, {"day": "2026-11-01"}, job="usage.pull_day")).json()

    listed = (await client.get("/api/v1/task-executions", token=admin)).json()
    assert [e["id"] for e in listed["items"]] == [pull["id"], skipped, first["id"]] and listed["total"] == 3

    async def ids(**query) -> list[int]:
        page = (await client.get("/api/v1/task-executions", token=admin, params=query)).json()
        return [e["id"] for e in page["items"]]

    assert await ids(task_name=JOB) == [skipped, first["id"]]
    assert await ids(status="skipped") == [skipped]
    assert await ids(trigger="manual", triggered_by=first["triggered_by"]) == [
        pull["id"],
        skipped,
        first["id"],
    ]
    assert await ids(triggered_by="someone else") == []
    assert await ids(trigger="schedule") == []
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert await ids(created_from=tomorrow) == [] and len(await ids(created_to=tomorrow)) == 3
    assert (
        await client.get("/api/v1/task-executions", token=admin, params={"status": "nope"})
    ).status_code == 422

    shown = (await client.get(f"/api/v1/task-executions/{skipped}", token=admin)).json()
    assert shown["status"] == "skipped" and shown["status_reason"].startswith(f"run #{first['id']} ")
    assert {"heartbeat_at", "retry_execution_ids", "log_excerpt", "counters"} <= set(shown)
    assert (await client.get("/api/v1/task-executions/99999999", token=admin)).status_code == 404


async def test_a_pending_execution_is_cancelled_and_the_worker_then_skips_it(client):
    # given a queued run and the customers it would bill
    await golden_book()
    admin = await token_for("admin")
    queued = (await queue(client, admin)).json()
    # when an admin cancels it
    cancelled = await client.post(
        f"/api/v1/task-executions/{queued['id']}/cancel", token=admin, json={"reason": "wrong month"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and "wrong month" in cancelled.json()["status_reason"]
    audit = await AuditLog.filter(entity_type="task_execution", entity_id=str(queued["id"])).first()
    assert audit.action == "status_change" and audit.after == {"status": "cancelled"}
    # then the worker that picks it up later bills nothing, and the lock is free for a new run
    with acting_as(system_actor(JOB)):
        await get_runner(JOB)(queued["id"])
    execution = await TaskExecution.get(id=queued["id"])
    assert (
        execution.status == ExecutionStatus.CANCELLED
        and execution.active_key is None
        and execution.started_at is None
    )
    from opcms.settlement.models import Invoice

    assert await Invoice.all().count() == 0
    assert (await queue(client, admin)).status_code == 202
    # and a job made with job_task (the usage pull's recorder path) skips a cancelled one as well
    pull = (await queue(client, admin, {"day": "2026-11-01"}, job="usage.pull_day")).json()
    await client.post(f"/api/v1/task-executions/{pull['id']}/cancel", token=admin, json={"reason": "no"})
    with acting_as(system_actor("usage.pull_day")):
        await get_runner("usage.pull_day")(pull["id"])
    assert (await TaskExecution.get(id=pull["id"])).status == ExecutionStatus.CANCELLED
    # only a pending one can be cancelled
    again = await client.post(
        f"/api/v1/task-executions/{queued['id']}/cancel", token=admin, json={"reason": "x"}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "execution_not_pending"
    no_reason = await client.post(f"/api/v1/task-executions/{queued['id']}/cancel", token=admin, json={})
    assert no_reason.status_code == 422


async def test_only_a_failed_or_partial_execution_is_retried_as_a_new_one(client):
    await golden_book()
    admin = await token_for("admin")
    queued = (await queue(client, admin)).json()
    # a pending (or successful) execution is not retried
    refused = await client.post(f"/api/v1/task-executions/{queued['id']}/retry", token=admin)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "execution_not_retryable"
    # given it failed
    await TaskExecution.filter(id=queued["id"]).update(
        status=ExecutionStatus.FAILED, active_key=None, error="boom"
    )
    # when retried
    retried = await client.post(f"/api/v1/task-executions/{queued['id']}/retry", token=admin)
    # then a new pending execution with the same parameters says which one it retries
    assert retried.status_code == 202, retried.text
    new = retried.json()
    assert new["id"] != queued["id"] and new["retry_of_id"] == queued["id"] and new["trigger"] == "retry"
    assert new["parameters"] == queued["parameters"] and new["status"] == "pending"
    shown = (await client.get(f"/api/v1/task-executions/{queued['id']}", token=admin)).json()
    assert shown["retry_execution_ids"] == [new["id"]]
    assert await AuditLog.filter(entity_type="task_execution", action="retry").count() == 1
    # the retry runs to success (a worker: here in process) and is then not retried again
    with acting_as(system_actor(JOB)):
        done = await run.run_execution_here(new["id"])
    assert done.status == ExecutionStatus.SUCCESS
    assert (await client.post(f"/api/v1/task-executions/{new['id']}/retry", token=admin)).status_code == 409


async def seed_schedules() -> dict[str, JobSchedule]:
    """The four rows migration 0009 seeds (the test database is emptied after each test)."""
    import importlib

    rows = importlib.import_module("opcms.migrations.0009_seed_job_schedules").SCHEDULES
    await JobSchedule.all().delete()  # still there from the migration in the first test of a session
    with acting_as(system_actor("migration")):
        for name, task, cron, parameters, description in rows:
            await JobSchedule.create(
                name=name, task_name=task, cron=cron, parameters=parameters, description=description
            )
    return {s.name: s for s in await JobSchedule.all()}


async def test_schedules_are_listed_and_edited_with_the_next_run_worked_out_again(client):
    seeded = await seed_schedules()
    admin = await token_for("admin")
    listed = (await client.get("/api/v1/job-schedules", token=admin)).json()["items"]
    assert [s["name"] for s in listed] == sorted(seeded)
    invoice_run = seeded["invoice-run-monthly"]
    # when the invoice run is moved to 06:30 on day 2 in UTC
    changed = await client.patch(
        f"/api/v1/job-schedules/{invoice_run.id}", token=admin, json={"cron": "30 6 2 * *", "timezone": "UTC"}
    )
    assert changed.status_code == 200, changed.text
    shown = changed.json()
    assert (shown["cron"], shown["timezone"]) == ("30 6 2 * *", "UTC") and shown["updated_by"].startswith(
        "admin"
    )
    next_run = dt.datetime.fromisoformat(shown["next_run_at"])
    assert (next_run.day, next_run.hour, next_run.minute) == (2, 6, 30) and next_run > dt.datetime.now(dt.UTC)
    audit = await AuditLog.filter(
        entity_type="job_schedule", entity_id=str(invoice_run.id), action="update"
    ).first()
    assert audit.after["cron"] == "30 6 2 * *" and "next_run_at" not in audit.after
    # disabled: no next run
    off = (
        await client.patch(f"/api/v1/job-schedules/{invoice_run.id}", token=admin, json={"is_enabled": False})
    ).json()
    assert off["is_enabled"] is False and off["next_run_at"] is None
    # the reminder stages are the job's parameters
    reminders = seeded["overdue-reminders-daily"]
    assert (await client.get(f"/api/v1/job-schedules/{reminders.id}", token=admin)).json()["parameters"] == {
        "stages": [-3, 1, 7, 15, 30]
    }
    assert (await client.get("/api/v1/job-schedules/99999", token=admin)).status_code == 404


async def test_a_bad_cron_time_zone_or_parameters_is_a_422_and_changes_nothing(client):
    seeded = await seed_schedules()
    admin = await token_for("admin")
    schedule = seeded["usage-pull-nightly"]
    before = (await client.get(f"/api/v1/job-schedules/{schedule.id}", token=admin)).json()
    for body, field in [
        ({"cron": "61 2 * * *"}, "cron"),
        ({"cron": "every night"}, "cron"),
        ({"cron": "0 2 * * * *"}, "cron"),  # six fields
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"parameters": {"day": "not a day"}}, "parameters.day"),
        ({"parameters": {"bogus": 1}}, "parameters.bogus"),
        (
            {"cron": "0 3 * * *", "parameters": {"first_day": "2026-01-01", "last_day": "2026-12-31"}},
            "last_day",
        ),
        ({"is_enabled": None}, "is_enabled"),
        ({}, None),
    ]:
        refused = await client.patch(f"/api/v1/job-schedules/{schedule.id}", token=admin, json=body)
        assert refused.status_code == 422, (body, refused.text)
        if field:
            assert refused.json()["error"]["details"][0]["field"] == field, (body, refused.json())
    assert (await client.get(f"/api/v1/job-schedules/{schedule.id}", token=admin)).json() == before
    assert await AuditLog.filter(entity_type="job_schedule", action="update").count() == 0
