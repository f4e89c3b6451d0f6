"""Pricing use cases: metrics, plans and their dated versions, subscriptions, previews; and
what billing needs from pricing (the version in force on a day, its terms, freezing it).

Versions (DESIGN §5): a plan's terms change by a new version from a date. A version that an
invoice has used (``billed_at``) is frozen, so an issued invoice keeps the terms it was priced
with: a new version must start after the last billed one. A version that no invoice has used
yet is edited in place when new terms are given for its very date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from opcms.core.errors import Conflict, ValidationFailed
from opcms.core.i18n import Message
from opcms.core.models import column_values, get_or_404, utcnow
from opcms.core.schemas import patch_changes
from opcms.core.settings import business_today
from opcms.customers.models import Customer
from opcms.pricing import engine
from opcms.pricing.models import PricingPlan, PricingPlanVersion, Subscription, UsageMetric
from opcms.pricing.plan import PlanTerms
from opcms.pricing.schemas import (
    PlanCreate,
    PlanUpdate,
    PreviewRequest,
    SubscriptionCreate,
    SubscriptionUpdate,
    UsageMetricCreate,
    UsageMetricUpdate,
    VersionCreate,
    plan_terms_values,
)


# --- usage metrics ------------------------------------------------------------------------------
async def get_metric(metric_id: int) -> UsageMetric:
    return await get_or_404(UsageMetric, metric_id, "usage_metric")


async def create_metric(data: UsageMetricCreate) -> UsageMetric:
    # codes are unique among all rows (the column is), deleted ones included: a deleted
    # metric keeps its code, and the conflict names it (restore it, docs/deleted-records.md)
    holder = await UsageMetric.with_deleted().filter(code=data.code).first()
    if holder is not None:
        raise _metric_taken(data.code, holder)
    try:
        return await UsageMetric.create(**data.model_dump())
    except IntegrityError:
        raise _metric_taken(data.code) from None


def _held_by(holder: UsageMetric | PricingPlan | None, entity: str) -> str:
    """The " by deleted plan 3" of a conflict: the deleted row keeping a code, to restore instead."""
    return f" by deleted {entity} {holder.id}" if holder is not None and holder.is_deleted else ""


def _taken(kind: str, code: str, holder: UsageMetric | PricingPlan | None) -> dict[str, Any]:
    """The catalog's key and params of a taken code: ``<kind>_duplicate`` (``_deleted`` when a
    deleted row holds it, to restore instead)."""
    deleted = holder is not None and holder.is_deleted
    params = {"code": code, **({"id": holder.id} if deleted and holder is not None else {})}
    suffix = "_deleted" if deleted else ""
    return {
        "key": f"{kind}_duplicate{suffix}",
        "params": params,
        "detail": {"code": f"code_taken{suffix}", "params": params},
    }


def _metric_taken(code: str, holder: UsageMetric | None = None) -> Conflict:
    where = _held_by(holder, "metric")
    taken = _taken("usage_metric", code, holder)
    return Conflict(
        f"metric code {code!r} is taken{where}",
        code="usage_metric_duplicate",
        key=taken["key"],
        params=taken["params"],
        details=[{"field": "code", "message": f"{code!r} is taken{where}", **taken["detail"]}],
    )


async def update_metric(metric_id: int, data: UsageMetricUpdate) -> UsageMetric:
    metric = await get_metric(metric_id)
    changes = patch_changes(data)
    metric.update_from_dict(changes)
    await metric.save()
    return metric


async def active_metric(code: str, field: str = "metric") -> UsageMetric:
    metric = await UsageMetric.get_or_none(code=code)
    if metric is None:
        raise ValidationFailed.field(
            field, f"no metric {code!r}", code="metric_unknown", params={"code": code}
        )
    if not metric.is_active:
        raise ValidationFailed.field(
            field, f"metric {code!r} is retired (inactive)", code="metric_retired", params={"code": code}
        )
    return metric


# --- plans --------------------------------------------------------------------------------------
async def get_plan(plan_id: int) -> PricingPlan:
    """A live plan with its metric (a deleted plan is a 404: nothing reads it by id)."""
    return await get_or_404(PricingPlan.all().select_related("metric"), plan_id, "pricing_plan")


def _plan_taken(code: str, holder: PricingPlan | None = None) -> Conflict:
    where = _held_by(holder, "plan")
    taken = _taken("pricing_plan", code, holder)
    return Conflict(
        f"plan code {code!r} is taken{where}",
        code="pricing_plan_duplicate",
        key=taken["key"],
        params=taken["params"],
        details=[{"field": "code", "message": f"{code!r} is taken{where}", **taken["detail"]}],
    )


async def create_plan(data: PlanCreate) -> PricingPlan:
    """The plan and its version 1, from ``effective_from`` (default today)."""
    metric = await active_metric(data.metric)
    # a deleted plan keeps its code too (docs/deleted-records.md)
    holder = await PricingPlan.with_deleted().filter(code=data.code).first()
    if holder is not None:
        raise _plan_taken(data.code, holder)
    try:
        async with in_transaction():
            plan = await PricingPlan.create(
                code=data.code, name=data.name, description=data.description, metric=metric
            )
            await PricingPlanVersion.create(
                plan=plan,
                version=1,
                effective_from=data.effective_from or business_today(),
                **plan_terms_values(data),
            )
    except IntegrityError:
        raise _plan_taken(data.code) from None
    return await get_plan(plan.id)


async def update_plan(plan_id: int, data: PlanUpdate) -> PricingPlan:
    plan = await get_plan(plan_id)
    changes = patch_changes(data)
    plan.update_from_dict(changes)
    await plan.save()
    return plan


def _live_on(day: dt.date) -> Q:
    """Subscriptions not ended before ``day``."""
    return Q(effective_to=None) | Q(effective_to__gte=day)


async def delete_plan(plan_id: int, reason: str = "") -> PricingPlan:
    """Soft-delete a plan no current or future subscription uses (ended ones keep their history)."""
    plan = await get_plan(plan_id)
    in_use = await Subscription.filter(_live_on(business_today()), plan_id=plan.id).order_by("id").limit(20)
    if in_use:
        raise Conflict(
            f"plan {plan.code} is used by {len(in_use)} current or future subscription(s); end them first",
            code="pricing_plan_in_use",
            params={"code": plan.code, "count": len(in_use)},
            details=[
                {
                    "field": "subscription_id",
                    "message": f"subscription {s.id} uses this plan",
                    "code": "subscription_uses_plan",
                    "params": {"id": s.id},
                }
                for s in in_use
            ],
        )
    await plan.soft_delete(reason)
    return plan


# --- versions -----------------------------------------------------------------------------------
async def add_version(plan_id: int, data: VersionCreate) -> tuple[PricingPlanVersion, bool]:
    """New terms from a date: a new version, or the unbilled version of that date edited in
    place. Returns the version and whether it was created (False: edited)."""
    day = data.effective_from or business_today()
    values = plan_terms_values(data)
    try:
        async with in_transaction():
            # the plan row is locked first: versions of one plan are numbered one writer at a time
            plan = await _locked_plan(plan_id)
            metric_code = await column_values(UsageMetric.with_deleted().filter(id=plan.metric_id), "code")
            if data.metric is not None and data.metric != metric_code[0]:
                raise ValidationFailed.field(
                    "metric",
                    f"plan {plan.code} prices {metric_code[0]!r}; a plan's metric cannot change",
                    code="plan_metric_fixed",
                    params={"code": plan.code, "metric": metric_code[0]},
                )
            versions = await PricingPlanVersion.filter(plan_id=plan.id).order_by("effective_from")
            billed = [v for v in versions if v.billed_at is not None]
            same_day = next((v for v in versions if v.effective_from == day), None)
            if same_day is not None and same_day.billed_at is not None:
                raise _billed(
                    Message(
                        "version_billed",
                        {"version": same_day.version},
                        f"version {same_day.version} was billed; give a later effective_from",
                    )
                )
            if billed and day <= billed[-1].effective_from:
                last = billed[-1]
                raise _billed(
                    Message(
                        "version_billed_after",
                        {"version": last.version, "from": last.effective_from},
                        f"version {last.version} (from {last.effective_from}) was billed; "
                        f"a new version must start after {last.effective_from}",
                    )
                )
            if same_day is not None:
                same_day.update_from_dict(values)
                await same_day.save(audit_message="terms edited before any invoice used them")
                return same_day, False
            number = max((v.version for v in versions), default=0) + 1
            version = await PricingPlanVersion.create(plan=plan, version=number, effective_from=day, **values)
            return version, True
    except IntegrityError:
        # only a writer that bypassed the plan lock can get here
        raise Conflict(
            "another change to this plan's versions came first; retry", code="version_conflict"
        ) from None


def _billed(message: Message) -> Conflict:
    return Conflict(
        message,
        code="version_billed",
        details=[{"field": "effective_from", "message": message}],
    )


async def _locked_plan(plan_id: int) -> PricingPlan:
    return await get_or_404(PricingPlan.all().select_for_update(), plan_id, "pricing_plan")


async def version_in_force(plan_id: int, day: dt.date) -> PricingPlanVersion | None:
    """The version that prices ``day``: the latest one starting on or before it (a soft-deleted
    plan still answers, so past periods can be billed again)."""
    return (
        await PricingPlanVersion.filter(plan_id=plan_id, effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )


TERM_FIELDS = tuple(PlanTerms.model_fields)


def terms_of(version: PricingPlanVersion) -> PlanTerms:
    """The stored terms of a version as the engine takes them."""
    return PlanTerms.model_validate({name: getattr(version, name) for name in TERM_FIELDS})


async def mark_billed(version_ids: Iterable[int]) -> int:
    """Freeze versions an invoice has used (those not frozen yet); returns how many were.

    Call it inside the invoice's transaction: a rolled-back invoice leaves them unfrozen."""
    ids = sorted(set(version_ids))
    if not ids:
        return 0
    now = utcnow()
    versions = await PricingPlanVersion.filter(id__in=ids, billed_at=None).order_by("id")
    for version in versions:
        version.billed_at = now
        await version.save(update_fields=["billed_at"], audit_message="used by an invoice: frozen")
    return len(versions)


# --- subscriptions ------------------------------------------------------------------------------
async def get_subscription(subscription_id: int) -> Subscription:
    return await get_or_404(Subscription, subscription_id, "subscription")


async def _locked_customer(customer_id: int, *, include_deleted: bool = False) -> Customer:
    """The (live) customer, its row locked: one subscription writer per customer at a time
    (MySQL/MariaDB: SELECT … FOR UPDATE; SQLite runs one write transaction at a time)."""
    source = Customer.with_deleted() if include_deleted else Customer.all()
    return await get_or_404(source.select_for_update(), customer_id, "customer")


async def _check_no_overlap(
    customer_id: int, metric_id: int, start: dt.date, end: dt.date | None, exclude_id: int | None = None
) -> None:
    """409 naming the subscription whose dates meet [start, end] (open ends are infinite)."""
    clashes = Subscription.filter(_live_on(start), customer_id=customer_id, metric_id=metric_id)
    if end is not None:
        clashes = clashes.filter(effective_from__lte=end)
    if exclude_id is not None:
        clashes = clashes.exclude(id=exclude_id)
    existing = await clashes.order_by("effective_from").first()
    if existing is not None:
        until = existing.effective_to.isoformat() if existing.effective_to else "open-ended"
        message = Message(
            "subscription_overlap" if existing.effective_to else "subscription_overlap_open",
            {"id": existing.id, "from": existing.effective_from, "to": existing.effective_to or ""},
            f"subscription {existing.id} ({existing.effective_from.isoformat()} to {until}) already covers "
            f"this metric for the customer in that period",
        )
        raise Conflict(
            message,
            code="subscription_overlap",
            details=[{"field": "effective_from", "message": message}],
        )


async def create_subscription(data: SubscriptionCreate) -> Subscription:
    plan = await get_plan(data.plan_id)
    if not plan.metric.is_active:
        raise ValidationFailed.field(
            "plan_id",
            f"metric {plan.metric.code!r} of plan {plan.code} is retired",
            code="plan_metric_retired",
            params={"metric": plan.metric.code, "code": plan.code},
        )
    first = await PricingPlanVersion.filter(plan_id=plan.id).order_by("effective_from").first()
    if first is None or first.effective_from > data.effective_from:
        starts = first.effective_from.isoformat() if first else "never"
        raise ValidationFailed.field(
            "effective_from",
            f"plan {plan.code} has no version in force on {data.effective_from} (it starts {starts})",
            code="plan_not_in_force_yet" if first else "plan_never_in_force",
            params={
                "code": plan.code,
                "day": data.effective_from,
                "starts": first.effective_from if first else "",
            },
        )
    async with in_transaction():
        # the lock comes first: every read after it sees what earlier writers committed
        await _locked_customer(data.customer_id)
        await _check_no_overlap(data.customer_id, plan.metric_id, data.effective_from, data.effective_to)
        # the metric is the plan's: a subscription prices one metric with one plan
        subscription = await Subscription.create(**data.model_dump(), metric_id=plan.metric_id)
    return subscription


async def update_subscription(subscription_id: int, data: SubscriptionUpdate) -> Subscription:
    changes = patch_changes(data)
    current = await get_subscription(subscription_id)
    async with in_transaction():
        # a deleted customer's subscription can still be ended (it can take no new one)
        customer = await _locked_customer(current.customer_id, include_deleted=True)
        subscription = await get_subscription(subscription_id)  # re-read under the lock
        if "effective_to" in changes:
            end = changes["effective_to"]
            if end is not None and end < subscription.effective_from:
                raise ValidationFailed.field(
                    "effective_to",
                    "must not be before effective_from",
                    code="not_before",
                    params={"other": "effective_from"},
                )
            longer = end is None or (
                subscription.effective_to is not None and end > subscription.effective_to
            )
            if longer:
                gone = "customer" if customer.is_deleted else None
                if gone is None and not await PricingPlan.filter(id=subscription.plan_id).exists():
                    gone = "plan"
                if gone:
                    raise Conflict(
                        f"the {gone} was deleted; the subscription can be ended but not extended",
                        code=f"{'pricing_plan' if gone == 'plan' else 'customer'}_deleted",
                        key=f"subscription_{gone}_deleted",
                        details=[
                            {
                                "field": "effective_to",
                                "message": f"the {gone} was deleted",
                                "code": f"{gone}_was_deleted",
                            }
                        ],
                    )
                await _check_no_overlap(
                    subscription.customer_id,
                    subscription.metric_id,
                    subscription.effective_from,
                    end,
                    exclude_id=subscription.id,
                )
        subscription.update_from_dict(changes)
        await subscription.save()
    return subscription


async def delete_subscription(subscription_id: int, reason: str = "") -> Subscription:
    subscription = await get_subscription(subscription_id)
    await subscription.soft_delete(reason)
    return subscription


async def check_subscription_restorable(subscription: Subscription) -> None:
    """Before a deleted subscription comes back (the deleted records page, in its transaction):
    the customer's row locked as for a create, and no live subscription of the same customer
    and metric covers its dates since (409 subscription_overlap naming that one)."""
    await _locked_customer(subscription.customer_id, include_deleted=True)
    await _check_no_overlap(
        subscription.customer_id,
        subscription.metric_id,
        subscription.effective_from,
        subscription.effective_to,
        exclude_id=subscription.id,
    )


# --- compiled terms and the preview ----------------------------------------------------------------
# A version's terms compiled for the engine, by version id, with the version's updated_at: the
# one way a version's terms change is an in-place edit of an unbilled version (add_version, on
# its own date), which saves the row and so moves updated_at (microseconds); a billed version
# never changes. An entry whose updated_at no longer matches the row read is compiled again and
# replaced, so a draft edited in place is never priced with its old terms. Bounded: past the
# limit the oldest entry goes (versions are few; the bound only guards a long-lived process).
COMPILED_LIMIT = 4096
_compiled: dict[int, tuple[dt.datetime, engine.CompiledPlan]] = {}


def compiled_terms(version: PricingPlanVersion) -> engine.CompiledPlan:
    """The version's terms compiled, once per version and edit (see above)."""
    key = version.id
    stamp = version.updated_at
    entry = _compiled.get(key)
    if entry is not None and entry[0] == stamp:
        return entry[1]
    compiled = engine.compile_plan(terms_of(version))
    if key is not None and stamp is not None:  # a stored row (an unsaved one is not cached)
        if entry is None and len(_compiled) >= COMPILED_LIMIT:
            del _compiled[next(iter(_compiled))]
        _compiled[key] = (stamp, compiled)
    return compiled


def price_preview(
    source: PlanTerms | PricingPlanVersion,
    quantity: Decimal,
    *,
    days_active: int | None = None,
    days_in_period: int | None = None,
    discount_percent: Decimal = Decimal(0),
) -> engine.Price:
    """What a preview prices: a plan document as given (compiled for this call), or a stored
    version through its cached compiled terms. Raises as ``engine.price`` does."""
    if isinstance(source, PricingPlanVersion):
        entry = _compiled.get(source.id)  # compiled_terms(source), its hit inlined
        plan = entry[1] if entry is not None and entry[0] == source.updated_at else compiled_terms(source)
    else:
        plan = engine.compile_plan(source)
    return engine.price_compiled(plan, quantity, days_active, days_in_period, discount_percent)


async def preview(data: PreviewRequest) -> tuple[engine.Price, PricingPlanVersion | None]:
    """Price a quantity; changes nothing."""
    version = None
    source: PlanTerms | PricingPlanVersion
    if data.plan is not None:
        source = data.plan
    else:
        assert data.plan_id is not None  # PreviewRequest holds exactly one of plan and plan_id
        plan = await get_plan(data.plan_id)
        day = data.on or business_today()
        version = await version_in_force(plan.id, day)
        if version is None:
            raise ValidationFailed.field(
                "on",
                f"plan {plan.code} has no version in force on {day}",
                code="plan_not_in_force",
                params={"code": plan.code, "day": day},
            )
        source = version
    try:
        price = price_preview(
            source,
            data.quantity,
            days_active=data.days_active,
            days_in_period=data.days_in_period,
            discount_percent=data.discount_percent or Decimal(0),
        )
    except (ValueError, ArithmeticError) as error:  # the schema checks first; this is a backstop
        raise ValidationFailed(
            f"cannot price this: {error}", key="cannot_price", params={"error": str(error)}
        ) from None
    return price, version
