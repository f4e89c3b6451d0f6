"""Demo notification channel for the embedded default (``opcms seed-demo``).

An SMS channel on the ``logging`` provider (messages are written to the worker's log and
count as sent), bound to the customer SMS reminder, so overdue reminders and the jobs that
send them can be seen end to end without any outside service. E-mail and WeCom need real
servers: an admin adds those channels. Idempotent: nothing is added once a channel exists.
"""

from __future__ import annotations

from opcms.notifications.models import ChannelKind, NotificationChannel, NotificationTemplate

DEMO_CHANNEL = "demo-sms-log"
BOUND_TEMPLATE = "reminder.customer_sms"


async def seed_demo_channel() -> bool:
    if await NotificationChannel.with_deleted().exists():
        return False
    channel = await NotificationChannel.create(
        name=DEMO_CHANNEL,
        kind=ChannelKind.SMS,
        settings={"provider": "logging"},
        remark="demo: SMS written to the worker log",
    )
    template = await NotificationTemplate.get_or_none(code=BOUND_TEMPLATE)
    if template is not None and template.channel_id is None:
        template.channel_id = channel.id
        await template.save(update_fields=["channel_id"])
    return True
