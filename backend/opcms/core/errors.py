"""Typed domain errors and the one JSON error shape they turn into.

Services raise these; :func:`opcms.core.http.install_error_handlers` renders every error,
ours or Sanic's, as ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from typing import Any

from opcms.core.i18n import Invalid, Message, as_message, jsonable


def detail_answer(detail: dict[str, Any]) -> dict[str, Any]:
    """One detail as the answer shows it: ``message`` rendered in the request's language, with
    its ``code`` and ``params`` (a detail built with ``code``/``params`` keys, or with a
    :class:`Message` or :class:`Invalid` as its message; plain text is shown as written)."""
    out = dict(detail)
    message = detail.get("message")
    if isinstance(message, (Message, Invalid)):
        text = as_message(message)
    elif detail.get("code"):
        fallback = None if message is None else str(message)
        text = Message(str(detail["code"]), detail.get("params") or {}, fallback)
    else:
        text = as_message("" if message is None else message)
    out["message"] = text.render()
    out["code"] = text.code
    out["params"] = jsonable(text.params, rendered=True)
    return out


class AppError(Exception):
    """An error the API answers with. ``code`` is the stable machine code; the message is the
    catalog's text for ``key`` (default: the code) with ``params``, in the request's language
    (:mod:`opcms.core.i18n`); ``message`` is the English text shown when the catalog has no
    entry for it."""

    status = 400
    code = "bad_request"
    message = "Bad request"

    def __init__(
        self,
        message: str | Message | Invalid | None = None,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> None:
        self.code = code or self.code
        self.params = dict(params or {})
        if isinstance(message, (Message, Invalid)):
            self.text = as_message(message)
        elif key is None and code is None and message is not None:
            # a text of its own under the class's generic code: shown as written
            self.text = Message("text", {"text": message}, message)
        else:
            self.text = Message(key or self.code, self.params, message or type(self).message)
        self.details = details or []
        self.headers = headers or {}
        self.message = self.text.render()
        super().__init__(self.text.fallback or self.message)

    def __str__(self) -> str:
        return self.text.render()

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.text.render(),
            "details": [detail_answer(d) if isinstance(d, dict) else d for d in self.details],
        }
        if self.text.params:
            error["params"] = jsonable(self.text.params, rendered=True)
        return {"error": error}


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
        # the catalog has one entry per entity: ``<entity>_not_found`` with ``{id}``
        return cls(f"{entity} {{id}} not found", code=f"{entity}_not_found", params={"id": entity_id})


class Conflict(AppError):
    status, code, message = 409, "conflict", "Conflict"


class ValidationFailed(AppError):
    status, code, message = 422, "validation_failed", "Validation failed"

    @classmethod
    def field(
        cls,
        field: str,
        message: str | Message | ValueError,
        *,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> ValidationFailed:
        """One field's problem: ``code`` and ``params`` name it in the catalog (or ``message`` is
        a Message or an Invalid); the answer's message is ``field: problem``."""
        if code is not None:
            problem = Message(code, params, str(message))
        elif isinstance(message, (Message, Invalid)):
            problem = as_message(message)
        else:  # a text, or a rule's plain ValueError: shown as written
            problem = Message("text", {"text": str(message)}, str(message))
        return cls(
            f"{field}: {problem.fallback or problem}",
            key="field_problem",
            params={"field": field, "problem": problem},
            details=[{"field": field, "message": problem}],
        )


class TooManyRequests(AppError):
    status, code, message = 429, "too_many_requests", "Too many requests"

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: int,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ):
        super().__init__(message, code=code, params=params, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class QueueUnavailable(AppError):
    """The broker refused a job: nothing was queued (the caller records the failure)."""

    status, code, message = 503, "queue_unavailable", "The job queue is unavailable; try again later"
    #: the execution recorded as failed because it could not be queued (Beat notes it on the schedule)
    execution_id: int | None = None


class StorageUnavailable(AppError):
    """The file store (an S3-compatible server) did not answer or refused: nothing was kept."""

    status, code, message = 503, "storage_unavailable", "The file store is unavailable; try again later"


class DatabaseUnavailable(AppError):
    """The database cannot be reached (see :mod:`opcms.core.outages`): the client waits and retries."""

    status, code, message = 503, "database_unavailable", "The database is unavailable; try again shortly"

    def __init__(self, message: str | None = None, *, retry_after: int):
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})
