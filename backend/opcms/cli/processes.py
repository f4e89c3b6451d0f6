"""The processes: ``opcms run`` (the embedded default), ``api``, ``worker`` and ``beat``."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from typing import Any, cast

from opcms.cli.common import settings_or_exit
from opcms.core.settings import get_settings


def cmd_api(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from opcms.app import create_app

    loader = AppLoader(factory=create_app)
    app = loader.load()
    single = settings.api_workers == 1
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.api_workers,
        access_log=False,
        single_process=single,
    )
    if single:
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)
    return 0


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
    sub.add_parser("api", help="the HTTP API on OPCMS_HOST:OPCMS_PORT").set_defaults(fn=cmd_api)
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
