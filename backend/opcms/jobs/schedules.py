"""Job schedules in the database, and what one Beat tick does with them (DESIGN §10).

A schedule is a cron expression in a time zone; ``next_run_at`` (UTC) is when it is due next.
Each tick of the active Beat (:mod:`opcms.jobs.beat`):

1. holds the lease ``job_lease(name="beat")`` — renews it, or takes it once it has expired. A
   Beat without the lease fires nothing, so a second Beat started by mistake only waits;
2. every minute, fails running executions whose worker stopped beating, and runs the
   housekeeping other domains registered with :func:`every_minute` (the notification sweeper);
3. for each enabled schedule that is due, moves ``next_run_at`` forward with
   ``UPDATE … WHERE id = ? AND next_run_at = ?`` — only the Beat whose update matched fires —
   and triggers the job (``trigger = schedule``) under its run lock. A Beat that was down for a
   while fires a missed schedule once, not once per missed time.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from croniter import croniter
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from opcms.core.errors import AppError, ValidationFailed
from opcms.core.models import get_or_404, utcnow
from opcms.jobs.models import JobSchedule, Lease, Trigger

log = logging.getLogger("opcms.jobs.beat")

BEAT_LEASE = "beat"


# --- cron ---------------------------------------------------------------------------------------
def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.field(
            "timezone", f"unknown time zone {name!r}", code="unknown_time_zone", params={"name": name}
        ) from None


def check_cron(cron: str) -> str:
    cron = " ".join(cron.split())
    # five fields: minute hour day month weekday (no seconds, no years)
    if len(cron.split(" ")) != 5 or not croniter.is_valid(cron):
        raise ValidationFailed.field(
            "cron",
            f"{cron!r} is not a cron expression of five fields (minute hour day month weekday)",
            code="cron_invalid",
            params={"cron": cron},
        )
    return cron


def next_run(cron: str, timezone: str, after: dt.datetime) -> dt.datetime:
    """The first time after ``after`` the expression matches on the wall clock of ``timezone`` (UTC)."""
    local = after.astimezone(zone(timezone))
    following = croniter(cron, local).get_next(dt.datetime)
    return following.astimezone(dt.UTC)


# --- editing ------------------------------------------------------------------------------------
async def get_schedule(schedule_id: int) -> JobSchedule:
    return await get_or_404(JobSchedule, schedule_id, "job_schedule")


async def update_schedule(schedule_id: int, changes: dict[str, Any]) -> JobSchedule:
    """Change cron, time zone, enabled or parameters (each checked: 422 changes nothing);
    next_run_at is worked out again."""
    from opcms.jobs.service import job_or_404, validate_parameters

    schedule = await get_schedule(schedule_id)
    cron = check_cron(changes["cron"]) if "cron" in changes else schedule.cron
    timezone = changes.get("timezone", schedule.timezone)
    zone(timezone)
    if "parameters" in changes:
        # checked with the job's model; stored as given ("last month" stays relative)
        validate_parameters(job_or_404(schedule.task_name), changes["parameters"])
    schedule.cron, schedule.timezone = cron, timezone
    for name in ("is_enabled", "parameters"):
        if name in changes:
            setattr(schedule, name, changes[name])
    schedule.next_run_at = next_run(cron, timezone, utcnow()) if schedule.is_enabled else None
    await schedule.save()
    return schedule


# --- the lease ----------------------------------------------------------------------------------
async def hold_lease(
    holder: str, seconds: float, *, name: str = BEAT_LEASE, now: dt.datetime | None = None
) -> bool:
    """Renew the lease for ``holder`` or take it if it expired; False while another holds it."""
    now = now or utcnow()
    expires_at = now + dt.timedelta(seconds=seconds)
    held = await Lease.filter(Q(name=name) & (Q(holder=holder) | Q(expires_at__lt=now))).update(
        holder=holder, expires_at=expires_at
    )
    if held:
        return True
    try:
        await Lease.create(name=name, holder=holder, expires_at=expires_at)
    except IntegrityError:
        # someone holds it — or we do: MariaDB counts a row whose values did not change (the same
        # expiry renewed twice in one instant) as not updated
        return await Lease.filter(name=name, holder=holder).exists()
    return True


async def release_lease(holder: str, *, name: str = BEAT_LEASE) -> None:
    await Lease.filter(name=name, holder=holder).delete()


# --- firing -------------------------------------------------------------------------------------
@dataclass
class Fired:
    schedule: str
    task_name: str
    execution_id: int | None
    outcome: str  # queued, skipped (the same run is live), failed (could not be queued, bad parameters)


async def fire_due(now: dt.datetime | None = None) -> list[Fired]:
    """Trigger every enabled schedule that is due, once; schedules without next_run_at get one."""
    from opcms.jobs import service as jobs

    now = now or utcnow()
    fired: list[Fired] = []
    for schedule in await JobSchedule.filter(is_enabled=True).order_by("id"):
        try:
            following = next_run(schedule.cron, schedule.timezone, now)
        except (AppError, ValueError, KeyError) as error:
            log.error("schedule %s has a bad cron or time zone: %s", schedule.name, error)
            continue
        if schedule.next_run_at is None:
            await JobSchedule.filter(id=schedule.id, next_run_at__isnull=True).update(next_run_at=following)
            continue
        if schedule.next_run_at > now:
            continue
        # move it forward first: of two Beats looking at it, only the one whose update matched fires
        won = await JobSchedule.filter(id=schedule.id, next_run_at=schedule.next_run_at).update(
            next_run_at=following
        )
        if not won:
            continue
        execution_id, outcome = None, "queued"
        try:
            execution = await jobs.trigger(schedule.task_name, schedule.parameters, Trigger.SCHEDULE)
            execution_id = execution.id
        except jobs.JobAlreadyRunning as busy:
            execution_id, outcome = busy.skipped.id, "skipped"
            log.warning("schedule %s: %s", schedule.name, busy.message)
        except Exception as error:  # a refused or unqueued run is recorded; the next tick goes on
            outcome = "failed"
            execution_id = getattr(error, "execution_id", None)  # the failed execution, if one was recorded
            log.error("schedule %s could not start %s: %s", schedule.name, schedule.task_name, error)
        await JobSchedule.filter(id=schedule.id).update(last_run_at=now, last_execution_id=execution_id)
        fired.append(Fired(schedule.name, schedule.task_name, execution_id, outcome))
    return fired


Housekeeping = Callable[..., Awaitable[Any]]  # called with now=…
_every_minute: list[Housekeeping] = []


def every_minute(fn: Housekeeping) -> Housekeeping:
    """Register work the active Beat does once a minute (usable as a decorator): cheap,
    idempotent catch-up such as re-queueing messages whose queue entry was lost."""
    if fn not in _every_minute:
        _every_minute.append(fn)
    return fn


async def housekeeping(now: dt.datetime) -> None:
    from opcms.jobs.service import reap_stale

    for fn in (reap_stale, *_every_minute):
        try:
            await fn(now=now)
        except Exception:  # one failing chore must not keep Beat from the others or the schedules
            log.exception("beat housekeeping %s failed", getattr(fn, "__qualname__", fn))


@dataclass
class BeatState:
    """What one Beat process remembers between ticks."""

    holder: str
    lease_seconds: float
    reap_every: float = 60.0
    last_reap: dt.datetime | None = None
    leading: bool = False


async def tick(state: BeatState, now: dt.datetime | None = None) -> list[Fired]:
    """One Beat tick: hold the lease, housekeeping (every minute), fire what is due."""
    now = now or utcnow()
    leading = await hold_lease(state.holder, state.lease_seconds, now=now)
    if leading != state.leading:
        log.warning("beat %s %s the lease", state.holder, "holds" if leading else "lost")
        state.leading = leading
    if not leading:
        return []
    if state.last_reap is None or (now - state.last_reap).total_seconds() >= state.reap_every:
        state.last_reap = now
        await housekeeping(now)
    return await fire_due(now)
