"""The file store contract, the same tests against both stores: a folder (the embedded
default) and an S3 bucket on a real S3-compatible server over HTTP (moto's, on loopback).
Also the settings that choose the store."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from opcms.core.errors import StorageUnavailable
from opcms.core.settings import Settings, SettingsError, get_settings, reset_settings
from opcms.core.storage import (
    FileStore,
    LocalFolderStore,
    S3Store,
    StoredFileMissing,
    UnsafeKey,
    get_store,
    list_older,
    store_for,
)
from tests.backend.fake_s3 import ACCESS_KEY, REGION, SECRET_KEY, FakeS3

MB = 1024 * 1024


def s3_store(fake_s3: FakeS3, bucket: str, prefix: str = "") -> S3Store:
    return S3Store(
        bucket,
        prefix,
        endpoint_url=fake_s3.endpoint_url,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
    )


@pytest.fixture(params=["folder", "s3"])
async def store(request, tmp_path, fake_s3) -> AsyncIterator[FileStore]:
    if request.param == "folder":
        yield LocalFolderStore(tmp_path / "var")
    else:
        yield s3_store(fake_s3, fake_s3.bucket(), "opcms")


async def read_all(store: FileStore, key: str) -> list[bytes]:
    return [chunk async for chunk in await store.chunks(key)]


# --- the contract ----------------------------------------------------------------------------------
async def test_a_file_put_is_read_back_whole_and_replaced_whole(store):
    # given nothing under the key
    key = "imports/2026/12/3f9c.xlsx"
    assert not await store.exists(key)
    # when bytes are put, then they read back, and the key exists
    await store.put_bytes(key, b"PK\x03\x04 first")
    assert await store.get_bytes(key) == b"PK\x03\x04 first"
    assert await store.exists(key)
    # when other bytes are put under the same key, then they replace the first
    await store.put_bytes(key, b"second")
    assert await store.get_bytes(key) == b"second"
    assert [(item.key, item.size) for item in await store.list("imports/")] == [(key, 6)]


async def test_a_missing_file_is_said_missing_by_every_read(store):
    key = "imports/2026/12/never.xlsx"
    with pytest.raises(StoredFileMissing):
        await store.get_bytes(key)
    with pytest.raises(StoredFileMissing):
        await store.open_local(key)
    # the stream opens the file when asked for, before anything could be sent
    with pytest.raises(StoredFileMissing):
        await store.chunks(key)
    assert not await store.exists(key)
    assert await store.list("imports/") == []


async def test_a_large_file_streams_in_chunks_and_reads_back_as_a_local_file(store, tmp_path):
    # given a 1.3 MB file written locally (as an export is) and put into the store
    data = os.urandom(MB) + b"x" * (300 * 1024)
    written = tmp_path / "export.xlsx"
    written.write_bytes(data)
    await store.put_file("exports/2026/12/customers-1.xlsx", written)
    # then the store took the file
    assert not written.exists()
    # and it streams back in chunks no larger than asked for, the same bytes in order
    chunks = [chunk async for chunk in await store.chunks("exports/2026/12/customers-1.xlsx", 256 * 1024)]
    assert len(chunks) >= 6 and max(len(chunk) for chunk in chunks) <= 256 * 1024
    assert b"".join(chunks) == data
    # and it opens as a local, seekable file with the same bytes
    with await store.open_local("exports/2026/12/customers-1.xlsx") as handle:
        handle.seek(MB)
        assert handle.read() == data[MB:]
        handle.seek(0)
        assert handle.read() == data


async def test_a_usable_store_passes_its_check(store):
    await store.check()


async def test_delete_says_whether_there_was_a_file_and_a_second_delete_finds_none(store):
    await store.put_bytes("exports/2026/12/a.xlsx", b"a")
    await store.put_bytes("exports/2026/12/b.xlsx", b"b")
    assert await store.delete("exports/2026/12/a.xlsx") is True
    assert await store.delete("exports/2026/12/a.xlsx") is False
    assert not await store.exists("exports/2026/12/a.xlsx")
    assert [item.key for item in await store.list("exports/")] == ["exports/2026/12/b.xlsx"]


async def test_listing_is_by_folder_and_finds_what_is_older_than_a_time(store):
    # given two uploads a second apart and an export
    await store.put_bytes("imports/2026/11/old.xlsx", b"old")
    await asyncio.sleep(1.1)  # S3 keeps last-modified times to the second
    await store.put_bytes("imports/2026/12/new.xlsx", b"newer")
    await store.put_bytes("exports/2026/12/customers-2.xlsx", b"x")
    listed = {item.key: item for item in await store.list("imports/")}
    # then a folder's listing holds its files at any depth, and only them
    assert sorted(listed) == ["imports/2026/11/old.xlsx", "imports/2026/12/new.xlsx"]
    assert listed["imports/2026/12/new.xlsx"].size == 5
    old, new = listed["imports/2026/11/old.xlsx"].modified, listed["imports/2026/12/new.xlsx"].modified
    assert old.tzinfo is not None and old < new
    assert abs(dt.datetime.now(dt.UTC) - new) < dt.timedelta(minutes=1)
    # and what is older than a time is found by it (retention)
    assert await list_older(store, "imports/", new) == ["imports/2026/11/old.xlsx"]
    assert await list_older(store, "imports/", old) == []
    later = new + dt.timedelta(seconds=1)
    assert await list_older(store, "imports/", later) == [
        "imports/2026/11/old.xlsx",
        "imports/2026/12/new.xlsx",
    ]
    assert len(await store.list("")) == 3


@pytest.mark.parametrize(
    "key",
    [
        "../secret.key",
        "imports/../../secret.key",
        "/etc/passwd",
        "imports//a.xlsx",
        "imports/./a.xlsx",
        "imports\\..\\a.xlsx",
        ".hidden",
        "imports/.a.xlsx.part",
        "imports/a\x00.xlsx",
        "",
        "imports/",
    ],
)
async def test_a_key_that_could_leave_the_store_is_refused_before_any_io(store, tmp_path, key):
    for attempt in (
        store.put_bytes(key, b"x"),
        store.get_bytes(key),
        store.exists(key),
        store.delete(key),
        store.open_local(key),
        store.chunks(key),
    ):
        with pytest.raises(UnsafeKey):
            await attempt
    with pytest.raises(UnsafeKey):
        await store.list("../")
    # and nothing was written anywhere
    assert await store.list("") == []
    assert not (tmp_path / "secret.key").exists()


# --- what only one store has -------------------------------------------------------------------
async def test_a_folder_store_writes_through_a_hidden_temporary_file_and_refuses_a_link_out(tmp_path):
    store = LocalFolderStore(tmp_path / "var")
    await store.put_bytes("imports/2026/12/a.xlsx", b"a")
    assert os.listdir(tmp_path / "var" / "imports" / "2026" / "12") == ["a.xlsx"]  # no temporary left
    # a file being written is hidden beside its target, and listings skip it
    (tmp_path / "var" / "imports" / "2026" / "12" / ".b.xlsx.123.part").write_bytes(b"half")
    assert [item.key for item in await store.list("imports/")] == ["imports/2026/12/a.xlsx"]
    # a link inside the folder that leads out of it is refused
    (tmp_path / "outside").mkdir()
    (tmp_path / "var" / "exports").symlink_to(tmp_path / "outside")
    with pytest.raises(UnsafeKey):
        await store.put_bytes("exports/a.xlsx", b"x")
    assert os.listdir(tmp_path / "outside") == []


async def test_an_s3_store_keeps_its_files_under_its_prefix_only(fake_s3):
    bucket = fake_s3.bucket()
    one, other = s3_store(fake_s3, bucket, "site-a"), s3_store(fake_s3, bucket, "site-b/")
    await one.put_bytes("imports/2026/12/a.xlsx", b"a")
    assert fake_s3.objects(bucket) == {"site-a/imports/2026/12/a.xlsx": b"a"}
    assert await other.list("") == [] and not await other.exists("imports/2026/12/a.xlsx")
    assert [item.key for item in await one.list("")] == ["imports/2026/12/a.xlsx"]


async def test_an_s3_store_that_cannot_be_used_is_unavailable_not_missing(fake_s3):
    # given a bucket that does not exist
    store = s3_store(fake_s3, "opcms-no-such-bucket")
    # then writes and reads fail as a store that is unavailable (503), not as a missing file
    with pytest.raises(StorageUnavailable):
        await store.put_bytes("imports/a.xlsx", b"x")
    with pytest.raises(StorageUnavailable):
        await store.get_bytes("imports/a.xlsx")
    with pytest.raises(StorageUnavailable):
        await store.list("imports/")
    with pytest.raises(StorageUnavailable):
        await store.check()
    # and its description, what logs name, holds no secret
    assert SECRET_KEY not in repr(store) and SECRET_KEY not in store.description


# --- settings --------------------------------------------------------------------------------------
def settings(**values) -> Settings:
    return Settings(_env_file=None, secret_key="x" * 40, **values)


def test_the_default_store_is_the_var_folder_and_a_file_url_may_name_another(tmp_path):
    default = store_for(settings(var_dir=tmp_path))
    assert isinstance(default, LocalFolderStore) and default.root == tmp_path
    mounted = store_for(settings(var_dir=tmp_path, storage_url=f"file:{tmp_path}/shared"))
    assert isinstance(mounted, LocalFolderStore) and mounted.root == tmp_path / "shared"
    also = store_for(settings(var_dir=tmp_path, storage_url=f"file://{tmp_path}/shared"))
    assert isinstance(also, LocalFolderStore) and also.root == tmp_path / "shared"


def test_an_s3_url_gives_an_s3_store_and_its_secret_is_never_shown(fake_s3):
    configured = settings(**fake_s3.settings_for("opcms-files", "prod/files"))
    store = store_for(configured)
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix) == ("opcms-files", "prod/files/")
    assert SECRET_KEY not in repr(configured) and SECRET_KEY not in str(configured.model_dump())
    assert SECRET_KEY not in repr(store)


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"storage_url": "ftp://files"}, "OPCMS_STORAGE_URL"),
        ({"storage_url": "s3://"}, "OPCMS_STORAGE_URL"),
        ({"storage_url": "s3://Bad_Bucket/x"}, "OPCMS_STORAGE_URL"),
        ({"storage_url": "s3://opcms-files/a?x=1"}, "OPCMS_STORAGE_URL"),
        ({"storage_url": "s3://opcms-files", "s3_endpoint_url": "minio:9000"}, "OPCMS_S3_ENDPOINT_URL"),
        (
            {"storage_url": "s3://opcms-files", "s3_endpoint_url": "http://key:secret@minio:9000"},
            "OPCMS_S3_ENDPOINT_URL",
        ),
        ({"storage_url": "s3://opcms-files", "s3_access_key": "only-the-key"}, "settings"),
    ],
)
def test_a_bad_storage_setting_stops_start_up_naming_it(monkeypatch, values, variable):
    for name, value in values.items():
        monkeypatch.setenv(f"OPCMS_{name.upper()}", value)
    reset_settings()
    try:
        with pytest.raises(SettingsError) as stopped:
            get_settings()
    finally:
        for name in values:
            monkeypatch.delenv(f"OPCMS_{name.upper()}")
        reset_settings()
    assert variable in str(stopped.value)
    assert "key:secret" not in str(stopped.value)  # the message names the variable, not its value


def test_the_process_store_is_made_once_and_again_when_its_settings_change(monkeypatch, tmp_path):
    current = get_settings()
    first = get_store()
    assert get_store() is first
    assert isinstance(first, LocalFolderStore) and first.root == current.var_dir
    monkeypatch.setattr(current, "var_dir", Path(tmp_path))
    moved = get_store()
    assert moved is not first and isinstance(moved, LocalFolderStore) and moved.root == tmp_path
