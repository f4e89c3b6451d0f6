"""Billing outputs: the invoice export, the aging report (JSON and xlsx) and the printable
invoice (issue 6, item 5). The invoice list itself (``GET /invoices``) is in ``billing.api`` and
reads the same filters through ``billing.queries.list_invoices``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html

from opcms.billing import queries
from opcms.billing.reports.printable import CONTENT_SECURITY_POLICY, language_of, render_invoice_html
from opcms.billing.reports.schemas import AgingQuery, AgingReport, InvoiceQuery, PrintQuery
from opcms.billing.reports.workbooks import write_aging_xlsx, write_invoices_xlsx
from opcms.core.excel import XLSX_MEDIA_TYPE, new_export_path
from opcms.core.http import endpoint
from opcms.core.models import get_or_404
from opcms.core.settings import business_today
from opcms.settlement.models import Invoice

bp = Blueprint("billing_reports", url_prefix="/api/v1")


async def _send_file(request: Request, path: Path, filename: str) -> None:
    """Stream a written workbook to the client, then remove it (like the customer export)."""
    response = await request.respond(
        content_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
    with path.open("rb") as handle:
        while chunk := handle.read(256 * 1024):
            await response.send(chunk)
    await response.eof()


def _stamp(request: Request) -> str:
    return dt.datetime.now(request.app.ctx.settings.tz).strftime("%Y%m%d-%H%M%S")


@bp.get("/invoices/export")
@endpoint(permission="billing:read", query=InvoiceQuery, produces=XLSX_MEDIA_TYPE, tag="billing")
async def export_invoices(request: Request, query: InvoiceQuery) -> None:
    """The invoices matching the list's filters as an .xlsx file (Chinese headers; page and sort ignored)."""
    path = new_export_path(request.app.ctx.settings.var_dir, "invoices")
    try:
        await write_invoices_xlsx(query, path, business_today())
        await _send_file(request, path, f"invoices-{_stamp(request)}.xlsx")
    finally:
        path.unlink(missing_ok=True)


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
    path = new_export_path(request.app.ctx.settings.var_dir, "aging")
    try:
        await write_aging_xlsx(report, path)
        await _send_file(request, path, f"aging-{report['as_of'].isoformat()}.xlsx")
    finally:
        path.unlink(missing_ok=True)


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
