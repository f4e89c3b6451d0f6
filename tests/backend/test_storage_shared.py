"""Files every host can read: with the file store in an S3 bucket (a real S3-compatible server
over HTTP, moto's), an upload made through the API is read by a worker on another host, its
error workbook downloads, exports stream from the bucket and retention prunes the bucket."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import time

import openpyxl
import pytest
import redis

from opcms.core.excel import Export, prune_exports
from opcms.core.models import utcnow
from opcms.core.storage import S3Store, get_store
from opcms.imports import service
from opcms.imports.models import ImportJob, ImportStatus
from opcms.jobs.models import ExecutionStatus
from opcms.jobs.retention import JOB_NAME
from opcms.jobs.service import run_now
from tests.backend.conftest import TEST_REDIS_URL
from tests.backend.factories import customer_rows, make_user, session_for, workbook_bytes
from tests.backend.processes import celery_sends_to, opcms, stop


@pytest.fixture
async def finance_token(db):
    return (await session_for(await make_user("finance"))).access_token


def customer_list(count: int, bad_phone_row: int | None = None) -> bytes:
    rows = customer_rows(count)
    if bad_phone_row is not None:
        rows[bad_phone_row - 1][3] = "12345"  # Excel row ``bad_phone_row``: the header is row 1
    return workbook_bytes(rows)


async def upload(client, token: str, data: bytes, mode: str = "upsert"):
    return await client.post(
        "/api/v1/imports/customers", token=token, files={"file": ("list.xlsx", data)}, data={"mode": mode}
    )


async def test_an_upload_made_through_the_api_is_read_by_a_worker_on_another_host(
    client, settings, s3_storage, fake_s3, finance_token, monkeypatch, tmp_path
):
    # given the API keeping its files in the bucket, and lists above 2 rows run on a worker
    monkeypatch.setattr(settings, "import_sync_rows", 2)
    api_var_dir, api_store = settings.var_dir, get_store()
    assert isinstance(api_store, S3Store)
    data = customer_list(5, bad_phone_row=4)

    # when a list is uploaded through the API
    response = await upload(client, finance_token, data)

    # then it is queued, and its upload is in the bucket, not in the API's folder
    assert response.status_code == 202, response.text
    queued = response.json()
    job = await ImportJob.get(id=queued["id"])
    key = service.stored_key(job)
    assert fake_s3.objects(s3_storage, "opcms/imports/") == {f"opcms/{key}": data}
    assert not (api_var_dir / key).exists()

    # when a worker on another host runs it: a folder of its own (empty), a store of its own
    worker_var_dir = tmp_path / "worker-host-var"
    monkeypatch.setattr(settings, "var_dir", worker_var_dir)
    worker_store = get_store()
    assert worker_store is not api_store and isinstance(worker_store, S3Store)
    ran = await service.run_by_id(job.id)

    # then it read the upload from the bucket and imported the list
    assert ran is not None and ran.status == ImportStatus.SUCCEEDED, ran and ran.error_message
    assert not (worker_var_dir / "imports").exists()
    monkeypatch.setattr(settings, "var_dir", api_var_dir)
    done = (await client.get(f"/api/v1/imports/{job.id}", token=finance_token)).json()
    assert (done["report"]["created"], done["report"]["failed"]) == (4, 1)

    # and back on the API host, its error workbook (made from the upload in the bucket) downloads
    download = await client.get(f"/api/v1/imports/{job.id}/errors.xlsx", token=finance_token)
    assert download.status_code == 200, download.text
    rows = list(openpyxl.load_workbook(io.BytesIO(download.content)).worksheets[0].values)
    assert [row[1:3] for row in rows[1:]] == [(4, "K00003")]
    assert "12345" in rows[1]


@pytest.mark.slow
async def test_a_worker_process_with_a_folder_of_its_own_runs_an_upload_from_the_bucket(
    client, settings, s3_storage, fake_s3, finance_token, monkeypatch, tmp_path
):
    # given a worker process (Redis broker) that shares the database and the bucket with the
    # API, but not its folder, and lists above 2 rows run on a worker
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    monkeypatch.setattr(settings, "import_sync_rows", 2)
    worker_var_dir = tmp_path / "worker-host-var"
    env = {
        **os.environ,
        **fake_s3.env_for(s3_storage, "opcms"),
        "OPCMS_BROKER_URL": TEST_REDIS_URL,
        "OPCMS_VAR_DIR": str(worker_var_dir),
    }
    worker = opcms("worker", "--concurrency", "1", env=env)
    try:
        # when a list is uploaded through the API
        with celery_sends_to(TEST_REDIS_URL):
            response = await upload(client, finance_token, customer_list(5, bad_phone_row=4))
            assert response.status_code == 202, response.text
            import_id = response.json()["id"]
            # then the worker runs it
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                done = (await client.get(f"/api/v1/imports/{import_id}", token=finance_token)).json()
                if done["status"] in ("succeeded", "failed"):
                    break
                await asyncio.sleep(0.1)
    finally:
        stop(worker)
    assert done["status"] == "succeeded", done
    assert (done["report"]["created"], done["report"]["failed"]) == (4, 1)
    assert not (worker_var_dir / "imports").exists()
    # and the API makes its error workbook from the same upload
    download = await client.get(f"/api/v1/imports/{import_id}/errors.xlsx", token=finance_token)
    assert download.status_code == 200, download.text


async def test_retention_removes_old_uploads_and_stray_exports_from_the_bucket(
    client, settings, s3_storage, fake_s3, finance_token
):
    # given two lists imported through the API, one of them 200 days ago (retention: 180)
    old = (await upload(client, finance_token, customer_list(2))).json()
    recent = (await upload(client, finance_token, customer_list(2, bad_phone_row=2))).json()
    assert old["status"] == recent["status"] == "succeeded"
    await ImportJob.filter(id=old["id"]).update(created_at=utcnow() - dt.timedelta(days=200))
    old_key, recent_key = [service.stored_key(await ImportJob.get(id=item["id"])) for item in (old, recent)]
    # and an export left in the bucket by an API process that died while sending it
    await get_store().put_bytes("exports/2026/12/customers-left.xlsx", b"PK\x03\x04 an export")

    # when the retention job runs
    execution = await run_now(JOB_NAME)

    # then the old upload is gone from the bucket, the recent one and the fresh export stay
    assert execution.status == ExecutionStatus.SUCCESS, execution.error
    assert (execution.counters["uploads_removed"], execution.counters["exports_removed"]) == (1, 0)
    assert sorted(fake_s3.objects(s3_storage, "opcms/")) == sorted(
        [f"opcms/{recent_key}", "opcms/exports/2026/12/customers-left.xlsx"]
    )
    assert old_key != recent_key
    # and the old import's error workbook is a 404, the recent one's still downloads
    gone = await client.get(f"/api/v1/imports/{old['id']}/errors.xlsx", token=finance_token)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "import_file_missing"
    kept = await client.get(f"/api/v1/imports/{recent['id']}/errors.xlsx", token=finance_token)
    assert kept.status_code == 200
    # and a day and more later, the stray export goes too
    assert await prune_exports(utcnow() + dt.timedelta(days=1, minutes=1)) == 1
    assert sorted(fake_s3.objects(s3_storage, "opcms/")) == [f"opcms/{recent_key}"]

    # when it runs again, then it removes nothing more
    again = await run_now(JOB_NAME)
    assert (again.counters["uploads_removed"], again.counters["exports_removed"]) == (0, 0)


async def test_an_export_streams_from_the_bucket_and_leaves_nothing_behind(
    client, settings, s3_storage, fake_s3, finance_token
):
    # given customers imported through the API
    assert (await upload(client, finance_token, customer_list(3))).json()["report"]["created"] == 3
    # when they are exported
    response = await client.get("/api/v1/customers/export", token=finance_token)
    # then the workbook arrives whole
    assert response.status_code == 200, response.text
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert {"K00001", "K00002", "K00003"} <= {value for row in rows for value in row}
    # and neither the bucket nor the API's folder keeps it
    assert fake_s3.objects(s3_storage, "opcms/exports/") == {}
    scratch = settings.var_dir / "tmp" / "exports"
    assert not scratch.exists() or list(scratch.iterdir()) == []


async def test_readiness_says_when_the_bucket_cannot_be_used(client, settings, s3_storage, monkeypatch):
    # given the bucket in use, the file store is ready
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["storage"] == "ok"
    # when the bucket named is not there (removed, or named wrong), then the process is not ready
    monkeypatch.setattr(settings, "storage_url", "s3://opcms-no-such-bucket/opcms")
    unready = await client.get("/readyz")
    assert unready.status_code == 503
    assert unready.json()["checks"] == {
        "database": "ok",
        "broker": "ok",
        "storage": "error: StorageUnavailable",
    }


async def test_an_upload_the_store_cannot_keep_is_a_503_and_nothing_is_recorded(
    client, settings, s3_storage, finance_token, monkeypatch
):
    # given a store whose bucket does not exist (removed, or named wrong)
    monkeypatch.setattr(settings, "storage_url", "s3://opcms-no-such-bucket/opcms")
    # when a list is uploaded
    response = await upload(client, finance_token, customer_list(2))
    # then the API says the file store is unavailable, and no import is recorded
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert await ImportJob.all().count() == 0


async def test_an_export_is_removed_from_the_bucket_when_its_request_is_cancelled_after_sending(
    settings, s3_storage, fake_s3, monkeypatch
):
    # given an export being sent from the bucket, and a store that is slow to remove it
    removing, may_remove = asyncio.Event(), asyncio.Event()
    store = get_store()
    delete = store.delete

    async def slow_delete(key: str) -> bool:
        removing.set()
        await may_remove.wait()
        return await delete(key)

    monkeypatch.setattr(store, "delete", slow_delete)

    async def send() -> bytes:
        async with Export("customers") as export:
            export.path.write_bytes(b"PK\x03\x04 an export")
            return b"".join([chunk async for chunk in await export.stored()])

    sending = asyncio.create_task(send())
    await removing.wait()
    assert list(fake_s3.objects(s3_storage, "opcms/exports/").values()) == [b"PK\x03\x04 an export"]

    # when the client goes away as soon as it has the last byte (Sanic cancels the request)
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending

    # then the export is still removed from the bucket
    may_remove.set()
    deadline = time.monotonic() + 10
    while fake_s3.objects(s3_storage, "opcms/exports/") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert fake_s3.objects(s3_storage, "opcms/exports/") == {}
