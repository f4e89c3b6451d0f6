"""Customer lists: ``opcms import-customers``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from opcms.cli.common import settings_or_exit, with_db
from opcms.core.context import acting_as, system_actor
from opcms.core.errors import AppError


def cmd_import_customers(args: argparse.Namespace) -> int:
    """The API's import service on a local file; exit 0 no row failed, 1 some did, 2 refused."""
    settings = settings_or_exit()
    from opcms.core.excel import FileRefused
    from opcms.imports import queries, service

    def refused(error: AppError) -> int:
        if args.json:
            print(json.dumps(error.body(), ensure_ascii=False))
        else:
            print(f"refused ({error.code}): {error.message}", file=sys.stderr)
        return 2

    path = Path(args.file)
    if not path.is_file():
        return refused(
            FileRefused(
                f"{path}: no such file", code="file_missing", key="no_such_file", params={"path": str(path)}
            )
        )
    if path.stat().st_size > settings.import_max_bytes:
        return refused(
            FileRefused(
                f"The file is {path.stat().st_size:,} bytes; the limit is {settings.import_max_bytes:,} bytes (OPCMS_IMPORT_MAX_BYTES)",
                code="file_too_large",
                status=413,
                params={"size": path.stat().st_size, "limit": settings.import_max_bytes},
            )
        )
    data = path.read_bytes()

    async def run() -> tuple[Any, dict[str, Any]]:
        with acting_as(system_actor("import-customers")):
            job = await service.submit(data, path.name, args.mode, background=False)
        report = await queries.report(job)
        assert report is not None, "an import run in the foreground has finished"
        return job, report

    try:
        job, report = with_db(run)
    except AppError as error:
        return refused(error)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        # a validation writes nothing: its counts say what an import would do
        if args.mode == "validate":
            done = f"would create {report['created']:,}, would update {report['updated']:,}, {report['unchanged']:,} unchanged"
        else:
            done = f"{report['created']:,} created, {report['updated']:,} updated, {report['unchanged']:,} unchanged"
        print(
            f"import #{job.id} ({args.mode}) of {job.file_name}: {report['total']:,} rows — {done}, "
            f"{report['skipped_blank']:,} blank skipped, {report['failed']:,} failed"
            + (" (validate: nothing written)" if args.mode == "validate" else "")
        )
        for row_error in report["errors"]:
            print(
                f"  row {row_error['row']}  {row_error['column']}  {row_error['value']!r}: {row_error['reason']}"
            )
        if report["ignored_columns"]:
            print(f"ignored columns: {', '.join(report['ignored_columns'])}")
    return 0 if report["failed"] == 0 else 1


def add_commands(sub: Any) -> None:
    imp = sub.add_parser(
        "import-customers", help="import a customer list (.xlsx); exit 0 ok, 1 rows failed, 2 refused"
    )
    imp.add_argument("file")
    imp.add_argument("--mode", required=True, choices=["validate", "create", "upsert"])
    imp.add_argument("--json", action="store_true", help="print the report as one JSON object")
    imp.set_defaults(fn=cmd_import_customers)
