"""Configuring templates: code, default channel, title, body and declared variables.

A template is checked when it is stored: valid Jinja2, and every variable the title and body
use is declared (so senders know what to pass, and a typo is caught now, not at 09:00 when
the reminders go out).
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from opcms.core.errors import ValidationFailed
from opcms.core.models import ChosenName, get_or_404
from opcms.core.pagination import paginate
from opcms.core.schemas import answer, patch_changes
from opcms.notifications.models import NotificationChannel, NotificationTemplate
from opcms.notifications.schemas import (
    TEMPLATE_SORTABLE,
    TemplateCreate,
    TemplatePublic,
    TemplateQuery,
    TemplateUpdate,
)
from opcms.notifications.templates import check_template, render
from opcms.notifications.variables import samples, typed_values


async def get_template(template_id: int) -> NotificationTemplate:
    return await get_or_404(NotificationTemplate, template_id, "notification_template")


async def channel_names(channel_ids: set[int]) -> dict[int, str]:
    if not channel_ids:
        return {}
    rows = await NotificationChannel.with_deleted().filter(id__in=channel_ids).values_list("id", "name")
    return dict(rows)


def _channel_ids(template: NotificationTemplate) -> set[int]:
    return {*([template.channel_id] if template.channel_id else []), *(template.fallback_channel_ids or [])}


def template_public(template: NotificationTemplate, names: dict[int, str]) -> TemplatePublic:
    fallback = list(template.fallback_channel_ids or [])
    return answer(
        TemplatePublic,
        template,
        channel_name=names.get(template.channel_id) if template.channel_id else None,
        variables=list(template.variables or []),
        fallback_channel_ids=fallback,
        fallback_channel_names=[names.get(channel_id) for channel_id in fallback],
        samples=samples(template.variables or []),
    )


async def describe(template: NotificationTemplate) -> TemplatePublic:
    return template_public(template, await channel_names(_channel_ids(template)))


async def list_templates(query: TemplateQuery) -> dict[str, Any]:
    qs = NotificationTemplate.all()
    if query.q and query.q.strip():
        word = query.q.strip()
        qs = qs.filter(Q(code__icontains=word) | Q(name__icontains=word))
    if query.channel_id is not None:
        qs = qs.filter(channel_id=query.channel_id)
    page = await paginate(qs, query, sortable=TEMPLATE_SORTABLE, default_sort="code")
    names = await channel_names(set().union(*(_channel_ids(t) for t in page["items"])))
    page["items"] = [template_public(t, names) for t in page["items"]]
    return page


async def _check_channel(channel_id: int | None) -> None:
    if channel_id is not None and not await NotificationChannel.exists(id=channel_id):
        raise ValidationFailed.field(
            "channel_id",
            f"no notification channel {channel_id}",
            code="no_channel",
            params={"id": channel_id},
        )


async def _check_fallback(channel_id: int | None, fallback: list[int]) -> None:
    """A fallback chain names existing channels (enabled or not), each once, never the default."""
    seen: set[int] = set()
    for index, fallback_id in enumerate(fallback):
        field = f"fallback_channel_ids.{index}"
        if fallback_id == channel_id:
            raise ValidationFailed.field(
                field,
                "the default channel cannot be its own fallback",
                code="fallback_is_default_channel",
                params={"id": fallback_id},
            )
        if fallback_id in seen:
            raise ValidationFailed.field(
                field,
                f"channel {fallback_id} is already in the chain",
                code="fallback_channel_repeated",
                params={"name": fallback_id},
            )
        seen.add(fallback_id)
        if not await NotificationChannel.exists(id=fallback_id):
            raise ValidationFailed.field(
                field, f"no notification channel {fallback_id}", code="no_channel", params={"id": fallback_id}
            )


TEMPLATE_CODE = ChosenName(
    NotificationTemplate, "code", "notification template", "template", "notification_template_duplicate"
)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


async def create_template(data: TemplateCreate) -> NotificationTemplate:
    variables = _unique(data.variables)
    check_template(data.title, data.body, variables)
    await _check_channel(data.channel_id)
    await _check_fallback(data.channel_id, data.fallback_channel_ids)
    await TEMPLATE_CODE.check_free(data.code)
    try:
        return await NotificationTemplate.create(**{**data.model_dump(), "variables": variables})
    except IntegrityError:
        raise TEMPLATE_CODE.taken(data.code) from None


async def update_template(template_id: int, data: TemplateUpdate) -> NotificationTemplate:
    template = await get_template(template_id)
    changes = patch_changes(data)
    if "variables" in changes:
        changes["variables"] = _unique(changes["variables"])
    check_template(
        changes.get("title", template.title),
        changes.get("body", template.body),
        changes.get("variables", template.variables or []),
    )
    if "channel_id" in changes:
        await _check_channel(changes["channel_id"])
    if "channel_id" in changes or "fallback_channel_ids" in changes:
        await _check_fallback(
            changes.get("channel_id", template.channel_id),
            changes.get("fallback_channel_ids", template.fallback_channel_ids or []),
        )
    if "code" in changes and changes["code"] != template.code:
        await TEMPLATE_CODE.check_free(changes["code"], other_than=template.id)
    await TEMPLATE_CODE.save_changes(template, changes)
    return template


async def delete_template(template_id: int, reason: str = "") -> NotificationTemplate:
    template = await get_template(template_id)
    await template.soft_delete(reason)
    return template


async def preview(template_id: int, variables: dict[str, Any]) -> tuple[str, str]:
    """What the template renders to with these variables (422 naming the missing ones), each
    read as its kind (a number typed as text is a number: see ``variables``)."""
    template = await get_template(template_id)
    declared = template.variables or []
    return render(template.title, template.body, typed_values(declared, variables), declared)
