"""The notification service other modules call: ``send``, ``status``, ``resend`` (DESIGN §9).

``send`` renders the template now (a missing variable is a 422 and nothing is stored), picks
the channel (the one named, else the template's default), stores a ``pending`` row and queues
its delivery. Queuing is best effort: with the broker down the row stays ``pending`` and the
sweeper (:func:`opcms.notifications.delivery.sweep_due`, every minute) queues it later, so
``send`` never fails because of the queue. Delivery itself — rate limits, retries with
backoff, dead letters — is :mod:`opcms.notifications.delivery`.

Called inside a caller's transaction, the row becomes visible to workers only at commit: pass
``queue=False`` and call :func:`opcms.notifications.delivery.queue_delivery` after the commit
(a worker that looked earlier would find nothing to claim; the sweeper would send it a minute
later).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opcms.core.audit import AuditAction, record_audit
from opcms.core.context import current_actor
from opcms.core.errors import NotFound, ValidationFailed
from opcms.core.models import get_or_404, utcnow
from opcms.notifications.channels import ChannelConfigError, get_channel_class
from opcms.notifications.delivery import queue_delivery
from opcms.notifications.errors import (
    ChannelUnavailable,
    NotResendable,
    TemplateRenderError,
)
from opcms.notifications.models import (
    ChannelKind,
    Notification,
    NotificationChannel,
    NotificationStatus,
    NotificationTemplate,
    Priority,
)
from opcms.notifications.templates import render
from opcms.notifications.variables import typed_values

__all__ = [
    "ChannelUnavailable",
    "Prepared",
    "TemplateRenderError",
    "prepare",
    "resend",
    "send",
    "status",
    "usable_targets",
]

AUDIT_ENTITY = "notification"
TARGET_MAX = 255
#: channels a send may name after its first one
MAX_FALLBACK = 5


# Within :func:`lookups_once` the templates and channels read by ``send`` are kept: None = read
# them each time (the default: an admin's change applies to the very next message).
_lookups: ContextVar[dict[tuple[str, Any], Any] | None] = ContextVar("notification_lookups", default=None)


@contextmanager
def lookups_once() -> Iterator[None]:
    """For a job sending many messages: each template and channel is read once in the block,
    not twice per message (a change an admin makes meanwhile applies from the next run)."""
    token = _lookups.set({})
    try:
        yield
    finally:
        _lookups.reset(token)


async def _lookup(model: Any, **key: Any) -> Any:
    cache = _lookups.get()
    if cache is None:
        return await model.get_or_none(**key)
    cache_key = (model.__name__, *key.items())
    if cache_key not in cache:
        cache[cache_key] = await model.get_or_none(**key)
    return cache[cache_key]


async def _template(code: str) -> NotificationTemplate:
    template = await _lookup(NotificationTemplate, code=code)
    if template is None:
        raise NotFound(
            f"notification template {code!r} not found",
            code="notification_template_not_found",
            key="notification_template_code_not_found",
            params={"code": code},
        )
    return template


async def resolve_channel(
    template: NotificationTemplate, channel: str | None, *, disabled_ok: bool = False
) -> NotificationChannel:
    """The channel a message starts on: the one named, else the template's default; refused
    when disabled, unless ``disabled_ok`` (its fallback chain has an enabled channel: delivery
    passes the disabled one over)."""
    if channel is not None:
        found = await _lookup(NotificationChannel, name=channel)
        if found is None:
            raise ChannelUnavailable(
                f"no notification channel named {channel!r}",
                key="no_channel_named",
                params={"name": channel},
                details=[{"field": "channel", "message": "not found", "code": "not_found"}],
            )
    elif template.channel_id is None:
        raise ChannelUnavailable(
            f"template {template.code!r} has no default channel: name one",
            key="template_without_channel",
            params={"code": template.code},
        )
    else:
        found = await _lookup(NotificationChannel, id=template.channel_id)
        if found is None:
            raise ChannelUnavailable(
                f"the default channel of template {template.code!r} was deleted",
                key="template_channel_deleted",
                params={"code": template.code},
            )
    if not found.is_enabled and not disabled_ok:
        raise ChannelUnavailable(
            f"notification channel {found.name!r} is disabled",
            key="channel_disabled",
            params={"name": found.name},
        )
    return found


def check_target(channel: NotificationChannel, target: str) -> None:
    if len(target) > TARGET_MAX:
        raise ValidationFailed.field(
            "target",
            f"at most {TARGET_MAX} characters",
            code="at_most_characters",
            params={"limit": TARGET_MAX},
        )
    try:
        problem = get_channel_class(channel.kind).check_target(target)
    except ChannelConfigError as error:
        raise ChannelUnavailable(
            f"notification channel {channel.name!r}: {error.message}",
            key="channel_misconfigured",
            params={"name": channel.name, "error": error.message},
        ) from None
    if problem:
        raise ValidationFailed.field("target", problem)


async def _fallback_chain(
    template: NotificationTemplate, primary: NotificationChannel, fallback: Sequence[str] | None
) -> list[NotificationChannel]:
    """The channels after ``primary``: the ones named (by name; 422 for an unknown one, a repeat
    or the primary), else the template's chain without channels deleted since and without the
    primary (a sender naming another channel may name one of the template's chain)."""
    if fallback is None:
        chain = []
        for channel_id in template.fallback_channel_ids or []:
            found = await _lookup(NotificationChannel, id=channel_id)
            if found is not None and found.id != primary.id and found not in chain:
                chain.append(found)
        return chain
    if len(fallback) > MAX_FALLBACK:
        raise ValidationFailed.field(
            "fallback_channels",
            f"at most {MAX_FALLBACK} channels",
            code="fallback_too_long",
            params={"limit": MAX_FALLBACK},
        )
    chain, seen = [], {primary.name}
    for index, name in enumerate(fallback):
        field = f"fallback_channels.{index}"
        if name in seen:
            raise ValidationFailed.field(
                field,
                f"channel {name!r} is already in the chain",
                code="fallback_channel_repeated",
                params={"name": name},
            )
        found = await _lookup(NotificationChannel, name=name)
        if found is None:
            raise ValidationFailed.field(
                field,
                f"no notification channel named {name!r}",
                code="no_channel_named",
                params={"name": name},
            )
        seen.add(name)
        chain.append(found)
    return chain


def _check_targets(targets: dict[str, str]) -> dict[str, str]:
    """The targets by channel kind, each checked as its kind reads targets (422 naming
    ``targets.<kind>``)."""
    checked: dict[str, str] = {}
    for kind, value in targets.items():
        kind = getattr(kind, "value", kind)
        value = (value or "").strip()
        field = f"targets.{kind}"
        try:
            channel_class = get_channel_class(kind)
        except ChannelConfigError:
            raise ValidationFailed.field(
                field, f"unknown channel kind {kind!r}", code="unknown_channel_kind", params={"kind": kind}
            ) from None
        if not value:
            continue
        if len(value) > TARGET_MAX:
            raise ValidationFailed.field(
                field,
                f"at most {TARGET_MAX} characters",
                code="at_most_characters",
                params={"limit": TARGET_MAX},
            )
        problem = channel_class.check_target(value)
        if problem:
            raise ValidationFailed.field(field, problem)
        checked[kind] = value
    return checked


def usable_targets(targets: Mapping[str, str | None]) -> dict[str, str]:
    """The targets (by channel kind) each kind would take, the others left out: for a sender
    passing what a record happens to hold (a contact's phone typed any old way must not stop
    the message from being sent on its own channel)."""
    usable: dict[str, str] = {}
    for kind, value in targets.items():
        value = (value or "").strip()
        try:
            channel_class = get_channel_class(kind)
        except ChannelConfigError:
            continue
        if value and len(value) <= TARGET_MAX and not channel_class.check_target(value):
            usable[kind] = value
    return usable


def _hop_target(
    channel: NotificationChannel, primary: NotificationChannel, target: str, targets: dict[str, str]
) -> str | None:
    """The target of a fallback hop: the one given for its kind, else the primary's when it is
    of the same kind; a group bot needs none; None — no target, the hop is passed over."""
    kind = ChannelKind(channel.kind).value
    if kind == ChannelKind.WECOM_BOT.value:
        return ""
    if kind in targets:
        return targets[kind]
    if kind == ChannelKind(primary.kind).value and target:
        return target
    return None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message rendered and checked, not stored yet: what :func:`send` stores (a job sending
    thousands stores many at once, see the reminders)."""

    template: NotificationTemplate
    channel: NotificationChannel
    target: str
    title: str
    content: str
    priority: Priority
    #: the channels after ``channel``, each with its target (None: none given for its kind)
    fallback: tuple[tuple[NotificationChannel, str | None], ...] = ()

    @property
    def route(self) -> list[list[Any]] | None:
        """The ``notification.route`` column: None when there is no fallback chain."""
        if not self.fallback:
            return None
        return [[self.channel.id, self.target], *([channel.id, target] for channel, target in self.fallback)]

    def values(self, subject: tuple[str, int] | None, created_by: str, now: dt.datetime) -> dict[str, Any]:
        """The ``notification`` row's fields (a ``pending`` message due now)."""
        return {
            "template_code": self.template.code,
            "channel_id": self.channel.id,
            "target": self.target,
            "title": self.title,
            "content": self.content,
            "priority": self.priority,
            "status": NotificationStatus.PENDING,
            "max_attempts": self.channel.max_attempts,
            "next_attempt_at": now,
            "route": self.route,
            "hop": 0,
            "subject_type": subject[0] if subject else None,
            "subject_id": subject[1] if subject else None,
            "created_by": created_by[:64],
        }

    def audit_after(self, subject: tuple[str, int] | None) -> dict[str, Any]:
        """The audit log's image of the stored message."""
        return {
            "template_code": self.template.code,
            "channel": self.channel.name,
            "target": self.target,
            "priority": self.priority.value,
            **(
                {"fallback": [[channel.name, target] for channel, target in self.fallback]}
                if self.fallback
                else {}
            ),
            "subject_type": subject[0] if subject else None,
            "subject_id": subject[1] if subject else None,
        }


async def prepare(
    template_code: str,
    target: str,
    variables: dict[str, Any],
    priority: Priority = Priority.NORMAL,
    *,
    channel: str | None = None,
    typed: bool = False,
    fallback: Sequence[str] | None = None,
    targets: Mapping[str, str] | None = None,
) -> Prepared:
    """Render ``template_code`` with ``variables`` for ``target`` on its channel; raises as
    :func:`send` does, and stores nothing."""
    template = await _template(template_code)
    checked_targets = _check_targets(dict(targets or {}))
    values = dict(variables or {})
    if typed:  # typed by hand (a test message): each value read as its variable's kind
        values = typed_values(template.variables or [], values)
    title, content = render(template.title, template.body, values, template.variables or [])
    chosen = await resolve_channel(template, channel, disabled_ok=True)
    target = (target or "").strip() or checked_targets.get(ChannelKind(chosen.kind).value, "")
    chain = await _fallback_chain(template, chosen, fallback)
    if not chosen.is_enabled and not any(other.is_enabled for other in chain):
        await resolve_channel(template, channel)  # the refusal of a disabled channel, as without a chain
    check_target(chosen, target)
    hops = tuple((other, _hop_target(other, chosen, target, checked_targets)) for other in chain)
    return Prepared(template, chosen, target, title, content, Priority(priority), hops)


async def send(
    template_code: str,
    target: str,
    variables: dict[str, Any],
    priority: Priority = Priority.NORMAL,
    *,
    channel: str | None = None,
    subject: tuple[str, int] | None = None,
    queue: bool = True,
    typed: bool = False,
    fallback: Sequence[str] | None = None,
    targets: Mapping[str, str] | None = None,
) -> Notification:
    """Render ``template_code`` with ``variables`` for ``target`` and queue it; returns the
    ``pending`` row. Raises :class:`TemplateRenderError` (422), :class:`ChannelUnavailable`
    (409), NotFound (no such template) or ValidationFailed (a target the channel cannot use)
    — in every case before anything is stored.

    Failover: ``fallback`` names the channels to continue on, in order, when this one is
    disabled, unhealthy or out of attempts (None: the template's chain; ``[]``: none);
    ``targets`` gives a target per channel kind (``{"email": "a@b.cn", "sms": "138…"}``) for
    the channels of the chain (and for the first one when ``target`` is empty). A channel of
    the chain with no target for its kind is passed over (a group bot needs none). A disabled
    first channel is accepted when the chain has an enabled one."""
    prepared = await prepare(
        template_code,
        target,
        variables,
        priority,
        channel=channel,
        typed=typed,
        fallback=fallback,
        targets=targets,
    )
    notification = await Notification.create(**prepared.values(subject, current_actor.get().name, utcnow()))
    await record_audit(AuditAction.CREATE, AUDIT_ENTITY, notification.id, after=prepared.audit_after(subject))
    if queue:
        await queue_delivery(notification.id, priority=prepared.priority)
    return notification


async def status(notification_id: int) -> Notification:
    """The row as it stands now (status, attempts, last error, sent time)."""
    return await get_or_404(Notification, notification_id, "notification")


def _not_resendable(notification: Notification) -> NotResendable:
    state = NotificationStatus(notification.status).value
    return NotResendable(
        f"notification {notification.id} is {state}: only dead or failed messages are re-sent",
        key="notification_not_resendable",
        params={"id": notification.id, "status": state},
        details=[{"field": "status", "message": state}],
    )


async def resend(notification_id: int) -> Notification:
    """Send a ``dead`` or ``failed`` message again now, with a fresh round of attempts, from
    the first channel of its route again (409 for any other status: it is pending, being sent,
    or sent; 409 too when no channel of its route is enabled)."""
    notification = await status(notification_id)
    resendable = (NotificationStatus.DEAD, NotificationStatus.FAILED)
    if notification.status not in resendable:
        raise _not_resendable(notification)
    hops = notification.hops()
    channels = {
        channel.id: channel for channel in await NotificationChannel.filter(id__in=[c for c, _ in hops])
    }
    primary_id, primary_target = hops[0]
    if not any(channel.is_enabled for channel in channels.values()):
        raise ChannelUnavailable(
            "the notification's channel is deleted or disabled: enable it first",
            key="notification_channel_gone",
        )
    before = {
        "status": notification.status.value,
        "attempts": notification.attempts,
        "last_error": notification.last_error,
        "channel_id": notification.channel_id,
    }
    primary = channels.get(primary_id)
    updated = await Notification.filter(id=notification.id, status__in=resendable).update(
        status=NotificationStatus.PENDING,
        hop=0,
        channel_id=primary_id,
        target=primary_target or "",
        attempts=0,
        max_attempts=primary.max_attempts if primary is not None else 1,
        next_attempt_at=utcnow(),
        updated_at=utcnow(),
    )
    if not updated:  # a worker or another resend got there first
        raise _not_resendable(await status(notification_id))
    await record_audit(
        AuditAction.STATUS_CHANGE,
        AUDIT_ENTITY,
        notification.id,
        before=before,
        after={"status": NotificationStatus.PENDING.value, "attempts": 0, "channel_id": primary_id},
        message="resend",
    )
    await queue_delivery(notification.id, priority=notification.priority)
    return await status(notification_id)
