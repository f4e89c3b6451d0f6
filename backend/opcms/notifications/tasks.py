"""Celery tasks (issue 7)."""
