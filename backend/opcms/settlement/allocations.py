"""Allocation of payments (and credit-note credit) to invoices, reversal, auto-reconcile
(DESIGN §8; docs/payments.md).

Money never exceeds its bounds, even under concurrent requests, because every change happens
in one transaction holding row locks (``SELECT … FOR UPDATE``) taken in one order everywhere:

1. the *source* — the payment or the credit note the money comes from — first,
2. then the invoices, one at a time, in ascending id order,
3. then (reversal only) the allocation row itself.

Two transactions therefore never wait on each other in a circle. A deadlock or lock-wait
timeout that still happens (say, with a writer outside this module) rolls the transaction back
and it is retried whole, a bounded number of times.

SQLite has no row locks (``select_for_update`` is a no-op there), but Tortoise runs one
transaction at a time on its single connection, and every read this module relies on happens
inside the transaction: the checks see what earlier transactions committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from opcms.core.audit import AuditAction
from opcms.core.context import current_actor
from opcms.core.errors import Conflict, NotFound, ValidationFailed
from opcms.core.i18n import Message
from opcms.core.models import get_or_404, utcnow
from opcms.core.money import ZERO
from opcms.core.retries import retry_on_deadlock
from opcms.settlement.models import (
    WITH_MONEY_LEFT,
    Allocation,
    AllocationSource,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
)
from opcms.settlement.rules import OPEN_STATUSES, SETTLEMENT_FIELDS, resettle


# --- sources of money: a payment or a credit note -----------------------------------------------
@dataclass(frozen=True)
class Line:
    invoice_id: int
    amount: Decimal


def _spend(source: Payment | CreditNote, delta: Decimal) -> list[str]:
    """Move ``delta`` from unallocated to allocated (negative: back); the fields to save."""
    source.allocated_amount += delta
    source.unallocated_amount -= delta
    fields = ["allocated_amount", "unallocated_amount"]
    if isinstance(source, Payment):
        if source.allocated_amount <= ZERO:
            source.status = PaymentStatus.UNALLOCATED
        elif source.unallocated_amount <= ZERO:
            source.status = PaymentStatus.ALLOCATED
        else:
            source.status = PaymentStatus.PARTIALLY_ALLOCATED
        fields.append("status")
    return fields


def _name(source: Payment | CreditNote) -> str:
    return f"payment {source.id}" if isinstance(source, Payment) else f"credit note {source.number}"


def _source(source: Payment | CreditNote) -> Message:
    """The source of an allocation as a message names it, in the reader's language."""
    if isinstance(source, Payment):
        return Message("payment_named", {"id": source.id}, f"payment {source.id}")
    return Message("credit_note_named", {"number": source.number}, f"credit note {source.number}")


async def _locked_source(
    payment_id: int | None, credit_note_id: int | None, *, include_deleted: bool = False
) -> Payment | CreditNote:
    if payment_id is not None:
        payments = Payment.with_deleted() if include_deleted else Payment.all()
        return await get_or_404(payments.select_for_update(), payment_id, "payment")
    notes = CreditNote.with_deleted() if include_deleted else CreditNote.all()
    return await get_or_404(notes.select_for_update(), credit_note_id or 0, "credit_note")


async def _locked_invoice(invoice_id: int) -> Invoice | None:
    return await Invoice.with_deleted().filter(id=invoice_id).select_for_update().first()


# --- allocate -----------------------------------------------------------------------------------
def _line_problem(
    line: Line, invoice: Invoice, source: Payment | CreditNote, exact: bool
) -> tuple[str, Message] | None:
    """Why this line cannot be allocated (a code and a message naming the invoice), or None."""
    named = {"invoice": invoice.number}
    if invoice.status == InvoiceStatus.VOID:
        return "invoice_void", Message("line_invoice_void", named)
    if invoice.customer_id != source.customer_id:
        return "invoice_other_customer", Message("line_other_customer", {**named, "source": _source(source)})
    if invoice.currency != source.currency:
        return "currency_mismatch", Message(
            "line_currency_mismatch",
            {
                **named,
                "currency": invoice.currency,
                "source": _source(source),
                "source_currency": source.currency,
            },
        )
    if line.amount > invoice.outstanding:
        return "allocation_exceeds_outstanding", Message(
            "line_over_outstanding", {**named, "amount": line.amount, "outstanding": invoice.outstanding}
        )
    if exact and line.amount != invoice.outstanding:
        return "allocation_exceeds_outstanding", Message(
            "line_outstanding_changed", {**named, "amount": line.amount, "outstanding": invoice.outstanding}
        )
    return None


async def allocate_once(
    *,
    payment_id: int | None = None,
    credit_note_id: int | None = None,
    lines: Sequence[Line],
    source_kind: AllocationSource = AllocationSource.MANUAL,
    exact: bool = False,
) -> list[int]:
    """Apply money of one payment (or credit note) to invoices; returns the new allocation ids.
    One attempt, in its own transaction (or the caller's): :func:`allocate` retries it.

    ``exact`` (auto-reconcile): each line must settle its invoice and the lines must use up
    the source, as seen under the locks, or nothing is done (409)."""
    order = {line.invoice_id: index for index, line in enumerate(lines)}
    if len(order) != len(lines) or not lines or any(line.amount <= ZERO for line in lines):
        # the request schema says so already; this guards callers inside the backend
        raise ValidationFailed.field(
            "lines", "one line per invoice, each with an amount more than 0", code="allocation_lines_invalid"
        )
    async with in_transaction():
        source = await _locked_source(payment_id, credit_note_id)
        if isinstance(source, Payment) and source.status == PaymentStatus.VOID:
            raise Conflict(
                f"payment {source.id} is void: nothing can be allocated from it",
                code="payment_void",
                key="payment_void_no_allocation",
                params={"id": source.id},
            )
        if source.customer_id is None:
            raise Conflict(
                f"payment {source.id} has no customer; assign a customer first",
                code="payment_unassigned",
                params={"id": source.id},
                details=[
                    {
                        "field": "payment_id",
                        "message": "assign a customer first",
                        "code": "assign_customer_first",
                    }
                ],
            )
        invoices: dict[int, Invoice] = {}
        for invoice_id in sorted(order):
            invoice = await _locked_invoice(invoice_id)
            if invoice is None:
                error = NotFound.entity("invoice", invoice_id)
                error.details = [{"field": f"lines.{order[invoice_id]}.invoice_id", "message": error.text}]
                raise error
            invoices[invoice_id] = invoice

        problems: list[tuple[str, dict[str, Any]]] = []
        for index, line in enumerate(lines):
            invoice = invoices[line.invoice_id]
            problem = _line_problem(line, invoice, source, exact)
            if problem is not None:
                code, message = problem
                problems.append(
                    (
                        code,
                        {
                            "field": f"lines.{index}.amount",
                            "message": message,
                            "invoice_id": invoice.id,
                        },
                    )
                )
        total = sum((line.amount for line in lines), ZERO)
        if total > source.unallocated_amount or (exact and total != source.unallocated_amount):
            left = {"source": _source(source), "left": source.unallocated_amount, "total": total}
            message = Message("allocation_exceeds_unallocated", left)
            problems.append(("allocation_exceeds_unallocated", {"field": "lines", "message": message}))
        if problems:
            code, first = problems[0]
            raise Conflict(first["message"], code=code, details=[detail for _, detail in problems])

        made: list[int] = []
        for invoice_id in sorted(order):
            line, invoice = lines[order[invoice_id]], invoices[invoice_id]
            allocation = Allocation(
                payment_id=payment_id,
                credit_note_id=credit_note_id,
                invoice_id=invoice.id,
                customer_id=source.customer_id,
                amount=line.amount,
                source=source_kind,
            )
            await allocation.save(audit_action=AuditAction.ALLOCATE, audit_message=f"from {_name(source)}")
            resettle(invoice, paid_delta=line.amount)
            await invoice.save(
                update_fields=SETTLEMENT_FIELDS,
                audit_action=AuditAction.ALLOCATE,
                audit_message=f"allocation {allocation.id} from {_name(source)}",
            )
            made.append(allocation.id)
        await source.save(
            update_fields=_spend(source, total),
            audit_action=AuditAction.ALLOCATE,
            audit_message=f"allocations {', '.join(map(str, made))}",
        )
    return made


allocate = retry_on_deadlock(allocate_once)


# --- reverse ------------------------------------------------------------------------------------
async def reverse(allocation_id: int, reason: str) -> Allocation:
    """Undo an allocation: it stays, marked reversed (who, when, why); the invoice and the
    source get the money back. 409 when it was reversed already."""
    allocation = await get_or_404(Allocation, allocation_id, "allocation")
    return await _reverse(allocation, reason)


@retry_on_deadlock
async def _reverse(found: Allocation, reason: str) -> Allocation:
    async with in_transaction():
        # the same order as allocate(): source, invoice, then the allocation itself
        source = await _locked_source(found.payment_id, found.credit_note_id, include_deleted=True)
        invoice = await _locked_invoice(found.invoice_id)
        allocation = await Allocation.filter(id=found.id).select_for_update().first()
        if allocation is None or invoice is None:  # rows are never deleted; a backstop
            raise NotFound.entity("allocation", found.id)
        if allocation.is_reversed:
            raise Conflict(
                f"allocation {allocation.id} was reversed on {allocation.reversed_at:%Y-%m-%d %H:%M} UTC by {allocation.reversed_by}",
                code="allocation_reversed",
                params={"id": allocation.id, "at": allocation.reversed_at, "by": allocation.reversed_by},
            )
        if invoice.status == InvoiceStatus.VOID:
            # voiding needs no active allocation, so this means the data was changed by hand
            raise Conflict(
                f"invoice {invoice.number} is void; its allocations cannot change",
                code="invoice_void",
                key="invoice_void_allocations",
                params={"number": invoice.number},
            )
        try:
            resettle(invoice, paid_delta=-allocation.amount)
        except ValueError as error:
            raise Conflict(
                f"cannot reverse allocation {allocation.id}: {error}",
                code="settlement_inconsistent",
                params={"id": allocation.id, "error": str(error)},
            ) from None
        await invoice.save(
            update_fields=SETTLEMENT_FIELDS,
            audit_action=AuditAction.REVERSE,
            audit_message=f"allocation {allocation.id} reversed: {reason}"[:255],
        )
        await source.save(
            update_fields=_spend(source, -allocation.amount),
            audit_action=AuditAction.REVERSE,
            audit_message=f"allocation {allocation.id} reversed: {reason}"[:255],
        )
        allocation.is_reversed = True
        allocation.reversed_at = utcnow()
        allocation.reversed_by = current_actor.get().name[:64]
        allocation.reverse_reason = reason
        await allocation.save(
            update_fields=["is_reversed", "reversed_at", "reversed_by", "reverse_reason"],
            audit_action=AuditAction.REVERSE,
            audit_message=reason,
        )
    return allocation


# --- auto-reconcile -----------------------------------------------------------------------------
MAX_AUTO_PAYMENTS = 500  # one call looks at this many payments (oldest first): it answers in seconds


@dataclass
class AutoOutcome:
    planned: list[dict[str, Any]]
    allocation_ids: list[int]
    considered: int
    waiting: int


async def auto_reconcile(*, customer_id: int | None = None, dry_run: bool = False) -> AutoOutcome:
    """Allocate each payment that has a customer, money left and exactly one open invoice of
    that customer whose outstanding equals it. Everything else waits for a person."""
    # money left to allocate: the status says it, and the (customer, status) index finds it
    payments = Payment.filter(customer_id__isnull=False, status__in=WITH_MONEY_LEFT)
    if customer_id is not None:
        payments = payments.filter(customer_id=customer_id)
    rows = await payments.order_by("received_on", "id").limit(MAX_AUTO_PAYMENTS)
    outcome = AutoOutcome(planned=[], allocation_ids=[], considered=len(rows), waiting=0)
    taken: set[int] = set()  # a dry run "spends" an invoice once, as a real run would
    for payment in rows:
        matches = Invoice.filter(
            customer_id=payment.customer_id,
            status__in=OPEN_STATUSES,
            currency=payment.currency,
            outstanding=payment.unallocated_amount,
        )
        if taken:
            matches = matches.exclude(id__in=taken)
        found = await matches.order_by("id").limit(2).values_list("id", "number")
        if len(found) != 1:
            outcome.waiting += 1
            continue
        invoice_id, number = found[0]
        if not dry_run:
            try:
                outcome.allocation_ids += await allocate(
                    payment_id=payment.id,
                    lines=[Line(invoice_id, payment.unallocated_amount)],
                    source_kind=AllocationSource.AUTO,
                    exact=True,
                )
            except (Conflict, NotFound):  # changed since it was read: a person decides
                outcome.waiting += 1
                continue
        taken.add(invoice_id)
        outcome.planned.append(
            {
                "payment_id": payment.id,
                "invoice_id": invoice_id,
                "invoice_number": number,
                "amount": payment.unallocated_amount,
            }
        )
    return outcome
