"""Configuring channels: kind, settings, encrypted secrets, rate limit; their health.

A configuration is checked by its channel class before it is stored (422 naming the field,
``settings.port`` or ``secrets.corp_secret``), so a stored channel can be built — unless its
secrets became unreadable under a new key. Only secret *names* ever leave this module; the
audit log shows a secrets change as ``***`` (``NotificationChannel.audit_masked``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from tortoise.exceptions import IntegrityError

from opcms.core.audit import AuditAction, record_audit
from opcms.core.errors import Conflict, ValidationFailed
from opcms.core.models import ChosenName, column_values, get_or_404, utcnow
from opcms.core.pagination import paginate, where_given
from opcms.core.schemas import answer, patch_changes
from opcms.core.secrets import SecretUnreadable, decrypt_json, encrypted, secret_fields, take_secrets
from opcms.notifications.channels import (
    ChannelConfigError,
    Health,
    build_channel,
    get_channel_class,
)
from opcms.notifications.models import ChannelHealth, NotificationChannel, NotificationTemplate
from opcms.notifications.schemas import (
    CHANNEL_SORTABLE,
    ChannelCreate,
    ChannelPublic,
    ChannelQuery,
    ChannelUpdate,
)

log = logging.getLogger("opcms.notifications")

HEALTH_TIMEOUT_SECONDS = 30


async def get_channel(channel_id: int) -> NotificationChannel:
    return await get_or_404(NotificationChannel, channel_id, "notification_channel")


def channel_public(channel: NotificationChannel) -> ChannelPublic:
    return answer(
        ChannelPublic,
        channel,
        settings=dict(channel.settings or {}),
        **secret_fields(channel.secrets_encrypted),
    )


async def list_channels(query: ChannelQuery) -> dict[str, Any]:
    qs = where_given(NotificationChannel.all(), query, "kind", "is_enabled", name__icontains="q")
    page = await paginate(qs, query, sortable=CHANNEL_SORTABLE, default_sort="name")
    page["items"] = [channel_public(channel) for channel in page["items"]]
    return page


def check_config(kind: str, settings: dict[str, Any], secrets: dict[str, Any]) -> None:
    """422 naming the settings or secrets field the channel kind refuses."""
    try:
        get_channel_class(kind).parse_config(settings, secrets)
    except ChannelConfigError as error:
        raise ValidationFailed(
            error.text or error.message,
            details=error.details or [{"field": "settings", "message": error.message}],
        ) from None


# deleted channels keep their name (a plain unique column): they block it too
CHANNEL_NAME = ChosenName(
    NotificationChannel, "name", "notification channel", "channel", "notification_channel_duplicate"
)


async def create_channel(data: ChannelCreate) -> NotificationChannel:
    settings, secrets = dict(data.settings), dict(data.secrets)
    check_config(data.kind.value, settings, secrets)
    await CHANNEL_NAME.check_free(data.name)
    try:
        return await NotificationChannel.create(
            **data.model_dump(exclude={"secrets"}), secrets_encrypted=encrypted(secrets)
        )
    except IntegrityError:
        raise CHANNEL_NAME.taken(data.name) from None


async def update_channel(channel_id: int, data: ChannelUpdate) -> NotificationChannel:
    channel = await get_channel(channel_id)
    changes = patch_changes(data)
    if "name" in changes and changes["name"] != channel.name:
        await CHANNEL_NAME.check_free(changes["name"], other_than=channel.id)
    secrets = take_secrets(changes, channel.secrets_encrypted)
    if secrets is not None:
        check_config(channel.kind, changes.get("settings", channel.settings or {}), secrets)
    await CHANNEL_NAME.save_changes(channel, changes)
    return channel


async def delete_channel(channel_id: int, reason: str = "") -> NotificationChannel:
    channel = await get_channel(channel_id)
    used_by = await column_values(NotificationTemplate.filter(channel_id=channel.id), "code")
    if used_by:
        raise Conflict(
            f"notification channel {channel.name!r} is the default of template(s) {', '.join(sorted(used_by))}: change them first",
            code="notification_channel_in_use",
            params={"name": channel.name, "templates": sorted(used_by)},
            details=[{"field": "templates", "message": ", ".join(sorted(used_by))}],
        )
    in_chains = sorted(
        code
        for code, chain in await NotificationTemplate.all().values_list("code", "fallback_channel_ids")
        if channel.id in (chain or [])
    )
    if in_chains:
        raise Conflict(
            f"notification channel {channel.name!r} is in the fallback chain of template(s) {', '.join(in_chains)}: change them first",
            code="notification_channel_in_use",
            key="notification_channel_in_fallback",
            params={"name": channel.name, "templates": in_chains},
            details=[{"field": "templates", "message": ", ".join(in_chains)}],
        )
    await channel.soft_delete(reason)
    return channel


async def check_health(channel_id: int) -> Health:
    """The channel's own health check within a time limit; a broken config is ``ok=False``."""
    return await channel_health(await get_channel(channel_id))


async def channel_health(channel: NotificationChannel) -> Health:
    """Ask the channel's server (never sends a message): each kind's ``health_check`` says how —
    WeCom app: a fresh access token; WeCom bot: an empty post its webhook refuses for what it
    is (the key works) without posting anything; e-mail: connect, log in if configured, NOOP;
    SMS: the provider's own check."""
    try:
        sender = build_channel(
            channel.kind, dict(channel.settings or {}), decrypt_json(channel.secrets_encrypted)
        )
    except SecretUnreadable as error:
        return Health(False, str(error))
    except ChannelConfigError as error:
        return Health(False, f"invalid configuration: {error.message}")
    try:
        return await asyncio.wait_for(sender.health_check(), HEALTH_TIMEOUT_SECONDS)
    except TimeoutError:
        return Health(False, f"no answer within {HEALTH_TIMEOUT_SECONDS} s")
    except Exception as error:  # a channel breaking its promise never to raise
        log.warning("health check of channel %s raised", channel.name, exc_info=True)
        return Health(False, f"{type(error).__name__}: {error}")


async def record_health(channel: NotificationChannel, health: Health, now: dt.datetime | None = None) -> None:
    """Keep what a health check said on the channel (failover passes over an unhealthy one); a
    change of status (healthy ↔ unhealthy) is audited, an unchanged one is not (every 5 minutes)."""
    now = now or utcnow()
    status = ChannelHealth.HEALTHY if health.ok else ChannelHealth.UNHEALTHY
    before = ChannelHealth(channel.health_status)
    values = {
        "health_status": status,
        "health_checked_at": now,
        "health_error": None if health.ok else health.detail[:2000],
    }
    await NotificationChannel.with_deleted().filter(id=channel.id).update(**values)
    channel.update_from_dict(values)
    if status != before:
        await record_audit(
            AuditAction.STATUS_CHANGE,
            channel.audit_entity,
            channel.id,
            before={"health_status": before.value},
            after={"health_status": status.value, "health_error": channel.health_error},
            message=f"health check: {health.detail}"[:500],
        )


async def check_and_record(channel_id: int) -> NotificationChannel:
    """Check one channel now (an admin's "check now") and keep the answer on it."""
    channel = await get_channel(channel_id)
    await record_health(channel, await channel_health(channel))
    return channel


async def check_enabled_channels(now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduled check: every enabled channel, one after the other; answers how many were
    healthy and unhealthy. Running it again just checks again (the latest answer is kept)."""
    counts = {"healthy": 0, "unhealthy": 0}
    for channel in await NotificationChannel.filter(is_enabled=True).order_by("id"):
        health = await channel_health(channel)
        await record_health(channel, health, now)
        counts["healthy" if health.ok else "unhealthy"] += 1
    return counts
