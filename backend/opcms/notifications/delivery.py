"""Delivering a notification: claim, rate limit, send, and decide what happens next.

One delivery (the Celery task ``notifications.deliver``) of one row:

1. **Claim** it with a conditional UPDATE ``pending|failed → sending`` (only when its
   ``next_attempt_at`` has come): of two workers given the same row, one sends it, the other
   finds nothing to do. Duplicate queue messages are therefore harmless.
2. **Rate limit** (:mod:`.ratelimit`): no token → back to ``pending`` with
   ``next_attempt_at`` when one is free, queued again with that countdown; not an attempt.
3. **Send** on the channel. Success → ``sent`` with ``sent_at`` and the provider's reference.
   Failure → ``attempts + 1``; worth retrying and attempts left → ``failed`` with
   ``next_attempt_at`` after an exponential backoff with jitter (30 s × 2ⁿ, at most 1 h),
   queued again with that countdown; otherwise → ``dead`` (re-sent only by hand).

The sweeper (:func:`sweep_due`, Beat every minute) is the safety net for lost queue messages
(broker down at ``send``, a worker restarted with countdowns in memory): it queues again the
``pending``/``failed`` rows whose time has passed, high priority first, and gives back rows
stuck in ``sending`` for more than 10 minutes (a worker died mid-send) as ``failed``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from typing import Any

from tortoise.expressions import F, Q

from opcms.core.models import column_values, utcnow
from opcms.core.secrets import SecretUnreadable, decrypt_json
from opcms.notifications import ratelimit
from opcms.notifications.channels import (
    ChannelConfigError,
    OutgoingMessage,
    SendResult,
    build_channel,
)
from opcms.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationStatus,
    Priority,
)

log = logging.getLogger("opcms.notifications")

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
# a delivery queued with a countdown may be handed over a little before its time
EARLY_TOLERANCE = dt.timedelta(seconds=2)
# rows left in `sending` longer than this belong to a worker that died
STUCK_AFTER = dt.timedelta(minutes=10)
# rows whose queue message should have run by now (the sweeper leaves younger ones alone)
SWEEP_GRACE = dt.timedelta(seconds=60)
SWEEP_BATCH = 500
# one send may take at most this long, whatever the channel's own timeouts say
SEND_TIMEOUT_SECONDS = 120
# Celery priority on Redis: a lower number is served first
CELERY_PRIORITY = {Priority.HIGH: 0, Priority.NORMAL: 3, Priority.LOW: 6}
RETRYABLE = (NotificationStatus.PENDING, NotificationStatus.FAILED)


def backoff_seconds(attempts: int, *, jitter: bool = True) -> float:
    """The wait after the ``attempts``-th failed attempt: 30 s, 60 s, 120 s, … at most an hour,
    each spread by ±25 % so that messages failing together do not retry together."""
    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    if jitter:
        delay *= random.uniform(0.75, 1.25)
    return min(float(BACKOFF_CAP_SECONDS), delay)


async def queue_delivery(
    notification_id: int, *, countdown: float | None = None, priority: Priority | str = Priority.NORMAL
) -> bool:
    """Hand the row to a worker (after ``countdown`` seconds); False when the broker refused —
    the row stays as it is and the sweeper queues it later."""
    from opcms.notifications.tasks import deliver_task

    options: dict[str, Any] = {"priority": CELERY_PRIORITY.get(Priority(priority), 3)}
    if countdown and countdown > 0:
        options["countdown"] = countdown
    try:
        # the producer talks to the broker synchronously: keep it off the event loop
        await asyncio.to_thread(deliver_task.apply_async, (notification_id,), **options)
    except Exception as error:  # noqa: BLE001 - any broker failure (kombu, redis, OS) means "not queued"
        log.warning("notification %s not queued (the sweeper will): %s", notification_id, error)
        return False
    return True


async def queue_deliveries(notification_ids: list[int], *, priority: Priority | str = Priority.NORMAL) -> int:
    """:func:`queue_delivery` for many rows in one hop off the event loop; answers how many the
    broker took (the others stay as they are: the sweeper queues them later)."""
    from opcms.notifications.tasks import deliver_task

    options: dict[str, Any] = {"priority": CELERY_PRIORITY.get(Priority(priority), 3)}

    def publish() -> int:
        queued = 0
        for notification_id in notification_ids:
            try:
                deliver_task.apply_async((notification_id,), **options)
            except Exception as error:  # noqa: BLE001 - as queue_delivery: "not queued"
                log.warning("notification %s not queued (the sweeper will): %s", notification_id, error)
            else:
                queued += 1
        return queued

    return await asyncio.to_thread(publish) if notification_ids else 0


async def claim(notification_id: int, now: dt.datetime) -> bool:
    """Take the row for this worker: ``pending|failed → sending`` if its time has come."""
    claimed = await (
        Notification.filter(id=notification_id, status__in=RETRYABLE)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + EARLY_TOLERANCE))
        .update(status=NotificationStatus.SENDING, updated_at=now)
    )
    return bool(claimed)


async def _finish(notification_id: int, **values: Any) -> None:
    # only the claim's holder moves a row out of `sending`
    await Notification.filter(id=notification_id, status=NotificationStatus.SENDING).update(**values)


async def _attempt(notification: Notification, channel: NotificationChannel | None) -> SendResult:
    if channel is None or channel.is_deleted:
        return SendResult.failed("the channel was deleted", retryable=False)
    if not channel.is_enabled:
        return SendResult.failed(f"channel {channel.name!r} is disabled", retryable=False)
    try:
        sender = build_channel(
            channel.kind, dict(channel.settings or {}), decrypt_json(channel.secrets_encrypted)
        )
    except (ChannelConfigError, SecretUnreadable) as error:
        return SendResult.failed(f"channel {channel.name!r} cannot be used: {error}", retryable=False)
    message = OutgoingMessage(
        title=notification.title,
        content=notification.content,
        target=notification.target,
        priority=Priority(notification.priority).value,
    )
    try:
        return await asyncio.wait_for(sender.send(message), SEND_TIMEOUT_SECONDS)
    except TimeoutError:
        return SendResult.failed(f"no answer within {SEND_TIMEOUT_SECONDS} s", retryable=True)
    except Exception as error:  # a channel breaking its promise never to raise
        log.exception("channel %s raised while sending notification %s", channel.name, notification.id)
        return SendResult.failed(f"{type(error).__name__}: {error}", retryable=True)


async def deliver(notification_id: int, *, now: dt.datetime | None = None) -> NotificationStatus | None:
    """Try to send one notification; answers the status it was left in, or None when there
    was nothing to do (another worker has it, it is sent or dead, or its time has not come)."""
    now = now or utcnow()
    if not await claim(notification_id, now):
        return None
    notification = await Notification.get(id=notification_id)
    channel = await NotificationChannel.with_deleted().get_or_none(id=notification.channel_id)

    if channel is not None and channel.is_enabled and not channel.is_deleted:
        wait = await ratelimit.acquire(
            channel.id, channel.rate_per_minute, now=now, notification_id=notification.id
        )
        if wait > 0:
            await _finish(
                notification.id,
                status=NotificationStatus.PENDING,
                next_attempt_at=now + dt.timedelta(seconds=wait),
                updated_at=now,
            )
            await queue_delivery(notification.id, countdown=wait, priority=notification.priority)
            return NotificationStatus.PENDING

    result = await _attempt(notification, channel)
    attempts = notification.attempts + 1
    if result.ok:
        await _finish(
            notification.id,
            status=NotificationStatus.SENT,
            attempts=attempts,
            sent_at=now,
            provider_reference=(result.reference or None) and result.reference[:128],
            next_attempt_at=None,
            updated_at=now,
        )
        return NotificationStatus.SENT
    error = result.error or "failed"
    if not result.retryable or attempts >= notification.max_attempts:
        reason = error if not result.retryable else f"{error} (gave up after {attempts} attempts)"
        await _finish(
            notification.id,
            status=NotificationStatus.DEAD,
            attempts=attempts,
            last_error=reason,
            next_attempt_at=None,
            updated_at=now,
        )
        log.warning("notification %s is dead: %s", notification.id, reason)
        return NotificationStatus.DEAD
    delay = backoff_seconds(attempts)
    await _finish(
        notification.id,
        status=NotificationStatus.FAILED,
        attempts=attempts,
        last_error=error,
        next_attempt_at=now + dt.timedelta(seconds=delay),
        updated_at=now,
    )
    await queue_delivery(notification.id, countdown=delay, priority=notification.priority)
    return NotificationStatus.FAILED


async def release_stuck(now: dt.datetime) -> int:
    """Rows a dead worker left in ``sending``: counted as a failed attempt (the message may or
    may not have gone out), tried again now, or dead when out of attempts."""
    stuck = await Notification.filter(
        status=NotificationStatus.SENDING, updated_at__lt=now - STUCK_AFTER
    ).limit(SWEEP_BATCH)
    error = "the worker stopped while sending (the message may have gone out)"
    for row in stuck:
        out_of_attempts = row.attempts + 1 >= row.max_attempts
        await Notification.filter(
            id=row.id, status=NotificationStatus.SENDING, updated_at__lt=now - STUCK_AFTER
        ).update(
            status=NotificationStatus.DEAD if out_of_attempts else NotificationStatus.FAILED,
            attempts=F("attempts") + 1,
            last_error=error,
            next_attempt_at=None if out_of_attempts else now,
            updated_at=now,
        )
    return len(stuck)


async def due_ids(now: dt.datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Rows waiting to be (re)sent whose queue message should have run by now: high priority
    first, then normal, then low; the longest waiting first within each."""
    due_before = now - SWEEP_GRACE
    ids: list[int] = []
    for priority in (Priority.HIGH, Priority.NORMAL, Priority.LOW):
        ids += await column_values(
            Notification.filter(status__in=RETRYABLE, priority=priority)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=due_before))
            .order_by("next_attempt_at", "id")
            .limit(limit - len(ids)),
            "id",
        )
        if len(ids) >= limit:
            break
    return ids


async def sweep_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Queue again what is due and was not delivered, high priority first; release rows stuck
    in ``sending``. Safe to run at any time and from several places (claims decide)."""
    now = now or utcnow()
    released = await release_stuck(now)
    queued = refused = 0
    ids = await due_ids(now)
    priorities = dict(await Notification.filter(id__in=ids).values_list("id", "priority")) if ids else {}
    for notification_id in ids:
        if await queue_delivery(notification_id, priority=priorities.get(notification_id, Priority.NORMAL)):
            queued += 1
        else:  # the broker is down: the next sweep tries again
            refused += 1
            break
    return {"requeued": queued, "not_queued": refused, "released": released}
