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

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.builders import SpecificationBuilder
from sanic_ext.extensions.openapi.definitions import Response

from opcms.core.errors import NotFound
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


# --- the docs page in parts --------------------------------------------------------------------
#: the parts the docs page offers (its "Select a definition" list), each by the tags of its
#: operations; the first part takes every tag the others do not name. Swagger UI stopped drawing
#: the operations of one document of 134 operations and more (8 drawn, no error shown; 133 drew
#: every one): each part stays well under that. ``/docs/openapi.json`` stays the whole document.
DOC_PARTS: dict[str, tuple[str, frozenset[str]]] = {
    "operations": ("Customers, pricing, usage, jobs and administration", frozenset()),
    "money": (
        "Invoices, payments, bank statements and analytics",
        frozenset({"billing", "payments", "bank statements", "analytics", "deleted records"}),
    ),
    "watching": ("Notifications and alerts", frozenset({"notifications", "alerts"})),
}
DOC_PART_URL = "/docs/openapi/{part}"


def doc_part(document: dict[str, Any], part: str) -> dict[str, Any]:
    """The operations of ``document`` whose (first) tag belongs to ``part`` (``DOC_PARTS``)."""
    named = set().union(*(tags for _, tags in DOC_PARTS.values()))
    _, own = DOC_PARTS[part]

    def belongs(tag: str) -> bool:
        return tag in own if own else tag not in named

    paths: dict[str, Any] = {}
    for path, operations in document.get("paths", {}).items():
        kept = {
            method: operation
            for method, operation in operations.items()
            if not isinstance(operation, dict) or belongs((operation.get("tags") or [""])[0])
        }
        if any(isinstance(operation, dict) for operation in kept.values()):
            paths[path] = kept
    tags = [tag for tag in document.get("tags", []) if belongs(tag.get("name", ""))]
    return {**document, "paths": paths, "tags": tags}


def swagger_parts_configuration() -> dict[str, Any]:
    """Swagger UI's ``urls``: one definition per part, the first shown first."""
    urls = [{"name": title, "url": DOC_PART_URL.format(part=part)} for part, (title, _) in DOC_PARTS.items()]
    return {"urls": urls, "urls.primaryName": urls[0]["name"]}


def install_doc_parts(app: Sanic[Any, Any]) -> None:
    """``/docs/openapi/<part>``: the parts of the API document the docs page draws."""

    @openapi.exclude()
    async def document_part(request: Request, part: str) -> HTTPResponse:
        if part not in DOC_PARTS:
            raise NotFound("No route for {path}", code="route_not_found", params={"path": request.path})
        whole: dict[str, Any] = SpecificationBuilder().build(request.app).serialize()  # type: ignore[no-untyped-call]
        return json(doc_part(whole, part))

    app.add_route(document_part, "/docs/openapi/<part:str>", methods=["GET"], name="docs_part")
