"""The API processes hold even shares of the keep-alive connections (DESIGN §15).

Each API process has its own listening socket on the port (``SO_REUSEPORT``, ``opcms api``)
and the kernel hands a new connection to one of them by a hash of its addresses: even on
average, but 36 of 50 connections were seen on one process, and a keep-alive connection stays
where it landed — behind a proxy's pool for good. A process replaced after a crash starts with
none while the other holds them all. The process holding more than its share queues more
requests in front of each one, and the slowest answers of the whole API are its.

So the processes count the connections each holds, in a small file shared by the processes of
one ``opcms api`` (one 8-byte slot each, written by its owner only). A process holding more than
``MARGIN`` connections above the process holding the fewest answers the request in hand with
``Connection: close``: the client connects again, and the kernel picks a socket afresh, half the
time the other one's. Nothing is refused: the answer is whole, the client's next request opens a
connection. Shares settle within ``MARGIN``.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path
from typing import Any

from sanic import Request, Sanic
from sanic.http import Http
from sanic.response import BaseHTTPResponse

#: the shared file and this process's slot in it (set by ``opcms api`` for each of its processes)
SHARES_FILE_ENV = "OPCMS_API_SHARES_FILE"
SLOT_ENV = "OPCMS_API_SLOT"
#: how many connections above the fewest a process keeps before it sheds one
MARGIN = 2
#: a slot's count while no process holds it (not started yet, or died)
ABSENT = -1
_SLOT = struct.Struct("<q")


class ConnectionShares:
    """The connections each API process holds, one slot per process in a shared file."""

    def __init__(self, path: Path, slot: int) -> None:
        self._file = path.open("r+b")
        self._map = mmap.mmap(self._file.fileno(), 0)
        self.slots = len(self._map) // _SLOT.size
        if not 0 <= slot < self.slots:
            raise ValueError(f"slot {slot} outside the {self.slots} of {path}")
        self.slot = slot
        self.held = 0
        self._write()

    @staticmethod
    def create(path: Path, slots: int) -> None:
        """A file of ``slots`` slots, each "no process" (by ``opcms api`` before it starts them)."""
        path.write_bytes(_SLOT.pack(ABSENT) * slots)

    @staticmethod
    def mark_absent(path: Path, slot: int) -> None:
        """The process of ``slot`` is gone (by ``opcms api`` when one dies): its count is not a
        share to even out with until its replacement starts."""
        with path.open("r+b") as handle:
            handle.seek(slot * _SLOT.size)
            handle.write(_SLOT.pack(ABSENT))

    def _write(self) -> None:
        _SLOT.pack_into(self._map, self.slot * _SLOT.size, self.held)

    def counts(self) -> list[int]:
        return [_SLOT.unpack_from(self._map, i * _SLOT.size)[0] for i in range(self.slots)]

    def opened(self) -> None:
        self.held += 1
        self._write()

    def closed(self) -> None:
        self.held = max(0, self.held - 1)
        self._write()

    def over_share(self) -> bool:
        """Whether this process holds more than ``MARGIN`` connections above the fewest held by
        a running process (alone, it holds its share whatever it holds)."""
        return self.held > min(count for count in self.counts() if count != ABSENT) + MARGIN

    def close(self) -> None:
        self.held = ABSENT
        self._write()
        self._map.close()
        self._file.close()


def install_connection_shares(app: Sanic[Any, Any]) -> None:
    """Count this process's connections and shed one above its share, when ``opcms api`` runs
    several processes (the environment names the shared file); otherwise nothing."""
    path, slot = os.environ.get(SHARES_FILE_ENV), os.environ.get(SLOT_ENV)
    if not path or slot is None:
        return
    shares: dict[str, ConnectionShares] = {}

    async def open_shares(app: Sanic[Any, Any]) -> None:
        shares["own"] = ConnectionShares(Path(path), int(slot))

    async def close_shares(app: Sanic[Any, Any]) -> None:
        own = shares.pop("own", None)
        if own is not None:
            own.close()

    async def connection_opened(conn_info: Any = None, **_context: Any) -> None:
        if "own" in shares:
            shares["own"].opened()

    async def connection_closed(conn_info: Any = None, **_context: Any) -> None:
        shed = conn_info is not None and getattr(conn_info.ctx, "shed", False)
        if "own" in shares and not shed:  # a shed connection was counted out when it was shed
            shares["own"].closed()

    async def shed_above_share(request: Request, response: BaseHTTPResponse) -> None:
        own = shares.get("own")
        stream, info = request.stream, request.conn_info
        if own is None or info is None or not isinstance(stream, Http) or not stream.keep_alive:
            return
        if own.over_share():
            # the answer says "Connection: close"; counted out now, so that the answers going out
            # at the same moment do not shed more than the surplus
            stream.keep_alive = False
            info.ctx.shed = True
            own.closed()

    app.before_server_start(open_shares)
    app.after_server_stop(close_shares)
    app.add_signal(connection_opened, "http.lifecycle.begin")
    app.add_signal(connection_closed, "http.lifecycle.complete")
    app.register_middleware(shed_above_share, "response")
