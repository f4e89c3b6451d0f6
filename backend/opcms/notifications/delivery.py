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
   queued again with that countdown; otherwise (refused for good, or out of attempts on this
   channel) the message **moves on** to the next channel of its route, or is ``dead`` (re-sent
   only by hand) when there is none.

**Failover.** A message's route (``Notification.route``) is its channel followed by its fallback
chain, each with the target for that channel's kind; ``hop`` says which one it is on, and
``attempts``/``max_attempts`` count on that channel. Moving on sets the next hop's channel and
target, ``attempts`` 0 and that channel's ``max_attempts``, ``pending`` due now, and queues it.
A channel that is disabled, deleted, unhealthy by its latest health check, or has no target
for its kind is *passed over* without a try, within the same claim (no queue trip). The last
channel of a route is tried even when unhealthy (the check may be stale); disabled, deleted
or without a target it leaves the message ``dead``. Every try and every channel passed over
is a ``notification_attempt`` row (outcome sent | failed | refused | skipped, and why the
message moved on after it); only the claim's holder writes them, so two workers never both
move a message on, and a sent message is never claimed again.

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
import time
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
    AttemptOutcome,
    ChannelHealth,
    ChannelKind,
    MoveOnReason,
    Notification,
    NotificationAttempt,
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


async def _finish(notification_id: int, **values: Any) -> bool:
    # only the claim's holder moves a row out of `sending`
    return bool(
        await Notification.filter(id=notification_id, status=NotificationStatus.SENDING).update(**values)
    )


async def _record(
    notification: Notification,
    *,
    outcome: AttemptOutcome,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    attempt: int = 0,
    error: str | None = None,
    reference: str | None = None,
    moved_on: MoveOnReason | None = None,
) -> None:
    """One row of the message's history: a try on its current channel, or that channel passed over."""
    await NotificationAttempt.create(
        notification_id=notification.id,
        channel_id=notification.channel_id,
        target=notification.target,
        attempt=attempt,
        hop=notification.hop,
        started_at=started_at,
        finished_at=finished_at,
        outcome=outcome,
        error=error,
        provider_reference=(reference or None) and reference[:128],
        moved_on=moved_on,
    )


def _pass_over(
    notification: Notification, channel: NotificationChannel | None, has_next: bool
) -> tuple[MoveOnReason, str] | None:
    """Why the message's current channel is not even tried, or None when it is tried. An
    unhealthy channel is passed over only when there is a next one: the last channel of a chain
    is tried whatever its latest health check said (the check may be stale; dead is worse)."""
    if channel is None or channel.is_deleted:
        return MoveOnReason.CHANNEL_DELETED, "the channel was deleted"
    if not channel.is_enabled:
        return MoveOnReason.CHANNEL_DISABLED, f"channel {channel.name!r} is disabled"
    if notification.hops()[notification.hop][1] is None:
        return MoveOnReason.NO_TARGET, f"no target was given for a {ChannelKind(channel.kind).value} channel"
    if has_next and channel.health_status == ChannelHealth.UNHEALTHY:
        detail = f": {channel.health_error}" if channel.health_error else ""
        return MoveOnReason.CHANNEL_UNHEALTHY, f"channel {channel.name!r} is unhealthy{detail}"
    return None


async def _next_hop_values(notification: Notification, hop: int) -> dict[str, Any]:
    """The row's fields on hop ``hop`` of its route: that channel and target, no attempts yet."""
    channel_id, target = notification.hops()[hop]
    channel = await NotificationChannel.with_deleted().get_or_none(id=channel_id)
    return {
        "hop": hop,
        "channel_id": channel_id,
        "target": target or "",
        "attempts": 0,
        "max_attempts": channel.max_attempts if channel is not None else 1,
    }


async def _attempt(notification: Notification, channel: NotificationChannel) -> SendResult:
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


def _elapsed(now: dt.datetime, started: float) -> dt.datetime:
    return now + dt.timedelta(seconds=time.monotonic() - started)


async def deliver(notification_id: int, *, now: dt.datetime | None = None) -> NotificationStatus | None:
    """Try to send one notification; answers the status it was left in, or None when there
    was nothing to do (another worker has it, it is sent or dead, or its time has not come)."""
    now = now or utcnow()
    if not await claim(notification_id, now):
        return None
    notification = await Notification.get(id=notification_id)
    hops = notification.hops()

    # channels passed over (disabled, deleted, unhealthy, no target for their kind): each is
    # recorded and the message moves on to the next within this claim, no queue trip
    while True:
        channel = await NotificationChannel.with_deleted().get_or_none(id=notification.channel_id)
        has_next = notification.hop + 1 < len(hops)
        passed_over = _pass_over(notification, channel, has_next)
        if passed_over is None:
            break
        reason, text = passed_over
        await _record(
            notification,
            outcome=AttemptOutcome.SKIPPED,
            started_at=now,
            finished_at=now,
            error=text,
            moved_on=reason if has_next else None,
        )
        if not has_next:
            return await _dead(notification, _last_words(hops, text), now)
        values = await _next_hop_values(notification, notification.hop + 1)
        if not await _finish(notification.id, **values, last_error=text, updated_at=now):
            return None  # the sweeper took it back meanwhile
        notification.update_from_dict(values)
    assert channel is not None

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

    started = time.monotonic()
    result = await _attempt(notification, channel)
    finished_at = _elapsed(now, started)
    attempts = notification.attempts + 1
    if result.ok:
        await _record(
            notification,
            outcome=AttemptOutcome.SENT,
            attempt=attempts,
            started_at=now,
            finished_at=finished_at,
            reference=result.reference,
        )
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
    outcome = AttemptOutcome.FAILED if result.retryable else AttemptOutcome.REFUSED
    if result.retryable and attempts < notification.max_attempts:
        await _record(
            notification,
            outcome=outcome,
            attempt=attempts,
            started_at=now,
            finished_at=finished_at,
            error=error,
        )
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
    # refused for good, or out of attempts on this channel: the next channel, or dead
    gave_up = error if not result.retryable else f"{error} (gave up after {attempts} attempts)"
    has_next = notification.hop + 1 < len(hops)
    moved_on = MoveOnReason.REFUSED if not result.retryable else MoveOnReason.ATTEMPTS_EXHAUSTED
    await _record(
        notification,
        outcome=outcome,
        attempt=attempts,
        started_at=now,
        finished_at=finished_at,
        error=error,
        moved_on=moved_on if has_next else None,
    )
    if not has_next:
        notification.attempts = attempts
        return await _dead(notification, _last_words(hops, gave_up), now)
    await _finish(
        notification.id,
        **await _next_hop_values(notification, notification.hop + 1),
        status=NotificationStatus.PENDING,
        last_error=gave_up,
        next_attempt_at=now,
        updated_at=now,
    )
    log.info("notification %s moves on to the next channel of its chain: %s", notification.id, gave_up)
    await queue_delivery(notification.id, priority=notification.priority)
    return NotificationStatus.PENDING


def _last_words(hops: list[tuple[int, str | None]], error: str) -> str:
    return f"{error} (every channel of the chain tried)" if len(hops) > 1 else error


async def _dead(notification: Notification, reason: str, now: dt.datetime) -> NotificationStatus:
    await _finish(
        notification.id,
        status=NotificationStatus.DEAD,
        attempts=notification.attempts,
        last_error=reason,
        next_attempt_at=None,
        updated_at=now,
    )
    log.warning("notification %s is dead: %s", notification.id, reason)
    return NotificationStatus.DEAD


async def release_stuck(now: dt.datetime) -> int:
    """Rows a dead worker left in ``sending``: counted as a failed attempt (the message may or
    may not have gone out), tried again now — on the next channel of its chain when that was
    the last attempt on this one — or dead when out of attempts and channels."""
    stuck = await Notification.filter(
        status=NotificationStatus.SENDING, updated_at__lt=now - STUCK_AFTER
    ).limit(SWEEP_BATCH)
    error = "the worker stopped while sending (the message may have gone out)"
    for row in stuck:
        out_of_attempts = row.attempts + 1 >= row.max_attempts
        has_next = row.hop + 1 < len(row.hops())
        values: dict[str, Any]
        if out_of_attempts and has_next:
            values = {**await _next_hop_values(row, row.hop + 1), "status": NotificationStatus.PENDING}
        else:
            values = {
                "status": NotificationStatus.DEAD if out_of_attempts else NotificationStatus.FAILED,
                "attempts": F("attempts") + 1,
            }
        released = await Notification.filter(
            id=row.id, status=NotificationStatus.SENDING, updated_at__lt=now - STUCK_AFTER
        ).update(
            **values,
            last_error=error,
            next_attempt_at=None if out_of_attempts and not has_next else now,
            updated_at=now,
        )
        if released:
            await _record(
                row,
                outcome=AttemptOutcome.FAILED,
                attempt=row.attempts + 1,
                started_at=row.updated_at,
                finished_at=now,
                error=error,
                moved_on=MoveOnReason.ATTEMPTS_EXHAUSTED if out_of_attempts and has_next else None,
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
