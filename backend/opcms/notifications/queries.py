"""Reading notifications: the filtered list and the answer shape of one row."""

from __future__ import annotations

from typing import Any

from opcms.core.pagination import paginate
from opcms.core.schemas import answer
from opcms.notifications.models import Notification
from opcms.notifications.schemas import NOTIFICATION_SORTABLE, NotificationPublic, NotificationQuery
from opcms.notifications.templates_config import channel_names


def notification_public(notification: Notification, names: dict[int, str]) -> NotificationPublic:
    return answer(NotificationPublic, notification, channel_name=names.get(notification.channel_id))


async def describe(notification: Notification) -> NotificationPublic:
    return notification_public(notification, await channel_names({notification.channel_id}))


async def list_notifications(query: NotificationQuery) -> dict[str, Any]:
    filters: dict[str, Any] = {
        name: getattr(query, name)
        for name in (
            "status",
            "channel_id",
            "template_code",
            "target",
            "subject_type",
            "subject_id",
            "priority",
        )
        if getattr(query, name) is not None
    }
    if query.created_from:
        filters["created_at__gte"] = query.created_from
    if query.created_to:
        filters["created_at__lt"] = query.created_to
    page = await paginate(
        Notification.filter(**filters), query, sortable=NOTIFICATION_SORTABLE, default_sort="-id"
    )
    names = await channel_names({n.channel_id for n in page["items"]})
    page["items"] = [notification_public(n, names) for n in page["items"]]
    return page
