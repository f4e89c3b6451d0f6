"""The processes: ``opcms run`` (the embedded default), ``api``, ``worker`` and ``beat``."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from opcms.cli.common import settings_or_exit
from opcms.core.connection_shares import SHARES_FILE_ENV, SLOT_ENV, ConnectionShares
from opcms.core.processes import stop_with_parent
from opcms.core.settings import get_settings

# connections the kernel queues for an API process before it accepts them
LISTEN_BACKLOG = 1024
# an API process that exits this soon after its start failed to start: the supervisor gives up
STARTUP_GRACE_SECONDS = 20.0
# where the processes' shared counts live (memory, not disk) when the machine has it
SHARED_MEMORY = Path("/dev/shm")
# how long the API's processes are given to answer what they have in flight once told to stop
SHUTDOWN_SECONDS = 30.0
# how often an API process told to stop tells its loop again until its shutdown has begun
STOP_RETRY_SECONDS = 0.2


def listening_socket(host: str, port: int, *, shared_port: bool) -> socket.socket:
    """The API's socket, bound to its port; it listens (``LISTEN_BACKLOG``) once the server
    serves (asyncio's ``create_server`` calls ``listen``). With ``shared_port`` each API process
    binds its own socket to the same port (``SO_REUSEPORT``): the kernel spreads new connections
    evenly over the processes' sockets. One socket inherited by every process (Sanic's own way)
    lets whichever process accepts first take a connection, and clients that connect together —
    a proxy's keep-alive pool, a load generator — were seen split 33 against 17 and kept so: one
    process then queues twice the requests of the other.

    Bound but not listening while the app loads: a connection to a process that is starting is
    refused (the client or proxy goes to another process) instead of waiting in a backlog nobody
    reads. Loading takes seconds, 30 s on a busy machine: a restarted process took requests then
    and answered none of them within the clients' 10 s (``opcms scale-check``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def serve_api_process(*, shared_port: bool) -> int:
    """One API process: the app on its own listening socket, until SIGTERM or SIGINT (Sanic's
    graceful shutdown: no new connection, the requests in flight answered)."""
    settings = get_settings()
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from opcms.app import create_app

    sock = listening_socket(settings.host, settings.port, shared_port=shared_port)
    app = AppLoader(factory=create_app).load()
    stop_on_signal_until_shut_down(app)
    app.prepare(sock=sock, backlog=LISTEN_BACKLOG, workers=1, access_log=False, single_process=True)
    Sanic.serve_single(primary=app)
    return 0


def stop_on_signal_until_shut_down(app: Any) -> None:
    """SIGTERM or SIGINT stops the process whenever it arrives once it serves. Sanic's own handler
    stops the event loop once; a signal that lands while its last start-up step still runs
    (after_server_start, the moment the first requests are answered) had that stop swallowed by
    the step's end, and the process then served on, deaf to the signal. Here the signal only
    records the request; the stop is repeated until the shutdown has begun."""
    loop_stop = {"asked": False, "shutting_down": False}

    def stop_again(loop: asyncio.AbstractEventLoop) -> None:
        if loop_stop["shutting_down"]:
            return
        app.stop(terminate=False)
        loop.call_later(STOP_RETRY_SECONDS, stop_again, loop)

    def asked_to_stop(loop: asyncio.AbstractEventLoop) -> None:
        if not loop_stop["asked"]:
            loop_stop["asked"] = True
            # not now: now may be the last turn of a start-up step, whose end would swallow it
            loop.call_later(STOP_RETRY_SECONDS, stop_again, loop)

    async def take_the_signals(app: Any) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, asked_to_stop, loop)

    async def shutdown_begun(app: Any) -> None:
        loop_stop["shutting_down"] = True

    # first among the start-up steps: Sanic's handler is in place only until this one runs
    app.after_server_start(take_the_signals, priority=1000)
    app.before_server_stop(shutdown_begun, priority=1000)


def cmd_api(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    if args.one_of_many:  # started by the supervisor below
        return serve_api_process(shared_port=True)
    if settings.api_workers == 1:
        return serve_api_process(shared_port=False)
    return supervise_api(settings.api_workers)


def supervise_api(count: int) -> int:
    """``count`` API processes on one port, each with its own socket (``listening_socket``).
    One that dies is started again (its requests in flight are lost, as with any crash); one
    that exits by itself within ``STARTUP_GRACE_SECONDS`` of its start stops them all: a
    process that cannot start will not start on a second try either. SIGTERM or SIGINT reaches
    each process once (each answers what it has in flight, then exits) and this one waits for
    them. The processes count the connections each holds in a shared file
    (``core.connection_shares``)."""
    folder = SHARED_MEMORY if SHARED_MEMORY.is_dir() else None
    with tempfile.NamedTemporaryFile(prefix="opcms-api-shares-", dir=folder) as shares:
        ConnectionShares.create(Path(shares.name), count)
        return _supervise(count, shares.name)


def _supervise(count: int, shares: str) -> int:
    me = [sys.executable, "-m", "opcms", "api", "--one-of-many"]
    started: dict[int, float] = {}
    processes: list[subprocess.Popen[bytes]] = []

    def start(slot: int) -> None:
        # its own session: a terminal's Ctrl-C or a stop of the group reaches only this
        # supervisor, which tells each process once (a second signal would cut its shutdown short)
        env = {**os.environ, SHARES_FILE_ENV: shares, SLOT_ENV: str(slot)}
        process = subprocess.Popen(me, start_new_session=True, env=env, preexec_fn=stop_with_parent)
        if slot < len(processes):
            processes[slot] = process
        else:
            processes.append(process)
        started[slot] = time.monotonic()

    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for slot in range(count):
        start(slot)
    exit_code = 0
    while not stopping:
        for slot, process in enumerate(processes):
            if process.poll() is None:
                continue
            # killed (a negative code: the OOM killer, an operator) it is started again; exiting
            # by itself this soon, it could not start, and will not on a second try either
            killed = process.returncode < 0
            if not killed and time.monotonic() - started[slot] < STARTUP_GRACE_SECONDS:
                print(
                    f"opcms api: process {process.pid} exited with {process.returncode} while starting;"
                    " stopping the others",
                    file=sys.stderr,
                    flush=True,
                )
                exit_code = process.returncode or 1
                stopping = True
                break
            ConnectionShares.mark_absent(Path(shares), slot)
            print(
                f"opcms api: process {process.pid} exited with {process.returncode}; starting another",
                file=sys.stderr,
                flush=True,
            )
            start(slot)
        time.sleep(0.2)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + SHUTDOWN_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            # its requests in flight are lost: not a clean stop, and the exit code says so
            print(
                f"opcms api: process {process.pid} did not stop within {SHUTDOWN_SECONDS:.0f}s; killed",
                file=sys.stderr,
                flush=True,
            )
            process.kill()
            process.wait()
            exit_code = exit_code or 1
    return exit_code


def celery_argv(kind: str, args: argparse.Namespace) -> list[str]:
    from opcms.core.celery_app import BEAT_SCHEDULER

    settings = get_settings()
    argv = [kind, f"--loglevel={settings.log_level}"]
    if kind == "worker":
        if settings.broker_url.startswith("filesystem") or args.beat:
            # the embedded shape: one process, no fork, beat inside
            argv += ["--pool=solo"]
        else:
            argv += [f"--concurrency={args.concurrency}"]
        if args.beat:
            argv += ["--beat", f"--scheduler={BEAT_SCHEDULER}"]
        argv += [option for option in getattr(args, "celery_options", None) or [] if option != "--"]
    if kind == "beat":
        # the schedules are in the database; the Beat holding the lease fires them (docs/jobs.md)
        argv += [f"--scheduler={BEAT_SCHEDULER}"]
    return argv


def cmd_worker(args: argparse.Namespace) -> int:
    settings_or_exit()
    from opcms.core.celery_app import configure_celery
    from opcms.wiring import wire

    wire()  # every task and job, the callbacks they call (and Beat's chores, with --beat)
    configure_celery().worker_main(celery_argv("worker", args))
    return 0


def cmd_beat(args: argparse.Namespace) -> int:
    settings_or_exit()
    from opcms.core.celery_app import configure_celery
    from opcms.wiring import wire

    wire()  # the jobs the schedules name and the every-minute chores
    configure_celery().start(celery_argv("beat", args))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Embedded default: API and a worker with embedded beat, stopped together on Ctrl-C."""
    settings = settings_or_exit()
    me = [sys.executable, "-m", "opcms"]
    # Each child leads its own process group: a terminal's Ctrl-C reaches only this parent,
    # which stops the children exactly once (Sanic and Celery treat a second signal as
    # "kill everything now").
    children = [
        subprocess.Popen([*me, "api"], start_new_session=True),
        subprocess.Popen([*me, "worker", "--beat"], start_new_session=True),
    ]
    print(
        f"OP-CMS is starting at http://{settings.host}:{settings.port}  (API docs: /docs; Ctrl-C stops)",
        flush=True,
    )
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(
                    f"opcms run: {cast(list[str], child.args)[-2:]} exited with {child.returncode}; stopping",
                    file=sys.stderr,
                )
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.3)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    print("OP-CMS stopped.", flush=True)
    return exit_code


def add_commands(sub: Any) -> None:
    sub.add_parser("run", help="embedded default: API + worker with embedded beat").set_defaults(fn=cmd_run)
    api = sub.add_parser("api", help="the HTTP API on OPCMS_HOST:OPCMS_PORT (OPCMS_API_WORKERS processes)")
    api.add_argument("--one-of-many", action="store_true", help=argparse.SUPPRESS)
    api.set_defaults(fn=cmd_api)
    worker = sub.add_parser("worker", help="a Celery worker")
    worker.add_argument("--beat", action="store_true", help="run beat inside this worker (embedded shape)")
    worker.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    worker.add_argument(
        "celery_options",
        nargs=argparse.REMAINDER,
        help="after --: options passed to Celery's worker as they are (e.g. --hostname=w1@%%h)",
    )
    worker.set_defaults(fn=cmd_worker)
    sub.add_parser(
        "beat", help="the Celery beat scheduler (schedules from the database; one fires at a time)"
    ).set_defaults(fn=cmd_beat)
