"""``http_json``: a generic vendor that answers usage as JSON over HTTP(S).

Settings (``data_source.settings``; unknown keys are refused)::

    base_url        "https://vendor.example/api"  (required; http or https, no query)
    path            "/usage"           appended to base_url
    method          "GET" | "POST"
    auth            "none" | "bearer" | "hmac"
    hmac_header     "X-Signature"      header carrying the HMAC signature
    headers         {}                 extra non-secret request headers
    paging          "none" | "page" | "cursor"
    page_size       500                must not exceed the vendor's own maximum
    page_param      "page"             page number (first page: first_page, default 1)
    page_size_param "page_size"        sent with page and cursor paging, and by the health check
    has_more_path   "has_more"         optional boolean in the page envelope (page paging)
    cursor_param    "cursor"           sent from the second page on (cursor paging)
    cursor_path     "next_cursor"      where the next cursor is in the envelope
    count_path      null               optional: envelope field with the number of items the
                                       page carries; a page with fewer is truncated
    items_path      "data"             dotted path to the list of records in the envelope
    field_map       {"account": "account", "metric": "metric", "usage_day": "day",
                     "quantity": "quantity"}   dotted paths inside each record; a number
                                       segment indexes a list ("values.0.qty");
                                       usage_day null: the day asked for
    day_param       "day"              the day asked for, ISO (YYYY-MM-DD)
    accounts_param  "accounts"         the accounts asked for
    max_pages       1000               safety stop
    health_path     null               GET this path for the health check

Secrets: ``token`` (auth=bearer, sent as ``Authorization: Bearer <token>``) or
``hmac_secret`` (auth=hmac). The per-request timeout is ``SourceConfig.timeout_seconds``.

Requests
    GET sends the parameters in the query string, the accounts comma-joined
    (``?day=2024-05-01&accounts=a1,a2&page=1&page_size=500``). POST sends them as a JSON
    object body, the accounts as a JSON array (``{"day":"2024-05-01","accounts":["a1","a2"],
    "page":1,"page_size":500}``).

HMAC signing (auth=hmac)
    ``X-Timestamp: <unix seconds>`` and ``<hmac_header>: <signature>`` where::

        string_to_sign = f"{timestamp}\\n{METHOD}\\n{path}\\n{payload}"
        signature = HMAC-SHA256(key=hmac_secret as UTF-8, msg=string_to_sign as UTF-8), lower-case hex

    ``METHOD`` is ``GET`` or ``POST``; ``path`` is the request path exactly as sent (percent-
    encoded, base_url's own path included, no query: ``/api/usage``); ``payload`` is, for GET,
    the query string exactly as sent without the ``?`` (empty if none) and, for POST, the JSON
    body exactly as sent.

Paging
    ``page``: pages first_page, first_page+1, … until a page carries fewer than ``page_size``
    records or ``has_more`` is false. A page that says ``has_more: true`` while carrying fewer
    than ``page_size`` records was cut short: :class:`VendorResponseInvalid`.
    ``cursor``: the first request has no cursor; each next one sends the cursor found at
    ``cursor_path``; a null, empty or missing cursor ends the fetch.
    A vendor that repeats itself cannot make a fetch loop or duplicate: a cursor seen before,
    or a page identical to the one before it, ends the fetch (logged), and records are unique
    by (account, metric, usage_day) within one fetch, the last one read winning. More than
    ``max_pages`` pages is an error (not retryable: raise ``page_size`` or ``max_pages``).

Errors (the caller retries, see :mod:`opcms.usage.adapters.contract`): timeouts, connection
errors, HTTP 408/425/429/5xx → :class:`VendorUnavailable`; 401, 403 and other statuses →
:class:`VendorRejected`; a body that is not JSON, not an object, without the items list, with
an item that is not an object, or a broken paging field → :class:`VendorResponseInvalid`.
JSON numbers are read as ``Decimal``/``int`` and handed on as exact text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from opcms.core.i18n import Invalid
from opcms.usage.adapters.contract import (
    HealthResult,
    UsageAdapter,
    VendorRejected,
    VendorResponseInvalid,
    VendorUnavailable,
    VendorUsage,
)

log = logging.getLogger(__name__)

_MISSING: Any = object()
_DOTTED = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_RETRYABLE_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "opcms-usage/1"


def _dotted(value: str) -> str:
    if not _DOTTED.match(value):
        raise Invalid(
            "dotted_path_required",
            "must be a dotted path such as 'data' or 'result.items' (no spaces, no empty part)",
        )
    return value


class FieldMap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str = "account"
    metric: str = "metric"
    usage_day: str | None = "day"
    quantity: str = "quantity"

    @field_validator("account", "metric", "usage_day", "quantity")
    @classmethod
    def _paths(cls, value: str | None) -> str | None:
        return None if value is None else _dotted(value)


class HttpJsonSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str
    path: str = "/usage"
    method: Literal["GET", "POST"] = "GET"
    auth: Literal["none", "bearer", "hmac"] = "none"
    hmac_header: str = "X-Signature"
    headers: dict[str, str] = Field(default_factory=dict)
    paging: Literal["none", "page", "cursor"] = "none"
    page_size: int = Field(default=500, ge=1, le=100_000)
    page_param: str = Field(default="page", min_length=1)
    page_size_param: str = Field(default="page_size", min_length=1)
    first_page: int = Field(default=1, ge=0)
    has_more_path: str = "has_more"
    cursor_param: str = Field(default="cursor", min_length=1)
    cursor_path: str = "next_cursor"
    count_path: str | None = None
    items_path: str = "data"
    field_map: FieldMap = Field(default_factory=FieldMap)
    day_param: str = Field(default="day", min_length=1)
    accounts_param: str = Field(default="accounts", min_length=1)
    max_pages: int = Field(default=1000, ge=1, le=100_000)
    health_path: str | None = None

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        try:
            url = httpx.URL(value.strip())
        except (httpx.InvalidURL, TypeError, ValueError) as error:
            raise Invalid("not_a_url", "not a URL ({error})", error=str(error)) from None
        if url.scheme not in ("http", "https") or not url.host:
            raise Invalid("url_with_host_required", "must be an http:// or https:// URL with a host")
        if url.query or url.fragment:
            raise Invalid("url_without_query", "must not carry a query or a fragment")
        return str(url).rstrip("/")

    @field_validator("path", "health_path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("/") or "?" in value or "#" in value):
            raise Invalid("path_required", "must start with '/' and carry no query")
        return value

    @field_validator("items_path", "has_more_path", "cursor_path", "count_path")
    @classmethod
    def _envelope_paths(cls, value: str | None) -> str | None:
        return None if value is None else _dotted(value)

    @field_validator("hmac_header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if not _HEADER_NAME.match(value):
            raise Invalid("header_name_invalid", "not a valid header name")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _HEADER_NAME.match(name):
                raise Invalid("named_header_invalid", "{name} is not a valid header name", name=repr(name))
            if name.lower() in ("authorization", "x-timestamp", "host", "content-length"):
                raise Invalid(
                    "header_set_by_adapter",
                    "{name} is set by the adapter (credentials belong in the secrets)",
                    name=repr(name),
                )
        return value


def lookup(document: Any, path: str) -> Any:
    """The value at a dotted ``path`` (a number segment indexes a list), or ``_MISSING``."""
    current = document
    for part in path.split("."):
        if isinstance(current, Mapping):
            if part not in current:
                return _MISSING
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(current) <= index < len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def raw_text(value: Any) -> str:
    """A JSON value as the text a :class:`VendorUsage` carries (exact for numbers)."""
    if value is _MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):  # not produced by our parser; kept exact-ish if handed one
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def parse_json(content: bytes) -> Any:
    """JSON with exact numbers: floats as ``Decimal``, NaN/Infinity kept as their text."""
    return json.loads(content, parse_float=Decimal, parse_constant=str)


def _canonical(items: list[Any]) -> bytes:
    return json.dumps(items, sort_keys=True, separators=(",", ":"), default=str).encode()


class HttpJsonAdapter(UsageAdapter):
    name = "http_json"
    secret_names = ("token", "hmac_secret")
    description = "A vendor answering usage as JSON over HTTP (bearer or HMAC auth, page or cursor paging)"
    settings_model = HttpJsonSettings

    settings: HttpJsonSettings

    @classmethod
    def check_secrets(cls, settings: HttpJsonSettings, secrets: Mapping[str, str]) -> dict[str, str]:
        needed = {"bearer": "token", "hmac": "hmac_secret"}.get(settings.auth)
        if needed and not (isinstance(secrets.get(needed), str) and secrets[needed]):
            return {needed: f"required when auth is {settings.auth!r}"}
        return {}

    # -- requests ---------------------------------------------------------------------------------

    def _params(
        self,
        day: dt.date,
        accounts: Sequence[str] | None,
        page: int | None,
        cursor: str | None,
        page_size: int | None,
    ) -> list[tuple[str, Any]]:
        s = self.settings
        params: list[tuple[str, Any]] = [(s.day_param, day.isoformat())]
        if accounts is not None:
            params.append((s.accounts_param, list(accounts)))
        if page is not None:
            params.append((s.page_param, page))
        if cursor is not None:
            params.append((s.cursor_param, cursor))
        if page_size is not None:
            params.append((s.page_size_param, page_size))
        return params

    def _request(self, method: str, path: str, params: list[tuple[str, Any]]) -> httpx.Request:
        s = self.settings
        url = s.base_url + path
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **s.headers}
        content: bytes | None = None
        if method == "GET":
            if params:
                pairs = [(k, ",".join(v) if isinstance(v, list) else str(v)) for k, v in params]
                url += "?" + urlencode(pairs, quote_via=quote, safe=",")
        else:
            content = json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if s.auth == "bearer":
            headers["Authorization"] = f"Bearer {self.config.secrets['token']}"
        request = self.http.build_request(
            method, url, content=content, headers=headers, timeout=httpx.Timeout(self.config.timeout_seconds)
        )
        if s.auth == "hmac":
            raw_path, _, query = request.url.raw_path.partition(b"?")
            payload = content if method == "POST" else query
            timestamp = str(int(time.time()))
            message = b"\n".join((timestamp.encode(), method.encode(), raw_path, payload or b""))
            signature = hmac.new(
                self.config.secrets["hmac_secret"].encode(), message, hashlib.sha256
            ).hexdigest()
            request.headers["X-Timestamp"] = timestamp
            request.headers[s.hmac_header] = signature
        return request

    async def _send(self, request: httpx.Request) -> httpx.Response:
        source = self.config.name
        try:
            response = await self.http.send(request)
        except httpx.TimeoutException as error:
            raise VendorUnavailable(
                f"{source}: no answer within {self.config.timeout_seconds:g} s ({type(error).__name__})"
            ) from None
        except httpx.DecodingError as error:
            raise VendorResponseInvalid(f"{source}: undecodable response body ({error})") from None
        except httpx.RequestError as error:
            raise VendorUnavailable(
                f"{source}: {type(error).__name__}: {error or 'connection failed'}"
            ) from None
        return response

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        source = self.config.name
        snippet = response.text[:200].strip() if response.content else ""
        why = f"{source}: HTTP {status} {response.reason_phrase}".rstrip() + (
            f": {snippet}" if snippet else ""
        )
        if status >= 500 or status in _RETRYABLE_STATUSES:
            raise VendorUnavailable(why, status=status)
        if status in (401, 403):
            raise VendorRejected(f"{why} (credentials refused)", status=status)
        raise VendorRejected(why, status=status)

    async def _get_page(
        self, day: dt.date, accounts: Sequence[str], page: int | None, cursor: str | None
    ) -> Any:
        s = self.settings
        page_size = s.page_size if s.paging != "none" else None
        request = self._request(s.method, s.path, self._params(day, accounts, page, cursor, page_size))
        response = await self._send(request)
        self._check_status(response)
        try:
            body = parse_json(response.content)
        except (
            ValueError,
            RecursionError,
        ) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise VendorResponseInvalid(f"{self.config.name}: malformed JSON ({error})"[:300]) from None
        if not isinstance(body, dict):
            raise VendorResponseInvalid(
                f"{self.config.name}: the response is a JSON {type(body).__name__}, not an object"
            )
        return body

    # -- the contract -------------------------------------------------------------------------------

    async def fetch_usage(self, accounts: Sequence[str], day: dt.date) -> list[VendorUsage]:
        accounts = list(accounts)
        if not accounts:
            return []
        s = self.settings
        source = self.config.name
        records: dict[tuple[str, str, str], VendorUsage] = {}
        page: int | None = s.first_page if s.paging == "page" else None
        cursor: str | None = None
        seen_cursors: set[str] = set()
        previous: bytes | None = None
        for number in range(1, s.max_pages + 1):
            body = await self._get_page(day, accounts, page, cursor)
            items = lookup(body, s.items_path)
            if items is _MISSING:
                raise VendorResponseInvalid(f"{source}: page {number} has no {s.items_path!r}")
            if not isinstance(items, list):
                raise VendorResponseInvalid(f"{source}: {s.items_path!r} of page {number} is not a list")
            if s.count_path is not None:
                declared = lookup(body, s.count_path)
                if isinstance(declared, bool) or not isinstance(declared, int):
                    raise VendorResponseInvalid(
                        f"{source}: page {number}: {s.count_path!r} is not an integer"
                    )
                if declared != len(items):
                    raise VendorResponseInvalid(
                        f"{source}: page {number} is truncated ({len(items)} records, {declared} announced)"
                    )
            for position, item in enumerate(items):
                record = self._record(item, day, number, position)
                records[(record.account, record.metric, record.usage_day)] = record
            digest = hashlib.sha256(_canonical(items)).digest()
            if items and digest == previous:
                log.warning("%s: page %d repeats the page before it; fetch ended", source, number)
                break
            previous = digest
            if s.paging == "none":
                break
            if s.paging == "page":
                if not self._more_pages(body, items, number):
                    break
                assert page is not None
                page += 1
            else:
                following = lookup(body, s.cursor_path)
                if following is _MISSING or following is None or following == "":
                    break
                if isinstance(following, bool) or not isinstance(following, (str, int)):
                    raise VendorResponseInvalid(f"{source}: page {number}: {s.cursor_path!r} is not a string")
                following = str(following)
                if following in seen_cursors:
                    log.warning("%s: page %d repeats cursor %r; fetch ended", source, number, following[:64])
                    break
                seen_cursors.add(following)
                cursor = following
        else:
            raise VendorResponseInvalid(
                f"{source}: more than max_pages={s.max_pages} pages for {day.isoformat()}; "
                "raise max_pages or page_size",
                retryable=False,
            )
        return list(records.values())

    def _more_pages(self, body: Any, items: list[Any], number: int) -> bool:
        s = self.settings
        full = len(items) >= s.page_size
        has_more = lookup(body, s.has_more_path)
        if has_more is _MISSING or has_more is None:
            return full
        if not isinstance(has_more, bool):
            raise VendorResponseInvalid(
                f"{self.config.name}: page {number}: {s.has_more_path!r} is not a boolean"
            )
        if has_more and not full:
            raise VendorResponseInvalid(
                f"{self.config.name}: page {number} is short ({len(items)} of {s.page_size} records) "
                f"but {s.has_more_path!r} is true"
            )
        return has_more

    def _record(self, item: Any, day: dt.date, page: int, position: int) -> VendorUsage:
        if not isinstance(item, dict):
            raise VendorResponseInvalid(
                f"{self.config.name}: page {page}, record {position} is not an object"
            )
        fields = self.settings.field_map
        return VendorUsage(
            account=raw_text(lookup(item, fields.account)),
            metric=raw_text(lookup(item, fields.metric)),
            usage_day=day.isoformat()
            if fields.usage_day is None
            else raw_text(lookup(item, fields.usage_day)),
            quantity=raw_text(lookup(item, fields.quantity)),
        )

    async def health_check(self) -> HealthResult:
        s = self.settings
        try:
            if s.health_path is not None:
                request = self._request("GET", s.health_path, [])
            else:
                page = s.first_page if s.paging == "page" else None
                request = self._request(s.method, s.path, self._params(dt.date.today(), None, page, None, 1))
        except Exception as error:  # pragma: no cover - a settings problem the model let through
            return HealthResult(False, f"cannot build the request: {error}", None)
        started = time.perf_counter()
        try:
            response = await self.http.send(request)
        except httpx.TimeoutException:
            return HealthResult(False, f"no answer within {self.config.timeout_seconds:g} s", None)
        except httpx.HTTPError as error:
            return HealthResult(False, f"{type(error).__name__}: {error or 'connection failed'}", None)
        latency = round((time.perf_counter() - started) * 1000, 1)
        ok = 200 <= response.status_code < 300
        detail = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        if response.status_code in (401, 403):
            detail += " (credentials refused)"
        return HealthResult(ok, detail, latency)
