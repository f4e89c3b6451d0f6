"""Billing outputs (issue 6, items 4–5): the invoice list filters and the aging report
(``schemas``), the invoice and aging workbooks (``workbooks``), the printable invoice
(``printable``) and their routes (``api``).

Nothing is imported here: ``billing.queries`` reads the filters from ``schemas`` while
``workbooks`` reads rows through ``billing.queries``, so the package must not load both."""
