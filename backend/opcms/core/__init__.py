"""Plumbing shared by every domain: settings, db, errors, http, audit, celery."""
