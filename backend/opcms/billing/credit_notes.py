"""Credit notes: an issued invoice reduced by an amount, as its own numbered document (DESIGN §7).

Under the invoice's row lock, in one transaction:

- the amount may not exceed the invoice's total less its earlier credit notes (409);
- given lines each name a line of this invoice (422 otherwise) and may not exceed that line's
  amount less its earlier credit lines (409); without lines, one line covers the whole amount;
- ``applied_amount`` = min(amount, outstanding) lowers the outstanding (settlement.resettle);
  the rest, ``credit_amount``, is customer credit that allocations can spend
  (``unallocated_amount``).

The invoice's own lines are never edited. Numbers are ``CN-YYYYMM-NNNNNN`` of the issue month.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from opcms.billing.models import CreditNoteLine, InvoiceLine
from opcms.billing.numbering import CREDIT_NOTE, ensure_sequence, next_number
from opcms.billing.schemas import (
    CREDIT_NOTE_SORTABLE,
    CreditNoteCreate,
    CreditNoteLineCreate,
    CreditNoteQuery,
)
from opcms.billing.service import credit_note_answers
from opcms.core.db import sum_of
from opcms.core.errors import Conflict, ValidationFailed
from opcms.core.models import get_or_404
from opcms.core.money import ZERO
from opcms.core.pagination import paginate
from opcms.core.settings import business_today
from opcms.settlement.models import CreditNote, Invoice, InvoiceStatus
from opcms.settlement.rules import SETTLEMENT_FIELDS, resettle


async def prepare_numbering() -> None:
    """Make sure this month's credit-note sequence exists, before any transaction takes a
    number from it (creating it inside one could deadlock two first credit notes on MariaDB)."""
    await ensure_sequence(CREDIT_NOTE, business_today())


async def create_credit_note(data: CreditNoteCreate) -> CreditNote:
    issue_date = business_today()
    await prepare_numbering()
    async with in_transaction():
        invoice = await get_or_404(Invoice.all().select_for_update(), data.invoice_id, "invoice")
        if invoice.status == InvoiceStatus.VOID:
            raise Conflict(
                f"invoice {invoice.number} is void: a void invoice cannot be credited",
                code="invoice_void",
                key="invoice_void_no_credit",
                params={"number": invoice.number},
            )
        lines = data.lines or []
        await _check_lines(invoice, lines)
        earlier = await sum_of(CreditNote.filter(invoice_id=invoice.id), "amount")
        room = invoice.total - earlier
        if data.amount > room:
            raise Conflict(
                f"a credit note of {data.amount} exceeds what invoice {invoice.number} has left to credit: "
                f"{room} (total {invoice.total} less earlier credit notes {earlier})",
                code="credit_exceeds_invoice",
                params={
                    "amount": data.amount,
                    "number": invoice.number,
                    "room": room,
                    "total": invoice.total,
                    "earlier": earlier,
                },
                details=[
                    {
                        "field": "amount",
                        "message": f"at most {room}",
                        "code": "at_most",
                        "params": {"limit": room},
                    }
                ],
            )
        applied = min(data.amount, invoice.outstanding)
        credit = data.amount - applied
        if applied:
            resettle(invoice, credited_delta=applied)
            await invoice.save(
                update_fields=list(SETTLEMENT_FIELDS), audit_message=f"credit note: {data.reason}"
            )
        note = await CreditNote.create(
            number=await next_number(CREDIT_NOTE, issue_date),
            invoice_id=invoice.id,
            customer_id=invoice.customer_id,
            issue_date=issue_date,
            currency=invoice.currency,
            amount=data.amount,
            applied_amount=applied,
            credit_amount=credit,
            allocated_amount=ZERO,
            unallocated_amount=credit,
            reason=data.reason,
        )
        await CreditNoteLine.bulk_create(
            [
                CreditNoteLine(
                    credit_note_id=note.id,
                    position=n,
                    invoice_line_id=line.invoice_line_id,
                    description=line.description,
                    amount=line.amount,
                )
                for n, line in enumerate(lines, start=1)
            ]
            or [
                CreditNoteLine(
                    credit_note_id=note.id,
                    position=1,
                    invoice_line_id=None,
                    description=f"{invoice.number}: {data.reason}"[:255],
                    amount=data.amount,
                )
            ]
        )
    return note


async def _check_lines(invoice: Invoice, lines: list[CreditNoteLineCreate]) -> None:
    named = [line for line in lines if line.invoice_line_id is not None]
    if not named:
        return
    own = dict(await InvoiceLine.filter(invoice_id=invoice.id).values_list("id", "amount"))
    for index, line in enumerate(lines):
        if line.invoice_line_id is not None and line.invoice_line_id not in own:
            raise ValidationFailed.field(
                f"lines.{index}.invoice_line_id",
                f"line {line.invoice_line_id} is not a line of invoice {invoice.number}",
                code="not_a_line_of_invoice",
                params={"line": line.invoice_line_id, "number": invoice.number},
            )
    credited: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line_id, amount in await CreditNoteLine.filter(invoice_line_id__in=list(own)).values_list(
        "invoice_line_id", "amount"
    ):
        credited[line_id] += Decimal(str(amount))
    asked: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.invoice_line_id is not None:
            asked[line.invoice_line_id] += line.amount
    for line_id, amount in asked.items():
        room = Decimal(str(own[line_id])) - credited[line_id]
        if amount > room:
            raise Conflict(
                f"{amount} exceeds what invoice line {line_id} has left to credit: {room}",
                code="credit_exceeds_line",
                params={"amount": amount, "line": line_id, "room": room},
                details=[
                    {
                        "field": "lines",
                        "message": f"line {line_id}: at most {room}",
                        "code": "line_at_most",
                        "params": {"line": line_id, "limit": room},
                    }
                ],
            )


async def get_credit_note(credit_note_id: int) -> dict[str, Any]:
    note = await get_or_404(CreditNote, credit_note_id, "credit_note")
    return (await credit_note_answers([note]))[0]


async def list_credit_notes(query: CreditNoteQuery) -> dict[str, Any]:
    qs = CreditNote.all()
    if query.customer_id is not None:
        qs = qs.filter(customer_id=query.customer_id)
    if query.invoice_id is not None:
        qs = qs.filter(invoice_id=query.invoice_id)
    page = await paginate(qs, query, sortable=CREDIT_NOTE_SORTABLE, default_sort="-id")
    page["items"] = await credit_note_answers(page["items"])
    return page
