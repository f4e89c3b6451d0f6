"""Real fake servers for the notification channels, on 127.0.0.1 (ports chosen by the OS).
Nothing is patched: the channels talk to them over TCP.

``FakeWeCom`` — a ``ThreadingHTTPServer`` in a background thread speaking the three WeCom
calls the channels use:

* ``POST /cgi-bin/webhook/send?key=K`` (group bot): ``bot_key`` is the good key (another key:
  errcode 93000); an empty body: errcode 40008 (what WeCom says to a good key with no message).
* ``GET /cgi-bin/gettoken?corpid=&corpsecret=``: a new token ``tok-N`` valid for
  ``expires_in`` seconds (the reply says so); a wrong corp id/secret: errcode 40013/40001.
* ``POST /cgi-bin/message/send?access_token=T`` (application message): a token not issued,
  or dropped by ``expire_tokens()``: errcode 42001; otherwise a ``msgid``.

``fail_next(kind, times=1, path="webhook")`` makes the next requests to the bot webhook
(``"webhook"``) or the message/send call (``"message"``) fail as ``"500"``, ``"503"``,
``"45009"`` (frequency limit), ``"42001"`` (token expired) or ``"93000"``. ``calls`` records
every request (method, path, params, body, status); ``messages`` the accepted messages.

``FakeSmtp`` — aiosmtpd's controller (its own thread and loop) collecting messages in
``messages``; ``fail_next(code, times)`` answers the DATA of the next messages with ``code``
(``451`` try later, ``550`` mailbox unavailable).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from tests.backend.processes import free_port


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    status: int = 200


@dataclass
class FakeWeCom:
    bot_key: str = "bot-key-123"
    corp_id: str = "corp-1"
    corp_secret: str = "corp-secret-xyz"
    expires_in: int = 7200
    calls: list[Call] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[str]] = {"webhook": deque(), "message": deque()}
        self._valid_tokens: set[str] = set()
        self._token_seq = itertools.count(1)
        self._msg_seq = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # --- control ---------------------------------------------------------------------------
    def fail_next(self, kind: str, times: int = 1, path: str = "webhook") -> None:
        with self._lock:
            self._failures[path].extend([kind] * times)

    def expire_tokens(self) -> None:
        with self._lock:
            self._valid_tokens.clear()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/cgi-bin/webhook/send?key={self.bot_key}"

    def calls_to(self, path: str) -> list[Call]:
        return [call for call in self.calls if call.path == path]

    # --- answers ---------------------------------------------------------------------------
    def _failure(self, path: str) -> str | None:
        with self._lock:
            return self._failures[path].popleft() if self._failures[path] else None

    def answer(self, method: str, path: str, params: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        if path == "/cgi-bin/gettoken" and method == "GET":
            if params.get("corpid") != self.corp_id:
                return 200, {"errcode": 40013, "errmsg": "invalid corpid"}
            if params.get("corpsecret") != self.corp_secret:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            token = f"tok-{next(self._token_seq)}"
            with self._lock:
                self._valid_tokens.add(token)
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.expires_in}
        if path == "/cgi-bin/webhook/send" and method == "POST":
            if params.get("key") != self.bot_key:
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
            failure = self._failure("webhook")
            if failure:
                return self._failed(failure)
            if not isinstance(body, dict) or body.get("msgtype") != "markdown":
                return 200, {"errcode": 40008, "errmsg": "invalid message type"}
            self.messages.append(body)
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/cgi-bin/message/send" and method == "POST":
            with self._lock:
                valid = params.get("access_token") in self._valid_tokens
            if not valid:
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            failure = self._failure("message")
            if failure:
                return self._failed(failure)
            self.messages.append(body)
            return 200, {
                "errcode": 0,
                "errmsg": "ok",
                "invaliduser": "",
                "msgid": f"msg-{next(self._msg_seq)}",
            }
        return 404, {"errcode": 404, "errmsg": "no such path"}

    @staticmethod
    def _failed(kind: str) -> tuple[int, dict[str, Any]]:
        if kind in ("500", "503"):
            return int(kind), {"error": "server error"}
        return 200, {"errcode": int(kind), "errmsg": f"failure {kind}"}

    # --- server ----------------------------------------------------------------------------
    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                status, document = fake.answer(self.command, parts.path, params, body)
                fake.calls.append(Call(self.command, parts.path, params, body, status))
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


class FakeSmtp:
    """An SMTP server on loopback that keeps what it receives (``messages``: envelope + text)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._failures: deque[int] = deque()
        self.port = free_port()
        self._controller = None

    def fail_next(self, code: int, times: int = 1) -> None:
        self._failures.extend([code] * times)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd handler hook
        if self._failures:
            code = self._failures.popleft()
            return f"{code} {'try again later' if code < 500 else 'mailbox unavailable'}"
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", errors="replace"),
            }
        )
        return "250 Message accepted for delivery"

    def __enter__(self) -> Self:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
