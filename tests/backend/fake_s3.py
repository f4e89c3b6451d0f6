"""A real S3-compatible server on 127.0.0.1 for the file store tests: moto's S3 served over
HTTP (``opcms.bench.s3_server``, which ``opcms scale-check`` shares between its processes).
Nothing is patched: the store's boto3 client talks to it over TCP, path-style, as it talks to
MinIO.

``FakeS3.bucket()`` makes a fresh bucket (each test its own); ``settings_for(bucket, prefix)``
are the ``Settings`` fields that point a process at it; ``objects(bucket)`` lists what the
server holds, read with a separate client (not through the store under test).

Run alone (``python -m tests.backend.fake_s3 [--port N] [--bucket NAME]``), it serves until
stopped and prints the ``OPCMS_*`` lines that point processes at a fresh bucket.
"""

from __future__ import annotations

from opcms.bench.s3_server import ACCESS_KEY, REGION, SECRET_KEY, LocalS3

__all__ = ["ACCESS_KEY", "REGION", "SECRET_KEY", "FakeS3"]

FakeS3 = LocalS3


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
