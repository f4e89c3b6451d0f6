"""The checks ``opcms scale-check`` ends with (bench/scale_checks.py) pass on a correct invoice
run and fail on each fault they look for: a doubled invoice, a gap in the numbers, a missing,
extra or changed usage row, a worker that billed nothing; an import the API ran itself, an
error workbook or an export that misses rows, a file kept outside the shared store."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl

from opcms.bench import scale_checks
from opcms.bench.scale_check import import_workbook
from opcms.billing import run
from opcms.billing.models import DocumentSequence, InvoiceRunChunk
from opcms.core.context import acting_as, system_actor
from opcms.imports import workbooks
from opcms.jobs.models import Trigger
from opcms.settlement.models import Invoice, InvoiceStatus
from opcms.usage.models import DataSource, UsageRecord
from tests.backend.factories import make_invoice
from tests.backend.test_billing_support import PERIOD, golden_book

ISSUE = dt.date(2026, 4, 1)


async def billed_book():
    """The golden customers billed for March in chunks of one: a, b and c invoiced (d has no
    charge); answers the book and the run's execution id."""
    book = await golden_book()
    with acting_as(system_actor("test-bill")):
        execution = await run.run_period(PERIOD, issue_date=ISSUE, chunk_size=1)
    return book, execution.id


async def vendor_rows() -> dict[scale_checks.UsageKey, Decimal]:
    """What 'the vendor sent': the usage rows as stored by the set-up."""
    rows = await UsageRecord.all().values_list("customer_id", "metric__code", "usage_day", "quantity")
    return {(cid, code, day): Decimal(str(quantity)) for cid, code, day, quantity in rows}


async def test_a_correct_run_passes_every_check(db):
    # given March billed once, correctly
    book, execution_id = await billed_book()
    billable = [book[name].id for name in "abc"]
    # then no check finds anything
    assert await scale_checks.one_invoice_each(PERIOD, billable) == []
    assert await scale_checks.gap_free_numbers(PERIOD) == []
    assert await scale_checks.usage_as_the_vendor_sent(await vendor_rows()) == []


async def test_a_second_live_invoice_of_a_customer_fails_and_a_void_one_does_not(db):
    # given March billed, then a second invoice for customer a that is not void (its live_period
    # column empty, as a faulty write could leave it: the database's key does not stop it)
    book, _ = await billed_book()
    billable = [book[name].id for name in "abc"]
    second = await make_invoice(book["a"], period=PERIOD, live_period=None, number="INV-202603-000004")
    await DocumentSequence.filter(kind="INV", period="202603").update(last_number=4)
    # then the check names the customer
    problems = await scale_checks.one_invoice_each(PERIOD, billable)
    assert (
        len(problems) == 1
        and "more than one live invoice" in problems[0]
        and str(book["a"].id) in problems[0]
    )
    # and once that invoice is void, a has one live invoice again
    await Invoice.filter(id=second.id).update(status=InvoiceStatus.VOID)
    assert await scale_checks.one_invoice_each(PERIOD, billable) == []


async def test_a_missing_invoice_and_one_for_a_customer_not_billable_fail(db):
    book, _ = await billed_book()
    # when c's invoice is void (no live one left), and d (no charge) is invoiced
    await Invoice.filter(customer_id=book["c"].id).update(status=InvoiceStatus.VOID, live_period=None)
    await make_invoice(book["d"], period=PERIOD, number="INV-202603-000004")
    problems = await scale_checks.one_invoice_each(PERIOD, [book[name].id for name in "abc"])
    assert any("have no invoice" in p and str(book["c"].id) in p for p in problems), problems
    assert any("without being billable" in p and str(book["d"].id) in p for p in problems), problems


async def test_a_gap_or_a_repeat_in_the_numbers_fails(db):
    await billed_book()
    numbers = sorted(await Invoice.filter(period=PERIOD).values_list("number", flat=True))
    assert numbers == ["INV-202603-000001", "INV-202603-000002", "INV-202603-000003"]
    # when number 2 is renumbered 9: a gap of 2 and 4…8, and the sequence stands at 3
    await Invoice.filter(number="INV-202603-000002").update(number="INV-202603-000009")
    problems = await scale_checks.gap_free_numbers(PERIOD)
    assert any("missing (gaps): 2, 4, 5, 6, 7, … (6 in all)" in p for p in problems), problems
    assert any("stands at 3, the highest number issued is 9" in p for p in problems), problems
    # when the sequence moved on without an invoice (a number taken and lost)
    await Invoice.filter(number="INV-202603-000009").update(number="INV-202603-000002")
    await DocumentSequence.filter(kind="INV", period="202603").update(last_number=4)
    assert await scale_checks.gap_free_numbers(PERIOD) == [
        "the INV sequence of 202603 stands at 4, the highest number issued is 3"
    ]


async def test_a_missing_a_doubled_an_extra_or_a_changed_usage_row_fails(db):
    book, _ = await billed_book()
    sent = await vendor_rows()
    a, api = book["a"], book["api"]
    # when one of a's rows is lost
    lost = await UsageRecord.get(customer_id=a.id, usage_day=dt.date(2026, 3, 31))
    await lost.delete()
    assert await scale_checks.usage_as_the_vendor_sent(sent) == [
        f"1 of the vendor's {len(sent)} usage rows are missing: {(a.id, 'api_calls', dt.date(2026, 3, 31))}"
    ]
    # when it comes back twice: once more from another source
    with acting_as(system_actor("test")):
        other = await DataSource.create(name="other-feed", adapter="demo", settings={})
    for feed in (lost.source_id, other.id):
        await UsageRecord.create(
            customer_id=a.id, metric_id=api.id, usage_day=dt.date(2026, 3, 31), source_id=feed, quantity=8000
        )
    problems = await scale_checks.usage_as_the_vendor_sent(sent)
    assert len(problems) == 1 and problems[0].startswith("1 usage rows stored more than once"), problems
    # when a row the vendor never sent is stored, and another's quantity differs
    await UsageRecord.filter(source_id=other.id).update(usage_day=dt.date(2026, 3, 30))
    await UsageRecord.filter(customer_id=a.id, usage_day=dt.date(2026, 3, 1)).update(
        quantity=Decimal("12001")
    )
    problems = await scale_checks.usage_as_the_vendor_sent(sent)
    assert any("the vendor never sent" in p for p in problems), problems
    assert any("differ from the vendor's quantity" in p for p in problems), problems


async def test_a_worker_that_billed_no_chunk_fails(db):
    # given a run of two chunks, both billed by worker 1
    await golden_book()
    with acting_as(system_actor("test-bill")):
        execution = await run.create_execution(
            run.TASK_NAME, run.run_parameters(PERIOD, None, ISSUE, 2), Trigger.MANUAL
        )
        for chunk_id in await run.plan_run(execution.id):
            await run.bill_chunk(chunk_id, worker="scale-w1@host")
    # then worker 2's missing share is named, and the shares are counted by worker
    assert await scale_checks.shared_by_workers(execution.id, ["scale-w1@", "scale-w2@"]) == [
        "worker scale-w2@… billed no chunk of the invoice run"
    ]
    assert await scale_checks.chunks_by_worker(execution.id) == {"scale-w1@host": 2}
    # and a chunk left pending (its worker lost) is named too
    await InvoiceRunChunk.filter(execution_id=execution.id, seq=2).update(status="pending", worker=None)
    problems = await scale_checks.shared_by_workers(execution.id, ["scale-w1@"])
    assert problems == ["chunks of the invoice run not done: 2", "chunks that name no worker: 2"]


# --- the shared file store: the import on a worker, its error workbook, the export, the bucket ---
def error_workbook_of(upload: bytes, bad_rows: dict[int, str]) -> bytes:
    """The error workbook the API makes for ``upload`` when ``bad_rows`` failed."""
    errors = [{"row": row, "column": "联系电话", "reason": "not a phone number"} for row in bad_rows]
    return workbooks.error_workbook(io.BytesIO(upload), errors)


def test_an_import_the_api_ran_itself_or_no_worker_ran_fails():
    queued = {"id": 7, "background": True, "status": "pending"}
    done = {"id": 7, "status": "succeeded", "report": {"created": 397, "failed": 3}}
    # given an import queued, run once by worker 2 with the file's counts, then the check holds
    assert scale_checks.import_ran_on_a_worker(queued, done, {"scale-w2@h": 1}, 397, 3) == []
    # when the API ran it itself, and no worker says it ran it
    problems = scale_checks.import_ran_on_a_worker({**queued, "background": False}, done, {"w2": 0}, 397, 3)
    assert problems == [
        "import 7 was not queued for a worker: the API ran it itself",
        "no worker says it ran the import task",
    ]
    # when it ran twice, and its counts are not the file's
    problems = scale_checks.import_ran_on_a_worker(queued, done, {"w1": 1, "w2": 1}, 398, 2)
    assert problems == [
        "import 7 created 397 and failed 3 rows; the file has 398 good and 2 bad rows",
        "the import task ran more than once: {'w1': 1, 'w2': 1}",
    ]
    # when it failed
    failed = {"id": 7, "status": "failed", "error_code": "file_missing", "error_message": "gone"}
    assert scale_checks.import_ran_on_a_worker(queued, failed, {"w2": 1}, 397, 3) == [
        "import 7 ended failed: file_missing gone"
    ]


def test_an_error_workbook_that_misses_a_bad_row_or_names_a_good_one_fails():
    # given the list scale-check uploads, with its bad rows
    upload, bad_rows, good = import_workbook()
    assert len(bad_rows) == 3 and len(good) == 397
    # then the API's error workbook of those rows passes
    assert scale_checks.error_workbook_names(error_workbook_of(upload, bad_rows), bad_rows) == []
    # when it leaves out the last bad row and names a good row instead
    last = max(bad_rows)
    shown = {row: code for row, code in bad_rows.items() if row != last} | {10: "S0000009"}
    problems = scale_checks.error_workbook_names(error_workbook_of(upload, shown), bad_rows)
    assert problems == [
        f"the error workbook does not name bad rows {last}",
        "the error workbook names rows that were good: 10",
    ]
    # when the bytes are no workbook (an error page)
    assert scale_checks.error_workbook_names(b'{"error": {}}', bad_rows) == [
        "the error workbook downloaded is not a workbook (13 bytes): BadZipFile"
    ]


def test_an_export_missing_a_customer_fails():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (
        ["客户编号", "公司名称"],
        ["B0000000", "bench customer 0"],
        ["S0000001", "扩容检查客户1有限公司"],
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert scale_checks.export_lists(buffer.getvalue(), ["B0000000", "S0000001"]) == []
    assert scale_checks.export_lists(buffer.getvalue(), ["B0000000", "S0000001", "S0000002"]) == [
        "1 of 3 customers are missing from the export: S0000002"
    ]


THROUGH_THE_STORE = {
    ("PUT", "imports"): 1,
    ("GET", "imports"): 2,
    ("PUT", "exports"): 1,
    ("GET", "exports"): 1,
}


def test_files_kept_in_a_process_folder_or_left_in_the_bucket_fail(tmp_path):
    # given the upload in the bucket, two processes whose folders hold no upload nor export
    key = "imports/2026/12/abc.xlsx"
    folders = {"api-1.0": tmp_path / "api" / "var", "scale-w2.0": tmp_path / "w2" / "var"}
    (folders["api-1.0"] / "tmp").mkdir(parents=True)
    (folders["api-1.0"] / "secret.key").write_text("not a shared file")
    assert scale_checks.files_in_the_shared_store({key: 100}, key, 100, folders, THROUGH_THE_STORE) == []
    # when the worker kept a copy of the upload in its own folder, an export stayed in the
    # bucket, and the upload there is not the one sent
    copy = folders["scale-w2.0"] / key
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"PK")
    stored = {key: 99, "exports/2026/12/customers-1.xlsx": 10}
    assert scale_checks.files_in_the_shared_store(stored, key, 100, folders, THROUGH_THE_STORE) == [
        "the upload in the bucket has 99 bytes, 100 were sent",
        "exports left in the bucket after they were sent: exports/2026/12/customers-1.xlsx",
        f"scale-w2.0 kept files in its own var folder, not the shared store: {key}",
    ]
    # when the upload is not in the bucket, and no export passed through the S3 server
    asked = {("PUT", "imports"): 1, ("GET", "imports"): 1}
    assert scale_checks.files_in_the_shared_store({}, key, 100, {}, asked) == [
        f"the upload {key} is not in the bucket (it holds )",
        "the S3 server answered no PUT of a file under exports/",
        "the S3 server answered no GET of a file under exports/",
    ]
