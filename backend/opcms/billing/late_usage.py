"""Late usage (DESIGN §6): billing tells the usage store which (customer, period) pairs already
have a non-void invoice, so usage written into them is flagged late (regenerate picks it up).

Registered with :func:`opcms.usage.late.register_invoiced_lookup` by :func:`opcms.wiring.wire`,
which every process that writes usage calls first (the app factory, the worker and Beat, the CLI).
"""

from __future__ import annotations

from opcms.settlement.models import Invoice


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
