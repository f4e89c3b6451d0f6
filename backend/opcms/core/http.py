"""HTTP plumbing for thin blueprints: the ``endpoint`` decorator and the one error shape.

A route is written as::

    @bp.post("/users")
    @endpoint(permission="users:write", body=UserCreate, response=UserPublic, status=201)
    async def create_user(request, body: UserCreate) -> UserPublic: ...

``endpoint`` checks the permission (the JWT middleware has already authenticated the
caller), parses and validates the body and query with pydantic (422 with per-field details),
documents all of it in OpenAPI, and turns the returned pydantic model into JSON.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import wraps
from itertools import accumulate
from typing import Any, TypeAlias, get_args, get_origin

from pydantic import BaseModel, ValidationError
from sanic import Request
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse, empty, json
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.builders import SpecificationBuilder
from sanic_ext.extensions.openapi.definitions import Parameter, RequestBody, Response
from sanic_ext.extensions.openapi.types import Schema as OpenAPISchema
from tortoise.exceptions import DoesNotExist, IntegrityError
from tortoise.exceptions import ValidationError as TortoiseValidationError

from opcms.core.context import current_request_id
from opcms.core.errors import (
    AppError,
    BadRequest,
    DatabaseUnavailable,
    Forbidden,
    Unauthorized,
    ValidationFailed,
)
from opcms.core.i18n import Message, current_language, negotiate, pydantic_message, use_language
from opcms.core.outages import RETRY_AFTER_SECONDS, is_database_outage
from opcms.core.permissions import allows
from opcms.core.schemas import ErrorResponse

log = logging.getLogger("opcms.http")
JSON_TYPE = "application/json"

ROUTE_SPEC_ATTR = "__opcms_route__"
#: where a body's refused media type waits for the route's permission check (core.limits)
REFUSED_MEDIA_TYPE = "refused_media_type"


@dataclass(frozen=True)
class RouteSpec:
    permission: str | None  # None only for public routes
    public: bool


def route_spec(handler: Any) -> RouteSpec | None:
    return getattr(handler, ROUTE_SPEC_ATTR, None)


# --- parsing ---------------------------------------------------------------------------------
def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as details: each message a catalog code (our rule's own, raised as
    ``core.i18n.Invalid``, or pydantic's error type) with its parameters (pydantic's ``ctx``),
    rendered in the request's language when the answer is written."""
    details = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or None
        details.append({"field": field, "message": pydantic_message(item), "type": item["type"]})
    return details


def validate_model(model: type[BaseModel], data: Any, *, json_text: bytes | None = None) -> Any:
    """``data`` (a query's strings) read into ``model``, or the JSON text of a body, read strictly:
    a body says what its document says, so 0 is no boolean and "7" no id (JSON has both)."""
    try:
        if json_text is not None:
            return model.model_validate_json(json_text, strict=True)
        return model.model_validate(data)
    except ValidationError as error:
        if json_text is not None and any(item["type"] == "json_invalid" for item in error.errors()):
            raise invalid_json() from None  # not JSON at all (or not UTF-8): a 400, not a 422
        details = validation_details(error)
        first = details[0]
        if first["field"]:
            problem = {"field": first["field"], "problem": first["message"]}
            raise ValidationFailed(
                f"{first['field']}: {first['message'].fallback or first['message'].code}",
                key="field_problem",
                params=problem,
                details=details,
            ) from None
        raise ValidationFailed(first["message"], details=details) from None


# JSON bodies are bounded before they are parsed: a deep nest would exhaust the parser's stack
# (a 500) and a flood of keys builds structures far larger than the bytes (the size is capped
# before the body is read, core/limits.py). No route takes more than a few levels or a few
# thousand values (a batch of 1,000 ids, 200 allocation lines).
MAX_JSON_DEPTH = 32
MAX_JSON_ITEMS = 10_000
# every byte but the four brackets, deleted in one pass to measure the nesting
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_NESTING = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def invalid_json(reason: str = "") -> BadRequest:
    if reason:
        return BadRequest(
            "The request body is not valid JSON: {reason}",
            code="invalid_json",
            key="invalid_json_reason",
            params={"reason": Message(f"json_{reason.replace(' ', '_')}", fallback=reason)},
        )
    return BadRequest("The request body is not valid JSON", code="invalid_json")


def too_complex(message: str, key: str) -> BadRequest:
    return BadRequest(message, code="json_too_complex", key=key, params={"limit": _limit_of(key)})


def _limit_of(key: str) -> int:
    return MAX_JSON_DEPTH if key == "json_too_deep" else MAX_JSON_ITEMS


def check_json_structure(body: bytes) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH or holding more than MAX_JSON_ITEMS values
    (array items and object members) by counting bytes, not by building it: bytes methods only,
    each one pass in C, so a body at the cap takes milliseconds whatever it holds. (In UTF-8 no
    byte of a multi-byte character is ASCII: a quote or a bracket byte is that character.)"""
    # brackets and commas inside strings are text: drop the escapes that could hide a quote
    # (backslash pairs first, so that \\" still ends a string); then every other piece between
    # quotes is outside the strings
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    # a value or a member holds at most two strings (a key and its value), four quotes
    if unescaped.count(b'"') > 4 * MAX_JSON_ITEMS:
        raise too_complex("The JSON body holds more than {limit:,} values", "json_too_many_values")
    structure = b"".join(unescaped.split(b'"')[::2])
    opened = structure.count(b"[") + structure.count(b"{")
    if structure.count(b"]") + structure.count(b"}") > opened:
        raise invalid_json("unbalanced brackets")
    # every value but the first of a container follows a comma: commas + containers bound them
    if structure.count(b",") + opened > MAX_JSON_ITEMS:
        raise too_complex("The JSON body holds more than {limit:,} values", "json_too_many_values")
    brackets = structure.translate(None, _NOT_BRACKETS)  # at most 2 × MAX_JSON_ITEMS bytes now
    if max(accumulate(map(_NESTING.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH:
        raise too_complex("The JSON body is nested deeper than {limit} levels", "json_too_deep")


def parse_body(request: Request, model: type[BaseModel]) -> Any:
    # the size and the media type were checked before the body was read (core/limits.py); the
    # structure is bounded before pydantic parses it, once, straight into the model
    if not request.body:
        return validate_model(model, {})
    check_json_structure(request.body)
    return validate_model(model, None, json_text=request.body)


def _is_list(annotation: Any) -> bool:
    """``list[X]``, also inside ``Optional``: such a query parameter may repeat."""
    if get_origin(annotation) is list:
        return True
    return any(get_origin(arg) is list for arg in get_args(annotation))


def parse_query(request: Request, model: type[BaseModel]) -> Any:
    data: dict[str, Any] = {}
    # a parameter is read by its alias when it has one (``from``, which Python cannot name)
    names = {field.alias or name: field for name, field in model.model_fields.items()}
    # a parameter sent blank ("?period=") is a value, checked like any other: Sanic's
    # ``request.args`` would drop it, and the route would answer as if it had not been sent
    args = request.get_args(keep_blank_values=True)
    for name, field in names.items():
        values = args.getlist(name)
        if not values:
            continue
        data[name] = values if _is_list(field.annotation) else values[-1]
    unknown = set(args) - set(names)
    if unknown and model.model_config.get("extra") == "forbid":
        raise ValidationFailed(
            "unknown query parameter: {names}",
            key="unknown_query_parameters",
            params={"names": sorted(unknown)},
            details=[
                {"field": name, "message": "unknown query parameter", "code": "unknown_query_parameter"}
                for name in sorted(unknown)
            ],
        )
    return validate_model(model, data)


def require_permission(request: Request, permission: str) -> None:
    user = getattr(request.ctx, "user", None)
    if user is None:
        raise Unauthorized()
    if not allows(user.role, permission):
        raise Forbidden(
            "Your role ({role}) may not do this ({permission})",
            code="forbidden",
            key="role_forbidden",
            params={"role": user.role, "permission": permission},
        )


# --- OpenAPI ------------------------------------------------------------------------------------
def openapi30(schema: Any) -> Any:
    """Pydantic writes JSON Schema 2020-12; OpenAPI 3.0 spells ``X | None`` as nullable."""
    if isinstance(schema, list):
        return [openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {k: openapi30(v) for k, v in schema.items() if k != "title"}
    variants = schema.get("anyOf")
    if variants and {"type": "null"} in variants:
        rest = [v for v in variants if v != {"type": "null"}]
        del schema["anyOf"]
        if len(rest) == 1 and "$ref" not in rest[0]:
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest
        schema["nullable"] = True
        if "enum" in schema and None not in schema["enum"]:
            # OpenAPI 3.0: nullable does not add null to an enum's values; the enum must list it
            schema["enum"] = [*schema["enum"], None]
    if schema.get("const") is not None:
        schema["enum"] = [schema.pop("const")]
    return schema


class RawSchema(OpenAPISchema):
    """A JSON schema passed through to the document as written (sanic-ext would filter it)."""

    def __init__(self, **fields: Any) -> None:
        super().__init__(**fields)  # type: ignore[no-untyped-call]  # sanic-ext's Definition.__init__ is unannotated

    def guard(self, fields: dict[str, Any]) -> dict[str, Any]:
        return fields


def schema_ref(model: type[BaseModel], *, answer: bool = False) -> RawSchema:
    """Register a pydantic model (and the models it uses) as components; return a $ref. An
    ``answer`` is documented as it is written (its serialization aliases, computed fields)."""
    spec = SpecificationBuilder()
    name = model.__name__
    if not spec.has_component("schemas", name):
        schema = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization" if answer else "validation"
        )
        for sub_name, sub_schema in schema.pop("$defs", {}).items():
            spec.add_component("schemas", sub_name, openapi30(sub_schema))
        spec.add_component("schemas", name, openapi30(schema))
    return RawSchema(**{"$ref": f"#/components/schemas/{name}"})


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any] | Parameter | str]:
    # typed as the list openapi.definition(parameter=...) takes (a list is invariant); the
    # enums a parameter names become components, as a body's do, so its $ref resolves
    spec = SpecificationBuilder()
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for sub_name, sub_schema in schema.pop("$defs", {}).items():
        if not spec.has_component("schemas", sub_name):
            spec.add_component("schemas", sub_name, openapi30(sub_schema))
    schema = openapi30(schema)
    required = set(schema.get("required", []))
    return [
        Parameter(name, RawSchema(**prop), location="query", required=name in required)
        for name, prop in schema.get("properties", {}).items()
    ]


# what @endpoint hands to Sanic's route decorators: None when the handler streamed its own response
RouteHandler: TypeAlias = Callable[..., Coroutine[Any, Any, HTTPResponse | None]]


def endpoint(
    *,
    permission: str | None = None,
    public: bool = False,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    summary: str | None = None,
    tag: str | None = None,
    produces: str | None = None,
    errors: tuple[int, ...] = (),
) -> Callable[[Callable[..., Awaitable[Any]]], RouteHandler]:
    if public == (permission is not None):
        raise ValueError("an endpoint is either public or names exactly one permission")

    def decorate(handler: Callable[..., Awaitable[Any]]) -> RouteHandler:
        @wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse | None:
            if permission is not None:
                require_permission(request, permission)
            refused = getattr(request.ctx, REFUSED_MEDIA_TYPE, None)
            if refused is not None:  # found before the body was read (core.limits)
                raise refused
            if body is not None:
                kwargs["body"] = parse_body(request, body)
            if query is not None:
                kwargs["query"] = parse_query(request, query)
            result = await handler(request, *args, **kwargs)
            if request.responded:  # the handler streamed its own response
                return None
            if isinstance(result, HTTPResponse):
                return result
            if result is None:
                return empty(status=204 if status == 200 else status)
            if isinstance(result, BaseModel):
                # serialised by pydantic straight to JSON text: the same text as json.dumps of
                # model_dump(mode="json") (compact, UTF-8), without the dict built in between
                return HTTPResponse(result.model_dump_json(), status=status, content_type=JSON_TYPE)
            return json(result, status=status)

        setattr(wrapper, ROUTE_SPEC_ATTR, RouteSpec(permission=permission, public=public))

        responses: list[Response] = []
        if produces is not None:  # a file download
            responses.append(Response({produces: RawSchema(type="string", format="binary")}, status=status))
        elif response is not None:
            responses.append(Response({"application/json": schema_ref(response, answer=True)}, status=status))
        else:
            responses.append(Response({}, status=204, description="No content"))
        # what the parsing and the permission check can answer, and what the route says it
        # answers besides (a login's 401 and 429); core.openapi adds what follows from the
        # method and the path (404, 409, 413, 415, 503)
        error_statuses = [400, 422] if (body or query) else []
        if not public:
            error_statuses += [401, 403]
        error_statuses += [code for code in errors if code not in error_statuses]
        for code in error_statuses:
            responses.append(
                Response({"application/json": schema_ref(ErrorResponse)}, status=code, description="Error")
            )

        doc = openapi.definition(
            summary=summary or (handler.__doc__ or "").strip().split("\n")[0] or None,
            tag=tag,
            # a body whose every field has a default may be left out (it is read as {})
            body=RequestBody(
                {"application/json": schema_ref(body)},
                required=any(field.is_required() for field in body.model_fields.values()),
            )
            if body
            else None,
            parameter=_query_parameters(query) if query else None,
            response=responses,
            secured={"bearerAuth": []} if not public else None,
        )
        return doc(wrapper)

    return decorate


# --- errors -------------------------------------------------------------------------------------
_SANIC_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    416: "range_not_satisfiable",
    503: "service_unavailable",
}


def error_json(
    status: int,
    code: str,
    message: str | Message,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    """An error answer; ``message`` is rendered in the request's language (a plain text is sent
    as written). An :class:`AppError` answers with its own :meth:`AppError.body`."""
    if isinstance(message, Message):
        error = AppError(message, code=code, details=details)
    else:
        error = AppError(message, code=code, details=details, key="text", params={"text": message})
    error.status = status
    return app_error_json(error, headers)


def app_error_json(error: AppError, headers: dict[str, str] | None = None) -> HTTPResponse:
    headers = {**error.headers, **(headers or {})}
    request_id = current_request_id.get()
    if request_id:
        headers["X-Request-ID"] = request_id
    headers["Content-Language"] = current_language()
    return json(error.body(), status=error.status, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods the router takes on this path. Sanic names them on a 405 for a fixed path but
    not for one with parameters (``/customers/<id>``), and a 405 must say them (RFC 9110). On an
    API path the UI's catch-all (GET any path) does not count: ``/api/v1/customers/abc`` names
    no customer route at all, whatever the method."""
    api = request.path.startswith("/api/")
    allowed = []
    for method in _METHODS:
        try:
            route, _, _ = request.app.router.get(request.path, method, request.headers.get("host"))
        except SanicException:
            continue
        if api and route.name.endswith((".spa_fallback", ".spa_root")):
            continue
        allowed.append(method)
    return allowed


class JSONErrorHandler(ErrorHandler):
    """Every error, ours or the framework's, in the one shape; a 500 never shows a trace."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        if request is not None:
            # the language middleware may not have run (an error found before it, a 404 route)
            use_language(negotiate(request.headers.get("accept-language")))
        if isinstance(exception, AppError):
            return app_error_json(exception)
        if isinstance(exception, DoesNotExist):
            return error_json(404, "not_found", Message("not_found", fallback="Not found"))
        if isinstance(exception, TortoiseValidationError):
            # a value the ORM refuses (e.g. longer than the column) that no schema caught
            return error_json(422, "validation_failed", str(exception))
        if isinstance(exception, IntegrityError):
            log.warning("integrity error surfaced to HTTP: %s", exception)
            return error_json(
                409,
                "conflict",
                Message("integrity_conflict", fallback="The change conflicts with existing data"),
            )
        if isinstance(exception, asyncio.CancelledError):
            # the client went away mid-request (Sanic cancels the handler): nothing is wrong here
            log.info(
                "request cancelled: %s %s",
                request.method if request else "-",
                request.path if request else "-",
            )
            return error_json(
                503, "request_cancelled", Message("request_cancelled", fallback="The request was cancelled")
            )
        if isinstance(exception, SanicException) and exception.status_code < 500:
            status = exception.status_code
            code = _SANIC_CODES.get(status, "error")
            # Sanic's own English text is what a code without a catalog entry shows
            fallback = str(exception) or code.replace("_", " ")
            where = {"method": request.method, "path": request.path} if request is not None else {}
            message = Message(f"http_{code}", {**where, "status": status}, fallback)
            headers = dict(getattr(exception, "headers", None) or {})
            if status == 405 and request is not None:
                allowed = allowed_methods(request)
                if not set(allowed) - {"HEAD", "OPTIONS"}:  # those two every path answers
                    no_route = Message("route_not_found", {"path": request.path}, "No route for {path}")
                    return error_json(404, "route_not_found", no_route)
                headers.setdefault("Allow", ", ".join(allowed))
            return error_json(status, code, message, headers=headers)
        if is_database_outage(exception):
            # an outage, not a bug: no trace, and the client is told when to come back
            log.warning(
                "database unavailable on %s %s: %s",
                request.method if request else "-",
                request.path if request else "-",
                exception,
            )
            return app_error_json(DatabaseUnavailable(retry_after=RETRY_AFTER_SECONDS))
        log.exception(
            "unhandled error on %s %s", request.method if request else "-", request.path if request else "-"
        )
        internal = Message(
            "internal_error", fallback="Internal server error; quote the request id to support"
        )
        return error_json(500, "internal_error", internal)
