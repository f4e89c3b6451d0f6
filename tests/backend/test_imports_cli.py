"""`opcms import-customers FILE --mode … [--json]`: the API's service from the command line,
exit 0 when no row failed, 1 when some did, 2 when the file was refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from opcms.core.audit import AuditLog
from opcms.customers.models import Customer
from opcms.imports.models import ImportJob
from tests.backend.factories import customer_rows, workbook_bytes


def import_customers(path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opcms", "import-customers", str(path), *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_clean_file_exits_0_and_prints_the_report_as_json(db, tmp_path):
    path = tmp_path / "clean.xlsx"
    path.write_bytes(workbook_bytes(customer_rows(3)))
    result = import_customers(path, "--mode", "create", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "total": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped_blank": 0,
        "failed": 0,
        "errors": [],
        "ignored_columns": [],
    }
    assert await Customer.all().count() == 3
    [job] = await ImportJob.all()
    assert (job.created_by, job.file_name, job.background) == ("system:import-customers", "clean.xlsx", False)
    assert await AuditLog.filter(action="import", actor="system:import-customers").count() == 1


async def test_a_file_with_failed_rows_exits_1_and_names_them(db, tmp_path):
    path = tmp_path / "mixed.xlsx"
    path.write_bytes(workbook_bytes([*customer_rows(2), ["K00001", "重复有限公司", "A", "13900000009"]]))
    result = import_customers(path, "--mode", "validate")
    assert result.returncode == 1, result.stderr
    assert (
        "would create 2, would update 0, 0 unchanged, 0 blank skipped, 1 failed (validate: nothing written)"
        in result.stdout
    )
    assert "created" not in result.stdout
    assert "row 4  客户编号  'K00001': same customer code as row 2" in result.stdout
    assert await Customer.all().count() == 0


async def test_a_refused_file_exits_2_with_the_error(db, tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_text("客户编号,公司名称\nC1,甲\n")
    result = import_customers(path, "--mode", "upsert", "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["error"]["code"] == "not_xlsx"
    plain = import_customers(tmp_path / "missing.xlsx", "--mode", "upsert")
    assert plain.returncode == 2 and "no such file" in plain.stderr
    assert await ImportJob.all().count() == 0
