"""Celery tasks of the notification domain: deliver one message. (The sweeper is no task: Beat
runs it in its own process every minute, ``wiring.py``.)"""

from __future__ import annotations

from opcms.core.tasks import async_task
from opcms.notifications import delivery


@async_task("notifications.deliver")
async def deliver_task(notification_id: int) -> str | None:
    """Send one notification (see :func:`opcms.notifications.delivery.deliver`)."""
    outcome = await delivery.deliver(int(notification_id))
    return outcome.value if outcome is not None else None
