"""Operators review held usage: accept, correct (with a reason) or reject anomalies in bulk.

All or nothing: every anomaly named must be open and actionable, or nothing changes. Accepted
and corrected rows are written to ``usage_record`` (billable from then on) in the same
transaction as the review, which the anomaly's audit rows record.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from opcms.core.context import current_actor
from opcms.core.errors import Conflict, NotFound, ValidationFailed
from opcms.core.models import utcnow
from opcms.core.settings import business_today
from opcms.pricing.models import UsageMetric
from opcms.usage.models import AnomalyKind, AnomalyStatus, CustomerSourceAccount, UsageAnomaly, account_key_of
from opcms.usage.store import CleanUsage, upsert_usage

MAX_BATCH = 500


class ReviewAction(str, enum.Enum):
    ACCEPT = "accept"
    CORRECT = "correct"
    REJECT = "reject"


@dataclass(frozen=True)
class ReviewResult:
    action: ReviewAction
    affected: int
    written: int


async def review(
    ids: list[int], action: ReviewAction, *, quantity: Decimal | None = None, reason: str | None = None
) -> ReviewResult:
    reason = (reason or "").strip() or None
    if action in (ReviewAction.CORRECT, ReviewAction.REJECT) and not reason:
        raise ValidationFailed.field(
            "reason",
            f"a reason is required to {action.value} usage",
            code=f"review_reason_required_{action.value}",
        )
    if action == ReviewAction.CORRECT and quantity is None:
        raise ValidationFailed.field(
            "quantity", "the corrected quantity is required", code="review_quantity_required"
        )
    if action != ReviewAction.CORRECT and quantity is not None:
        raise ValidationFailed.field(
            "quantity", "only a correction takes a quantity", code="review_quantity_refused"
        )
    wanted = list(dict.fromkeys(ids))
    async with in_transaction() as conn:
        anomalies = {
            a.id: a for a in await UsageAnomaly.filter(id__in=wanted).select_for_update().using_db(conn)
        }
        missing = [i for i in wanted if i not in anomalies]
        if missing:
            raise NotFound(
                f"no usage anomaly {', '.join(map(str, missing[:20]))}",
                code="usage_anomaly_not_found",
                key="usage_anomalies_not_found",
                params={"ids": missing[:20]},
            )
        closed = [i for i in wanted if anomalies[i].status != AnomalyStatus.OPEN]
        if closed:
            raise Conflict(
                f"already reviewed: anomal{'y' if len(closed) == 1 else 'ies'} {', '.join(map(str, closed[:20]))}",
                code="usage_anomaly_reviewed",
                params={"ids": closed[:20]},
            )
        records: list[tuple[int, CleanUsage]] = []
        if action != ReviewAction.REJECT:
            known = await _resolvable(list(anomalies.values()))
            records = [
                (anomalies[i].source_id, _billable(anomalies[i], action, quantity, known)) for i in wanted
            ]
        now, actor = utcnow(), current_actor.get().name[:64]
        status = {
            ReviewAction.ACCEPT: AnomalyStatus.ACCEPTED,
            ReviewAction.CORRECT: AnomalyStatus.CORRECTED,
            ReviewAction.REJECT: AnomalyStatus.REJECTED,
        }[action]
        for anomaly_id in wanted:
            anomaly = anomalies[anomaly_id]
            anomaly.status = status
            anomaly.corrected_quantity = quantity if action == ReviewAction.CORRECT else None
            anomaly.resolution_reason = reason
            anomaly.resolved_by, anomaly.resolved_at = actor, now
            await anomaly.save(using_db=conn, audit_message=f"usage anomaly {status.value}")
        written = 0
        for source_id in {s for s, _ in records}:
            written += await upsert_usage(
                [r for s, r in records if s == source_id], source_id=source_id, execution_id=None, conn=conn
            )
    return ReviewResult(action, len(wanted), written)


@dataclass(frozen=True)
class _Known:
    """What the operator may have added since the pull: account mappings and metrics."""

    customers: dict[tuple[int, str], int]  # (source id, account key) → customer id
    metrics: dict[str, int]  # active metric code → id


async def _resolvable(anomalies: list[UsageAnomaly]) -> _Known:
    """One query each for the unknown accounts and metrics of all the anomalies reviewed."""
    accounts = {account_key_of(a.external_account) for a in anomalies if a.customer_id is None}
    codes = {a.metric_code for a in anomalies if a.metric_id is None}
    customers: dict[tuple[int, str], int] = {}
    if accounts:
        rows = await CustomerSourceAccount.filter(
            source_id__in={a.source_id for a in anomalies},
            account_key__in=accounts,
            customer__is_deleted=False,
        ).values_list("source_id", "account_key", "customer_id")
        customers = {(source_id, key): customer_id for source_id, key, customer_id in rows}
    metrics = (
        dict(await UsageMetric.filter(code__in=codes, is_active=True).values_list("code", "id"))
        if codes
        else {}
    )
    return _Known(customers, metrics)


def _known_by_now(found_id: int | None, refusal: str, code: str, params: dict[str, Any]) -> int:
    """The id an anomaly lacked, found since the pull; else a 409 saying what to do first."""
    if found_id is None:
        raise Conflict(refusal, code=code, params=params)
    return found_id


def _billable(
    anomaly: UsageAnomaly, action: ReviewAction, quantity: Decimal | None, known: _Known
) -> CleanUsage:
    """What the reviewed row bills: its customer, metric and day must be known by now."""
    if anomaly.customer_id is None:
        # the operator may have mapped the account since the pull
        anomaly.customer_id = _known_by_now(
            known.customers.get((anomaly.source_id, account_key_of(anomaly.external_account))),
            f"anomaly {anomaly.id}: account {anomaly.external_account!r} is not mapped to a customer; map it first",
            "usage_account_unmapped",
            {"id": anomaly.id, "account": anomaly.external_account},
        )
    if anomaly.metric_id is None:
        anomaly.metric_id = _known_by_now(
            known.metrics.get(anomaly.metric_code),
            f"anomaly {anomaly.id}: no active metric {anomaly.metric_code!r}; create it first",
            "usage_metric_unknown",
            {"id": anomaly.id, "metric": anomaly.metric_code},
        )
    if anomaly.usage_day is None:
        raise ValidationFailed.field(
            "ids",
            f"anomaly {anomaly.id}: day {anomaly.raw_day!r} is not a date; reject it",
            code="anomaly_day_not_date",
            params={"id": anomaly.id, "day": anomaly.raw_day},
        )
    if anomaly.usage_day > business_today():
        raise ValidationFailed.field(
            "ids",
            f"anomaly {anomaly.id}: {anomaly.usage_day} has not happened yet; reject it",
            code="anomaly_day_in_future",
            params={"id": anomaly.id, "day": anomaly.usage_day},
        )
    if action == ReviewAction.CORRECT:
        assert quantity is not None
        billed = quantity
    elif (
        anomaly.kind in (AnomalyKind.INVALID_QUANTITY, AnomalyKind.NEGATIVE_QUANTITY)
        or anomaly.quantity is None
    ):
        raise ValidationFailed.field(
            "action",
            f"anomaly {anomaly.id}: quantity {anomaly.raw_quantity!r} cannot be billed as it is; correct or reject it",
            code="anomaly_quantity_unbillable",
            params={"id": anomaly.id, "quantity": anomaly.raw_quantity},
        )
    else:
        billed = anomaly.quantity
    return CleanUsage(anomaly.customer_id, anomaly.metric_id, anomaly.usage_day, billed, anomaly.id)
