"""Schemathesis fuzzes every operation of the OpenAPI document against a real server:
whatever it sends, the API answers without a 500 (DESIGN §16)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.backend.processes import free_port, opcms, stop, wait_http

pytestmark = pytest.mark.slow


# schemathesis alone may take up to its 600 s below, after the migrate and seed-demo commands
@pytest.mark.timeout(900)
def test_fuzzing_the_openapi_document_finds_no_server_error(tmp_path):
    # given a server on its own database with demo data, as the admin (throttling off)
    port = free_port()
    env = {
        **os.environ,
        "OPCMS_DATABASE_URL": f"sqlite://{tmp_path}/fuzz.sqlite3",
        "OPCMS_VAR_DIR": str(tmp_path / "var"),
        "OPCMS_PORT": str(port),
        "OPCMS_LOGIN_MAX_FAILURES_PER_IP": "1000000",
        "OPCMS_LOGIN_MAX_FAILURES_PER_USER": "1000000",
    }
    assert opcms("migrate", env=env).wait(timeout=120) == 0
    assert opcms("seed-demo", "--customers", "20", env=env).wait(timeout=120) == 0
    password = (tmp_path / "var" / "demo-login.txt").read_text().split("password:")[1].strip()
    server = opcms("api", env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz", server)
        token = httpx.post(
            f"{base}/api/v1/auth/login", json={"username": "admin", "password": password}
        ).json()["access_token"]
        # when schemathesis sends generated and boundary requests to every operation
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{base}/docs/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "25",
                "--seed",
                "20261123",
                "--exclude-path",
                "/api/v1/auth/logout",
                "-H",
                f"Authorization: Bearer {token}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
        )
    finally:
        stop(server)
    # then no request produced a server error
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
