"""Factories for the reminder, automation and billing-summary tests: the seeded templates
(the ``db`` fixture empties every table after a test, so they are put back on demand) and
notification channels bound to them."""

from __future__ import annotations

import importlib
import itertools

from opcms.core.context import acting_as, system_actor
from opcms.notifications.models import (
    ChannelKind,
    NotificationChannel,
    NotificationTemplate,
)

TEMPLATES_MIGRATION = importlib.import_module("opcms.migrations.0010_seed_notification_templates")
_channel_seq = itertools.count(1)

CHANNEL_SETTINGS = {
    ChannelKind.EMAIL: {"host": "127.0.0.1", "port": 2525, "from_address": "billing@opcms.test"},
    ChannelKind.SMS: {"provider": "logging"},
    ChannelKind.WECOM_APP: {"corp_id": "ww-test", "agent_id": 1000002},
    ChannelKind.WECOM_BOT: {},
}


async def seed_templates() -> list[NotificationTemplate]:
    """The templates migration 0010 seeds (channel NULL), as the migration wrote them."""
    from tortoise import connections

    if not await NotificationTemplate.filter(code__in=[t[0] for t in TEMPLATES_MIGRATION.TEMPLATES]).exists():
        conn = connections.get("default")
        for statement in TEMPLATES_MIGRATION.SEED:
            await conn.execute_script(statement)
    return list(await NotificationTemplate.all().order_by("code"))


async def make_channel(
    kind: ChannelKind | str, *, name: str | None = None, enabled: bool = True
) -> NotificationChannel:
    """A channel of ``kind`` with settings its kind accepts (nothing is delivered in these tests:
    the rows stay pending for the workers)."""
    kind = ChannelKind(kind)
    with acting_as(system_actor("test-factory")):
        return await NotificationChannel.create(
            name=name or f"{kind.value}-{next(_channel_seq)}",
            kind=kind,
            settings=CHANNEL_SETTINGS[kind],
            is_enabled=enabled,
        )


async def bind(template_code: str, channel: NotificationChannel | None) -> None:
    """Make ``channel`` the template's default channel (None: unbind)."""
    await seed_templates()
    template = await NotificationTemplate.get(code=template_code)
    template.channel_id = channel.id if channel else None
    with acting_as(system_actor("test-factory")):
        await template.save(update_fields=["channel_id"])


async def bind_reminder_channels() -> dict[str, NotificationChannel]:
    """E-mail, SMS and WeCom application channels bound to the three reminder templates."""
    channels = {
        "reminder.customer_email": await make_channel(ChannelKind.EMAIL),
        "reminder.customer_sms": await make_channel(ChannelKind.SMS),
        "reminder.owner_wecom": await make_channel(ChannelKind.WECOM_APP),
    }
    for code, channel in channels.items():
        await bind(code, channel)
    return channels
