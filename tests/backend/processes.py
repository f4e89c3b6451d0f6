"""Helpers for tests that start real processes (opcms run, Celery workers)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from celery import Celery

from opcms.core.celery_app import celery_app, celery_config
from opcms.core.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api_env(port: int, var_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of one ``opcms api`` process on ``port`` (this test run's database)."""
    return {
        **os.environ,
        "OPCMS_PORT": str(port),
        "OPCMS_API_WORKERS": "1",
        "OPCMS_VAR_DIR": str(var_dir),
        **settings,
    }


def opcms(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "opcms", *args],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def wait_http(url: str, process: subprocess.Popen, timeout: float = 60, every: float = 0.3) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited early ({process.returncode}):\n{process.stdout.read()}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(every)
    raise AssertionError(f"{url} did not answer within {timeout}s")


class Output:
    """What a process started with :func:`opcms` writes, read as it comes: a thread drains the
    pipe (so a chatty process never blocks on it) and a test can wait for a line."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._drain, args=(process.stdout,), daemon=True)
        self._reader.start()

    def _drain(self, stream) -> None:
        for line in stream:
            self.lines.append(line)

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def text(self) -> str:
        """All of it, once the process has ended."""
        self._reader.join(timeout=10)
        return "".join(self.lines)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise AssertionError("process did not stop in time") from None
    return process.returncode


def celery_client(var_dir: Path, broker_url: str) -> Celery:
    """A separate Celery client speaking to the same broker and result store as a worker."""
    settings = Settings(_env_file=None, var_dir=var_dir, broker_url=broker_url, secret_key="x" * 40)
    client = Celery("opcms-test-client")
    client.conf.update(celery_config(settings))
    return client


@contextlib.contextmanager
def celery_sends_to(broker_url: str):
    """This process's Celery producer talks to ``broker_url`` for the test, then as before."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "result_backend")}

    def reset_pools() -> None:
        # connections and the result backend are cached per app (the backend per thread, and
        # the API queues from executor threads): drop them all so the next send reconnects
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app._backend_cache = None
        celery_app._local = threading.local()

    celery_app.conf.update(broker_url=broker_url, result_backend=broker_url)
    reset_pools()
    try:
        yield
    finally:
        celery_app.conf.update(saved)
        reset_pools()
