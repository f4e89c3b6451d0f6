"""Invoices and invoice runs (DESIGN §7)."""
