"""Billing routes: invoice runs, invoices (detail, void, regenerate), credit notes (issue 6).
Exports, the aging report and the printable invoice are in reports/api.py."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from opcms.billing import credit_notes, queries, run, service
from opcms.billing.reports.schemas import InvoiceQuery
from opcms.billing.schemas import (
    CreditNoteCreate,
    CreditNotePage,
    CreditNotePublic,
    CreditNoteQuery,
    InvoiceDetail,
    InvoicePage,
    InvoicePublic,
    InvoiceRunRequest,
    RegenerateResult,
)
from opcms.core import idempotency
from opcms.core.http import endpoint
from opcms.core.models import get_or_404
from opcms.core.schemas import ReasonRequest, dump
from opcms.jobs.models import TaskExecution
from opcms.jobs.queries import list_executions
from opcms.jobs.schemas import ExecutionPage, ExecutionPublic, ExecutionQuery

bp = Blueprint("billing", url_prefix="/api/v1")


# --- invoice runs -------------------------------------------------------------------------------
@bp.post("/invoice-runs")
@endpoint(
    permission="billing:run", body=InvoiceRunRequest, response=ExecutionPublic, status=202, tag="billing"
)
async def request_invoice_run(request: Request, body: InvoiceRunRequest) -> ExecutionPublic:
    """Queue the invoice run of a period (all customers, or one) for the workers (409 while the
    run of that period is pending or running: the attempt is recorded as skipped)."""
    execution = await run.request_run(body.period, body.customer_id, body.issue_date)
    return ExecutionPublic.model_validate(execution)


@bp.get("/invoice-runs")
@endpoint(permission="billing:read", query=ExecutionQuery, response=ExecutionPage, tag="billing")
async def list_invoice_runs(request: Request, query: ExecutionQuery) -> ExecutionPage:
    """Invoice runs, newest first, with their counters and summaries."""
    return ExecutionPage.model_validate(await list_executions([run.TASK_NAME], query))


@bp.get("/invoice-runs/<execution_id:int>")
@endpoint(permission="billing:read", response=ExecutionPublic, tag="billing")
async def get_invoice_run(request: Request, execution_id: int) -> ExecutionPublic:
    """One invoice run with its counters, summary and log excerpt."""
    execution = await get_or_404(TaskExecution.filter(task_name=run.TASK_NAME), execution_id, "invoice_run")
    return ExecutionPublic.model_validate(execution)


# --- invoices -----------------------------------------------------------------------------------
@bp.get("/invoices")
@endpoint(permission="billing:read", query=InvoiceQuery, response=InvoicePage, tag="billing")
async def list_invoices(request: Request, query: InvoiceQuery) -> InvoicePage:
    """Invoices by status, overdue, period, customer, owner, amount and due-date range; newest first."""
    page = await queries.list_invoices(query)
    page["items"] = [service.invoice_public(invoice) for invoice in page["items"]]
    return InvoicePage.model_validate(page)


@bp.get("/invoices/<invoice_id:int>")
@endpoint(permission="billing:read", response=InvoiceDetail, tag="billing")
async def get_invoice(request: Request, invoice_id: int) -> InvoiceDetail:
    """An invoice with its lines and tier breakdown, credit notes and allocations."""
    return InvoiceDetail.model_validate(await service.invoice_detail(invoice_id))


@bp.post("/invoices/<invoice_id:int>/void")
@endpoint(permission="billing:run", body=ReasonRequest, response=InvoicePublic, tag="billing")
async def void_invoice(request: Request, invoice_id: int, body: ReasonRequest) -> InvoicePublic:
    """Void an invoice without allocations or credit notes (it stays, marked void)."""
    invoice = await service.void_invoice(invoice_id, body.reason)
    return InvoicePublic.model_validate(service.invoice_public(invoice))


@bp.post("/invoices/<invoice_id:int>/regenerate")
@endpoint(permission="billing:run", body=ReasonRequest, response=RegenerateResult, tag="billing")
async def regenerate_invoice(request: Request, invoice_id: int, body: ReasonRequest) -> RegenerateResult:
    """Void the invoice and issue it again with current usage (late usage included)."""
    voided, new = await service.regenerate_invoice(invoice_id, body.reason)
    return RegenerateResult(
        voided=InvoicePublic.model_validate(service.invoice_public(voided)),
        invoice=InvoiceDetail.model_validate(await service.invoice_detail(new.id)) if new else None,
    )


# --- credit notes -------------------------------------------------------------------------------
@bp.post("/credit-notes")
@endpoint(
    permission="billing:credit", body=CreditNoteCreate, response=CreditNotePublic, status=201, tag="billing"
)
async def create_credit_note(request: Request, body: CreditNoteCreate) -> HTTPResponse:
    """Reduce an issued invoice by an amount, as a numbered credit note. With an
    Idempotency-Key header a repeated request issues nothing twice."""

    async def create() -> tuple[int, dict[str, Any]]:
        note = await credit_notes.create_credit_note(body)
        return 201, dump(CreditNotePublic.model_validate(await credit_notes.get_credit_note(note.id)))

    # the month's number sequence exists before the transaction that takes a number from it
    return await idempotency.respond_once(
        request, "credit_notes.create", dump(body), create, check=credit_notes.prepare_numbering
    )


@bp.get("/credit-notes")
@endpoint(permission="billing:read", query=CreditNoteQuery, response=CreditNotePage, tag="billing")
async def list_credit_notes(request: Request, query: CreditNoteQuery) -> CreditNotePage:
    """Credit notes, newest first; filter by customer or invoice."""
    return CreditNotePage.model_validate(await credit_notes.list_credit_notes(query))


@bp.get("/credit-notes/<credit_note_id:int>")
@endpoint(permission="billing:read", response=CreditNotePublic, tag="billing")
async def get_credit_note(request: Request, credit_note_id: int) -> CreditNotePublic:
    """One credit note with its lines."""
    return CreditNotePublic.model_validate(await credit_notes.get_credit_note(credit_note_id))
