"""A real S3-compatible server on 127.0.0.1 for the file store tests: moto's S3 served over
HTTP by ``ThreadedMotoServer`` (its own thread, a port chosen by the OS). Nothing is patched:
the store's boto3 client talks to it over TCP, path-style, as it talks to MinIO.

``FakeS3.bucket()`` makes a fresh bucket (each test its own); ``settings_for(bucket, prefix)``
are the ``Settings`` fields that point a process at it; ``objects(bucket)`` lists what the
server holds, read with a separate client (not through the store under test).

Run alone (``python -m tests.backend.fake_s3 [--port N] [--bucket NAME]``), it serves until
stopped and prints the ``OPCMS_*`` lines that point processes at a fresh bucket: the server
that several API and worker processes share in a scale check, no MinIO needed.
"""

from __future__ import annotations

import itertools
from typing import Any, Self

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from tests.backend.processes import free_port

ACCESS_KEY = "opcms-test-access"
SECRET_KEY = "opcms-test-secret-never-logged"
REGION = "us-east-1"


class FakeS3:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._names = itertools.count(1)
        self.client: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
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

    def bucket(self, name: str | None = None) -> str:
        name = name or f"opcms-test-{next(self._names)}"
        self.client.create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """Every object under ``prefix`` with its bytes, as the server holds them."""
        found = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                body = self.client.get_object(Bucket=bucket, Key=item["Key"])["Body"]
                found[item["Key"]] = body.read()
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


def main() -> None:
    import argparse
    import signal
    import threading

    parser = argparse.ArgumentParser(
        description="An S3-compatible server on 127.0.0.1 (moto's), until stopped"
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bucket", default="opcms-files")
    args = parser.parse_args()
    server = FakeS3(args.port or None).start()
    bucket = server.bucket(args.bucket)
    for name, value in server.env_for(bucket, "opcms").items():
        print(f"{name}={value}", flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main()
