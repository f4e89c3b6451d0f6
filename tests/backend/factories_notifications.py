"""Factories for notification tests: channels and templates in the domain's own words."""

from __future__ import annotations

import itertools
from typing import Any

from opcms.core.context import acting_as, system_actor
from opcms.notifications.channels_config import create_channel
from opcms.notifications.models import NotificationChannel, NotificationTemplate
from opcms.notifications.schemas import ChannelCreate, TemplateCreate
from opcms.notifications.templates_config import create_template

_seq = itertools.count(1)


async def make_channel(
    kind: str = "sms",
    *,
    settings: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    name: str | None = None,
    **extra: Any,
) -> NotificationChannel:
    """A channel through the real service (its configuration is checked)."""
    data = ChannelCreate(
        name=name or f"{kind}-{next(_seq)}",
        kind=kind,
        settings=settings or {},
        secrets=secrets or {},
        **extra,
    )
    with acting_as(system_actor("test-factory")):
        return await create_channel(data)


async def make_bot_channel(wecom, **extra: Any) -> NotificationChannel:
    return await make_channel("wecom_bot", secrets={"webhook_url": wecom.webhook_url}, **extra)


async def make_app_channel(wecom, **extra: Any) -> NotificationChannel:
    return await make_channel(
        "wecom_app",
        settings={"corp_id": wecom.corp_id, "agent_id": 1000002, "api_base": wecom.url},
        secrets={"corp_secret": wecom.corp_secret},
        **extra,
    )


async def make_email_channel(smtp, **extra: Any) -> NotificationChannel:
    return await make_channel(
        "email",
        settings={"host": "127.0.0.1", "port": smtp.port, "from_address": "billing@opcms.test"},
        **extra,
    )


async def make_template(
    channel: NotificationChannel | None = None,
    *,
    code: str | None = None,
    title: str = "发票 {{ invoice_no }} 已逾期",
    body: str = "{{ customer }}：应付 {{ amount }} 元，请尽快付款。",
    variables: list[str] | None = None,
    fallback_channel_ids: list[int] | None = None,
) -> NotificationTemplate:
    data = TemplateCreate(
        code=code or f"tpl_{next(_seq)}",
        name="测试模板",
        channel_id=channel.id if channel else None,
        title=title,
        body=body,
        variables=variables if variables is not None else ["invoice_no", "customer", "amount"],
        fallback_channel_ids=fallback_channel_ids or [],
    )
    with acting_as(system_actor("test-factory")):
        return await create_template(data)


VARIABLES = {"invoice_no": "INV-202611-0001", "customer": "测试客户", "amount": "1,234.50"}
