"""Metrics, pricing plans, subscriptions, price preview (DESIGN §5)."""
