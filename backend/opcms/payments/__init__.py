"""Payments and reconciliation (DESIGN §8)."""
