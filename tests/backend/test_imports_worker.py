"""Big files run on a real Celery worker (Redis broker): the API answers 202, the import shows
its progress while it runs and, at the end, the same report a synchronous run gives."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
import redis

from opcms.core.context import acting_as, system_actor
from opcms.customers.models import Customer
from opcms.imports import queries, service
from tests.backend.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, is_mysql_url
from tests.backend.factories import customer_rows, make_user, session_for, workbook_bytes
from tests.backend.processes import celery_sends_to, opcms, stop

pytestmark = pytest.mark.slow

ROWS = 4000


def big_list() -> bytes:
    rows = customer_rows(ROWS)
    rows[1500] = ["K01500", "", "A", "13900000000"]  # row 1501: no name
    rows[2500][3] = "12345"  # row 2501: bad phone
    return workbook_bytes(rows)


async def poll_until_done(
    client, token: str, import_id: int, timeout: float = 120
) -> tuple[dict, list[dict]]:
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = (await client.get(f"/api/v1/imports/{import_id}", token=token)).json()
        seen.append(
            {k: body[k] for k in ("status", "stage", "processed", "total", "written", "created", "updated")}
        )
        if body["status"] in ("succeeded", "failed"):
            return body, seen
        await asyncio.sleep(0.02)
    raise AssertionError(f"import {import_id} did not finish: last seen {seen[-1:]}")


async def test_a_big_file_runs_on_a_worker_with_progress_and_the_same_report(
    client, settings, monkeypatch, tmp_path
):
    # given a worker on Redis that shares the database and the upload folder with the API
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    monkeypatch.setattr(settings, "import_sync_rows", 100)
    env = {**os.environ, "OPCMS_BROKER_URL": TEST_REDIS_URL, "OPCMS_VAR_DIR": str(settings.var_dir.resolve())}
    worker = opcms("worker", "--concurrency", "1", env=env)
    token = (await session_for(await make_user("finance", username="big"))).access_token
    data = big_list()
    try:
        # the report a synchronous dry run gives for the file (validate on the empty database)
        with acting_as(system_actor("test")):
            dry = await service.submit(data, "big.xlsx", "validate", background=False)
        expected = await queries.report(dry)
        # when it is uploaded for real
        with celery_sends_to(TEST_REDIS_URL):
            response = await client.post(
                "/api/v1/imports/customers",
                token=token,
                files={"file": ("big.xlsx", data)},
                data={"mode": "upsert"},
            )
            # then the API answers at once with the queued import
            assert response.status_code == 202, response.text
            queued = response.json()
            assert (queued["status"], queued["background"], queued["report"]) == ("pending", True, None)
            done, seen = await poll_until_done(client, token, queued["id"])
    finally:
        stop(worker)
    # and progress was visible while it ran: rows read and checked, then (MySQL, where the
    # progress is committed beside the write transaction) rows written
    assert any(s["status"] == "running" and 0 < s["processed"] < s["total"] for s in seen), seen
    assert any(s["stage"] == "writing" and s["created"] == ROWS - 2 for s in seen), seen
    if is_mysql_url(TEST_DATABASE_URL):
        assert any(s["stage"] == "writing" and 0 < s["written"] < ROWS - 2 for s in seen), seen
    # and the report is the one the synchronous dry run gave
    assert done["status"] == "succeeded", done
    assert (
        done["report"]
        == expected
        == {
            "total": ROWS,
            "created": ROWS - 2,
            "updated": 0,
            "unchanged": 0,
            "skipped_blank": 0,
            "failed": 2,
            "errors": [
                {"row": 1501, "column": "公司名称", "value": None, "reason": "required"},
                {
                    "row": 2501,
                    "column": "联系电话",
                    "value": "12345",
                    "reason": "not a mainland mobile (11 digits) or landline with area code",
                },
            ],
            "ignored_columns": [],
        }
    )
    # and the rows were written as the submitter's
    assert await Customer.filter(created_by="big").count() == ROWS - 2
    assert (done["processed"], done["written"], done["created_by"]) == (ROWS, ROWS - 2, "big")
