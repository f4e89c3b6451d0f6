"""Payment use cases: record a payment (once per method and bank reference), assign the
customer of a payment received without one, void a payment entered by mistake.

Allocations and reversals live in ``settlement.allocations``; suggestions in
``payments.suggestions``.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.core.audit import AuditAction
from opcms.core.context import current_actor
from opcms.core.errors import Conflict, ValidationFailed
from opcms.core.i18n import Message
from opcms.core.models import get_or_404, utcnow
from opcms.core.schemas import patch_changes
from opcms.core.settings import business_today
from opcms.core.text import fold
from opcms.customers.models import Customer
from opcms.payments.schemas import PaymentCreate, PaymentUpdate
from opcms.settlement.models import Payment, PaymentMethod, PaymentStatus


def reference_key(bank_reference: str | None) -> str | None:
    """The bank reference as compared: full-width folded, trimmed, case-free; None when blank.

    ``" ab-123 "``, ``"AB-123"`` and ``"ＡＢ－１２３"`` are the same bank line."""
    if bank_reference is None:
        return None
    key = fold(bank_reference).casefold()
    return key[:64] or None


def _duplicate(existing: Payment | None, method: PaymentMethod, bank_reference: str | None) -> Conflict:
    if existing is None:  # only when the other row vanished between the error and the read
        text = Message(
            "payment_reference_exists",
            {"method": method, "reference": bank_reference},
            f"a {method.value} payment with bank reference {bank_reference!r} already exists",
        )
        return Conflict(
            text, code="payment_duplicate", details=[{"field": "bank_reference", "message": text}]
        )
    message = Message(
        "payment_duplicate",
        {
            "id": existing.id,
            "amount": existing.amount,
            "currency": existing.currency,
            "received_on": existing.received_on,
            "method": method,
            "reference": existing.bank_reference,
        },
        f"payment {existing.id} ({existing.amount} {existing.currency}, received {existing.received_on}) "
        f"already has {method.value} bank reference {existing.bank_reference!r}",
    )
    return Conflict(
        message,
        code="payment_duplicate",
        details=[{"field": "bank_reference", "message": message, "payment_id": existing.id}],
    )


async def _with_reference(method: PaymentMethod, key: str) -> Payment | None:
    """The payment holding a bank reference (deleted rows count: the unique index has them).

    A plain read, never a locking one: after losing the unique index this transaction holds a
    shared lock on the winner's index entry, as does every other loser, and a locking read by
    two of them would deadlock. The read sees the winner because it is this transaction's
    first consistent read (MariaDB's snapshot starts there): every check that reads comes
    before the transaction, in :func:`check_new_payment`."""
    return await Payment.with_deleted().filter(method=method, reference_key=key).first()


async def _live_customer(customer_id: int) -> Customer:
    return await get_or_404(Customer, customer_id, "customer")


async def check_new_payment(data: PaymentCreate) -> None:
    """What can be refused before writing: a future date, an unknown customer, a bank
    reference entered before (the usual case; the unique index catches the race)."""
    if data.received_on > business_today():
        raise ValidationFailed.field(
            "received_on",
            f"must not be in the future (today is {business_today()})",
            code="not_in_future",
            params={"today": business_today()},
        )
    if data.customer_id is not None:
        await _live_customer(data.customer_id)
    key = reference_key(data.bank_reference)
    if key is not None and (existing := await _with_reference(data.method, key)) is not None:
        raise _duplicate(existing, data.method, data.bank_reference)


async def insert_payment(data: PaymentCreate) -> Payment:
    """Write a checked payment; 409 naming the payment that won a race for its bank reference."""
    key = reference_key(data.bank_reference)
    try:
        async with in_transaction():
            # every field of the request is a column of the payment, as the request has it
            return await Payment.create(
                **dict(data),
                reference_key=key,
                allocated_amount=0,
                unallocated_amount=data.amount,
                status=PaymentStatus.UNALLOCATED,
            )
    except IntegrityError:
        if key is None:
            raise
        raise _duplicate(await _with_reference(data.method, key), data.method, data.bank_reference) from None


async def create_payment(data: PaymentCreate) -> Payment:
    """Record money received. 409 (naming the payment) when the same method and bank reference
    were entered before."""
    await check_new_payment(data)
    return await insert_payment(data)


async def _locked_payment(payment_id: int) -> Payment:
    # the payment's row lock: an allocation from it waits, or has already committed and is seen
    return await get_or_404(Payment.all().select_for_update(), payment_id, "payment")


def _refuse_if_void(payment: Payment, action: str) -> None:
    if payment.status == PaymentStatus.VOID:
        raise Conflict(
            f"payment {payment.id} was voided on {payment.voided_at:%Y-%m-%d} by {payment.voided_by}: it cannot be {action}",
            code="payment_void",
            key="payment_voided_" + action.split()[0],
            params={
                "id": payment.id,
                "on": payment.voided_at.date() if payment.voided_at else "",
                "by": payment.voided_by,
            },
        )


def _refuse_if_allocated(payment: Payment, action: str, *, field: str | None = None) -> None:
    if payment.allocated_amount > 0:
        message = Message(
            "payment_allocated_" + action.split()[0],
            {"id": payment.id, "amount": payment.allocated_amount},
            f"payment {payment.id} has {payment.allocated_amount} allocated; reverse its allocations before {action}",
        )
        details = [{"field": field, "message": message}] if field else None
        raise Conflict(message, code="payment_allocated", details=details)


async def void_payment(payment_id: int, reason: str) -> Payment:
    """Void a payment entered by mistake (wrong amount, wrong bank line): it stays, marked void
    with who, when and why, holds no money any more, and frees its bank reference so the right
    entry can be recorded. 409 while any of it is allocated (reverse the allocations first)."""
    async with in_transaction():
        payment = await _locked_payment(payment_id)
        _refuse_if_void(payment, "voided again")
        _refuse_if_allocated(payment, "voiding it")
        payment.status = PaymentStatus.VOID
        payment.unallocated_amount = payment.allocated_amount  # 0.00: no credit any more
        payment.reference_key = None
        payment.voided_at = utcnow()
        payment.voided_by = current_actor.get().name[:64]
        payment.void_reason = reason
        await payment.save(
            update_fields=[
                "status",
                "unallocated_amount",
                "reference_key",
                "voided_at",
                "voided_by",
                "void_reason",
            ],
            audit_action=AuditAction.VOID,
            audit_message=reason,
        )
    return payment


async def assign_customer(payment_id: int, data: PaymentUpdate) -> Payment:
    """Say whose a payment is. Allowed while nothing of it is allocated (reversed allocations
    keep their own customer, so a wrongly assigned payment can be reversed and reassigned)."""
    # customer_id is the body's one field and may not be null: given, it is set
    customer = await _live_customer(patch_changes(data)["customer_id"])
    async with in_transaction():
        payment = await _locked_payment(payment_id)
        _refuse_if_void(payment, "assigned")
        _refuse_if_allocated(payment, "changing its customer", field="customer_id")
        if payment.customer_id != customer.id:
            payment.customer_id = customer.id
            await payment.save(update_fields=["customer_id"])
    return payment
