"""Schemathesis fuzzes every operation of the OpenAPI document against a real server with
every check (DESIGN §16): no 500, every status and body as documented, a 405 with Allow for an
undeclared method, what the document calls invalid refused and what it calls valid taken
(tests/backend/schemathesis.toml names the operations whose rules join fields or read data)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.backend.processes import free_port, opcms, stop, wait_http

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")


# schemathesis alone may take up to its 600 s below, after the migrate and seed-demo commands
@pytest.mark.timeout(900)
def test_every_operation_answers_as_its_document_says(tmp_path):
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
                "--config-file",
                str(CONFIG),
                "run",
                f"{base}/docs/openapi.json",
                "--checks",
                "all",
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
    # then every check passed on every operation, over at least 2,000 generated requests
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    generated = re.search(r"(\d+) generated", result.stdout)
    assert generated and int(generated.group(1)) >= 2000, result.stdout[-3000:]
    # on every operation but logout (which would end the session the run uses)
    selected = re.search(r"Selected: (\d+)/(\d+)", result.stdout)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert selected and tested, result.stdout[-3000:]
    assert int(tested.group(1)) == int(selected.group(1)) == int(selected.group(2)) - 1
