"""Alert rules: editing them (checked per kind, audited), and evaluating them.

**Evaluation** (:func:`evaluate_rules`, run every minute by Beat's housekeeping; registered in
opcms.wiring). Each enabled rule is first *claimed* with a conditional UPDATE of its
``last_evaluated_at`` from the value read to ``now`` — only if a minute has passed — so of two
Beats (or an evaluation run twice for the same time) one evaluates and the other does nothing.
The claim also gives the window the rule reads events in: [previous evaluation, now), each
window following the last, so a failed execution or a finished pull is seen once.

**Once per quiet period.** For each observation that breaches the threshold, the (rule,
subject) quiet period is taken like a lease (:class:`AlertQuiet`: a conditional UPDATE of a
period that is over, else an INSERT the unique key refuses while another holds it). The one that
takes it records a firing and sends it through the notifications service; any other occurrence
until the period ends is *suppressed*: not sent, no row of its own, counted on the firing it
repeats (``repeats``, ``last_seen_at``). A firing that could not be sent (no usable channel)
is recorded ``failed`` and also holds the period: the next try is after it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from opcms.alerts.conditions import KINDS, Observation, observe
from opcms.alerts.models import AlertFiring, AlertQuiet, AlertRule, ConditionKind, FiringStatus
from opcms.alerts.schemas import PARAMS_BY_KIND, AlertRuleCreate, AlertRuleUpdate
from opcms.core.audit import AuditAction, record_audit
from opcms.core.context import acting_as, system_actor
from opcms.core.errors import AppError, Conflict, ValidationFailed
from opcms.core.http import validation_details
from opcms.core.i18n import ZH, Message, render
from opcms.core.models import ChosenName, get_or_404, utcnow
from opcms.core.retries import retry_on_deadlock
from opcms.core.schemas import patch_changes
from opcms.core.settings import get_settings
from opcms.notifications.delivery import queue_delivery
from opcms.notifications.models import NotificationChannel, NotificationTemplate, Priority
from opcms.notifications.service import send

log = logging.getLogger("opcms.alerts")

#: a rule is evaluated at most this often
EVERY = dt.timedelta(minutes=1)
#: the events a rule's first evaluation looks back on, and the most any evaluation does (a rule
#: enabled again after a month is not told about the whole month)
FIRST_LOOKBACK = dt.timedelta(hours=1)
MAX_LOOKBACK = dt.timedelta(days=1)
#: the largest value a DECIMAL(20,4) holds (a ratio over a tiny average can be larger)
VALUE_MAX = Decimal("9999999999999999.9999")
FIRING_ENTITY = "alert_firing"
ACTOR = "alerts"

RULE_NAME = ChosenName(AlertRule, "name", "alert rule", "rule", "alert_rule_duplicate")


# --- checking a rule ------------------------------------------------------------------------------------
def _threshold_problem(kind: ConditionKind, threshold: Decimal, params: dict[str, Any]) -> Message | None:
    rule = KINDS[kind]
    if rule.threshold_is_whole and threshold != threshold.to_integral_value():
        return Message("alert_threshold_whole", fallback="must be a whole number")
    least = {
        ConditionKind.JOB_FAILED: 1,
        ConditionKind.CHANNEL_FAILING: 1,
        ConditionKind.INVOICE_RUN_FAILED: 1,
    }.get(kind)
    if least is not None and threshold < least:
        return Message("alert_threshold_at_least", {"limit": least}, f"must be at least {least}")
    if kind is ConditionKind.CHANNEL_FAILING and threshold > 100:
        return Message("alert_threshold_at_most", {"limit": 100}, "must be at most 100")
    if kind is ConditionKind.USAGE_VS_AVERAGE:
        if params.get("direction") == "below" and not 0 < threshold < 1:
            return Message("alert_threshold_below_one", fallback="must be between 0 and 1")
        if params.get("direction") == "above" and threshold <= 1:
            return Message("alert_threshold_above_one", fallback="must be greater than 1")
    return None


def check_params(kind: ConditionKind, params: dict[str, Any]) -> dict[str, Any]:
    """The kind's parameters read and completed with their defaults (422 naming
    ``params.<name>``: unknown to the kind, missing or out of bounds)."""
    model: type[BaseModel] = PARAMS_BY_KIND[kind]
    try:
        checked = model.model_validate(params)
    except ValidationError as error:
        details = validation_details(error)
        for detail in details:
            detail["field"] = "params" + (f".{detail['field']}" if detail["field"] else "")
            if detail.get("type") == "extra_forbidden":
                detail["message"] = Message("alert_param_unknown", fallback="is not a parameter of this kind")
        first = details[0]
        raise ValidationFailed(
            f"{first['field']}: {first['message']}",
            key="field_problem",
            params={"field": first["field"], "problem": first["message"]},
            details=details,
        ) from None
    return checked.model_dump(mode="json")


def check_rule(kind: ConditionKind, threshold: Decimal, params: dict[str, Any]) -> dict[str, Any]:
    checked = check_params(kind, params)
    problem = _threshold_problem(kind, threshold, checked)
    if problem is not None:
        raise ValidationFailed.field("threshold", problem)
    return checked


async def _check_channel(channel_id: int | None) -> None:
    if channel_id is not None and not await NotificationChannel.filter(id=channel_id).exists():
        raise ValidationFailed.field(
            "channel_id",
            f"notification channel {channel_id} not found",
            code="alert_channel_not_found",
            params={"id": channel_id},
        )


async def cannot_send(rule: AlertRule) -> tuple[str, dict[str, Any]] | None:
    """Why a firing of ``rule`` could not be sent now — ``("no_channel", {})`` … — or None."""
    template = await NotificationTemplate.get_or_none(code=rule.template_code)
    if template is None:
        return "template_missing", {"code": rule.template_code}
    channel_id = rule.channel_id if rule.channel_id is not None else template.channel_id
    if channel_id is None:
        return "no_channel", {}
    channel = await NotificationChannel.get_or_none(id=channel_id)
    if channel is None:
        return "channel_deleted", {}
    if not channel.is_enabled:
        return "channel_disabled", {"name": channel.name}
    return None


async def _refuse_unsendable(rule: AlertRule) -> None:
    problem = await cannot_send(rule)
    if problem is not None:
        reason = render(f"alert_cannot_send_{problem[0]}", problem[1])
        raise Conflict(
            f"alert rule {rule.name!r} cannot send ({problem[0]})",
            code="alert_rule_cannot_send",
            params={"name": rule.name, "reason": reason},
            details=[{"field": "channel_id", "message": reason, "code": problem[0]}],
        )


# --- editing --------------------------------------------------------------------------------------------
async def get_rule(rule_id: int) -> AlertRule:
    return await get_or_404(AlertRule, rule_id, "alert_rule")


async def create_rule(data: AlertRuleCreate) -> AlertRule:
    params = check_rule(data.kind, data.threshold, data.params)
    await _check_channel(data.channel_id)
    await RULE_NAME.check_free(data.name)
    rule = AlertRule(**data.model_dump(exclude={"params"}), params=params)
    if rule.is_enabled:
        await _refuse_unsendable(rule)
    try:
        await rule.save()
    except IntegrityError:
        raise RULE_NAME.taken(data.name) from None
    return rule


async def update_rule(rule_id: int, data: AlertRuleUpdate) -> AlertRule:
    rule = await get_rule(rule_id)
    changes = patch_changes(data)
    threshold = changes.get("threshold", rule.threshold)
    changes["params"] = check_rule(
        ConditionKind(rule.kind), Decimal(threshold), changes.get("params", rule.params or {})
    )
    if "channel_id" in changes:
        await _check_channel(changes["channel_id"])
    if "name" in changes and changes["name"] != rule.name:
        await RULE_NAME.check_free(changes["name"], other_than=rule.id)
    if rule.is_enabled:  # an enabled rule stays able to send
        probe = AlertRule(
            **{**{k: getattr(rule, k) for k in ("name", "template_code", "channel_id")}, **changes}
        )
        await _refuse_unsendable(probe)
    await RULE_NAME.save_changes(rule, changes)
    return rule


async def set_enabled(rule_id: int, enabled: bool) -> AlertRule:
    """Enable (refused while no usable channel would carry a firing: 409 saying why) or disable."""
    rule = await get_rule(rule_id)
    if enabled:
        await _refuse_unsendable(rule)
    if rule.is_enabled != enabled:
        rule.is_enabled = enabled
        await rule.save(update_fields=["is_enabled"], audit_action=AuditAction.STATUS_CHANGE)
    return rule


async def delete_rule(rule_id: int, reason: str = "") -> AlertRule:
    """Soft-delete a rule: it is no longer evaluated; its firings stay."""
    rule = await get_rule(rule_id)
    await rule.soft_delete(reason)
    return rule


# --- evaluating -----------------------------------------------------------------------------------------
@dataclass
class Evaluation:
    rules: int = 0
    fired: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0

    def add(self, outcome: str) -> None:
        if outcome == "suppressed":
            self.suppressed += 1
            return
        self.fired += 1
        if outcome == "sent":
            self.sent += 1
        else:
            self.failed += 1


async def _claim(rule: AlertRule, now: dt.datetime, *, every: dt.timedelta) -> dt.datetime | None:
    """Move the rule's ``last_evaluated_at`` from the value read to ``now``; the start of the
    window to read when this evaluation won the rule, None when another did (or ran lately)."""
    previous = rule.last_evaluated_at
    if previous is not None and previous > now - every:
        return None
    unchanged = Q(last_evaluated_at__isnull=True) if previous is None else Q(last_evaluated_at=previous)
    won = await AlertRule.filter(Q(id=rule.id, is_enabled=True) & unchanged).update(last_evaluated_at=now)
    if not won:
        return None
    start = previous if previous is not None else now - FIRST_LOOKBACK
    return max(start, now - MAX_LOOKBACK)


async def evaluate_rules(now: dt.datetime | None = None) -> Evaluation:
    """Evaluate every enabled rule a minute or more after its last evaluation (Beat's
    housekeeping, every minute). Re-running it for the same ``now`` does nothing."""
    now = now or utcnow()
    evaluation = Evaluation()
    with acting_as(system_actor(ACTOR)):
        for rule in await AlertRule.filter(is_enabled=True).order_by("id"):
            since = await _claim(rule, now, every=EVERY)
            if since is not None:
                await _evaluate(rule, since, now, evaluation)
    return evaluation


async def evaluate_now(rule_id: int, now: dt.datetime | None = None) -> Evaluation:
    """Evaluate one rule at once (an admin trying it): its events since its last evaluation;
    quiet periods apply as they do to Beat's evaluations. A disabled rule is evaluated too."""
    now = now or utcnow()
    rule = await get_rule(rule_id)
    evaluation = Evaluation()
    previous = rule.last_evaluated_at
    unchanged = Q(last_evaluated_at__isnull=True) if previous is None else Q(last_evaluated_at=previous)
    if previous is not None and previous >= now:
        return evaluation
    if not await AlertRule.filter(Q(id=rule.id) & unchanged).update(last_evaluated_at=now):
        return evaluation  # an evaluation of the rule is under way
    start = max(previous if previous is not None else now - FIRST_LOOKBACK, now - MAX_LOOKBACK)
    with acting_as(system_actor(ACTOR)):
        await _evaluate(rule, start, now, evaluation)
    await record_audit(
        AuditAction.UPDATE,
        rule.audit_entity,
        rule.id,
        message="evaluate now",
        after={"fired": evaluation.fired, "suppressed": evaluation.suppressed},
    )
    return evaluation


async def _evaluate(rule: AlertRule, since: dt.datetime, now: dt.datetime, evaluation: Evaluation) -> None:
    evaluation.rules += 1
    kind = ConditionKind(rule.kind)
    try:
        observations = await observe(kind, Decimal(rule.threshold), rule.params or {}, since=since, until=now)
    except Exception:  # one rule's reader failing must not keep the others from being evaluated
        log.exception("alert rule %s (%s) could not read its condition", rule.name, kind.value)
        # the window was not read: the next evaluation reads it again (unless another moved on)
        await AlertRule.filter(id=rule.id, last_evaluated_at=now).update(
            last_evaluated_at=rule.last_evaluated_at
        )
        return
    for observation in observations:
        try:
            evaluation.add(await _fire(rule, observation, now))
        except Exception:  # busy_retry (another evaluation kept colliding) or the database: the next one
            log.exception("alert rule %s could not fire for %s", rule.name, observation.subject)


def summary_of(
    kind: ConditionKind, value: Decimal, detail: dict[str, Any], language: str | None = None
) -> str:
    """A firing's text, from its kind's catalog entry and the observation's parameters."""
    params = {
        name: ", ".join(str(v) for v in item) if isinstance(item, list) else item
        for name, item in detail.items()
    }
    shown = value.normalize() if value == value.to_integral_value() else value
    params["value"] = f"{shown:f}"
    return render(f"alert_{kind.value}", params, language=language)


async def _take_quiet(rule: AlertRule, subject: str, now: dt.datetime) -> bool:
    until = now + dt.timedelta(minutes=rule.quiet_minutes)
    if await AlertQuiet.filter(rule_id=rule.id, subject=subject, until__lte=now).update(
        until=until, firing_id=None
    ):
        return True
    try:
        await AlertQuiet.create(rule_id=rule.id, subject=subject, until=until)
    except IntegrityError:  # its period is not over (or another evaluation just took it)
        return False
    return True


@retry_on_deadlock
async def _fire(rule: AlertRule, observation: Observation, now: dt.datetime) -> str:
    """Record and send one observation, or count it on the firing it repeats: "sent",
    "failed" or "suppressed"."""
    kind, subject = ConditionKind(rule.kind), observation.subject[:191]
    value = min(observation.value, VALUE_MAX)
    sent_id: int | None = None
    async with in_transaction():
        if not await _take_quiet(rule, subject, now):
            quiet = await AlertQuiet.get_or_none(rule_id=rule.id, subject=subject)
            if quiet is not None and quiet.firing_id is not None:
                await AlertFiring.filter(id=quiet.firing_id).update(
                    repeats=F("repeats") + 1, last_seen_at=now
                )
            return "suppressed"
        detail = observation.params
        text = summary_of(kind, value, detail, ZH)
        firing = await AlertFiring.create(
            rule_id=rule.id,
            kind=kind,
            subject=subject,
            value=value,
            threshold=rule.threshold,
            message=text,
            detail=detail,
            fired_at=now,
            quiet_until=now + dt.timedelta(minutes=rule.quiet_minutes),
            last_seen_at=now,
            status=FiringStatus.FAILED,
        )
        status: FiringStatus = FiringStatus.FAILED
        error: str | None = None
        try:
            channel = await NotificationChannel.get_or_none(id=rule.channel_id) if rule.channel_id else None
            if rule.channel_id and channel is None:
                raise ValueError(render("alert_cannot_send_channel_deleted", {}, language=ZH))
            notification = await send(
                rule.template_code,
                rule.target,
                _variables(rule, kind, subject, value, text, now),
                Priority.HIGH,
                channel=channel.name if channel else None,
                subject=(FIRING_ENTITY, firing.id),
                queue=False,
            )
            status, sent_id = FiringStatus.SENT, notification.id
        except (AppError, ValueError) as refused:  # no channel, disabled, no template, render error
            error = str(refused)[:1000]
        await AlertFiring.filter(id=firing.id).update(
            status=status, error=error, notification_ids=[sent_id] if sent_id else []
        )
        await AlertQuiet.filter(rule_id=rule.id, subject=subject).update(firing_id=firing.id)
        await record_audit(
            AuditAction.CREATE,
            FIRING_ENTITY,
            firing.id,
            after={"rule_id": rule.id, "subject": subject, "value": str(value), "status": status.value},
        )
    if sent_id is not None:  # visible to workers only now, after the commit
        await queue_delivery(sent_id, priority=Priority.HIGH)
    return status.value


def _variables(
    rule: AlertRule, kind: ConditionKind, subject: str, value: Decimal, text: str, now: dt.datetime
) -> dict[str, Any]:
    """What the alert template (``alert.fired``, migration 0019) is rendered with."""
    local = now.astimezone(get_settings().tz)
    return {
        "rule": rule.name,
        "kind": render(f"alert_kind_{kind.value}", {}, language=ZH),
        "subject": subject,
        "value": f"{value.normalize():f}",
        "threshold": f"{Decimal(rule.threshold).normalize():f}",
        "summary": text,
        "fired_at": local.strftime("%Y-%m-%d %H:%M"),
    }
