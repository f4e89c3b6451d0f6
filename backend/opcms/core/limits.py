"""Request limits that apply before a body is parsed: a size cap per kind of route, and the media
types each kind accepts.

Sanic reads the whole body of a non-streaming route into memory before any middleware runs, and
``REQUEST_MAX_SIZE`` is one number for every route: the upload cap let a 41 MB JSON body reach
the login route. Here a check runs as soon as the route is known (``http.routing.after``), before
a byte of the body is read:

* a ``Content-Length`` over the route's cap, or a media type the route does not take, is refused
  at once (413 ``payload_too_large``, 415 ``unsupported_media_type``);
* a body larger than a session route's may be sent only by a signed-in caller: on the other
  routes the caller is authenticated before such a body is read (401 otherwise), so nobody
  unknown gets more than a few KB into memory;
* the body is then read here, chunk by chunk, and refused as soon as it passes the cap, which
  also bounds a chunked body that announces no length.

The kinds of route: the session routes (login, refresh, logout, the public and the unmatched
ones) take a few KB; the JSON routes take ``OPCMS_JSON_BODY_MAX_BYTES``; the upload routes,
named when the app is built, take the import size (``OPCMS_IMPORT_MAX_BYTES``) plus room for
the multipart framing. The largest cap is also Sanic's ``REQUEST_MAX_SIZE``: the bound of a body
no route reads (an unmatched path, a GET) that Sanic drains or refuses after the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sanic import Request, Sanic

from opcms.core.errors import AppError, BadRequest
from opcms.core.http import REFUSED_MEDIA_TYPE, route_spec
from opcms.core.i18n import Message
from opcms.core.settings import Settings

KB = 1024
# a username and a password, or a refresh token, with room to spare
SESSION_BODY_MAX_BYTES = 8 * KB
# the multipart framing around an uploaded file: boundaries, part headers, the form's other fields
MULTIPART_OVERHEAD_BYTES = 64 * KB

JSON_MEDIA_TYPES = ("application/json",)
# a form without a file is let through to the route, which names the missing field (422)
FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# JSON is UTF-8 (RFC 8259); a charset parameter may say so, and nothing else
JSON_CHARSETS = ("utf-8", "utf8")

UPLOAD_ATTR = "__opcms_upload__"


class PayloadTooLarge(AppError):
    status, code, message = 413, "payload_too_large", "The request body is too large"


class UnsupportedMediaType(AppError):
    status, code, message = 415, "unsupported_media_type", "Unsupported media type"


@dataclass(frozen=True)
class BodyRule:
    """What one kind of route accepts as a body."""

    kind: str
    max_bytes: int
    media_types: tuple[str, ...]


def accepts_upload(handler: Any) -> Any:
    """Mark a route handler as an upload route: a multipart body up to the import size."""
    setattr(handler, UPLOAD_ATTR, True)
    return handler


def body_rules(settings: Settings) -> dict[str, BodyRule]:
    return {
        "session": BodyRule("session", SESSION_BODY_MAX_BYTES, JSON_MEDIA_TYPES),
        "json": BodyRule("json", settings.json_body_max_bytes, JSON_MEDIA_TYPES),
        "upload": BodyRule("upload", settings.import_max_bytes + MULTIPART_OVERHEAD_BYTES, FORM_MEDIA_TYPES),
    }


def route_kind(handler: Any) -> str:
    if getattr(handler, UPLOAD_ATTR, False):
        return "upload"
    spec = route_spec(handler)
    # the public routes (login, refresh, health) and one's own session (logout, me) have small
    # bodies or none; so has anything not built with ``endpoint`` (static files, the API docs)
    if spec is None or spec.public or spec.permission == "session:self":
        return "session"
    return "json"


def declared_length(request: Request) -> int | None:
    """The ``Content-Length``, or None when the length is not announced (chunked)."""
    value = request.headers.getone("content-length", None)
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        raise BadRequest(
            "The Content-Length header is not a number",
            code="bad_content_length",
            key="content_length_not_number",
        ) from None
    if length < 0:
        raise BadRequest(
            "The Content-Length header is negative", code="bad_content_length", key="content_length_negative"
        )
    return length


def check_media_type(request: Request, rule: BodyRule) -> None:
    header = request.headers.getone("content-type", "")
    media_type, _, parameters = header.partition(";")
    media_type = media_type.strip().lower()
    accepted = " or ".join(rule.media_types)
    if media_type not in rule.media_types:
        shown = media_type or "none"
        raise UnsupportedMediaType(
            f"This route takes {accepted} (the request was {shown})",
            code="unsupported_media_type",
            key="media_type_refused",
            params={
                "accepted": Message("either_of", {"first": rule.media_types[0], "rest": rule.media_types[1:]})
                if len(rule.media_types) > 1
                else rule.media_types[0],
                "sent": shown,
            },
        )
    if rule.media_types == JSON_MEDIA_TYPES:
        for parameter in parameters.split(";"):
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in JSON_CHARSETS:
                raise UnsupportedMediaType(
                    f"JSON is read as UTF-8 (the request said charset={value.strip()})",
                    code="unsupported_media_type",
                    key="json_charset_refused",
                    params={"charset": value.strip()},
                )


def defer_media_type(request: Request, rule: BodyRule) -> None:
    """A body of the wrong type is refused (415) once the caller is known to be allowed on the
    route: who may not write hears 403 whatever they sent. The body is capped all the same."""
    try:
        check_media_type(request, rule)
    except UnsupportedMediaType as refused:
        setattr(request.ctx, REFUSED_MEDIA_TYPE, refused)


def too_large(rule: BodyRule) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is over the {rule.max_bytes:,} bytes this route accepts",
        code="payload_too_large",
        key="body_over_route_limit",
        params={"limit": rule.max_bytes},
    )


async def read_body(request: Request, rule: BodyRule) -> None:
    """Read the body into ``request.body``, refusing it as soon as it passes the cap (a chunked
    body says its size only as it comes)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream:  # type: ignore[union-attr]  # a body is only read with a stream
        size += len(chunk)
        if size > rule.max_bytes:
            raise too_large(rule)
        chunks.append(chunk)
    request.body = b"".join(chunks)


# authenticates the caller of a route that needs it (the JWT middleware), raising 401 otherwise
Authenticate = Callable[[Request], Awaitable[None]]


class BodyLimits:
    """The check of every request's body against its route's rule (see the module's text)."""

    def __init__(self, settings: Settings, authenticate: Authenticate | None = None) -> None:
        self.rules = body_rules(settings)
        self.authenticate = authenticate

    @property
    def largest(self) -> int:
        return max(rule.max_bytes for rule in self.rules.values())

    def rule_for(self, handler: Any) -> BodyRule:
        return self.rules[route_kind(handler)]

    async def check(self, request: Request, handler: Any, **_: Any) -> None:
        rule = self.rule_for(handler)
        length = declared_length(request)
        if length is not None and length > rule.max_bytes:
            raise too_large(rule)
        route = request.route
        if route is not None and route.extra.ignore_body:
            return  # a GET or HEAD: Sanic never reads the body, and the cap above still holds
        if length:
            defer_media_type(request, rule)
        if request.stream is None or not request.stream.request_body:
            return
        if self.authenticate is not None and (length is None or length > SESSION_BODY_MAX_BYTES):
            # the middleware authenticates again after the read: a second look-up, paid only by
            # bodies over a few KB, so that an unknown caller cannot make the API hold one
            await self.authenticate(request)
        await read_body(request, rule)
        if length is None and request.body:
            defer_media_type(request, rule)

    def install(self, app: Sanic[Any, Any]) -> None:
        app.config.REQUEST_MAX_SIZE = self.largest
        # before sanic-ext's injection and anything else that may look at the body
        app.signal("http.routing.after", priority=100)(self.check)


def install_body_limits(
    app: Sanic[Any, Any], settings: Settings, uploads: Iterable[Any], authenticate: Authenticate | None = None
) -> None:
    """Cap every route's body before it is read; ``uploads`` are the handlers that take files,
    ``authenticate`` checks the caller of a route that is not public before a large body is read."""
    for handler in uploads:
        accepts_upload(handler)
    BodyLimits(settings, authenticate).install(app)
