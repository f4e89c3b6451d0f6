"""Typed domain errors and the one JSON error shape they turn into.

Services raise these; :func:`opcms.core.http.install_error_handlers` renders every error,
ours or Sanic's, as ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "bad_request"
    message = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.details = details or []
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(AppError):
    status, code, message = 400, "bad_request", "Bad request"


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "You do not have permission to do this"


class NotFound(AppError):
    status, code, message = 404, "not_found", "Not found"

    @classmethod
    def entity(cls, entity: str, entity_id: Any) -> NotFound:
        return cls(f"{entity} {entity_id} not found", code=f"{entity}_not_found")


class Conflict(AppError):
    status, code, message = 409, "conflict", "Conflict"


class ValidationFailed(AppError):
    status, code, message = 422, "validation_failed", "Validation failed"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", details=[{"field": field, "message": message}])


class TooManyRequests(AppError):
    status, code, message = 429, "too_many_requests", "Too many requests"

    def __init__(self, message: str | None = None, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class QueueUnavailable(AppError):
    """The broker refused a job: nothing was queued (the caller records the failure)."""

    status, code, message = 503, "queue_unavailable", "The job queue is unavailable; try again later"
    #: the execution recorded as failed because it could not be queued (Beat notes it on the schedule)
    execution_id: int | None = None


class DatabaseUnavailable(AppError):
    """The database cannot be reached (see :mod:`opcms.core.outages`): the client waits and retries."""

    status, code, message = 503, "database_unavailable", "The database is unavailable; try again shortly"

    def __init__(self, message: str | None = None, *, retry_after: int):
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})
