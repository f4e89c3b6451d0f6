"""Benchmarks: ``opcms bench NAME`` (DESIGN §15); the last line printed is one JSON object."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from opcms.cli.common import settings_or_exit
from opcms.core.settings import reset_settings

BENCHES = [
    "import",
    "api",
    "price",
    "usage",
    "billing",
    "suggestions",
    "reminders",
    "analytics",
    "statements",
]


class _Recorder(io.TextIOBase):
    """Stdout that passes everything through and keeps the last complete line printed."""

    def __init__(self, out: Any) -> None:
        self._out = out
        self._pending = ""
        self.last_line = ""

    def write(self, text: str) -> int:
        self._out.write(text)
        self._pending += text
        if "\n" in self._pending:
            complete, self._pending = self._pending.rsplit("\n", 1)
            for line in reversed(complete.split("\n")):
                if line.strip():
                    self.last_line = line
                    break
        return len(text)

    def flush(self) -> None:
        self._out.flush()


def cmd_bench(args: argparse.Namespace) -> int:
    """Benchmarks (DESIGN §15); the last line printed is one JSON object; with ``--record DIR``
    that object is kept as ``DIR/NAME.json`` for ``opcms bench report``."""
    if args.name == "report":
        from opcms.bench import report

        return report.main(Path(args.record or "var/bench"), Path(args.out))
    if not args.record:
        return _run(args)
    recorder = _Recorder(sys.stdout)
    with contextlib.redirect_stdout(recorder):
        code = _run(args)
    try:
        result = json.loads(recorder.last_line)
    except ValueError as exc:
        raise SystemExit(f"opcms bench {args.name}: the last line printed is not one JSON object") from exc
    folder = Path(args.record)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{args.name}.json").write_text(json.dumps(result, ensure_ascii=False) + "\n", encoding="utf-8")
    return code


def _run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="opcms-bench-var-") as var_dir:
        # uploads the bench stores are thrown away with it
        os.environ["OPCMS_VAR_DIR"] = var_dir
        reset_settings()
        settings_or_exit()
        from opcms.wiring import wire

        wire()  # the benches run the domains' code in this process
        # each bench module is imported when it runs: each pulls in the domains it measures
        if args.name == "import":
            from opcms.bench import imports

            return imports.main(args.rows or 50_000)
        if args.name == "api":
            from opcms.bench import customers

            return customers.main(args.customers, args.concurrency, args.requests)
        if args.name == "price":
            from opcms.bench import pricing

            return pricing.main(args.evaluations)
        if args.name == "usage":
            from opcms.bench import usage

            return usage.main(args.rows or 1_000_000)
        if args.name == "billing":
            from opcms.bench import billing

            return billing.main(args.customers, args.workers)
        if args.name == "suggestions":
            from opcms.bench import payments

            return payments.main(args.invoices, args.repeat)
        if args.name == "reminders":
            from opcms.bench import reminders

            return reminders.main(args.invoices)
        if args.name == "analytics":
            from opcms.bench import analytics

            return analytics.main(args.customers, args.repeat)
        if args.name == "statements":
            from opcms.bench import statements

            return statements.main(args.lines, args.invoices, args.accept_lines)
    raise SystemExit(f"unknown bench {args.name!r}")


def cmd_scale_check(args: argparse.Namespace) -> int:
    """Scale-out with real processes (``make scale-check``): see opcms/bench/scale_check.py."""
    settings_or_exit()
    from opcms.bench import scale_check
    from opcms.wiring import wire

    wire()  # the check seeds through the domains' services in this process
    return scale_check.main()


def add_commands(sub: Any) -> None:
    sub.add_parser(
        "scale-check",
        help="2 APIs, 2 workers and 2 beats on a throw-away database: kill a worker and restart an API "
        "mid invoice run, then check the invoices, numbers and usage (OPCMS_SCALE_DATABASE_URL, OPCMS_SCALE_REDIS_URL)",
    ).set_defaults(fn=cmd_scale_check)
    bench = sub.add_parser("bench", help="benchmarks against their floors (last line: one JSON object)")
    bench.add_argument(
        "name", choices=[*BENCHES, "report"], help="a bench, or report: write the recorded results"
    )
    bench.add_argument(
        "--record",
        default=None,
        help="keep the result (the last line) as DIR/NAME.json; report: read them from DIR",
    )
    bench.add_argument("--out", default="docs/benchmarks.md", help="report: the page to write")
    bench.add_argument(
        "--rows",
        type=int,
        default=None,
        help="rows of the generated customer list (import, default 50,000) or usage records (usage, default 1,000,000)",
    )
    bench.add_argument(
        "--lines", type=int, default=20_000, help="incoming lines of the bank statement (statements)"
    )
    bench.add_argument(
        "--accept-lines",
        type=int,
        default=None,
        help="statements: accept at most N high-confidence lines (default all; 0 skips the accept-all)",
    )
    bench.add_argument("--evaluations", type=int, default=200_000, help="price evaluations (price)")
    bench.add_argument(
        "--customers", type=int, default=10_000, help="customers in the database (api, billing, analytics)"
    )
    bench.add_argument(
        "--workers", type=int, default=2, help="Celery worker processes sharing the invoice run (billing)"
    )
    bench.add_argument(
        "--invoices",
        type=int,
        default=10_000,
        help="open invoices of the one customer (suggestions); customers with one overdue invoice each "
        "(reminders); open invoices, 5 per customer (statements)",
    )
    bench.add_argument(
        "--repeat",
        type=int,
        default=50,
        help="requests per payment (suggestions); dashboard requests (analytics)",
    )
    bench.add_argument("--concurrency", type=int, default=50, help="concurrent connections (api)")
    bench.add_argument("--requests", type=int, default=2_000, help="requests per endpoint (api)")
    bench.set_defaults(fn=cmd_bench)
