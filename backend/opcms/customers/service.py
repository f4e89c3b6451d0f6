"""Customer use cases: create, update, status moves, owners, batch actions, delete, restore."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.auth.models import User
from opcms.core.audit import AuditAction, AuditLog, record_audit
from opcms.core.context import current_actor
from opcms.core.errors import Conflict, NotFound, ValidationFailed
from opcms.core.i18n import Message
from opcms.core.models import get_or_404
from opcms.core.schemas import patch_changes
from opcms.customers import dictionaries
from opcms.customers.models import (
    Customer,
    CustomerStatus,
    CustomerStatusHistory,
    DictionaryKind,
    code_key,
    name_key,
)
from opcms.customers.schemas import BatchAction, CustomerCreate, CustomerUpdate
from opcms.customers.status import can_move

AUDIT_TRAIL_LIMIT = 100


async def get_customer(customer_id: int, *, include_deleted: bool = False) -> Customer:
    source = Customer.with_deleted() if include_deleted else Customer.all()
    return await get_or_404(source.select_related("owner"), customer_id, "customer")


@dataclass(frozen=True)
class CustomerRecord:
    """A customer with its status history and the newest entries of its audit trail."""

    customer: Customer
    status_history: list[CustomerStatusHistory]
    audit_trail: list[AuditLog]


async def get_detail(customer_id: int, *, include_deleted: bool = False) -> CustomerRecord:
    customer = await get_customer(customer_id, include_deleted=include_deleted)
    history = await CustomerStatusHistory.filter(customer_id=customer.id).order_by("id")
    trail = (
        await AuditLog.filter(entity_type="customer", entity_id=str(customer.id))
        .order_by("-id")
        .limit(AUDIT_TRAIL_LIMIT)
    )
    return CustomerRecord(customer, list(history), list(trail))


# --- checks shared by create, update and the batch ---------------------------------------------
async def resolve_dictionary_fields(values: dict[str, Any]) -> None:
    """Replace industry/level labels or synonyms with their codes (422 naming the field)."""
    fields = {"industry": DictionaryKind.INDUSTRY, "level": DictionaryKind.LEVEL}
    present = [field for field in fields if values.get(field) is not None]
    if not present:
        return
    loaded = await dictionaries.load_all()  # one query for both dictionaries
    for field in present:
        try:
            values[field] = loaded[fields[field]].resolve(values[field])
        except ValueError as error:
            raise ValidationFailed.field(field, error) from None


async def check_owner(owner_id: int | None, field: str = "owner_id") -> None:
    if owner_id is not None and not await User.filter(id=owner_id, is_active=True).exists():
        raise ValidationFailed.field(
            field, f"no active user with id {owner_id}", code="owner_not_active", params={"id": owner_id}
        )


async def check_unique(code: str | None, company_name: str | None, exclude_id: int | None = None) -> None:
    """409 naming the field when a live customer already has this code or (folded) name."""
    checks = [
        ("customer_code", "customer code", code, {"code_key": code_key(code)} if code is not None else None),
        (
            "company_name",
            "company name",
            company_name,
            {"name_key": name_key(company_name)} if company_name is not None else None,
        ),
    ]
    clashes: list[dict[str, Any]] = []
    for field, label, value, key in checks:
        if key is None:
            continue
        taken = Customer.filter(**key).exclude(id=exclude_id) if exclude_id else Customer.filter(**key)
        if await taken.exists():
            clashes.append(
                {
                    "field": field,
                    "message": Message(f"{field}_taken", {"value": value}, f"{label} {value!r} is taken"),
                }
            )
    if clashes:
        raise Conflict(clashes[0]["message"], code="customer_duplicate", details=clashes)


def _race_lost(error: IntegrityError) -> Conflict:
    # the unique keys caught what the pre-check could not see (a concurrent write)
    field = "company_name" if "name_key" in str(error) else "customer_code"
    return Conflict(
        f"{field} is taken",
        code="customer_duplicate",
        key=f"{field}_taken_now",
        details=[{"field": field, "message": "taken", "code": "taken"}],
    )


async def _record_status(
    customer: Customer, from_status: str | None, reason: str, cause: str | None = None
) -> None:
    await CustomerStatusHistory.create(
        customer=customer,
        from_status=from_status,
        to_status=CustomerStatus(customer.status).value,
        reason=reason[:255],
        cause=cause,
        actor=current_actor.get().name[:64],
    )


async def _fresh(customer: Customer) -> Customer:
    """Re-read after a write, so related data (the owner's name) is current."""
    return await get_customer(customer.id, include_deleted=True)


# --- use cases ----------------------------------------------------------------------------------
async def create_customer(data: CustomerCreate) -> Customer:
    values = data.model_dump()
    await resolve_dictionary_fields(values)
    await check_owner(values["owner_id"])
    await check_unique(values["customer_code"], values["company_name"])
    try:
        async with in_transaction():
            customer = await Customer.create(**values)
            await _record_status(customer, None, "created")
    except IntegrityError as error:
        raise _race_lost(error) from None
    return await _fresh(customer)


async def update_customer(customer_id: int, data: CustomerUpdate) -> Customer:
    customer = await get_customer(customer_id)
    changes = patch_changes(data)
    await resolve_dictionary_fields(changes)
    if "owner_id" in changes:
        await check_owner(changes["owner_id"])
    signed = changes.get("signed_at", customer.signed_at)
    ends = changes.get("contract_end_at", customer.contract_end_at)
    if signed and ends and ends < signed:
        raise ValidationFailed.field(
            "contract_end_at",
            "must not be before signed_at",
            code="not_before",
            params={"other": "signed_at"},
        )
    await check_unique(changes.get("customer_code"), changes.get("company_name"), exclude_id=customer.id)
    customer.update_from_dict(changes)
    try:
        await customer.save()
    except IntegrityError as error:
        raise _race_lost(error) from None
    return await _fresh(customer)


async def change_status(customer_id: int, target: str, reason: str) -> Customer:
    async with in_transaction():
        customer = (
            await Customer.filter(id=customer_id).select_for_update().first() if customer_id > 0 else None
        )
        if customer is None:
            raise NotFound.entity("customer", customer_id)
        await move_status(customer, CustomerStatus(target), reason)
    return await _fresh(customer)


async def move_status(
    customer: Customer, target: CustomerStatus, reason: str, *, cause: str | None = None
) -> None:
    """Move a (locked) customer along the status machine; ``cause`` marks automatic moves
    (the account automation's ``"overdue"``) in the status history."""
    current = CustomerStatus(customer.status)
    if not can_move(current, target):
        raise Conflict(
            f"cannot move customer {customer.customer_code} from {current.value} to {target.value}",
            code="illegal_status_transition",
            params={"code": customer.customer_code, "from": current, "to": target},
        )
    customer.status = target
    await customer.save(
        update_fields=["status"], audit_action=AuditAction.STATUS_CHANGE, audit_message=reason
    )
    await _record_status(customer, current.value, reason, cause)


async def delete_customer(customer_id: int, reason: str = "") -> Customer:
    customer = await get_customer(customer_id)
    await customer.soft_delete(reason)
    return customer


async def restore_customer(customer_id: int) -> Customer:
    customer = await get_customer(customer_id, include_deleted=True)
    if not customer.is_deleted:
        raise Conflict(
            f"customer {customer_id} is not deleted",
            code="not_deleted",
            key="customer_not_deleted",
            params={"id": customer_id},
        )
    await check_unique(customer.customer_code, customer.company_name, exclude_id=customer.id)
    try:
        await customer.restore()
    except IntegrityError as error:
        raise _race_lost(error) from None
    return await _fresh(customer)


async def run_batch(action: BatchAction) -> int:
    """One action over many customers, all or nothing: any failure changes none of them."""
    ids = list(dict.fromkeys(action.customer_ids))
    level = None
    if action.action == "assign_owner":
        await check_owner(action.owner_id)
    if action.action == "change_level":
        values = {"level": action.level}
        await resolve_dictionary_fields(values)
        level = values["level"]
    async with in_transaction():
        customers = await Customer.filter(id__in=ids).select_for_update().order_by("id")
        missing = sorted(set(ids) - {c.id for c in customers})
        if missing:
            raise ValidationFailed(
                f"{len(missing)} customer(s) not found or deleted: {missing[:20]}",
                key="customers_missing",
                params={"count": len(missing), "ids": missing[:20]},
                details=[
                    {
                        "field": "customer_ids",
                        "message": f"customer {i} not found",
                        "code": "customer_not_found",
                        "params": {"id": i},
                    }
                    for i in missing[:100]
                ],
            )
        for customer in customers:
            if action.action == "assign_owner":
                customer.owner_id = action.owner_id
                await customer.save(update_fields=["owner_id"], audit_message=action.reason)
            elif action.action == "change_level":
                customer.level = level
                await customer.save(update_fields=["level"], audit_message=action.reason)
            elif action.action == "change_status":
                await move_status(customer, CustomerStatus(action.status), action.reason)
            else:
                await customer.soft_delete(action.reason)
        await record_audit(
            f"batch_{action.action}",
            "customer",
            None,
            after={"customer_ids": ids, "owner_id": action.owner_id, "level": level, "status": action.status},
            message=action.reason,
        )
    return len(customers)
