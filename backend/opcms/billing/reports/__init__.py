"""Billing outputs: the invoice and aging workbooks and the printable invoice (issue 6, item 5)."""

from opcms.billing.reports.printable import render_invoice_html
from opcms.billing.reports.workbooks import (
    INVOICE_COLUMNS,
    STATUS_LABELS,
    write_aging_xlsx,
    write_invoices_xlsx,
)

__all__ = [
    "INVOICE_COLUMNS",
    "STATUS_LABELS",
    "render_invoice_html",
    "write_aging_xlsx",
    "write_invoices_xlsx",
]
