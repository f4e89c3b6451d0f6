"""Celery tasks of the billing domain: the invoice run and its chunks."""

from __future__ import annotations
