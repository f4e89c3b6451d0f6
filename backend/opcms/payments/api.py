"""Payments routes: payments, allocations and reversals, suggestions, auto-reconcile, customer
credit (thin handlers)."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from opcms.core import idempotency
from opcms.core.http import endpoint, require_permission
from opcms.core.schemas import ReasonRequest, dump
from opcms.customers.schemas import SEES_DELETED, CustomerRecordQuery
from opcms.payments import queries, service
from opcms.payments.schemas import (
    AllocationCreate,
    AllocationList,
    AllocationListQuery,
    AllocationPage,
    AutoReconcileRequest,
    AutoReconcileResult,
    PaymentCreate,
    PaymentDetail,
    PaymentListQuery,
    PaymentPage,
    PaymentPublic,
    PaymentUpdate,
    PlannedAllocation,
    SuggestionsPublic,
)
from opcms.payments.suggestions import suggestions_for
from opcms.settlement import allocations
from opcms.settlement.models import AllocationSource
from opcms.settlement.queries import load_allocations
from opcms.settlement.schemas import AllocationPublic, CustomerCredit

bp = Blueprint("payments", url_prefix="/api/v1")
TAG = "payments"


# --- payments -----------------------------------------------------------------------------------
@bp.post("/payments")
@endpoint(permission="payments:write", body=PaymentCreate, response=PaymentPublic, status=201, tag=TAG)
async def create_payment(request: Request, body: PaymentCreate) -> HTTPResponse:
    """Record a payment (409 when its method and bank reference were entered before). With an
    Idempotency-Key header, the same key and body answer the first response again; the same
    key with another body is a 409."""

    async def check() -> None:
        await service.check_new_payment(body)

    async def create() -> tuple[int, dict[str, Any]]:
        payment = await service.insert_payment(body)
        return 201, dump(await queries.payment_public(payment.id))

    return await idempotency.respond_once(request, "payments.create", dump(body), create, check=check)


@bp.get("/payments")
@endpoint(permission="payments:read", query=PaymentListQuery, response=PaymentPage, tag=TAG)
async def list_payments(request: Request, query: PaymentListQuery) -> PaymentPage:
    """List payments by customer, status, method, received date, text; or the unassigned ones."""
    return PaymentPage.model_validate(await queries.list_payments(query))


@bp.get("/payments/<payment_id:int>")
@endpoint(permission="payments:read", response=PaymentDetail, tag=TAG)
async def get_payment(request: Request, payment_id: int) -> PaymentDetail:
    """A payment with its allocations (reversed ones too)."""
    return await queries.payment_detail(payment_id)


@bp.patch("/payments/<payment_id:int>")
@endpoint(permission="payments:write", body=PaymentUpdate, response=PaymentPublic, tag=TAG)
async def update_payment(request: Request, payment_id: int, body: PaymentUpdate) -> PaymentPublic:
    """Assign the customer of a payment (409 while any of it is allocated)."""
    payment = await service.assign_customer(payment_id, body)
    return await queries.payment_public(payment.id)


@bp.post("/payments/<payment_id:int>/void")
@endpoint(permission="payments:write", body=ReasonRequest, response=PaymentPublic, tag=TAG)
async def void_payment(request: Request, payment_id: int, body: ReasonRequest) -> PaymentPublic:
    """Void a payment entered by mistake (kept, marked void; its bank reference is free again).
    409 while any of it is allocated: reverse the allocations first."""
    payment = await service.void_payment(payment_id, body.reason)
    return await queries.payment_public(payment.id)


@bp.get("/payments/<payment_id:int>/suggestions")
@endpoint(permission="payments:read", response=SuggestionsPublic, tag=TAG)
async def payment_suggestions(request: Request, payment_id: int) -> SuggestionsPublic:
    """Open invoices to allocate the payment to (exact, combination, FIFO), each with why; and
    candidate customers by payer name when the payment has none."""
    return await suggestions_for(await queries.load_payment(payment_id))


# --- allocations --------------------------------------------------------------------------------
@bp.post("/allocations")
@endpoint(permission="payments:allocate", body=AllocationCreate, response=AllocationList, status=201, tag=TAG)
async def create_allocations(request: Request, body: AllocationCreate) -> HTTPResponse:
    """Allocate a payment (or a credit note's credit) to invoices, all lines or none (409 when
    a line is more than the invoice's outstanding or the lines more than what is left). With an
    Idempotency-Key header a repeated request allocates nothing twice."""

    async def create() -> tuple[int, dict[str, Any]]:
        ids = await allocations.allocate_once(
            payment_id=body.payment_id,
            credit_note_id=body.credit_note_id,
            lines=[allocations.Line(line.invoice_id, line.amount) for line in body.lines],
            source_kind=AllocationSource(body.source),
        )
        return 201, dump(AllocationList(allocations=await load_allocations(ids)))

    return await idempotency.respond_once(request, "allocations.create", dump(body), create)


@bp.get("/allocations")
@endpoint(permission="payments:read", query=AllocationListQuery, response=AllocationPage, tag=TAG)
async def list_allocations(request: Request, query: AllocationListQuery) -> AllocationPage:
    """List allocations by payment, credit note, invoice or customer (reversed ones on request)."""
    return AllocationPage.model_validate(await queries.list_allocations(query))


@bp.post("/allocations/<allocation_id:int>/reverse")
@endpoint(permission="payments:allocate", body=ReasonRequest, response=AllocationPublic, tag=TAG)
async def reverse_allocation(request: Request, allocation_id: int, body: ReasonRequest) -> AllocationPublic:
    """Reverse an allocation (kept, marked reversed); the invoice and the payment get the money
    back. 409 when it was reversed already."""
    allocation = await allocations.reverse(allocation_id, body.reason)
    return (await load_allocations([allocation.id]))[0]


@bp.post("/allocations/auto")
@endpoint(permission="payments:allocate", body=AutoReconcileRequest, response=AutoReconcileResult, tag=TAG)
async def auto_reconcile(request: Request, body: AutoReconcileRequest) -> AutoReconcileResult:
    """Allocate every payment that has exactly one open invoice of its customer with the same
    amount outstanding; the others wait for a person."""
    outcome = await allocations.auto_reconcile(customer_id=body.customer_id, dry_run=body.dry_run)
    return AutoReconcileResult(
        allocations=await load_allocations(outcome.allocation_ids),
        planned=[PlannedAllocation(**p) for p in outcome.planned],
        considered=outcome.considered,
        allocated=len(outcome.planned),
        waiting=outcome.waiting,
    )


# --- credit -------------------------------------------------------------------------------------
@bp.get("/customers/<customer_id:int>/credit")
@endpoint(permission="payments:read", query=CustomerRecordQuery, response=CustomerCredit, tag=TAG)
async def customer_credit(request: Request, customer_id: int, query: CustomerRecordQuery) -> CustomerCredit:
    """The customer's money not allocated yet: payments' remainders and credit notes' credit (a
    deleted customer's with include_deleted=true, by a role that reads deleted customers)."""
    if query.include_deleted:
        require_permission(request, SEES_DELETED)
    return await queries.customer_credit(customer_id, include_deleted=query.include_deleted)
