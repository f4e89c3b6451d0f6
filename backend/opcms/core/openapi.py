"""The error answers every operation of the API document lists, by what the operation is.

``endpoint`` documents what it knows from the handler (its body, query, permission). What a
route can answer besides depends also on its method and path, which only the router knows:
an id in the path can name nothing (404), a write can meet the data as it is (409), a body can
be too large (413) or not JSON (415), and any route can find the database gone (503). This runs
once the document's operations are registered and adds those answers, in the one error shape,
where the operation has not documented the status itself.
"""

from __future__ import annotations

from typing import Any

from sanic import Sanic
from sanic_ext.extensions.openapi.builders import SpecificationBuilder
from sanic_ext.extensions.openapi.definitions import Response

from opcms.core.http import schema_ref
from opcms.core.schemas import ErrorResponse

#: after sanic-ext has registered every operation (its listener runs at priority -1000)
AFTER_SPEC_BUILT = -1_100

WRITES = {"post", "put", "patch", "delete"}

DESCRIPTIONS = {
    404: "Not found: nothing has an id given (or it was deleted)",
    409: "Conflict: the change does not fit the data as it is now",
    413: "The request body is larger than this route takes",
    415: "The request body is not of a type this route takes",
    503: "The database is unreachable or busy; retry after Retry-After seconds",
}


def error_statuses(method: str, path: str, operation: Any) -> list[int]:
    """The statuses an operation can answer besides what ``endpoint`` documented."""
    statuses = []
    if "{" in path or method in WRITES:  # an id in the path, or one a write's body refers to
        statuses.append(404)
    if method in WRITES:
        statuses.append(409)
    if getattr(operation, "requestBody", None) is not None:
        statuses += [413, 415]
    statuses.append(503)
    return statuses


def document_error_answers(app: Sanic[Any, Any]) -> None:
    error = schema_ref(ErrorResponse)
    for path, operations in SpecificationBuilder()._paths.items():
        for method, operation in operations.items():
            if not hasattr(operation, "responses"):
                continue
            responses: dict[Any, Response] = operation.responses  # keyed by status, int or str
            for status in error_statuses(method, path, operation):
                if status not in responses and str(status) not in responses:
                    responses[status] = Response.make({"application/json": error}, DESCRIPTIONS[status])


def install_error_documentation(app: Sanic[Any, Any]) -> None:
    app.before_server_start(document_error_answers, priority=AFTER_SPEC_BUILT)
