"""A real HTTP usage vendor for tests: a ``ThreadingHTTPServer`` on 127.0.0.1 (port chosen by
the OS) in a background thread, speaking what the ``http_json`` adapter expects. Nothing is
patched: the adapter talks to it over TCP.

    with FakeVendor(records=[...], paging="page") as vendor:   # or the ``fake_vendor`` fixture
        vendor.url                  # "http://127.0.0.1:PORT"
        vendor.fail_next("500", times=2)
        vendor.calls                # every request: method, path, params, headers, body, status

Behaviour (attributes may be changed at any time, they are read per request):

* ``records``: dicts served as the items; filtered by the ``day`` and ``accounts`` parameters
  on the keys named by ``filter_keys`` (dotted paths; a record without the key always passes).
  ``Decimal`` values are written as raw JSON numbers (``Decimal("1.10")`` → ``1.10``).
* ``paging``: ``"none"``; ``"page"`` (``page``/``page_size`` parameters, envelope
  ``has_more`` unless ``send_has_more`` is false); ``"cursor"`` (``cursor``/``page_size``,
  envelope ``next_cursor``, null on the last page). ``count_key`` adds the page's item count.
  Envelope keys are dotted paths (``items_key="result.items"``).
* ``auth``: ``"none"``, ``"bearer"`` (``token``) or ``"hmac"`` (``hmac_secret``,
  ``hmac_header``; the signature described in ``opcms.usage.adapters.http_json`` is verified,
  timestamp within 5 minutes). A failed check answers 401.
* ``fail_next(kind, times=1, after=0)``: the next ``times`` requests to the usage path (after
  ``after`` normal ones) fail as ``kind``:
  ``"500"``, ``"503"``, ``"429"``, ``"401"``, ``"404"``, ``"slow"`` (answers normally after
  ``slow_seconds``), ``"malformed"`` (cut JSON), ``"not_object"`` (a JSON array),
  ``"no_items"`` (an envelope without the items), ``"short"`` (the page minus its last item,
  envelope unchanged), ``"repeat"`` (the previous answer again: repeated page and cursor),
  ``"truncated_body"`` (Content-Length promises more than is sent).
* ``health_path`` (``/health``) answers ``{"status": "ok"}`` after the auth check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

FAILURE_KINDS = frozenset(
    {
        "500",
        "503",
        "429",
        "401",
        "404",
        "slow",
        "malformed",
        "not_object",
        "no_items",
        "short",
        "repeat",
        "truncated_body",
    }
)
_RAW = re.compile(r'"__raw_number__\(([^)"]*)\)"')


def to_json(value: Any) -> bytes:
    """JSON with ``Decimal`` written as the exact number text."""

    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return f"__raw_number__({obj})"
        raise TypeError(f"not JSON: {obj!r}")

    return _RAW.sub(r"\1", json.dumps(value, default=default, ensure_ascii=False)).encode()


def get_path(document: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    return document


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        document = document.setdefault(part, {})
    document[last] = value


@dataclass
class Call:
    method: str
    path: str
    query: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    failure: str | None = None

    @property
    def accounts(self) -> list[str]:
        value = self.params.get("accounts")
        if isinstance(value, list):
            return value
        return value.split(",") if value else []


@dataclass
class FakeVendor:
    records: list[dict[str, Any]] = field(default_factory=list)
    paging: str = "none"
    auth: str = "none"
    token: str = "vendor-token"
    hmac_secret: str = "vendor-hmac-secret"
    hmac_header: str = "X-Signature"
    path: str = "/usage"
    health_path: str = "/health"
    items_key: str = "data"
    has_more_key: str = "has_more"
    send_has_more: bool = True
    cursor_key: str = "next_cursor"
    count_key: str | None = None
    filter_keys: dict[str, str] = field(default_factory=lambda: {"account": "account", "day": "day"})
    default_page_size: int = 2
    slow_seconds: float = 2.0

    calls: list[Call] = field(default_factory=list, init=False)
    url: str = field(default="", init=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: deque[str | None] = deque()
        self._last_body: bytes | None = None
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ----------------------------------------------------------------------------

    def fail_next(self, kind: str, times: int = 1, *, after: int = 0) -> None:
        """The next ``times`` usage requests fail as ``kind`` (after ``after`` normal ones)."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure {kind!r}; known: {sorted(FAILURE_KINDS)}")
        with self._lock:
            self._failures.extend([None] * after + [kind] * times)

    @property
    def call_count(self) -> int:
        return len(self.calls)

    def usage_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path == self.path]

    # -- lifetime -----------------------------------------------------------------------------

    def start(self) -> FakeVendor:
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                vendor._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                vendor._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (timeout tests) is expected

        self._server = Server(("127.0.0.1", 0), Handler)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeVendor:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- serving ------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        raw_path, _, query = handler.path.partition("?")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if method == "GET":
            params: dict[str, Any] = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        else:
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
        call = Call(method, raw_path, query, params, {k: v for k, v in handler.headers.items()}, body)
        with self._lock:
            self.calls.append(call)

        def answer(
            status: int, payload: bytes, *, headers: dict[str, str] | None = None, length: int | None = None
        ) -> None:
            call.status = status
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload) if length is None else length))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            try:
                handler.wfile.write(payload)
                handler.wfile.flush()
            except OSError:
                pass

        if raw_path not in (self.path, self.health_path):
            return answer(404, b'{"error": "no such path"}')
        refused = self._auth_problem(handler, method, raw_path, query, body)
        if refused:
            return answer(401, to_json({"error": refused}))
        if raw_path == self.health_path:
            return answer(200, b'{"status": "ok"}')

        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        call.failure = failure
        if failure in ("500", "503", "401", "404"):
            return answer(int(failure), to_json({"error": f"scripted {failure}"}))
        if failure == "429":
            return answer(429, b'{"error": "slow down"}', headers={"Retry-After": "1"})
        if failure == "malformed":
            return answer(200, b'{"data": [{"account": "a1", "quantity": 1')
        if failure == "not_object":
            return answer(200, b'[{"account": "a1"}]')
        if failure == "no_items":
            return answer(200, b'{"total": 3}')
        if failure == "truncated_body":
            return answer(200, b'{"data": []', length=4096)
        if failure == "repeat" and self._last_body is not None:
            return answer(200, self._last_body)
        if failure == "slow":
            self._stop.wait(self.slow_seconds)

        envelope = self._page(params, short=failure == "short")
        payload = to_json(envelope)
        self._last_body = payload
        return answer(200, payload)

    def _auth_problem(
        self, handler: BaseHTTPRequestHandler, method: str, raw_path: str, query: str, body: bytes
    ) -> str | None:
        if self.auth == "bearer":
            if handler.headers.get("Authorization") != f"Bearer {self.token}":
                return "bad or missing bearer token"
        elif self.auth == "hmac":
            timestamp = handler.headers.get("X-Timestamp") or ""
            signature = handler.headers.get(self.hmac_header) or ""
            if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
                return "missing or stale X-Timestamp"
            payload = body if method == "POST" else query.encode()
            message = f"{timestamp}\n{method}\n{raw_path}\n".encode() + payload
            expected = hmac.new(self.hmac_secret.encode(), message, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(signature, expected):
                return "bad signature"
        return None

    def _selected(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        day = params.get("day")
        accounts = params.get("accounts")
        if isinstance(accounts, str):
            accounts = accounts.split(",") if accounts else None
        out = []
        for record in self.records:
            record_day = get_path(record, self.filter_keys["day"])
            record_account = get_path(record, self.filter_keys["account"])
            if day is not None and record_day is not None and record_day != day:
                continue
            if accounts is not None and record_account is not None and record_account not in accounts:
                continue
            out.append(record)
        return out

    def _page(self, params: dict[str, Any], *, short: bool) -> dict[str, Any]:
        selected = self._selected(params)
        size = int(params.get("page_size") or self.default_page_size)
        envelope: dict[str, Any] = {}
        if self.paging == "page":
            page = int(params.get("page") or 1)
            items = selected[(page - 1) * size : page * size]
            if self.send_has_more:
                set_path(envelope, self.has_more_key, page * size < len(selected))
        elif self.paging == "cursor":
            cursor = str(params.get("cursor") or "c0")
            offset = int(cursor[1:])
            items = selected[offset : offset + size]
            following = f"c{offset + size}" if offset + size < len(selected) else None
            set_path(envelope, self.cursor_key, following)
        else:
            items = selected
        if self.count_key:
            set_path(envelope, self.count_key, len(items))
        if short and items:
            items = items[:-1]
        set_path(envelope, self.items_key, items)
        return envelope
