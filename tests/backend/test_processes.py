"""The real processes: `opcms run` (API + worker + beat on the embedded broker) and a Celery
worker on real Redis, each proven with the `ping` task."""

from __future__ import annotations

import os
import signal

import pytest
import redis

from tests.backend.conftest import TEST_REDIS_URL, TMP
from tests.backend.processes import celery_client, free_port, opcms, stop, wait_http

pytestmark = pytest.mark.slow


def test_opcms_run_serves_the_ui_and_answers_ping_then_stops_on_ctrl_c(tmp_path):
    # given an embedded install on a fresh SQLite file
    port = free_port()
    env = {
        **os.environ,
        "OPCMS_DATABASE_URL": f"sqlite://{tmp_path}/run.sqlite3",
        "OPCMS_VAR_DIR": str(tmp_path / "var"),
        "OPCMS_BROKER_URL": "filesystem://",
        "OPCMS_PORT": str(port),
    }
    assert opcms("migrate", env=env).wait(timeout=120) == 0
    # when `opcms run` starts
    process = opcms("run", env=env)
    try:
        # then the API and the built UI answer
        assert wait_http(f"http://127.0.0.1:{port}/healthz", process).json() == {"status": "ok"}
        index = wait_http(f"http://127.0.0.1:{port}/", process)
        assert '<div id="app"' in index.text, "frontend/dist is missing: build the UI first (make frontend)"
        deep_link = wait_http(f"http://127.0.0.1:{port}/customers/42", process)
        assert deep_link.text == index.text
        # and a ping task round-trips through the embedded (server-less) broker
        client = celery_client(tmp_path / "var", "filesystem://")
        assert client.send_task("opcms.ping").get(timeout=60) == "pong"
    finally:
        # when Ctrl-C is pressed, everything stops cleanly
        code = stop(process, signal.SIGINT)
    output = process.stdout.read()
    assert code == 0, output
    assert "OP-CMS stopped." in output


def test_ping_round_trips_through_redis(database):
    # given Redis (a throw-away db number) and a worker on the test database
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    env = {**os.environ, "OPCMS_BROKER_URL": TEST_REDIS_URL, "OPCMS_VAR_DIR": str(TMP / "redis-worker")}
    worker = opcms("worker", "--concurrency", "1", env=env)
    try:
        client = celery_client(TMP / "redis-worker", TEST_REDIS_URL)
        # when a ping is sent, then the worker answers after touching the database
        assert client.send_task("opcms.ping").get(timeout=90) == "pong"
    finally:
        stop(worker)
