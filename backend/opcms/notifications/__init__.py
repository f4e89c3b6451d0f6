"""Notification channels, templates, messages (DESIGN §9)."""
