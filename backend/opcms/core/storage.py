"""Files every host can read: uploaded import workbooks (and so their error workbooks) and
exports are kept through one small contract, :class:`FileStore`, whatever holds them.

- :class:`LocalFolderStore`: a folder, by default the var folder (``OPCMS_STORAGE_URL=file:``).
  The embedded default, and one host alone (or a folder every host mounts).
- :class:`S3Store`: a bucket of an S3-compatible object store (``OPCMS_STORAGE_URL=s3://bucket/
  prefix``; MinIO in ``docker-compose.yml``), so an API process on one host and a worker on
  another read the same files.

A file is named by a **key**: ``/``-separated parts of letters, digits, ``.``, ``_`` and ``-``,
none starting with a dot (``imports/2026/12/3f9c….xlsx``). A key that could climb out of its
store (``..``, an absolute path, a backslash) is refused with :class:`UnsafeKey` before any I/O.

Every operation is a coroutine that keeps the event loop free: files and the S3 client are
worked in threads (``asyncio.to_thread``). The client is boto3, the reference S3 client: its
transfer manager uploads a large file in parts, its low-level client may be shared by threads,
and through ``to_thread`` it needs no second event-loop stack (aioboto3 pins botocore to narrow
ranges through aiobotocore); each call is one HTTP round trip, so a thread per call costs little
next to it. The process's store is :func:`get_store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit

from opcms.core.errors import StorageUnavailable

if TYPE_CHECKING:
    from opcms.core.settings import Settings

log = logging.getLogger("opcms.storage")

#: what a download reads at a time: a file is sent as it is read, never held whole
CHUNK_BYTES = 256 * 1024

_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")
_T = TypeVar("_T")


class UnsafeKey(ValueError):
    """A key that is not a plain relative name (it could reach outside the store)."""


class StoredFileMissing(FileNotFoundError):
    """No file is stored under the key (never stored, or removed by retention)."""

    def __init__(self, key: str) -> None:
        super().__init__(errno.ENOENT, "no stored file", key)
        self.key = key


def check_key(key: str) -> str:
    """``key`` if it is a plain relative name; else :class:`UnsafeKey`."""
    if not isinstance(key, str) or len(key) > 512 or not _KEY.fullmatch(key):
        raise UnsafeKey(f"refused file key {key!r}: parts of letters, digits, '.', '_', '-', no leading dot")
    return key


def _check_prefix(prefix: str) -> str:
    """A listing prefix: a key ending in ``/`` (a folder), or empty for everything."""
    if prefix and not (prefix.endswith("/") and check_key(prefix[:-1])):
        raise UnsafeKey(f"refused listing prefix {prefix!r}: a key ending with '/'")
    return prefix


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    modified: dt.datetime  # UTC


class FileStore(Protocol):
    """What the callers need of a place that keeps files (see the module doc)."""

    #: where the files are, for logs and messages (never a secret)
    description: str

    async def put_bytes(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key`` (replacing what was there); readers see all or nothing."""

    async def put_file(self, key: str, path: Path) -> None:
        """Keep the local file at ``path`` under ``key``, taking it: ``path`` is gone afterwards
        (moved when it can be, else copied in parts and removed)."""

    async def get_bytes(self, key: str) -> bytes:
        """The whole file (small files only); :class:`StoredFileMissing` if there is none."""

    async def chunks(self, key: str, size: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
        """The file as it is read, ``size`` bytes at a time. The file is opened by this call,
        so a missing one raises :class:`StoredFileMissing` here, before anything is sent."""

    async def open_local(self, key: str) -> IO[bytes]:
        """A readable, seekable local file with the stored bytes (the caller closes it): the
        file itself in a folder, a temporary copy that vanishes when closed for S3."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> bool:
        """Remove the file; answers whether there was one (removing twice is not an error)."""

    async def list(self, prefix: str) -> list[StoredFile]:
        """Every file under ``prefix`` (a folder key ending with ``/``), at any depth."""

    async def check(self) -> None:
        """Raise if files cannot be kept here now (``/readyz``)."""


async def list_older(store: FileStore, prefix: str, before: dt.datetime) -> list[str]:
    """The keys under ``prefix`` last written before ``before`` (retention)."""
    return [item.key for item in await store.list(prefix) if item.modified < before]


# --- a local folder ------------------------------------------------------------------------------
class LocalFolderStore:
    """Files in a folder: ``key`` is a path under ``root``. Written to a hidden temporary file
    beside the target and renamed over it, so a reader never sees half a file; listings skip
    hidden names, so they never see those temporary files either."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.description = f"folder {self.root}"

    def path(self, key: str) -> Path:
        """The local path of ``key``; refused if it would resolve outside the folder (a link)."""
        path = self.root / check_key(key)
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise UnsafeKey(f"refused file key {key!r}: it leads outside {self.root}")
        return path

    async def put_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        await asyncio.to_thread(self._write, target, lambda handle: handle.write(data))

    async def put_file(self, key: str, path: Path) -> None:
        target = self.path(key)

        def move() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(path, target)  # same file system: atomic, no copy
            except OSError as error:
                if error.errno != errno.EXDEV:
                    raise
                with open(path, "rb") as source:
                    self._write(target, lambda handle: shutil.copyfileobj(source, handle, CHUNK_BYTES))
                os.unlink(path)

        await asyncio.to_thread(move)

    @staticmethod
    def _write(target: Path, write: Callable[[IO[bytes]], object]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = ""
        try:
            with tempfile.NamedTemporaryFile(
                dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
            ) as handle:
                partial = handle.name
                write(handle)
            os.replace(partial, target)
        except BaseException:
            if partial:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(partial)
            raise

    async def get_bytes(self, key: str) -> bytes:
        path = self.path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise StoredFileMissing(key) from None

    async def open_local(self, key: str) -> IO[bytes]:
        path = self.path(key)
        try:
            return await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError:
            raise StoredFileMissing(key) from None

    async def chunks(self, key: str, size: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
        handle = await self.open_local(key)

        async def read() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(handle.read, size):
                    yield chunk
            finally:
                handle.close()

        return read()

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def delete(self, key: str) -> bool:
        path = self.path(key)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        return True

    async def check(self) -> None:
        def writable() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, "the folder cannot be written", str(self.root))

        await asyncio.to_thread(writable)

    async def list(self, prefix: str) -> list[StoredFile]:
        folder = self.root / _check_prefix(prefix)

        def walk() -> list[StoredFile]:
            found = []
            for directory, folders, names in os.walk(folder):
                folders[:] = [name for name in folders if not name.startswith(".")]
                for name in names:
                    if name.startswith("."):  # a file being written
                        continue
                    path = Path(directory) / name
                    try:
                        info = path.stat()
                    except FileNotFoundError:  # removed meanwhile
                        continue
                    modified = dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)
                    key = path.relative_to(self.root).as_posix()
                    found.append(StoredFile(key, info.st_size, modified))
            return sorted(found, key=lambda item: item.key)

        return await asyncio.to_thread(walk)


# --- an S3-compatible object store --------------------------------------------------------------
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def _is_missing(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) in _MISSING_CODES


class S3Store:
    """Files as objects of one bucket, under an optional key prefix. Path-style addressing
    (``http://endpoint/bucket/key``), which MinIO and other S3-compatible servers expect. The
    bucket must exist (``docker-compose.yml`` creates it; the application is given no right to).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self._endpoint_url = endpoint_url or None
        self._access_key = access_key or None
        self._secret_key = secret_key or None
        self._region = region or None
        where = f" at {self._endpoint_url}" if self._endpoint_url else ""
        self.description = f"s3://{bucket}/{self.prefix}{where}"
        self._client: Any = None
        self._client_pid = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the secret
        return f"S3Store({self.description!r})"

    @property
    def client(self) -> Any:
        """The boto3 client of this process: made on first use and again after a fork (a
        prefork worker must not share its parent's connections)."""
        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                import boto3
                from botocore.config import Config

                self._client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=self._endpoint_url,
                    aws_access_key_id=self._access_key,
                    aws_secret_access_key=self._secret_key,
                    region_name=self._region,
                    config=Config(
                        s3={"addressing_style": "path"},
                        retries={"max_attempts": 4, "mode": "standard"},
                        connect_timeout=5,
                        read_timeout=60,
                        max_pool_connections=20,
                    ),
                )
                self._client_pid = os.getpid()
            return self._client

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def _call(self, key: str, work: Callable[[], _T]) -> _T:
        """``work`` in a thread; a missing object is :class:`StoredFileMissing`, and a store
        that cannot be reached or refuses (after boto3's retries) :class:`StorageUnavailable`."""
        from boto3.exceptions import Boto3Error  # a failed managed transfer
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await asyncio.to_thread(work)
        except (BotoCoreError, ClientError, Boto3Error) as error:
            if _is_missing(error):
                raise StoredFileMissing(key) from None
            log.warning("file store %s failed on %s: %s", self.description, key, error)
            raise StorageUnavailable() from error

    async def put_bytes(self, key: str, data: bytes) -> None:
        name = self._name(key)
        await self._call(key, lambda: self.client.put_object(Bucket=self.bucket, Key=name, Body=data))

    async def put_file(self, key: str, path: Path) -> None:
        name = self._name(key)
        # the transfer manager sends a large file in parts, never whole in memory
        await self._call(key, lambda: self.client.upload_file(str(path), self.bucket, name))
        await asyncio.to_thread(Path(path).unlink, missing_ok=True)

    async def get_bytes(self, key: str) -> bytes:
        name = self._name(key)

        def get() -> bytes:
            body = self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
            with contextlib.closing(body):
                return bytes(body.read())

        return await self._call(key, get)

    async def open_local(self, key: str) -> IO[bytes]:
        name = self._name(key)

        def download() -> IO[bytes]:
            # no name: gone when the caller closes it, or if the process dies
            handle = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the caller)
            try:
                self.client.download_fileobj(self.bucket, name, handle)
                handle.seek(0)
            except BaseException:
                handle.close()
                raise
            return handle

        return await self._call(key, download)

    async def chunks(self, key: str, size: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
        name = self._name(key)
        body = await self._call(key, lambda: self.client.get_object(Bucket=self.bucket, Key=name)["Body"])

        async def read() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(body.read, size):
                    yield chunk
            finally:
                body.close()

        return read()

    async def exists(self, key: str) -> bool:
        name = self._name(key)
        try:
            await self._call(key, lambda: self.client.head_object(Bucket=self.bucket, Key=name))
        except StoredFileMissing:
            return False
        return True

    async def delete(self, key: str) -> bool:
        # S3 answers a delete the same whether the object was there: ask first, so a second
        # retention run counts nothing removed
        if not await self.exists(key):
            return False
        name = self._name(key)
        await self._call(key, lambda: self.client.delete_object(Bucket=self.bucket, Key=name))
        return True

    async def check(self) -> None:
        try:
            await self._call(self.bucket, lambda: self.client.head_bucket(Bucket=self.bucket))
        except StoredFileMissing:  # no such bucket
            raise StorageUnavailable() from None

    async def list(self, prefix: str) -> list[StoredFile]:
        start = self.prefix + _check_prefix(prefix)

        def walk() -> list[StoredFile]:
            found = []
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(self.prefix) :]
                    modified = item["LastModified"].astimezone(dt.UTC)
                    found.append(StoredFile(key, int(item["Size"]), modified))
            return sorted(found, key=lambda item: item.key)

        return await self._call(start, walk)


# --- the process's store -------------------------------------------------------------------------
def store_for(settings: Settings) -> FileStore:
    """The store ``settings`` describe (``OPCMS_STORAGE_URL``, checked by the settings)."""
    url = settings.storage_url
    parts = urlsplit(url)
    if parts.scheme == "s3":
        return S3Store(
            parts.netloc,
            parts.path,
            endpoint_url=settings.s3_endpoint_url,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            region=settings.s3_region,
        )
    folder = url.removeprefix("file:")
    if folder.startswith("//"):
        folder = urlsplit(url).path
    return LocalFolderStore(Path(folder) if folder else settings.var_dir)


_cached: tuple[tuple[Any, ...], FileStore] | None = None


def get_store() -> FileStore:
    """The file store of this process (made once; again if the storage settings change)."""
    global _cached
    from opcms.core.settings import get_settings

    settings = get_settings()
    secret = settings.s3_secret_key.get_secret_value()
    wanted = (
        id(settings),
        settings.storage_url,
        str(settings.var_dir),
        settings.s3_endpoint_url,
        settings.s3_access_key,
        secret,
        settings.s3_region,
    )
    cached = _cached
    if cached is None or cached[0] != wanted:
        cached = _cached = (wanted, store_for(settings))
    return cached[1]
