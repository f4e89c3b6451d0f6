"""Schedules in the database and the Beat that fires them: next run in the schedule's time zone,
a due schedule fires once, one Beat (the lease holder) fires, disabled ones never do; and two
real `opcms beat` processes fire a due schedule once (issue 7, DESIGN §10)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os

import pytest
import redis

from opcms.core.context import acting_as, system_actor
from opcms.core.models import utcnow
from opcms.jobs import schedules
from opcms.jobs.models import (
    ExecutionStatus,
    JobSchedule,
    Lease,
    TaskExecution,
    Trigger,
)
from opcms.jobs.schedules import BeatState, fire_due, hold_lease, next_run, tick
from tests.backend.conftest import TEST_REDIS_URL
from tests.backend.processes import Output, opcms, stop
from tests.backend.test_billing_support import PERIOD
from tests.backend.waiting import wait_until

UTC = dt.UTC


@pytest.fixture
async def db(db):
    """An empty database: the schedules migration 0009 seeds are removed too (they are there
    for the first test of a session), each test makes its own."""
    await JobSchedule.all().delete()
    yield


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_next_run_is_worked_out_on_the_wall_clock_of_the_schedule_time_zone():
    # day 1 at 04:00 in Shanghai is 20:00 UTC on the last day of the month before
    assert next_run("0 4 1 * *", "Asia/Shanghai", at("2026-11-15 00:00")) == at("2026-11-30 20:00")
    assert next_run("0 4 1 * *", "Asia/Shanghai", at("2026-02-10 00:00")) == at("2026-02-28 20:00")
    # 02:00 Shanghai daily is 18:00 UTC the day before; just after it, the next one is a day later
    assert next_run("0 2 * * *", "Asia/Shanghai", at("2026-11-23 17:59")) == at("2026-11-23 18:00")
    assert next_run("0 2 * * *", "Asia/Shanghai", at("2026-11-23 18:00")) == at("2026-11-24 18:00")
    assert next_run("0 2 * * *", "UTC", at("2026-11-23 18:00")) == at("2026-11-24 02:00")


async def schedule(
    name="invoice-run", *, task="billing.run_period", parameters=None, next_run_at=None, enabled=True
):
    with acting_as(system_actor("test")):
        return await JobSchedule.create(
            name=name,
            task_name=task,
            cron="0 4 1 * *",
            timezone="Asia/Shanghai",
            is_enabled=enabled,
            parameters={"period": PERIOD} if parameters is None else parameters,
            next_run_at=next_run_at,
        )


async def test_a_new_schedule_gets_its_next_run_and_a_due_one_fires_once(db):
    now = at("2026-11-30 20:00:30")
    # given a schedule Beat has not seen yet (next_run_at empty, as migration 0009 seeds them)
    row = await schedule()
    # when Beat ticks, it works out the next run and fires nothing yet
    assert await fire_due(now - dt.timedelta(minutes=5)) == []
    row = await JobSchedule.get(id=row.id)
    assert row.next_run_at == at("2026-11-30 20:00")
    # once due, one tick fires it and moves the next run to next month
    fired = await fire_due(now)
    assert [(f.schedule, f.outcome) for f in fired] == [("invoice-run", "queued")]
    row = await JobSchedule.get(id=row.id)
    assert row.next_run_at == at("2026-12-31 20:00") and row.last_run_at == now
    execution = await TaskExecution.get(id=row.last_execution_id)
    assert execution.trigger == Trigger.SCHEDULE and execution.status == ExecutionStatus.PENDING
    assert execution.parameters["period"] == PERIOD
    # the next tick does not fire it again
    assert await fire_due(now + dt.timedelta(seconds=15)) == []
    assert await TaskExecution.all().count() == 1


async def test_a_schedule_whose_run_is_still_live_records_a_skipped_execution(db):
    now = utcnow()
    row = await schedule(next_run_at=now - dt.timedelta(seconds=1))
    with acting_as(system_actor("test")):
        from opcms.jobs.service import trigger

        live = await trigger("billing.run_period", {"period": PERIOD})
    fired = await fire_due(now)
    assert [f.outcome for f in fired] == ["skipped"]
    skipped = await TaskExecution.get(id=(await JobSchedule.get(id=row.id)).last_execution_id)
    assert skipped.status == ExecutionStatus.SKIPPED and f"run #{live.id}" in skipped.status_reason


async def test_disabled_schedules_never_fire(db):
    await schedule(enabled=False, next_run_at=at("2026-01-01 00:00"))
    assert await fire_due(utcnow()) == []
    assert await TaskExecution.all().count() == 0


async def test_two_beats_looking_at_a_due_schedule_together_fire_it_once(db):
    # even without the lease, the conditional move of next_run_at lets one of them fire
    await schedule(next_run_at=utcnow() - dt.timedelta(seconds=1))
    outcomes = await asyncio.gather(fire_due(), fire_due(), fire_due())
    assert sum(len(fired) for fired in outcomes) == 1
    assert await TaskExecution.filter(trigger=Trigger.SCHEDULE).count() == 1


async def test_only_the_beat_holding_the_lease_fires_and_another_takes_over_when_it_expires(db):
    now = utcnow()
    await schedule(next_run_at=now - dt.timedelta(seconds=1))
    first, second = BeatState("beat-a", lease_seconds=45), BeatState("beat-b", lease_seconds=45)
    # given beat a took the lease, beat b ticking at the same time fires nothing
    assert await hold_lease("beat-a", 45, now=now)
    assert await tick(second, now) == [] and not second.leading
    fired = await tick(first, now)
    assert len(fired) == 1 and first.leading
    # a renews it; b still cannot take it
    assert await hold_lease("beat-a", 45, now=now + dt.timedelta(seconds=15))
    assert not await hold_lease("beat-b", 45, now=now + dt.timedelta(seconds=30))
    # a stops ticking: once its lease expired, b holds it and fires what is due
    await schedule("pull", task="usage.pull_day", parameters={}, next_run_at=now)
    later = now + dt.timedelta(seconds=61)
    fired = await tick(second, later)
    assert second.leading and [f.schedule for f in fired] == ["pull"]
    assert (await Lease.get(name="beat")).holder == "beat-b"
    assert not await hold_lease("beat-a", 45, now=later)


async def test_two_concurrent_ticks_of_two_beats_fire_once(db):
    await schedule(next_run_at=utcnow() - dt.timedelta(seconds=1))
    beats = [BeatState(f"beat-{n}", lease_seconds=45) for n in range(2)]
    outcomes = await asyncio.gather(*(tick(state) for state in beats))
    assert sorted(len(fired) for fired in outcomes) == [0, 1]
    assert sum(state.leading for state in beats) == 1
    assert await TaskExecution.filter(trigger=Trigger.SCHEDULE).count() == 1


async def test_the_beat_tick_reaps_runs_that_lost_their_worker(db, settings, monkeypatch):
    monkeypatch.setattr(settings, "job_stale_after_seconds", 60)
    lost = await TaskExecution.create(
        task_name="usage.pull_day",
        trigger=Trigger.SCHEDULE,
        parameters={},
        status=ExecutionStatus.RUNNING,
        triggered_by="system:beat",
        started_at=utcnow() - dt.timedelta(minutes=3),
        heartbeat_at=utcnow() - dt.timedelta(minutes=2),
        active_key="k" * 64,
    )
    await tick(BeatState("beat-a", lease_seconds=45))
    lost = await TaskExecution.get(id=lost.id)
    assert (
        lost.status == ExecutionStatus.FAILED
        and lost.active_key is None
        and "(worker lost)" in lost.status_reason
    )


@pytest.mark.slow
async def test_two_beat_processes_fire_a_due_schedule_once(db, settings):
    # given a due schedule and two `opcms beat` processes started together (one too many)
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    row = await schedule(next_run_at=utcnow() - dt.timedelta(seconds=1))
    env = {
        **os.environ,
        "OPCMS_BROKER_URL": TEST_REDIS_URL,
        "OPCMS_VAR_DIR": str(settings.var_dir.resolve()),
        # at DEBUG, Celery's Beat logs the end of every tick ("beat: Waking up in …")
        "OPCMS_LOG_LEVEL": "DEBUG",
    }
    beats = [opcms("beat", env=env), opcms("beat", env=env)]
    readers = [Output(beat) for beat in beats]
    try:
        await wait_until(
            lambda: JobSchedule.filter(id=row.id, last_execution_id__isnull=False).exists(),
            timeout=60,
            what="a Beat to fire the due schedule",
        )
        # and each Beat has finished a tick since it started (the schedule was due all along):
        # the other one had its chance to fire too, if it wrongly did
        await wait_until(
            lambda: all(reader.count("beat: Waking up") for reader in readers),
            timeout=60,
            what="a finished tick of each Beat",
        )
        holder = (await Lease.get(name="beat")).holder
    finally:
        for beat in beats:
            stop(beat)
        outputs = [reader.text() for reader in readers]
    # then one execution was queued, by the Beat holding the lease, and it is on the broker
    executions = await TaskExecution.filter(trigger=Trigger.SCHEDULE)
    assert len(executions) == 1, outputs
    assert executions[0].triggered_by == "system:beat" and executions[0].status == ExecutionStatus.PENDING
    assert holder and (await JobSchedule.get(id=row.id)).last_execution_id == executions[0].id
    assert redis.Redis.from_url(TEST_REDIS_URL).llen("celery") == 1
    # a Beat that stops gives its lease back
    assert not await Lease.filter(name="beat").exists()


def test_the_worker_and_beat_commands_use_the_database_scheduler():
    import argparse

    from opcms.cli.processes import celery_argv
    from opcms.core.celery_app import BEAT_SCHEDULER

    assert f"--scheduler={BEAT_SCHEDULER}" in celery_argv("beat", argparse.Namespace())
    embedded = celery_argv("worker", argparse.Namespace(beat=True, concurrency=1))
    assert "--beat" in embedded and f"--scheduler={BEAT_SCHEDULER}" in embedded
    assert schedules.BEAT_LEASE == "beat"


def test_options_after_a_double_dash_reach_the_celery_worker_as_they_are():
    # given `opcms worker --concurrency=1 -- --hostname=bench1@%h --without-gossip` (the billing
    # bench starts its workers so: wired like every worker, named for the bench)
    from opcms.cli import build_parser
    from opcms.cli.processes import celery_argv

    args = build_parser().parse_args(
        ["worker", "--concurrency=1", "--", "--hostname=bench1@%h", "--without-gossip"]
    )
    # then Celery gets them after the worker's own options, the double dash dropped
    argv = celery_argv("worker", args)
    assert argv[-2:] == ["--hostname=bench1@%h", "--without-gossip"] and "--" not in argv
    assert "--concurrency=1" in argv or "--pool=solo" in argv


async def test_the_lease_holder_runs_the_registered_housekeeping_once_a_minute_and_a_failing_chore_stops_nothing(
    db,
):
    # given a chore that fails and one that counts its calls, registered for every minute
    from opcms.notifications import delivery
    from opcms.wiring import wire

    wire()  # registers the notification sweeper (among the rest)

    calls: list[dt.datetime] = []

    async def broken(now):
        raise RuntimeError("chore down")

    async def counted(now):
        calls.append(now)

    schedules.every_minute(broken)
    schedules.every_minute(counted)
    try:
        due = await schedule(next_run_at=at("2026-11-23 00:00"))
        state, now = BeatState("beat-a", lease_seconds=45), utcnow()
        # when the Beat ticks three times: now, 15 s later, and a minute later
        fired = await tick(state, now)
        await tick(state, now + dt.timedelta(seconds=15))
        await tick(state, now + dt.timedelta(seconds=61))
        # then the chores ran on the first and the third tick only, the broken one kept nothing
        # from running (the due schedule still fired), and the notification sweeper is registered
        assert calls == [now, now + dt.timedelta(seconds=61)]
        assert [f.schedule for f in fired] == [due.name]
        assert delivery.sweep_due in schedules._every_minute
        # and a Beat without the lease runs no chore
        assert await tick(BeatState("beat-b", lease_seconds=45), now + dt.timedelta(seconds=62)) == []
        assert len(calls) == 2
    finally:
        schedules._every_minute.remove(broken)
        schedules._every_minute.remove(counted)
