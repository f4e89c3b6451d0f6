"""The daily retention job: uploads, sessions and stray export files past keeping are removed,
what is still within its time stays, and running it again removes nothing more."""

from __future__ import annotations

import datetime as dt
import os
import uuid

from opcms.auth.models import RefreshToken, TokenFamily
from opcms.core.audit import AuditLog
from opcms.core.models import utcnow
from opcms.core.settings import get_settings
from opcms.core.storage import get_store
from opcms.imports import service as imports_service
from opcms.imports.models import ImportJob, ImportMode, ImportStatus
from opcms.jobs.models import ExecutionStatus
from opcms.jobs.retention import JOB_NAME
from opcms.jobs.service import run_now
from tests.backend.factories import make_user, session_for, token_for

REFRESH = "/api/v1/auth/refresh"


async def given_import(
    days_ago: int, status: ImportStatus = ImportStatus.SUCCEEDED, *, kept_before_the_file_store: bool = False
) -> ImportJob:
    """An import made ``days_ago`` days ago, its upload stored as the service stores it (or, kept
    before the file store, as ``var/imports/<id>.xlsx``)."""
    made = utcnow() - dt.timedelta(days=days_ago)
    stored_name = f"{uuid.uuid4().hex}.xlsx"
    if kept_before_the_file_store:
        folder = get_settings().var_dir / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / stored_name).write_bytes(b"PK\x03\x04 an upload")
    else:
        stored_name = f"{made:%Y/%m}/{stored_name}"
        await get_store().put_bytes(imports_service.upload_key(stored_name), b"PK\x03\x04 an upload")
    job = await ImportJob.create(
        created_by="test",
        file_name="客户.xlsx",
        file_sha256="0" * 64,
        stored_name=stored_name,
        mode=ImportMode.UPSERT,
        status=status,
    )
    await ImportJob.filter(id=job.id).update(created_at=made)
    return job


async def given_session(expired_days_ago: int | None = None) -> tuple[str, str]:
    """A login: its refresh token and its session (token family); with ``expired_days_ago``,
    one whose token expired that long ago."""
    user = await make_user("finance")
    issued = await session_for(user)
    family = await TokenFamily.get(user_id=user.id)
    if expired_days_ago is not None:
        expired = utcnow() - dt.timedelta(days=expired_days_ago)
        await RefreshToken.filter(family_id=family.id).update(expires_at=expired)
        await TokenFamily.filter(id=family.id).update(created_at=expired - dt.timedelta(days=7))
    return issued.refresh_token, family.id


def given_export(hours_old: float) -> str:
    folder = get_settings().var_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"customers-{uuid.uuid4().hex}.xlsx"
    path.write_bytes(b"PK\x03\x04 an export")
    when = (utcnow() - dt.timedelta(hours=hours_old)).timestamp()
    os.utime(path, (when, when))
    return path.name


async def test_the_retention_job_removes_only_what_is_past_keeping_and_a_rerun_removes_nothing(client):
    # given (defaults: uploads 180 days, sessions 30 days after expiry, stray exports one day)
    old_import = await given_import(days_ago=200)
    older_import = await given_import(days_ago=300, kept_before_the_file_store=True)
    failed_import = await given_import(days_ago=181, status=ImportStatus.FAILED)
    running_import = await given_import(days_ago=400, status=ImportStatus.RUNNING)
    recent_import = await given_import(days_ago=10)
    live_refresh, live_session = await given_session()
    _, old_session = await given_session(expired_days_ago=40)
    _, recent_session = await given_session(expired_days_ago=5)
    stray_export = given_export(hours_old=30)
    export_being_sent = given_export(hours_old=0.1)

    # when the retention job runs
    execution = await run_now(JOB_NAME)

    # then the old uploads of ended imports are gone; the records stay
    assert execution.status == ExecutionStatus.SUCCESS, execution.error
    store = get_store()
    assert not await store.exists(imports_service.stored_key(old_import))
    assert not await store.exists(imports_service.stored_key(failed_import))
    assert not (get_settings().var_dir / "imports" / older_import.stored_name).exists()
    assert await store.exists(imports_service.stored_key(running_import))  # not ended: its worker may read it
    assert await store.exists(imports_service.stored_key(recent_import))
    assert await ImportJob.filter(id=old_import.id).exists()
    admin = await token_for("admin")
    gone = await client.get(f"/api/v1/imports/{old_import.id}/errors.xlsx", token=admin)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "import_file_missing"
    # and the session expired 40 days ago is gone with its token, the others stay
    assert not await TokenFamily.filter(id=old_session).exists()
    assert not await RefreshToken.filter(family_id=old_session).exists()
    assert await TokenFamily.filter(id__in=[live_session, recent_session]).count() == 2
    assert (await client.post(REFRESH, json={"refresh_token": live_refresh})).status_code == 200
    assert await RefreshToken.filter(family_id=recent_session).exists()  # expired 5 days ago: kept
    # and the stray export is gone, the one being sent stays
    exports = get_settings().var_dir / "exports"
    assert not (exports / stray_export).exists() and (exports / export_being_sent).exists()
    assert execution.counters == {
        "uploads_removed": 3,
        "exports_removed": 1,
        "refresh_tokens_removed": 1,
        "sessions_removed": 1,
    }
    audit = await AuditLog.get(entity_type="retention", entity_id=str(execution.id))
    assert audit.after["uploads_removed"] == 3

    # when it runs again, then it removes nothing more
    again = await run_now(JOB_NAME)
    assert again.status == ExecutionStatus.SUCCESS
    assert again.counters == {
        "uploads_removed": 0,
        "exports_removed": 0,
        "refresh_tokens_removed": 0,
        "sessions_removed": 0,
    }
