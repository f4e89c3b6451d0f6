"""Reading alert rules (with why one could not send now) and their firings, filtered and paged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from opcms.alerts.models import AlertFiring, AlertRule, ConditionKind
from opcms.alerts.schemas import (
    FIRING_SORTABLE,
    RULE_SORTABLE,
    AlertFiringPublic,
    AlertFiringQuery,
    AlertRulePublic,
    AlertRuleQuery,
)
from opcms.alerts.service import cannot_send, summary_of
from opcms.core.models import get_or_404
from opcms.core.pagination import paginate, where_given
from opcms.core.schemas import answer
from opcms.notifications.models import NotificationChannel

#: thresholds and values are answered with the four decimals they are stored with ("50.0000")
PLACES = Decimal("0.0001")


async def describe_rule(rule: AlertRule, names: dict[int, str] | None = None) -> AlertRulePublic:
    if names is None:
        names = await _channel_names({rule.channel_id})
    problem = await cannot_send(rule)
    return answer(
        AlertRulePublic,
        rule,
        params=dict(rule.params or {}),
        threshold=Decimal(rule.threshold).quantize(PLACES),
        channel_name=names.get(rule.channel_id) if rule.channel_id else None,
        cannot_send=problem[0] if problem else None,
    )


async def _channel_names(ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(await NotificationChannel.with_deleted().filter(id__in=wanted).values_list("id", "name"))


async def list_rules(query: AlertRuleQuery) -> dict[str, Any]:
    qs = where_given(AlertRule.all(), query, "kind", "is_enabled", name__icontains="q")
    page = await paginate(qs, query, sortable=RULE_SORTABLE, default_sort="name")
    names = await _channel_names({rule.channel_id for rule in page["items"]})
    page["items"] = [await describe_rule(rule, names) for rule in page["items"]]
    return page


def firing_public(firing: AlertFiring, rule_names: dict[int, str]) -> AlertFiringPublic:
    kind = ConditionKind(firing.kind)
    return answer(
        AlertFiringPublic,
        firing,
        rule_name=rule_names.get(firing.rule_id),
        value=Decimal(firing.value).quantize(PLACES),
        threshold=Decimal(firing.threshold).quantize(PLACES),
        summary=summary_of(kind, Decimal(firing.value), dict(firing.detail or {})),
        notification_ids=list(firing.notification_ids or []),
        detail=dict(firing.detail or {}),
    )


async def list_firings(query: AlertFiringQuery) -> dict[str, Any]:
    qs = where_given(
        AlertFiring.all(),
        query,
        "rule_id",
        "kind",
        "status",
        "subject",
        fired_at__gte="fired_from",
        fired_at__lt="fired_to",
    )
    page = await paginate(qs, query, sortable=FIRING_SORTABLE, default_sort="-id")
    rule_ids = list({firing.rule_id for firing in page["items"]})
    names = (
        dict(await AlertRule.with_deleted().filter(id__in=rule_ids).values_list("id", "name"))
        if rule_ids
        else {}
    )
    page["items"] = [firing_public(firing, names) for firing in page["items"]]
    return page


async def get_firing(firing_id: int) -> AlertFiringPublic:
    firing = await get_or_404(AlertFiring, firing_id, "alert_firing")
    names = dict(await AlertRule.with_deleted().filter(id=firing.rule_id).values_list("id", "name"))
    return firing_public(firing, names)
