"""``make bench`` writes ``docs/benchmarks.md``: each bench keeps its last line with
``--record``, and ``opcms bench report`` lists every figure beside its floor, ratio and target,
with the machine, the date and the commit."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from opcms.bench.report import load_results, render

NOW = dt.datetime(2026, 12, 2, 21, 30, tzinfo=dt.UTC)


def _write(folder: Path, result: dict) -> None:
    (folder / f"{result['bench']}.json").write_text(json.dumps(result), encoding="utf-8")


def test_the_page_lists_each_figure_and_each_sub_figure_beside_its_floor_in_bench_order(tmp_path):
    # given two recorded results, the second with sub-figures, recorded out of order
    _write(
        tmp_path,
        {
            "bench": "usage",
            "value": 61234.5,
            "floor": 70000.0,
            "ratio": 0.875,
            "unit": "rows/s",
            "better": "higher",
            "target": "≥ 50,000 rows/s and ≥ 0.8",
            "meets": True,
            "rows": 1000000,
            "lines": [
                {
                    "label": "back-fill, cost per day (365 ÷ 30 days)",
                    "value": 1.04,
                    "floor": 1.0,
                    "ratio": 1.04,
                    "unit": "×",
                    "target": "linear",
                    "meets": True,
                }
            ],
        },
    )
    _write(
        tmp_path,
        {
            "bench": "import",
            "value": 25.0,
            "floor": 10.0,
            "ratio": 2.5,
            "unit": "s",
            "target": "≤ 2×",
            "meets": False,
        },
    )

    # when the page is written
    page = render(load_results(tmp_path), now=NOW, commit="abc123def456", dirty=False)

    # then it names the commit and the date, and lists import before usage (the order they run)
    assert "Commit: `abc123def456`" in page and "2026-12-02 21:30 UTC" in page
    rows = [line for line in page.splitlines() if line.startswith("| ")]
    assert rows[2] == "| **import** | 25.0 s | 10.0 s | 2.50 | ≤ 2× | **misses** |"
    assert (
        rows[3] == "| **usage** | 61,234 rows/s | 70,000 rows/s | 0.88 | ≥ 50,000 rows/s and ≥ 0.8 | meets |"
    )
    assert (
        rows[4]
        == "| usage: back-fill, cost per day (365 ÷ 30 days) | 1.04 × | 1.00 × | 1.04 | linear | meets |"
    )
    # and the benches not in this run are named, not silently left out
    assert (
        "Not measured in this run: api, price, billing, suggestions, reminders, analytics, statements."
        in page
    )
    # and a bench's details (not its headline) are listed under it
    assert "- **usage**: rows 1,000,000" in page


def test_a_bench_run_with_record_keeps_its_last_line_and_the_report_writes_the_page(tmp_path):
    # given the price bench, which needs no database, run at a tiny size with --record
    env = {**os.environ, "OPCMS_LOG_LEVEL": "WARNING"}
    run = subprocess.run(
        [sys.executable, "-m", "opcms", "bench", "price", "--evaluations", "2000", "--record", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr

    # then what it printed last is what it kept
    kept = json.loads((tmp_path / "price.json").read_text(encoding="utf-8"))
    assert kept == json.loads(run.stdout.strip().splitlines()[-1])
    assert kept["bench"] == "price" and kept["value"] > 0 and kept["floor"] > 0

    # when the report is written from the folder
    out = tmp_path / "benchmarks.md"
    report = subprocess.run(
        [sys.executable, "-m", "opcms", "bench", "report", "--record", str(tmp_path), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr

    # then the page lists the price figure
    assert "| **price** |" in out.read_text(encoding="utf-8")


def test_the_report_refuses_an_empty_folder(tmp_path):
    # when the report is asked for with nothing recorded
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "opcms",
            "bench",
            "report",
            "--record",
            str(tmp_path),
            "--out",
            str(tmp_path / "x.md"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then it fails, says why and writes nothing
    assert report.returncode != 0 and "no results" in report.stderr
    assert not (tmp_path / "x.md").exists()
