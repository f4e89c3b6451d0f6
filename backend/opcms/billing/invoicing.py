"""Pricing a customer's month into an invoice draft, and writing it (DESIGN §5, §7).

Rules (docs/billing.md says the same for finance):

- **Which subscriptions**: the customer's live (not soft-deleted) subscriptions whose dates meet
  the period (an Asia/Shanghai calendar month). One invoice line per subscription.
- **Which usage**: ``usage_record`` only holds billable usage — open and rejected anomalies
  never reach it (usage/ingest.py, usage/review.py). A line sums the customer's usage of the
  metric over the days the subscription covers in the period, all sources together. The sum
  runs in SQL, one GROUP BY per chunk of customers.
- **Which terms**: the plan version in force on the first day the subscription covers in the
  period — the period's first day, or the subscription's start when it starts mid-month.
- **Proration**: ``days_active`` = the days covered, ``days_in_period`` = the month's days;
  the engine prorates monthly fee and minimum, never usage.
- **Rounding**: each line is rounded once (the engine, 0.01 half up); total = Σ line amounts;
  discount_amount = Σ line discounts each rounded to 0.01 half up; subtotal = total +
  discount_amount, so subtotal − discount_amount = total exactly.
- **No charge**: a customer with no usage at all and a total of 0.00 gets no invoice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.expressions import Q

from opcms.billing.models import InvoiceLine
from opcms.billing.numbering import INVOICE, next_numbers
from opcms.core.audit import AuditAction, AuditLog, to_json_value
from opcms.core.context import current_actor, current_client_ip, current_request_id
from opcms.core.db import insert_rows, param_mark, sql_date, straight_join, sums_by
from opcms.core.models import column_values, utcnow
from opcms.core.money import CENT, ZERO
from opcms.core.periods import period_bounds
from opcms.customers.models import Customer
from opcms.pricing import engine
from opcms.pricing.models import PricingPlan, PricingPlanVersion, Subscription, UsageMetric
from opcms.pricing.service import mark_billed, terms_of
from opcms.settlement.models import Invoice, InvoiceStatus
from opcms.settlement.rules import status_for

MICRO = Decimal("0.000001")
QUANTUM = Decimal("0.0001")


@dataclass(slots=True)
class LineDraft:
    subscription_id: int
    plan_id: int
    plan_version_id: int
    metric_id: int
    description: str
    mode: str
    service_from: dt.date
    service_to: dt.date
    days_active: int
    days_in_period: int
    price: engine.Price

    def values(self) -> dict[str, Any]:
        """The invoice line's columns: the draft's own fields as they are, then its price."""
        p = self.price
        own = {name: getattr(self, name) for name in LINE_FIELDS}
        return {
            **own,
            "description": self.description[:255],
            "quantity": p.quantity,
            "included_quantity": p.included_quantity,
            "billed_quantity": p.billed_quantity,
            # the engine's figures are exact; the columns keep 6 decimals (only `amount` counts)
            "usage_amount": _micro(p.usage_amount),
            "monthly_fee": _micro(p.monthly_fee),
            "minimum_top_up": _micro(p.minimum_top_up),
            "discount_percent": p.discount_percent,
            "discount": _micro(p.discount),
            "amount": p.amount,
            "breakdown": [line.to_dict() for line in p.breakdown],
        }


LINE_FIELDS = tuple(f.name for f in fields(LineDraft) if f.name != "price")


@dataclass(slots=True)
class InvoiceDraft:
    customer: dict[str, Any]  # id, customer_code, company_name, payment_terms_days, level, industry
    lines: list[LineDraft] = field(default_factory=list)
    currency: str = "CNY"

    @property
    def customer_id(self) -> int:
        customer_id: int = self.customer["id"]
        return customer_id

    @property
    def total(self) -> Decimal:
        return sum((line.price.amount for line in self.lines), ZERO)

    @property
    def discount_amount(self) -> Decimal:
        return sum((line.price.discount.quantize(CENT, rounding=ROUND_HALF_UP) for line in self.lines), ZERO)

    @property
    def no_charge(self) -> bool:
        return self.total == ZERO and all(line.price.quantity == 0 for line in self.lines)

    @property
    def version_ids(self) -> set[int]:
        return {line.plan_version_id for line in self.lines}


def _micro(value: Decimal) -> Decimal:
    return value.quantize(MICRO, rounding=ROUND_HALF_UP)


def _live_in(first: dt.date, last: dt.date) -> Q:
    return Q(effective_from__lte=last) & (Q(effective_to=None) | Q(effective_to__gte=first))


async def billable_customer_ids(period: str, customer_id: int | None = None) -> list[int]:
    """Customers with a live subscription meeting the period, ascending (soft-deleted customers
    included: a customer deleted after using the service still owes the month)."""
    first, last = period_bounds(period)
    qs = Subscription.filter(_live_in(first, last))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    ids = await column_values(qs.distinct(), "customer_id")
    return sorted(set(ids))


async def usage_by_subscription(
    subscriptions: list[dict[str, Any]], first: dt.date, last: dt.date
) -> dict[int, Decimal]:
    """Σ usage per subscription over the days it covers in [first, last]: one GROUP BY."""
    if not subscriptions:
        return {}
    ids = [s["id"] for s in subscriptions]
    mark = param_mark()
    marks = ", ".join([mark] * len(ids))
    # the subscriptions drive the join: each finds its days through usage_record's (customer,
    # metric, day, source) key
    from_where = (
        f"FROM subscription s {straight_join()} usage_record u ON u.customer_id = s.customer_id AND u.metric_id = s.metric_id "
        f"WHERE s.id IN ({marks}) AND u.usage_day >= {mark} AND u.usage_day <= {mark} "
        f"AND u.usage_day >= s.effective_from AND (s.effective_to IS NULL OR u.usage_day <= s.effective_to)"
    )
    return await sums_by("s.id", "u.quantity", from_where, [*ids, sql_date(first), sql_date(last)])


class DraftError(Exception):
    """A customer that cannot be priced (reported as failed, the run goes on)."""


async def draft_invoices(customer_ids: list[int], period: str) -> dict[int, InvoiceDraft | DraftError]:
    """Price the period for each customer: a draft, or the reason it could not be priced."""
    first, last = period_bounds(period)
    days_in_period = (last - first).days + 1
    customers = (
        await Customer.with_deleted()
        .filter(id__in=customer_ids)
        .values("id", "customer_code", "company_name", "payment_terms_days", "level", "industry")
    )
    subscriptions = (
        await Subscription.filter(_live_in(first, last), customer_id__in=customer_ids)
        .order_by("customer_id", "metric_id", "effective_from", "id")
        .values(
            "id", "customer_id", "metric_id", "plan_id", "effective_from", "effective_to", "discount_percent"
        )
    )
    plan_ids = {s["plan_id"] for s in subscriptions}
    plans = {
        p["id"]: p
        for p in await PricingPlan.with_deleted()
        .filter(id__in=plan_ids)
        .values("id", "code", "name", "currency")
    }
    metrics = {
        m["id"]: m
        for m in await UsageMetric.with_deleted()
        .filter(id__in={s["metric_id"] for s in subscriptions})
        .values("id", "code", "name")
    }
    versions: dict[int, list[PricingPlanVersion]] = defaultdict(list)
    for loaded in await PricingPlanVersion.filter(plan_id__in=plan_ids, effective_from__lte=last).order_by(
        "effective_from"
    ):
        versions[loaded.plan_id].append(loaded)
    usage = await usage_by_subscription(subscriptions, first, last)

    compiled: dict[int, engine.CompiledPlan] = {}
    drafts: dict[int, InvoiceDraft | DraftError] = {c["id"]: InvoiceDraft(customer=c) for c in customers}
    for sub in subscriptions:
        draft = drafts.get(sub["customer_id"])
        if not isinstance(draft, InvoiceDraft):
            continue
        service_from = max(first, sub["effective_from"])
        service_to = min(last, sub["effective_to"] or last)
        plan = plans[sub["plan_id"]]
        version = next((v for v in reversed(versions[plan["id"]]) if v.effective_from <= service_from), None)
        if version is None:
            drafts[draft.customer_id] = DraftError(
                f"plan {plan['code']} has no version in force on {service_from}"
            )
            continue
        if draft.lines and plan["currency"] != draft.currency:
            drafts[draft.customer_id] = DraftError(
                f"plans in two currencies ({draft.currency}, {plan['currency']})"
            )
            continue
        draft.currency = plan["currency"]
        if version.id not in compiled:
            compiled[version.id] = engine.compile_plan(terms_of(version))
        days_active = (service_to - service_from).days + 1
        try:
            price = engine.price(
                compiled[version.id],
                usage.get(sub["id"], Decimal(0)).quantize(QUANTUM),
                days_active=days_active,
                days_in_period=days_in_period,
                discount_percent=Decimal(sub["discount_percent"]),
            )
        except (ValueError, ArithmeticError) as error:
            drafts[draft.customer_id] = DraftError(f"subscription {sub['id']}: {error}")
            continue
        metric = metrics[sub["metric_id"]]
        draft.lines.append(
            LineDraft(
                subscription_id=sub["id"],
                plan_id=plan["id"],
                plan_version_id=version.id,
                metric_id=sub["metric_id"],
                description=f"{metric['name']} · {plan['name']} v{version.version}",
                mode=version.mode,
                service_from=service_from,
                service_to=service_to,
                days_active=days_active,
                days_in_period=days_in_period,
                price=price,
            )
        )
    return drafts


# --- writing ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Column:
    name: str  # the model's field name
    column: str  # its column
    field: Any  # the Tortoise field
    default: Any  # a callable for a callable default, else the value


def _columns() -> list[_Column]:
    """The invoice's columns but its id, with the defaults ``Invoice(...)`` would give them."""
    meta = Invoice._meta
    found = []
    for name, column in meta.fields_db_projection.items():
        field_object = meta.fields_map[name]
        if field_object.pk:
            continue
        default = field_object.default
        if default is None and field_object.has_db_default():
            default = field_object.get_db_default_value()
        found.append(_Column(name, column, field_object, default))
    return found


_INVOICE_COLUMNS: list[_Column] = []


def invoice_values(given: dict[str, Any]) -> dict[str, Any]:
    """Every field of a new invoice as ``Invoice(**given)`` holds it — the given values converted
    as the model converts them, the others at their defaults — without building the model (the
    monthly run writes thousands at once)."""
    if not _INVOICE_COLUMNS:
        _INVOICE_COLUMNS.extend(_columns())
    values: dict[str, Any] = {}
    for column in _INVOICE_COLUMNS:
        if column.name in given:
            value = given[column.name]
            values[column.name] = None if value is None else column.field.to_python_value(value)
        elif callable(column.default):
            values[column.name] = column.default()
        else:
            values[column.name] = column.default
    return values


def invoice_audit_values(values: dict[str, Any]) -> dict[str, Any]:
    """The audit log's image of a new invoice (its ``id`` among ``values``): what
    ``Invoice.audit_values()`` answers for the same row."""
    return {name: to_json_value(values.get(name)) for name in Invoice._audited_field_names()}


async def write_invoice(
    draft: InvoiceDraft,
    period: str,
    issue_date: dt.date,
    *,
    execution_id: int | None = None,
    replaces_id: int | None = None,
    frozen: set[int] | None = None,
) -> Invoice:
    """Write one invoice and its lines, inside the caller's transaction (see write_invoices)."""
    (invoice_id,) = await write_invoices(
        [draft], period, issue_date, execution_id=execution_id, replaces_id=replaces_id, frozen=frozen
    )
    return await Invoice.get(id=invoice_id)


async def write_invoices(
    drafts: list[InvoiceDraft],
    period: str,
    issue_date: dt.date,
    *,
    execution_id: int | None = None,
    replaces_id: int | None = None,
    frozen: set[int] | None = None,
) -> list[int]:
    """Write invoices with their lines and audit rows in bulk, inside the caller's transaction;
    answers their ids in the order of ``drafts``.

    Statements are multi-row (plain rows: no model object is built for a row only written) and
    the numbers are taken under one lock of the month's sequence, as late as possible, so
    writers queue on it only briefly. Raises IntegrityError when a customer already has a live
    invoice for the period (the database's unique (customer, live_period) key): the caller's
    transaction then writes nothing at all."""
    versions = set().union(*(d.version_ids for d in drafts)) - (frozen or set())
    if versions:  # versions first, then the number: one lock order for every writer
        await mark_billed(versions)
    actor = current_actor.get()
    author = actor.name[:64]
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for draft in drafts:
        total, discount = draft.total, draft.discount_amount
        customer = draft.customer
        status = status_for(total, ZERO, ZERO)
        rows.append(
            invoice_values(
                {
                    "customer_id": customer["id"],
                    "period": period,
                    "live_period": period,
                    "issue_date": issue_date,
                    "due_date": issue_date + dt.timedelta(days=customer["payment_terms_days"] or 0),
                    "currency": draft.currency,
                    "customer_code": customer["customer_code"],
                    "company_name": customer["company_name"],
                    "subtotal": total + discount,
                    "discount_amount": discount,
                    "total": total,
                    "outstanding": total,
                    "credited_amount": ZERO,
                    "paid_amount": ZERO,
                    # a 0.00 invoice (usage all within included units) owes nothing: settled at once
                    "status": status,
                    "settled_at": now if status == InvoiceStatus.SETTLED else None,
                    "replaces_id": replaces_id,
                    "execution_id": execution_id,
                    "created_by": author,
                    "updated_by": author,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        )
    # everything that needs no number is built before the sequence's lock is taken: the lock is
    # held until the caller commits, and the other writers wait for it meanwhile
    stored = [
        {c.column: c.field.to_db_value(row[c.name], Invoice) for c in _INVOICE_COLUMNS if c.name != "number"}
        for row in rows
    ]
    lines = [
        [
            {"invoice_id": None, "position": position, **line.values()}
            for position, line in enumerate(draft.lines, 1)
        ]
        for draft in drafts
    ]
    numbers = await next_numbers(INVOICE, period, len(rows))
    for row, values, number in zip(rows, stored, numbers, strict=True):
        row["number"] = values["number"] = number
    await insert_rows(Invoice, stored)
    ids = dict(await Invoice.filter(number__in=numbers).values_list("number", "id"))
    for row, own_lines in zip(rows, lines, strict=True):
        row["id"] = ids[row["number"]]
        for line in own_lines:
            line["invoice_id"] = row["id"]
    message = "issued by an invoice run" if execution_id else "issued"
    request_id, client_ip = current_request_id.get(), current_client_ip.get()
    # the hot path of the monthly run: multi-row INSERTs; one audit row per invoice, as a save
    # would write it
    await insert_rows(InvoiceLine, [line for own in lines for line in own], json_columns=("breakdown",))
    await insert_rows(
        AuditLog,
        [
            {
                "actor": author,
                "actor_user_id": actor.user_id,
                "action": AuditAction.CREATE.value,
                "entity_type": Invoice.audit_entity,
                "entity_id": str(row["id"]),
                "after": invoice_audit_values(row),
                "message": message,
                "request_id": request_id,
                "client_ip": client_ip,
                "occurred_at": now,
                "before": None,
            }
            for row in rows
        ],
        json_columns=("before", "after"),
    )
    return [row["id"] for row in rows]
