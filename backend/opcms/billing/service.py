"""Invoice use cases: detail, void, regenerate (DESIGN §7).

Void and regenerate run under the invoice's row lock. An invoice with active (non-reversed)
allocations or with credit notes is refused (409): the money applied to it would be orphaned —
reverse the allocations first. Void is a status, never a delete: the row stays with its reason,
actor and time, ``live_period`` goes NULL (freeing the customer's period for a new invoice) and
``outstanding`` goes to 0 (a void invoice owes nothing).
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from opcms.billing.invoicing import DraftError, draft_invoices, write_invoice
from opcms.billing.models import CreditNoteLine, InvoiceLine
from opcms.billing.numbering import INVOICE, ensure_sequence
from opcms.core.audit import AuditAction
from opcms.core.context import current_actor
from opcms.core.errors import Conflict
from opcms.core.models import column_values, field_values, get_or_404, utcnow
from opcms.core.money import ZERO
from opcms.core.settings import business_today
from opcms.pricing.models import PricingPlan, PricingPlanVersion, UsageMetric
from opcms.settlement.models import Allocation, CreditNote, Invoice, InvoiceStatus
from opcms.settlement.queries import allocation_publics
from opcms.settlement.rules import is_overdue

ZERO_FIELDS = ("status", "live_period", "outstanding", "voided_at", "voided_by", "void_reason", "settled_at")


async def get_invoice(invoice_id: int) -> Invoice:
    return await get_or_404(Invoice, invoice_id, "invoice")


async def _locked_invoice(invoice_id: int) -> Invoice:
    return await get_or_404(Invoice.all().select_for_update(), invoice_id, "invoice")


async def _check_voidable(invoice: Invoice, action: str) -> None:
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict(
            f"invoice {invoice.number} is already void",
            code="invoice_void",
            params={"number": invoice.number},
        )
    allocations = await Allocation.filter(invoice_id=invoice.id, is_reversed=False).count()
    if allocations:
        raise Conflict(
            f"invoice {invoice.number} has {allocations} active allocation(s): reverse the allocations first, then {action} it",
            code="invoice_has_allocations",
            key=f"invoice_has_allocations_{action}",
            params={"number": invoice.number, "count": allocations},
        )
    notes = await column_values(CreditNote.filter(invoice_id=invoice.id), "number")
    if notes:
        raise Conflict(
            f"invoice {invoice.number} has credit note(s) {', '.join(notes[:5])}: it cannot be {action}ed; issue a further credit note instead",
            code="invoice_has_credit_notes",
            key=f"invoice_has_credit_notes_{action}",
            params={"number": invoice.number, "notes": notes[:5]},
        )


async def _void(invoice: Invoice, reason: str) -> None:
    invoice.status = InvoiceStatus.VOID
    invoice.live_period = None
    invoice.outstanding = ZERO  # a void invoice owes nothing
    invoice.settled_at = None
    invoice.voided_at = utcnow()
    invoice.voided_by = current_actor.get().name[:64]
    invoice.void_reason = reason[:255]
    await invoice.save(update_fields=list(ZERO_FIELDS), audit_action=AuditAction.VOID, audit_message=reason)


async def void_invoice(invoice_id: int, reason: str) -> Invoice:
    async with in_transaction():
        invoice = await _locked_invoice(invoice_id)
        await _check_voidable(invoice, "void")
        await _void(invoice, reason)
    return invoice


async def regenerate_invoice(invoice_id: int, reason: str) -> tuple[Invoice, Invoice | None]:
    """Void the invoice and issue the customer's period again with the usage of now (late usage
    included), in one transaction; the new invoice names the old one (``replaces_id``).
    Returns (voided, new) — new is None when nothing is left to bill."""
    current = await get_invoice(invoice_id)
    await ensure_sequence(INVOICE, current.period)
    async with in_transaction():
        invoice = await _locked_invoice(invoice_id)
        await _check_voidable(invoice, "regenerate")
        await _void(invoice, f"regenerated: {reason}")
        drafts = await draft_invoices([invoice.customer_id], invoice.period)
        draft = drafts.get(invoice.customer_id)
        if isinstance(draft, DraftError):
            raise Conflict(
                f"invoice {invoice.number} cannot be priced again: {draft}",
                code="invoice_not_priceable",
                params={"number": invoice.number, "error": str(draft)},
            )
        if draft is None or not draft.lines or draft.no_charge:
            return invoice, None
        new = await write_invoice(draft, invoice.period, business_today(), replaces_id=invoice.id)
    return invoice, new


# --- answers ------------------------------------------------------------------------------------
def invoice_public(invoice: Invoice) -> dict[str, Any]:
    """The invoice's fields with ``overdue`` and ``days_overdue`` as of today (business zone)."""
    today = business_today()
    overdue = is_overdue(invoice, today)
    return {
        **field_values(invoice),
        "overdue": overdue,
        "days_overdue": (today - invoice.due_date).days if overdue else 0,
    }


async def credit_note_answers(notes: list[CreditNote]) -> list[dict[str, Any]]:
    """Credit notes with their invoice number and lines (two queries for the lot)."""
    if not notes:
        return []
    numbers = dict(await Invoice.filter(id__in={n.invoice_id for n in notes}).values_list("id", "number"))
    lines: dict[int, list[CreditNoteLine]] = {n.id: [] for n in notes}
    for line in await CreditNoteLine.filter(credit_note_id__in=list(lines)).order_by(
        "credit_note_id", "position"
    ):
        lines[line.credit_note_id].append(line)
    return [
        {**field_values(n), "invoice_number": numbers.get(n.invoice_id, ""), "lines": lines[n.id]}
        for n in notes
    ]


async def invoice_detail(invoice_id: int) -> dict[str, Any]:
    invoice = await get_invoice(invoice_id)
    lines = await InvoiceLine.filter(invoice_id=invoice.id).order_by("position")
    metrics = {
        m["id"]: m
        for m in await UsageMetric.with_deleted()
        .filter(id__in={line.metric_id for line in lines})
        .values("id", "code", "name", "unit")
    }
    plans = dict(
        await PricingPlan.with_deleted()
        .filter(id__in={line.plan_id for line in lines})
        .values_list("id", "code")
    )
    versions = dict(
        await PricingPlanVersion.with_deleted()
        .filter(id__in={line.plan_version_id for line in lines})
        .values_list("id", "version")
    )
    line_answers = [
        {
            **field_values(line),
            "metric_code": metrics[line.metric_id]["code"],
            "metric_name": metrics[line.metric_id]["name"],
            "unit": metrics[line.metric_id]["unit"],
            "plan_code": plans[line.plan_id],
            "plan_version": versions[line.plan_version_id],
        }
        for line in lines
    ]
    notes = await CreditNote.filter(invoice_id=invoice.id).order_by("id")
    allocations = await Allocation.filter(invoice_id=invoice.id).select_related("invoice").order_by("id")
    replaced_by = await Invoice.filter(replaces_id=invoice.id).order_by("-id").values_list("id", flat=True)
    return {
        **invoice_public(invoice),
        "lines": line_answers,
        "credit_notes": await credit_note_answers(notes),
        "allocations": allocation_publics(allocations),
        "replaced_by_id": replaced_by[0] if replaced_by else None,
    }
