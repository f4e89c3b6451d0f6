"""Celery tasks of the notification domain: deliver one message; the scheduled health check of
the channels (the job ``notifications.check_channels``, every 5 minutes by the schedule
migration 0020 seeds). (The sweeper is no task: Beat runs it in its own process every minute,
``wiring.py``.)"""

from __future__ import annotations

from opcms.core.schemas import Schema
from opcms.core.tasks import async_task
from opcms.jobs.recorder import ExecutionRun
from opcms.jobs.registry import JobSpec, job_task
from opcms.notifications import channels_config, delivery

CHECK_CHANNELS_JOB = "notifications.check_channels"


@async_task("notifications.deliver")
async def deliver_task(notification_id: int) -> str | None:
    """Send one notification (see :func:`opcms.notifications.delivery.deliver`)."""
    outcome = await delivery.deliver(int(notification_id))
    return outcome.value if outcome is not None else None


class CheckChannelsParameters(Schema):
    """No parameters: every enabled channel is checked."""


# registered with its task by @job_task
CHECK_CHANNELS = JobSpec(
    name=CHECK_CHANNELS_JOB,
    title="Notification channel health",
    parameters=CheckChannelsParameters,
    description="check every enabled notification channel (never sends a message) and keep the answer "
    "on it: failover passes over a channel found unhealthy",
)


@job_task(CHECK_CHANNELS)
async def check_channels(run: ExecutionRun) -> None:
    """Check each enabled channel and count the healthy and unhealthy ones. Idempotent: a run
    again only checks again, the latest answer is what is kept."""
    counts = await channels_config.check_enabled_channels()
    for counter, n in counts.items():
        run.count(counter, n)
    run.log(f"channels checked: {counts['healthy']} healthy, {counts['unhealthy']} unhealthy")
