"""An S3-compatible server on 127.0.0.1 for checks and tests: moto's S3 served over HTTP by
``ThreadedMotoServer`` (a thread of this process, a port chosen by the OS). Nothing is patched:
every process's file store (``core/storage.py``) talks to it over TCP, path-style, as it talks
to MinIO. ``opcms scale-check`` shares one between its API and worker processes; the file
store tests use it through ``tests/backend/fake_s3.py``.

moto and flask are test dependencies (``make install`` installs them), not the product's: they
are imported when a server starts, so ``opcms`` runs without them.

``bucket()`` makes a bucket; ``env_for(bucket, prefix)`` are the ``OPCMS_*`` variables that
point a process at it (``settings_for``: the same as ``Settings`` fields); ``objects(bucket)``
reads what the server holds with a client of its own (not through the store under check).
With ``count_requests``, ``requests`` tallies the S3 requests the server answered by method
and by the first folder of the key under ``prefix`` (``imports``, ``exports``; ``""`` for the
bucket itself): what passed through the store, whoever sent it.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from collections import Counter
from typing import Any, Self

from opcms.bench.common import free_port

ACCESS_KEY = "opcms-local-access"
SECRET_KEY = "opcms-local-secret-never-logged"
REGION = "us-east-1"

# werkzeug's request line: "PUT /bucket/key?query HTTP/1.1" (coloured by status on some codes)
_REQUEST_LINE = re.compile(r"([A-Z]+) (/\S*) HTTP/")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _RequestTally(logging.Handler):
    """Counts the requests werkzeug (moto's server) logs: one INFO record per request answered,
    whose first argument is the request line."""

    def __init__(self, prefix: str) -> None:
        super().__init__(logging.INFO)
        self.prefix = [part for part in prefix.split("/") if part]
        self.counted: Counter[tuple[str, str]] = Counter()
        self._lock_counted = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if not isinstance(record.args, tuple) or not record.args:
            return
        found = _REQUEST_LINE.search(_ANSI.sub("", str(record.args[0])))
        if found is None:
            return
        method, path = found.groups()
        parts = [part for part in path.split("?", 1)[0].split("/") if part][1:]  # the bucket off
        if parts[: len(self.prefix)] == self.prefix:
            parts = parts[len(self.prefix) :]
        folder = parts[0] if len(parts) > 1 else ""  # a key in a folder, or the bucket itself
        with self._lock_counted:
            self.counted[(method, folder)] += 1


class LocalS3:
    def __init__(self, port: int | None = None, *, count_requests: str | None = None) -> None:
        """``count_requests``: the key prefix whose folders ``requests`` counts by (``""`` for
        keys without one); ``None`` counts nothing."""
        from moto.server import ThreadedMotoServer

        self.port = port or free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._names = itertools.count(1)
        self._tally = _RequestTally(count_requests) if count_requests is not None else None
        self._werkzeug_propagates = True
        self.client: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> dict[tuple[str, str], int]:
        """(method, folder) → how many such requests the server answered (with ``count_requests``)."""
        return dict(self._tally.counted) if self._tally is not None else {}

    def start(self) -> Self:
        import boto3
        from botocore.config import Config

        if self._tally is not None:
            # werkzeug logs each request answered at INFO on its logger; kept from the process's
            # own log (one line per S3 request otherwise)
            werkzeug = logging.getLogger("werkzeug")
            werkzeug.setLevel(logging.INFO)
            werkzeug.addHandler(self._tally)
            self._werkzeug_propagates, werkzeug.propagate = werkzeug.propagate, False
        self._server.start()
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}),
        )
        return self

    def stop(self) -> None:
        self._server.stop()
        if self._tally is not None:
            werkzeug = logging.getLogger("werkzeug")
            werkzeug.removeHandler(self._tally)
            werkzeug.propagate = self._werkzeug_propagates

    def bucket(self, name: str | None = None) -> str:
        name = name or f"opcms-test-{next(self._names)}"
        self.client.create_bucket(Bucket=name)
        return name

    def sizes(self, bucket: str, prefix: str = "") -> dict[str, int]:
        """Every object under ``prefix`` with its size, as the server holds them."""
        found = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                found[str(item["Key"])] = int(item["Size"])
        return found

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """Every object under ``prefix`` with its bytes, as the server holds them."""
        found = {}
        for key in self.sizes(bucket, prefix):
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
            found[key] = bytes(body.read())
        return found

    def settings_for(self, bucket: str, prefix: str = "") -> dict[str, Any]:
        return {
            "storage_url": f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}",
            "s3_endpoint_url": self.endpoint_url,
            "s3_access_key": ACCESS_KEY,
            "s3_secret_key": SECRET_KEY,
            "s3_region": REGION,
        }

    def env_for(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """The same as ``OPCMS_*`` variables, for a process of its own."""
        return {
            f"OPCMS_{name.upper()}": str(value) for name, value in self.settings_for(bucket, prefix).items()
        }
