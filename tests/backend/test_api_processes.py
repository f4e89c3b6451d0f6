"""``opcms api`` as production runs it: several processes on one port, each with its own
listening socket; one that dies is started again; SIGTERM stops them all; a process holding more
than its share of the keep-alive connections sheds them until the shares are even."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from opcms.bench.common import listening_sockets
from opcms.cli.processes import SHUTDOWN_SECONDS
from opcms.core.connection_shares import ConnectionShares
from tests.backend.processes import free_port, opcms, stop, wait_http

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry))
    return found


def _connections_held(pid: int, port: int) -> int:
    """How many established connections to ``port`` the process ``pid`` holds."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    held = 0
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = row.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01" and fields[9] in inodes:
            held += 1
    return held


def _wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.2)


def _env(tmp_path, port: int, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "OPCMS_DATABASE_URL": f"sqlite://{tmp_path}/api.sqlite3",
        "OPCMS_VAR_DIR": str(tmp_path / "var"),
        "OPCMS_BROKER_URL": "filesystem://",
        "OPCMS_PORT": str(port),
        "OPCMS_HOST": "127.0.0.1",
        **extra,
    }
    assert opcms("migrate", env=env).wait(timeout=120) == 0
    return env


def _get(sock: socket.socket, path: str = "/healthz") -> bytes:
    """One request on a kept-alive raw connection, answered 200; the answer's head, lowercase."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed before an answer"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    assert b" 200 " in head.split(b"\r\n")[0], head
    return head.lower()


def test_two_api_processes_listen_each_on_its_own_socket_a_dead_one_is_replaced_and_sigterm_stops_both(
    tmp_path,
):
    # given `opcms api` with two processes
    port = free_port()
    process = opcms("api", env=_env(tmp_path, port, OPCMS_API_WORKERS="2"))
    try:
        # then two processes listen on the port, each on a socket of its own, and it answers
        wait_http(f"http://127.0.0.1:{port}/healthz", process)
        _wait_for(lambda: listening_sockets(port) == 2)
        workers = _children(process.pid)
        assert len(workers) == 2
        # and connections are spread over both sockets: the kernel balances them
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        for n, connection in enumerate(connections):
            if b"connection: close" in _get(connection):  # one above its share: connect again
                connection.close()
                connections[n] = socket.create_connection(("127.0.0.1", port))
        held = [_connections_held(pid, port) for pid in workers]
        assert sum(held) == 40
        assert min(held) >= 8, held  # 20 each on average; fewer than 8 is a 1-in-10,000 draw
        for connection in connections:
            connection.close()
        # when one of them is killed
        os.kill(workers[0], signal.SIGKILL)
        # then another takes its place, and the port keeps answering
        _wait_for(lambda: len(_children(process.pid)) == 2 and workers[0] not in _children(process.pid))
        _wait_for(lambda: listening_sockets(port) == 2)
        wait_http(f"http://127.0.0.1:{port}/healthz", process)
        replacement = [pid for pid in _children(process.pid) if pid != workers[1]]
        assert len(replacement) == 1
    finally:
        # when SIGTERM reaches `opcms api`, then it and both processes exit
        children = _children(process.pid)
        # longer than the supervisor gives its processes: one that hangs shows in the exit code
        code = stop(process, signal.SIGTERM, timeout=SHUTDOWN_SECONDS + 15)
    assert code == 0, process.stdout.read()
    for pid in children:
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "zombie" in status.read_text().lower()
    assert listening_sockets(port) == 0


def test_a_process_holding_more_than_its_share_of_the_connections_sheds_them_until_even(tmp_path):
    # given `opcms api` with two processes, one of them killed: until its replacement listens,
    # every new connection lands on the other
    port = free_port()
    process = opcms("api", env=_env(tmp_path, port, OPCMS_API_WORKERS="2"))
    connections: list[socket.socket] = []
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", process)
        _wait_for(lambda: listening_sockets(port) == 2)
        killed, survivor = _children(process.pid)
        os.kill(killed, signal.SIGKILL)
        _wait_for(lambda: listening_sockets(port) == 1)
        connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
        for connection in connections:
            assert b"connection: keep-alive" in _get(connection)  # alone, it holds its share
        assert _connections_held(survivor, port) == 40
        # when the replacement listens and the clients go on sending requests, connecting again
        # whenever an answer says the connection closes
        _wait_for(lambda: listening_sockets(port) == 2)
        replacement = next(pid for pid in _children(process.pid) if pid != survivor)
        closed_by_server = 0
        for _ in range(15):
            for n, connection in enumerate(connections):
                if b"connection: close" in _get(connection):
                    closed_by_server += 1
                    connection.close()
                    connections[n] = socket.create_connection(("127.0.0.1", port), timeout=10)
        # then the survivor shed connections until both hold about half (within the margin and
        # the draws of the last few reconnections)
        held = [_connections_held(survivor, port), _connections_held(replacement, port)]
        assert sum(held) == 40
        assert min(held) >= 15, (held, closed_by_server)
        assert closed_by_server >= 15
        # and no answer was refused on the way: every one was a 200 (checked by _get's status)
    finally:
        for connection in connections:
            connection.close()
        stop(process, signal.SIGTERM)


def test_connection_shares_count_each_process_and_name_the_one_above_its_share(tmp_path):
    # given a shares file of two processes
    path = tmp_path / "shares"
    ConnectionShares.create(path, 2)
    first = ConnectionShares(path, 0)
    second = None
    try:
        # when the first holds 3 connections and the second is not running, then it holds its share
        for _ in range(3):
            first.opened()
        assert first.counts() == [3, -1]
        assert not first.over_share()
        # when the second runs and holds none, then the first is above its share
        second = ConnectionShares(path, 1)
        assert first.counts() == [3, 0]
        assert first.over_share() and not second.over_share()
        # when the second holds one, then neither is more than the margin above the other
        second.opened()
        assert not first.over_share()
        first.closed()
        first.closed()
        first.closed()
        first.closed()  # never below none
        assert first.counts() == [0, 1]
        # when the second is marked gone (it died), then its slot is no share to even out with
        ConnectionShares.mark_absent(path, 1)
        first.opened()
        first.opened()
        first.opened()
        assert not first.over_share()
    finally:
        first.close()
        if second is not None:
            second.close()


def test_the_api_processes_stop_when_their_supervisor_is_killed(tmp_path):
    # given `opcms api` with two processes
    port = free_port()
    process = opcms("api", env=_env(tmp_path, port, OPCMS_API_WORKERS="2"))
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", process)
        _wait_for(lambda: listening_sockets(port) == 2)
        workers = _children(process.pid)
        # (both serving: each holds some of 20 connections that were answered)
        connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(20)]
        for connection in connections:
            _get(connection)
        _wait_for(lambda: all(_connections_held(pid, port) > 0 for pid in workers))
        for connection in connections:
            connection.close()
        # when the supervisor is killed outright (it cannot tell them to stop)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        # then both processes stop too, and nothing listens on the port any more
        _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), timeout=30)
        assert listening_sockets(port) == 0
    finally:
        stop(process, signal.SIGKILL)


def test_api_processes_that_cannot_start_stop_the_api_with_an_error(tmp_path):
    # given the port taken by another program's socket (no SO_REUSEPORT: nobody can share it)
    port = free_port()
    env = _env(tmp_path, port, OPCMS_API_WORKERS="2")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        # when `opcms api` starts, then it exits with an error instead of starting them again
        process = opcms("api", env=env)
        try:
            code = process.wait(timeout=120)
        finally:
            stop(process, signal.SIGKILL)
    output = process.stdout.read()
    assert code != 0, output
    assert "while starting" in output
