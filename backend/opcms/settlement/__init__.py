"""The ledger: what an invoice owes and what settles it (DESIGN §7, §8).

Invoice and credit-note headers with their amounts and status, payments, allocations;
``rules`` (how an invoice's status follows its money), ``allocations`` (allocate, reverse,
auto-reconcile under row locks), ``queries`` (open and overdue invoices, customer credit).
Billing (issuing invoices and credit notes) and payments (recording money) write money only
through this room; it imports no other domain.
"""
