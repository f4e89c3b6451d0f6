"""How an invoice's settlement follows its credit notes and allocations (DESIGN §7, §8).

Invariant on every non-void invoice: ``total = credited_amount + paid_amount + outstanding``
with every term ≥ 0. The status is derived from the amounts only:

- ``settled`` when nothing is outstanding,
- ``partially_settled`` when something was paid or credited and something is outstanding,
- ``unsettled`` otherwise.

``overdue`` is not stored: it is "due date passed and outstanding > 0" on the day asked
(:func:`is_overdue`, and the list filter builds the same condition in SQL).

Callers hold the invoice's row lock (``select_for_update``) in the transaction that changes
the amounts, and save with :data:`SETTLEMENT_FIELDS`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.core.models import utcnow
from opcms.core.money import ZERO
from opcms.settlement.models import Invoice, InvoiceStatus

#: statuses of an invoice with something outstanding (derived from the amounts, so a status
#: filter stands in for "outstanding > 0" without comparing decimals in SQL)
OPEN_STATUSES = (InvoiceStatus.UNSETTLED, InvoiceStatus.PARTIALLY_SETTLED)
SETTLEMENT_FIELDS = ("credited_amount", "paid_amount", "outstanding", "status", "settled_at")


def status_for(total: Decimal, credited: Decimal, paid: Decimal) -> InvoiceStatus:
    outstanding = total - credited - paid
    if outstanding <= ZERO:
        return InvoiceStatus.SETTLED
    if paid > ZERO or credited > ZERO:
        return InvoiceStatus.PARTIALLY_SETTLED
    return InvoiceStatus.UNSETTLED


def resettle(invoice: Invoice, *, paid_delta: Decimal = ZERO, credited_delta: Decimal = ZERO) -> None:
    """Apply a change of paid or credited money to a locked invoice (not saved here).

    Raises ``ValueError`` when the change would break the invariant: callers check the
    amounts first and turn a breach into a 409, so this is the last line of defence.
    """
    if invoice.status == InvoiceStatus.VOID:
        raise ValueError(f"invoice {invoice.number} is void")
    paid = invoice.paid_amount + paid_delta
    credited = invoice.credited_amount + credited_delta
    outstanding = invoice.total - credited - paid
    if paid < ZERO or credited < ZERO or outstanding < ZERO:
        raise ValueError(
            f"invoice {invoice.number}: paid {paid}, credited {credited}, outstanding {outstanding} break total {invoice.total}"
        )
    invoice.paid_amount, invoice.credited_amount, invoice.outstanding = paid, credited, outstanding
    status = status_for(invoice.total, credited, paid)
    if status == InvoiceStatus.SETTLED and invoice.status != InvoiceStatus.SETTLED:
        invoice.settled_at = utcnow()
    elif status != InvoiceStatus.SETTLED:
        invoice.settled_at = None
    invoice.status = status


def is_overdue(invoice: Invoice, today: dt.date) -> bool:
    return invoice.status != InvoiceStatus.VOID and invoice.outstanding > ZERO and invoice.due_date < today
