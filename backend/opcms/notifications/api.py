"""Notification routes: messages (list, detail, send a test message, re-send), channels
(secrets write-only, health) and templates (preview). Thin handlers over the services."""

from __future__ import annotations

from sanic import Blueprint, Request

from opcms.core.http import endpoint
from opcms.core.models import get_or_404
from opcms.core.schemas import DeleteQuery
from opcms.notifications import channels_config, queries, service, templates_config
from opcms.notifications.models import Notification
from opcms.notifications.schemas import (
    ChannelCreate,
    ChannelPage,
    ChannelPublic,
    ChannelQuery,
    ChannelUpdate,
    HealthPublic,
    NotificationDetail,
    NotificationPage,
    NotificationPublic,
    NotificationQuery,
    NotificationSend,
    PreviewPublic,
    PreviewRequest,
    TemplateCreate,
    TemplatePage,
    TemplatePublic,
    TemplateQuery,
    TemplateUpdate,
)

bp = Blueprint("notifications", url_prefix="/api/v1")
TAG = "notifications"
READ, WRITE = "notifications:read", "notifications:write"


# --- messages ----------------------------------------------------------------------------------
@bp.get("/notifications")
@endpoint(permission=READ, query=NotificationQuery, response=NotificationPage, tag=TAG)
async def list_notifications(request: Request, query: NotificationQuery) -> NotificationPage:
    """Messages, newest first, by status, channel, template, target, subject and creation time."""
    return NotificationPage.model_validate(await queries.list_notifications(query))


@bp.get("/notifications/<notification_id:int>")
@endpoint(permission=READ, response=NotificationDetail, tag=TAG)
async def get_notification(request: Request, notification_id: int) -> NotificationDetail:
    """One message: its content, status, attempts, next attempt time and last error; its route
    (its channel and fallback chain, each with its target) and the history of every attempt."""
    return await queries.detail(await get_or_404(Notification, notification_id, "notification"))


@bp.post("/notifications")
@endpoint(permission=WRITE, body=NotificationSend, response=NotificationPublic, status=202, tag=TAG)
async def send_notification(request: Request, body: NotificationSend) -> NotificationPublic:
    """Send a message from a template (a test or a manual one): rendered now (422 naming a
    missing variable, nothing stored), queued for delivery; answers the pending message. A
    fallback chain (channel names) and a target per channel kind may be given for failover."""
    notification = await service.send(
        body.template_code,
        body.target,
        body.variables,
        body.priority,
        channel=body.channel,
        typed=True,
        fallback=body.fallback_channels,
        targets={kind.value: target for kind, target in body.targets.items()},
    )
    return await queries.describe(notification)


@bp.post("/notifications/<notification_id:int>/resend")
@endpoint(permission=WRITE, response=NotificationPublic, status=202, tag=TAG)
async def resend_notification(request: Request, notification_id: int) -> NotificationPublic:
    """Send a dead or failed message again with a fresh round of attempts (409 otherwise)."""
    return await queries.describe(await service.resend(notification_id))


# --- channels ----------------------------------------------------------------------------------
@bp.get("/notification-channels")
@endpoint(permission=READ, query=ChannelQuery, response=ChannelPage, tag=TAG)
async def list_channels(request: Request, query: ChannelQuery) -> ChannelPage:
    """Channels with their kind, settings and secret names (never values)."""
    return ChannelPage.model_validate(await channels_config.list_channels(query))


@bp.post("/notification-channels")
@endpoint(permission=WRITE, body=ChannelCreate, response=ChannelPublic, status=201, tag=TAG)
async def create_channel(request: Request, body: ChannelCreate) -> ChannelPublic:
    """Create a channel: its kind checks the settings and secrets (422 naming the field)."""
    return channels_config.channel_public(await channels_config.create_channel(body))


@bp.get("/notification-channels/<channel_id:int>")
@endpoint(permission=READ, response=ChannelPublic, tag=TAG)
async def get_channel(request: Request, channel_id: int) -> ChannelPublic:
    """One channel (secret names only)."""
    return channels_config.channel_public(await channels_config.get_channel(channel_id))


@bp.patch("/notification-channels/<channel_id:int>")
@endpoint(permission=WRITE, body=ChannelUpdate, response=ChannelPublic, tag=TAG)
async def update_channel(request: Request, channel_id: int, body: ChannelUpdate) -> ChannelPublic:
    """Change name, settings (replaced whole), secrets (per key: value sets, null removes,
    absent keeps), enabled, rate limit, max attempts or remark; the config is checked again."""
    return channels_config.channel_public(await channels_config.update_channel(channel_id, body))


@bp.delete("/notification-channels/<channel_id:int>")
@endpoint(permission=WRITE, query=DeleteQuery, response=ChannelPublic, tag=TAG)
async def delete_channel(request: Request, channel_id: int, query: DeleteQuery) -> ChannelPublic:
    """Soft-delete a channel (409 while a template has it as its default)."""
    return channels_config.channel_public(await channels_config.delete_channel(channel_id, query.reason))


@bp.post("/notification-channels/<channel_id:int>/health")
@endpoint(permission=WRITE, response=HealthPublic, tag=TAG)
async def channel_health(request: Request, channel_id: int) -> HealthPublic:
    """Ask the channel's server whether it answers (and accepts the credentials); never sends a message."""
    health = await channels_config.check_health(channel_id)
    return HealthPublic(ok=health.ok, detail=health.detail)


@bp.post("/notification-channels/<channel_id:int>/check")
@endpoint(permission=WRITE, response=ChannelPublic, tag=TAG)
async def check_channel(request: Request, channel_id: int) -> ChannelPublic:
    """Check the channel's health now and keep the answer on it (status, time, error), as the
    scheduled check does every 5 minutes: failover passes over a channel found unhealthy."""
    return channels_config.channel_public(await channels_config.check_and_record(channel_id))


# --- templates ---------------------------------------------------------------------------------
@bp.get("/notification-templates")
@endpoint(permission=READ, query=TemplateQuery, response=TemplatePage, tag=TAG)
async def list_templates(request: Request, query: TemplateQuery) -> TemplatePage:
    """Templates with their default channel and declared variables."""
    return TemplatePage.model_validate(await templates_config.list_templates(query))


@bp.post("/notification-templates")
@endpoint(permission=WRITE, body=TemplateCreate, response=TemplatePublic, status=201, tag=TAG)
async def create_template(request: Request, body: TemplateCreate) -> TemplatePublic:
    """Create a template: valid Jinja2, and every variable it uses declared (422 otherwise)."""
    return await templates_config.describe(await templates_config.create_template(body))


@bp.get("/notification-templates/<template_id:int>")
@endpoint(permission=READ, response=TemplatePublic, tag=TAG)
async def get_template(request: Request, template_id: int) -> TemplatePublic:
    """One template."""
    return await templates_config.describe(await templates_config.get_template(template_id))


@bp.patch("/notification-templates/<template_id:int>")
@endpoint(permission=WRITE, body=TemplateUpdate, response=TemplatePublic, tag=TAG)
async def update_template(request: Request, template_id: int, body: TemplateUpdate) -> TemplatePublic:
    """Change a template; checked again as a whole."""
    return await templates_config.describe(await templates_config.update_template(template_id, body))


@bp.delete("/notification-templates/<template_id:int>")
@endpoint(permission=WRITE, query=DeleteQuery, response=TemplatePublic, tag=TAG)
async def delete_template(request: Request, template_id: int, query: DeleteQuery) -> TemplatePublic:
    """Soft-delete a template (senders naming it get a 404; sent messages keep their text)."""
    return await templates_config.describe(await templates_config.delete_template(template_id, query.reason))


@bp.post("/notification-templates/<template_id:int>/preview")
@endpoint(permission=WRITE, body=PreviewRequest, response=PreviewPublic, tag=TAG)
async def preview_template(request: Request, template_id: int, body: PreviewRequest) -> PreviewPublic:
    """Render the template with these variables without sending (422 naming a missing one);
    part of editing templates, so it needs notifications:write like every POST."""
    title, content = await templates_config.preview(template_id, body.variables)
    return PreviewPublic(title=title, content=content)
