"""Reading notifications: the filtered list and the answer shape of one row."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from tortoise.functions import Count

from opcms.core.db import counts_by
from opcms.core.models import utcnow
from opcms.core.pagination import paginate
from opcms.core.schemas import answer
from opcms.core.settings import get_settings
from opcms.notifications.models import (
    AttemptOutcome,
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationStatus,
)
from opcms.notifications.schemas import (
    NOTIFICATION_SORTABLE,
    AttemptPublic,
    NotificationDetail,
    NotificationPublic,
    NotificationQuery,
    RouteHop,
)
from opcms.notifications.templates_config import channel_names

#: statuses of a message that has yet to go out
WAITING = (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.FAILED)


def notification_public(notification: Notification, names: dict[int, str]) -> NotificationPublic:
    return answer(NotificationPublic, notification, channel_name=names.get(notification.channel_id))


async def describe(notification: Notification) -> NotificationPublic:
    return notification_public(notification, await channel_names({notification.channel_id}))


async def detail(notification: Notification) -> NotificationDetail:
    """One message with its route and every attempt (and every channel passed over), oldest first."""
    history = await NotificationAttempt.filter(notification_id=notification.id).order_by("id")
    hops = notification.hops()
    names = await channel_names(
        {notification.channel_id, *(c for c, _ in hops), *(a.channel_id for a in history)}
    )
    return answer(
        NotificationDetail,
        notification,
        channel_name=names.get(notification.channel_id),
        route=[RouteHop(channel_id=c, channel_name=names.get(c), target=t) for c, t in hops],
        history=[answer(AttemptPublic, a, channel_name=names.get(a.channel_id)) for a in history],
    )


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


async def metric_families() -> list[Metric]:
    """Messages by channel and status (``dead``: the dead letters), the attempts made, and the
    backlog: messages still waiting to go out longer than ``notification_backlog_minutes``.

    Attempts are counted from the attempt history, on the channel each was made on (a message
    that failed over counts its tries on every channel of its chain; channels passed over are
    not attempts). Messages stored before the history existed (migration 0020) are not counted."""
    by_status = GaugeMetricFamily(
        "opcms_notifications", "Notifications by channel and status", labels=["channel", "status"]
    )
    attempts = CounterMetricFamily(
        "opcms_notification_attempts",
        "Delivery attempts made, by the channel each was made on",
        labels=["channel"],
    )
    dead = GaugeMetricFamily(
        "opcms_notification_dead_letters",
        "Notifications given up on (attempts used up or refused for good), by channel",
        labels=["channel"],
    )
    backlog = GaugeMetricFamily(
        "opcms_notification_backlog",
        "Notifications not yet delivered that were queued longer ago than the backlog age",
        labels=["channel"],
    )
    # every channel, deleted ones too: their messages stay counted under their names
    names = dict(await NotificationChannel.with_deleted().values_list("id", "name"))
    rows = await (
        Notification.annotate(n=Count("id"))
        .group_by("channel_id", "status")
        .values_list("channel_id", "status", "n")
    )
    tried: dict[str, int] = defaultdict(int)
    dead_letters: dict[str, int] = defaultdict(int)
    for channel_id, status, n in rows:
        channel, status = names.get(channel_id, str(channel_id)), NotificationStatus(status)
        by_status.add_metric([channel, status.value], n)
        tried.setdefault(channel, 0)
        dead_letters[channel] += n if status is NotificationStatus.DEAD else 0
    for channel_id, n in await counts_by(
        NotificationAttempt.filter(outcome__not=AttemptOutcome.SKIPPED), "channel_id"
    ):
        tried[names.get(channel_id, str(channel_id))] += n
    for channel in sorted(tried):
        attempts.add_metric([channel], tried[channel])
        dead.add_metric([channel], dead_letters[channel])
    cutoff = utcnow() - dt.timedelta(minutes=get_settings().notification_backlog_minutes)
    waiting = await counts_by(Notification.filter(status__in=WAITING, created_at__lt=cutoff), "channel_id")
    late = {names.get(channel_id, str(channel_id)): n for channel_id, n in waiting}
    for channel in sorted(set(tried) | set(late)):
        backlog.add_metric([channel], late.get(channel, 0))
    return [by_status, attempts, dead, backlog]


async def backlog_by_channel(
    *, since: dt.datetime, until: dt.datetime, older_than_minutes: int, channel: str | None = None
) -> list[tuple[str, int, dict[str, Any]]]:
    """Messages still waiting to go out that were queued more than ``older_than_minutes`` before
    ``until``, by channel: ``("channel:<name>", how many, {channel, older_than_minutes})`` — what
    the alert condition "notification backlog" reads (``since`` is not needed: a backlog is a
    state, not an event)."""
    cutoff = until - dt.timedelta(minutes=older_than_minutes)
    names = dict(await NotificationChannel.with_deleted().values_list("id", "name"))
    waiting = await counts_by(Notification.filter(status__in=WAITING, created_at__lt=cutoff), "channel_id")
    found = []
    for channel_id, n in waiting:
        name = names.get(channel_id, str(channel_id))
        if channel and name != channel:
            continue
        found.append((f"channel:{name}", n, {"channel": name, "older_than_minutes": older_than_minutes}))
    return sorted(found)


#: the statuses of a message whose last attempt is over: it went out, or it failed
# what a channel answered when it was tried; a channel passed over (skipped) was not tried
TRIED = (AttemptOutcome.SENT, AttemptOutcome.FAILED, AttemptOutcome.REFUSED)


async def failing_streaks(
    *, since: dt.datetime, until: dt.datetime, in_a_row: int, channel: str | None = None
) -> list[tuple[str, int, dict[str, Any]]]:
    """For each enabled channel, how many of its latest tries (at most ``in_a_row``) failed one
    after the other: ``("channel:<name>", streak, {channel, in_a_row, last_error})`` — what the
    alert condition "a channel failing K times in a row" reads (a state: ``since`` is not
    needed). Read from the attempt history, where each try stays on the channel it was made on
    (a message that moved on to the next channel of its chain is counted where it failed)."""
    channels = NotificationChannel.filter(is_enabled=True)
    if channel:
        channels = channels.filter(name=channel)
    found = []
    for channel_id, name in await channels.order_by("name").values_list("id", "name"):
        latest = await (
            NotificationAttempt.filter(channel_id=channel_id, outcome__in=TRIED)
            .order_by("-id")
            .limit(in_a_row)
            .values_list("outcome", "error")
        )
        streak, last_error = 0, ""
        for outcome, error in latest:
            if AttemptOutcome(outcome) is AttemptOutcome.SENT:
                break
            streak += 1
            last_error = last_error or (error or "")
        found.append(
            (f"channel:{name}", streak, {"channel": name, "in_a_row": streak, "last_error": last_error[:300]})
        )
    return found
