"""Billing outputs: the invoice export, the aging report (JSON and xlsx) and the printable
invoice (issue 6, item 5). The invoice list itself (``GET /invoices``) is in ``billing.api`` and
reads the same filters through ``billing.queries.list_invoices``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html

from opcms.billing import queries
from opcms.billing.reports.printable import CONTENT_SECURITY_POLICY, language_of, render_invoice_html
from opcms.billing.reports.schemas import AgingQuery, AgingReport, InvoiceQuery, PrintQuery
from opcms.billing.reports.workbooks import write_aging_xlsx, write_invoices_xlsx
from opcms.core.excel import XLSX_MEDIA_TYPE, Export
from opcms.core.http import endpoint
from opcms.core.models import get_or_404
from opcms.core.settings import business_today
from opcms.settlement.models import Invoice

bp = Blueprint("billing_reports", url_prefix="/api/v1")


async def _send_file(request: Request, export: Export, filename: str) -> None:
    """Stream a written workbook to the client from the file store (like the customer export)."""
    chunks = await export.stored()
    response = await request.respond(
        content_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
    async for chunk in chunks:
        await response.send(chunk)
    await response.eof()


def _stamp(request: Request) -> str:
    return dt.datetime.now(request.app.ctx.settings.tz).strftime("%Y%m%d-%H%M%S")


@bp.get("/invoices/export")
@endpoint(permission="billing:read", query=InvoiceQuery, produces=XLSX_MEDIA_TYPE, tag="billing")
async def export_invoices(request: Request, query: InvoiceQuery) -> None:
    """The invoices matching the list's filters as an .xlsx file (Chinese headers; page and sort ignored)."""
    async with Export("invoices") as export:
        await write_invoices_xlsx(query, export.path, business_today())
        await _send_file(request, export, f"invoices-{_stamp(request)}.xlsx")


async def _aging(query: AgingQuery) -> dict[str, Any]:
    return await queries.aging(
        query.as_of or business_today(), owner_id=query.owner_id, customer_id=query.customer_id
    )


@bp.get("/reports/aging")
@endpoint(permission="billing:read", query=AgingQuery, response=AgingReport, tag="billing")
async def aging_report(request: Request, query: AgingQuery) -> AgingReport:
    """Outstanding by days past due (current, 1-30, 31-60, 61-90, 90+), in total and per customer."""
    return AgingReport.model_validate(await _aging(query))


@bp.get("/reports/aging.xlsx")
@endpoint(permission="billing:read", query=AgingQuery, produces=XLSX_MEDIA_TYPE, tag="billing")
async def aging_workbook(request: Request, query: AgingQuery) -> None:
    """The aging report as an .xlsx file: a bucket summary sheet and a per-customer sheet."""
    await send_aging_workbook(request, await _aging(query))


async def send_aging_workbook(request: Request, report: dict[str, Any]) -> None:
    """Write an aging report (``queries.aging``'s answer) as a workbook and stream it (the
    analytics aging page downloads the same file)."""
    async with Export("aging") as export:
        await write_aging_xlsx(report, export.path)
        await _send_file(request, export, f"aging-{report['as_of'].isoformat()}.xlsx")


@bp.get("/invoices/<invoice_id:int>/print")
@endpoint(permission="billing:read", query=PrintQuery, produces="text/html", tag="billing")
async def print_invoice(request: Request, invoice_id: int, query: PrintQuery) -> HTTPResponse:
    """The invoice as a printable HTML page (lines with tier breakdown, amounts, credit notes) in
    the language asked for (`lang`, else Accept-Language, else Chinese)."""
    invoice = await get_or_404(Invoice, invoice_id, "invoice")
    lang = language_of(query.lang, request.headers.get("accept-language"))
    page = await render_invoice_html(invoice, business_today(), lang)
    return html(
        page,
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Content-Language": lang,
            "Vary": "Accept-Language",
        },
    )
