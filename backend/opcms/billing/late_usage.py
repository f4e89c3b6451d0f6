"""Late usage (DESIGN §6): billing tells the usage store which (customer, period) pairs already
have a non-void invoice, so usage written into them is flagged late (regenerate picks it up).

Registered at import. This module is imported by ``billing.run`` which ``billing.api`` (the app
factory), ``billing.tasks`` (every worker: Celery's TASK_MODULES) and the CLI import, so the
lookup is in place in every process that writes usage.
"""

from __future__ import annotations

from opcms.settlement.models import Invoice
from opcms.usage.late import register_invoiced_lookup


async def invoiced_pairs(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """The pairs among ``pairs`` with a live (non-void) invoice: one query."""
    if not pairs:
        return set()
    customers = {customer_id for customer_id, _ in pairs}
    periods = {period for _, period in pairs}
    found = await Invoice.filter(customer_id__in=customers, live_period__in=periods).values_list(
        "customer_id", "live_period"
    )
    return {(customer_id, period) for customer_id, period in found} & pairs


register_invoiced_lookup(invoiced_pairs)
