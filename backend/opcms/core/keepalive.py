"""Keep-alive connections end after ``OPCMS_KEEPALIVE_REQUESTS`` requests (DESIGN §15).

The API processes share one listening socket, and a client's keep-alive connection stays with
the process that accepted it for as long as the client keeps it. Clients that connect together
(a proxy's upstream pool, a load generator) are split between the processes as the accepts
happened to fall — 33 against 17 was seen — and stay split so: one process then queues twice the
requests of the other and the list's slowest answers are its. Closing a connection after a
bounded number of requests (nginx's ``keepalive_requests`` does the same, 1,000 by default)
lets the client connect again, and the connection goes to the process that is first to accept
it: the one with time to spare. The connection is closed after the answer, which says
``Connection: close``; no request is refused or lost.
"""

from __future__ import annotations

from typing import Any

from sanic import Request, Sanic
from sanic.http import Http
from sanic.response import BaseHTTPResponse


def install_keepalive_limit(app: Sanic[Any, Any], requests_per_connection: int) -> None:
    """Close each keep-alive connection after ``requests_per_connection`` answers (0: never)."""
    if requests_per_connection <= 0:
        return

    async def count_answers(request: Request, response: BaseHTTPResponse) -> None:
        info = request.conn_info
        stream = request.stream
        if info is None or not isinstance(stream, Http):  # HTTP/1.1 only (not under ASGI)
            return
        served = getattr(info.ctx, "answers", 0) + 1
        info.ctx.answers = served
        if served >= requests_per_connection:
            stream.keep_alive = False

    app.register_middleware(count_answers, "response")
