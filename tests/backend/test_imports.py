"""Excel import of customer lists (issue 4 item 6): reading a list as finance keeps it, the
exact report, create/upsert/validate, the status machine, audit, and all-or-nothing writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from opcms.auth.models import User
from opcms.core.audit import AuditLog
from opcms.core.context import acting_as, system_actor
from opcms.core.errors import Conflict
from opcms.core.excel import FileRefused
from opcms.customers.models import Customer, CustomerStatus, CustomerStatusHistory
from opcms.customers.service import move_status
from opcms.imports import pipeline, queries, service
from opcms.imports.models import ImportJob, ImportStatus
from tests.backend.factories import customer_rows, make_customer, make_user, session_for, workbook_bytes

HEADER = [
    "客户编号",
    "公司名称",
    "客户等级",
    "行业类型",
    "账号状态",
    "负责人",
    "联系电话",
    "签约日期",
    "账期（天）",
    "信用额度",
    "内部编号",
]


def finance_list() -> bytes:
    """A list as finance keeps it: title row (merged), blank rows, mixed date forms, full-width
    digits, synonyms, duplicates in the file and against the database, an unknown owner, a
    missing name and a row with two problems; trailing blank rows."""
    return workbook_bytes(
        [
            ["2024 年客户清单"],  # 1 title (merged)
            [],  # 2
            HEADER,  # 3 header
            [
                "C001",
                "甲科技有限公司",
                "A级",
                "IT",
                "正常",
                "zhangsan",
                "138 0013 8000",
                dt.datetime(2024, 3, 5),
                "30",
                50000,
                "x1",
            ],
            [],  # 5 blank: skipped
            [
                "Ｃ００２",
                "乙科技有限公司",
                "重要客户",
                "金融",
                "试用",
                "张三",
                "１３９００１３９０００",
                45356,
                15,
                "¥1,000.50",
            ],
            ["C003", "丙科技有限公司", "b", "银行", "潜在", None, 13800138002, "2024/3/5"],
            ["C004", "丁科技有限公司", "s", "教育", None, "李四", None, "2024.3.5", "45天"],
            ["C005", "戊科技有限公司", "C级", "other", "active", None, "+86 138-0013-8001", "2024年3月5日"],
            ["C001", "己科技有限公司"],  # 10 code of row 4
            ["C006", "甲科技有限公司 "],  # 11 name of row 4
            ["C900", "新名字有限公司"],  # 12 code in the database
            ["C007", "已有客户有限公司"],  # 13 name in the database
            ["C008", "庚科技有限公司", None, None, None, "王五"],  # 14 unknown owner
            ["C009", None, "A"],  # 15 no name
            ["C010", "辛科技有限公司", None, None, None, None, "123", "2024-13-45"],  # 16 two problems
            [],
            [None, None, None],
        ],
        merge="A1:K1",
    )


EXPECTED_ERRORS = [
    {"row": 10, "column": "客户编号", "value": "C001", "reason": "same customer code as row 4"},
    {"row": 11, "column": "公司名称", "value": "甲科技有限公司", "reason": "same company name as row 4"},
    {
        "row": 12,
        "column": "客户编号",
        "value": "C900",
        "reason": "customer code already exists (create mode only adds new customers)",
    },
    {
        "row": 13,
        "column": "公司名称",
        "value": "已有客户有限公司",
        "reason": "company name already belongs to customer C900",
    },
    {"row": 14, "column": "负责人", "value": "王五", "reason": "no active user with this username or name"},
    {"row": 15, "column": "公司名称", "value": None, "reason": "required"},
    {
        "row": 16,
        "column": "联系电话",
        "value": "123",
        "reason": "not a mainland mobile (11 digits) or landline with area code",
    },
    {"row": 16, "column": "签约日期", "value": "2024-13-45", "reason": "2024-13-45 is not a real date"},
]


@pytest.fixture
async def finance_world(db):
    """Two owners and one customer already in the database."""
    zhangsan = await make_user("operator", username="zhangsan", display_name="张三")
    lisi = await make_user("operator", username="lisi", display_name="李四")
    existing = await make_customer(customer_code="C900", company_name="已有客户有限公司")
    return {"zhangsan": zhangsan, "lisi": lisi, "existing": existing}


async def run_import(
    data: bytes, mode: str, name: str = "客户清单.xlsx", actor: str = "test-import"
) -> ImportJob:
    with acting_as(system_actor(actor)):
        return await service.submit(data, name, mode, background=False)


async def test_a_finance_list_is_read_cleaned_and_reported_exactly(finance_world):
    # given the list finance keeps, with the owners and C900 in the database
    # when it is imported in create mode
    job = await run_import(finance_list(), "create")
    # then the report is exact: row numbers as in Excel, columns as headed in the file
    assert await queries.report(job) == {
        "total": 13,
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "skipped_blank": 1,
        "failed": 7,
        "errors": EXPECTED_ERRORS,
        "ignored_columns": ["内部编号"],
    }
    assert job.status == ImportStatus.SUCCEEDED and job.header_row == 3
    # and the five good rows are customers, cleaned like the API would
    rows = {
        c.customer_code: c
        for c in await Customer.filter(customer_code__in=["C001", "C002", "C003", "C004", "C005"])
    }
    assert sorted(rows) == ["C001", "C002", "C003", "C004", "C005"]
    zhangsan, lisi = finance_world["zhangsan"], finance_world["lisi"]
    c1, c2, c3, c4, c5 = (rows[f"C00{n}"] for n in range(1, 6))
    assert (c1.level, c1.industry, c1.status, c1.owner_id, c1.contact_phone) == (
        "A",
        "internet",
        CustomerStatus.ACTIVE,
        zhangsan.id,
        "13800138000",
    )
    assert (c1.payment_terms_days, c1.credit_limit) == (30, Decimal("50000.00"))
    assert (c2.level, c2.industry, c2.status, c2.owner_id, c2.contact_phone) == (
        "A",
        "finance",
        CustomerStatus.TRIAL,
        zhangsan.id,
        "13900139000",
    )
    assert (c2.payment_terms_days, c2.credit_limit) == (15, Decimal("1000.50"))
    assert (
        c3.level,
        c3.industry,
        c3.status,
        c3.owner_id,
        c3.payment_terms_days,
        c3.credit_limit,
        c3.contact_phone,
    ) == (
        "B",
        "finance",
        CustomerStatus.PROSPECT,
        None,
        30,
        Decimal("0.00"),
        "13800138002",
    )  # a phone stored as a number
    assert (c4.level, c4.industry, c4.owner_id, c4.payment_terms_days) == ("S", "education", lisi.id, 45)
    assert (c5.level, c5.industry, c5.status, c5.contact_phone) == (
        "C",
        "other",
        CustomerStatus.ACTIVE,
        "13800138001",
    )
    # every date form is the same day: a date cell, a serial number and the four text forms
    assert {c.signed_at for c in rows.values()} == {dt.date(2024, 3, 5)}
    # bookkeeping and uniqueness keys as a normal save writes them
    assert (c1.created_by, c1.updated_by, c1.code_key) == (
        "system:test-import",
        "system:test-import",
        "c001",
    )  # code_key is case-free
    assert c2.name_key == "乙科技有限公司"
    # and the customer already in the database is untouched
    assert (await Customer.get(customer_code="C900")).company_name == "已有客户有限公司"


async def test_every_new_customer_has_its_audit_row_status_history_and_the_import_its_own_row(finance_world):
    job = await run_import(finance_list(), "create")
    created = await Customer.filter(customer_code__in=["C001", "C002", "C003", "C004", "C005"]).order_by(
        "customer_code"
    )
    for customer in created:
        [audit] = await AuditLog.filter(entity_type="customer", entity_id=str(customer.id))
        assert (audit.action, audit.actor, audit.before, audit.message) == (
            "create",
            "system:test-import",
            None,
            f"import #{job.id}",
        )
        # the same fields AuditedModel.save records for a new row
        assert audit.after == {**customer.audit_values()}
        [history] = await CustomerStatusHistory.filter(customer_id=customer.id)
        assert (history.from_status, history.to_status, history.reason) == (
            None,
            customer.status.value,
            f"import #{job.id}",
        )
    [record] = await AuditLog.filter(action="import")
    assert (record.entity_type, record.entity_id, record.message) == ("import", str(job.id), "客户清单.xlsx")
    assert record.after == {
        "file_name": "客户清单.xlsx",
        "mode": "create",
        "total": 13,
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "skipped_blank": 1,
        "failed": 7,
    }


async def test_validate_writes_nothing_and_reports_what_an_upsert_would_do(finance_world):
    before = (
        await Customer.all().count(),
        await AuditLog.all().count(),
        await CustomerStatusHistory.all().count(),
    )
    job = await run_import(finance_list(), "validate")
    report = await queries.report(job)
    # C900 would be updated (validate is a dry run of upsert), the rest as in create mode
    assert {
        k: report[k] for k in ("total", "created", "updated", "unchanged", "skipped_blank", "failed")
    } == {"total": 13, "created": 5, "updated": 1, "unchanged": 0, "skipped_blank": 1, "failed": 6}
    assert [e for e in EXPECTED_ERRORS if e["row"] != 12] == report["errors"]
    assert (
        await Customer.all().count(),
        await AuditLog.all().count(),
        await CustomerStatusHistory.all().count(),
    ) == before
    # the import itself is kept
    assert (await ImportJob.get(id=job.id)).mode.value == "validate"


async def test_upsert_updates_by_code_respects_the_status_machine_and_a_second_run_changes_nothing(db):
    # given C900 (prospect, level B) and C901 (active) in the database
    owner = await make_user("operator", username="wangwu", display_name="王五")
    c900 = await make_customer(customer_code="C900", company_name="九百有限公司", level="B")
    c901 = await make_customer(customer_code="C901", company_name="九零一有限公司", status="active")
    data = workbook_bytes(
        [
            ["客户编号", "公司名称", "客户等级", "账号状态", "负责人", "联系邮箱"],
            [
                "C900",
                "九百有限公司",
                "A",
                "试用",
                "wangwu",
                "A@Example.COM",
            ],  # level, status, owner, e-mail change
            ["C901", "九零一有限公司", "B", "潜在", None, None],  # active → prospect is illegal
            ["C902", "九零二有限公司", None, None, None, None],  # new
        ]
    )
    # when it is upserted
    job = await run_import(data, "upsert")
    assert await queries.report(job) == {
        "total": 3,
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "skipped_blank": 0,
        "failed": 1,
        "errors": [
            {
                "row": 3,
                "column": "账号状态",
                "value": "潜在",
                "reason": "cannot move from 正常 (active) to 潜在 (prospect)",
            }
        ],
        "ignored_columns": [],
    }
    # then C900 changed, with one update audit row (changed fields only) and one status_change row
    c900 = await Customer.get(id=c900.id)
    assert (c900.level, c900.status, c900.owner_id, c900.contact_email) == (
        "A",
        CustomerStatus.TRIAL,
        owner.id,
        "A@example.com",
    )
    audits = await AuditLog.filter(
        entity_type="customer", entity_id=str(c900.id), message=f"import #{job.id}"
    ).order_by("id")
    assert [(a.action, a.before, a.after) for a in audits] == [
        (
            "update",
            {"level": "B", "owner_id": None, "contact_email": None},
            {"level": "A", "owner_id": owner.id, "contact_email": "A@example.com"},
        ),
        ("status_change", {"status": "prospect"}, {"status": "trial"}),
    ]
    history = await CustomerStatusHistory.filter(customer_id=c900.id).order_by("id")
    assert [(h.from_status, h.to_status) for h in history] == [(None, "prospect"), ("prospect", "trial")]
    assert (await Customer.get(id=c901.id)).status == CustomerStatus.ACTIVE
    # when the same file is upserted again (C901's illegal move still fails)
    again = await run_import(data, "upsert")
    report = await queries.report(again)
    # then nothing changes
    assert {k: report[k] for k in ("created", "updated", "unchanged", "failed")} == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "failed": 1,
    }
    assert await AuditLog.filter(message=f"import #{again.id}").count() == 0
    assert await Customer.all().count() == 3


async def test_upsert_twice_of_a_clean_list_is_all_unchanged_the_second_time(db):
    data = workbook_bytes(customer_rows(40))
    first = await run_import(data, "upsert")
    assert (first.created, first.updated, first.unchanged, first.failed) == (40, 0, 0, 0)
    second = await run_import(data, "upsert")
    assert (second.total, second.created, second.updated, second.unchanged, second.failed) == (
        40,
        0,
        0,
        40,
        0,
    )


async def test_a_blank_optional_cell_clears_the_value_and_a_blank_defaulted_cell_keeps_it(db):
    customer = await make_customer(
        customer_code="C500", company_name="五百有限公司", province="上海", payment_terms_days=60
    )
    data = workbook_bytes(
        [
            ["customer_code", "company_name", "province", "payment_terms_days"],
            ["C500", "五百有限公司", None, None],
        ]
    )
    job = await run_import(data, "upsert")
    assert (job.updated, job.failed) == (1, 0)
    customer = await Customer.get(id=customer.id)
    assert (customer.province, customer.payment_terms_days) == (None, 60)


async def test_headers_match_in_any_order_by_english_names_too(db):
    owner = await make_user("finance", username="qian")
    data = workbook_bytes(
        [
            ["备注", "owner_username", "Company_Name ", " 客户 编号 *", "账期(天)"],
            ["重要", "QIAN", "钱有限公司", "Q1", "0"],
        ]
    )
    job = await run_import(data, "create")
    assert (job.created, job.failed) == (1, 0)
    customer = await Customer.get(customer_code="Q1")
    assert (customer.owner_id, customer.remark, customer.payment_terms_days) == (owner.id, "重要", 0)


async def test_a_file_without_the_required_columns_is_refused_and_nothing_is_kept(client):
    token = (await session_for(await make_user("finance"))).access_token
    data = workbook_bytes([["标题"], ["公司名称", "联系电话"], ["某公司", "13800138000"]])
    response = await client.post(
        "/api/v1/imports/customers", token=token, files={"file": ("list.xlsx", data)}, data={"mode": "create"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "missing_columns"
    assert "客户编号" in error["message"] and "公司名称" not in error["message"]
    assert await ImportJob.all().count() == 0 and await Customer.all().count() == 0


async def test_a_failure_in_the_middle_of_the_write_rolls_everything_back(db, monkeypatch):
    # given an import that will fail after two batches of two rows have been written
    await make_customer(customer_code="C900", company_name="已有客户有限公司")
    before = (
        await Customer.all().count(),
        await AuditLog.all().count(),
        await CustomerStatusHistory.all().count(),
    )
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 2)
    real_batch = pipeline._create_batch
    calls = []

    async def failing_batch(writer, batch, reason):
        calls.append(len(batch))
        if len(calls) == 3:
            raise RuntimeError("disk full (simulated)")
        await real_batch(writer, batch, reason)

    monkeypatch.setattr(pipeline, "_create_batch", failing_batch)
    # when it runs
    with pytest.raises(RuntimeError, match="disk full"):
        await run_import(workbook_bytes(customer_rows(7)), "upsert")
    # then the rows of the first batches are gone too, with their audit and history rows
    assert calls == [2, 2, 2]
    assert (
        await Customer.all().count(),
        await AuditLog.all().count(),
        await CustomerStatusHistory.all().count(),
    ) == before
    # and the import says what happened
    [job] = await ImportJob.all()
    assert (job.status, job.error_code) == (ImportStatus.FAILED, "import_failed")
    assert "disk full" in job.error_message
    assert await queries.report(job) is None


async def test_the_api_runs_a_small_file_at_once_and_lists_it(client):
    user = await make_user("finance", username="cfo")
    token = (await session_for(user)).access_token
    data = workbook_bytes(customer_rows(3))
    response = await client.post(
        "/api/v1/imports/customers", token=token, files={"file": ("三行.xlsx", data)}, data={"mode": "create"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["mode"], body["background"], body["created_by"]) == (
        "succeeded",
        "create",
        False,
        "cfo",
    )
    assert body["report"] == {
        "total": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped_blank": 0,
        "failed": 0,
        "errors": [],
        "ignored_columns": [],
    }
    assert (await Customer.get(customer_code="K00001")).created_by == "cfo"
    listed = (await client.get("/api/v1/imports", token=token)).json()
    assert listed["total"] == 1
    assert {
        k: listed["items"][0][k]
        for k in ("id", "file_name", "mode", "status", "created", "failed", "created_by")
    } == {
        "id": body["id"],
        "file_name": "三行.xlsx",
        "mode": "create",
        "status": "succeeded",
        "created": 3,
        "failed": 0,
        "created_by": "cfo",
    }
    detail = (await client.get(f"/api/v1/imports/{body['id']}", token=token)).json()
    assert detail["report"] == body["report"] and (detail["processed"], detail["total"]) == (3, 3)


def _upload(mode: str | None):
    data = {"mode": mode} if mode else None
    return {"files": {"file": ("a.xlsx", workbook_bytes(customer_rows(1)))}, "data": data}


@pytest.mark.parametrize(
    "request_kwargs, field",
    [
        ({"data": {"mode": "create"}}, "file"),
        (_upload(None), "mode"),
        (_upload("replace"), "mode"),
    ],
    ids=["no-file", "no-mode", "bad-mode"],
)
async def test_a_malformed_upload_request_is_a_422_naming_the_field(client, request_kwargs, field):
    token = (await session_for(await make_user("finance"))).access_token
    response = await client.post("/api/v1/imports/customers", token=token, **request_kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field
    assert await ImportJob.all().count() == 0


async def test_a_json_body_to_the_upload_route_is_a_415(client):
    # given a finance user who sends JSON where a form with a file is expected
    token = (await session_for(await make_user("finance"))).access_token
    response = await client.post("/api/v1/imports/customers", token=token, json={})
    # then the media type is refused before anything is read, and no import exists
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert await ImportJob.all().count() == 0


async def test_an_inactive_owner_is_unknown_and_owner_names_shared_by_two_users_are_ambiguous(db):
    await make_user("operator", username="u1", display_name="同名")
    await make_user("operator", username="u2", display_name="同名")
    gone = await make_user("operator", username="gone")
    await User.filter(id=gone.id).update(is_active=False)
    data = workbook_bytes(
        [
            ["客户编号", "公司名称", "负责人"],
            ["A1", "一有限公司", "同名"],
            ["A2", "二有限公司", "gone"],
            ["A3", "三有限公司", "u2"],
        ]
    )
    report = await queries.report(await run_import(data, "validate"))
    assert [(e["row"], e["reason"]) for e in report["errors"]] == [
        (2, "several users have this name; write the username"),
        (3, "no active user with this username or name"),
    ]
    assert report["created"] == 1


async def test_a_row_with_a_status_moved_in_the_database_meanwhile_is_judged_on_the_current_status(db):
    customer = await make_customer(customer_code="M1", company_name="移动有限公司")
    with acting_as(system_actor("test")):
        await move_status(await Customer.get(id=customer.id), CustomerStatus.CLOSED, "closed")
    data = workbook_bytes([["客户编号", "公司名称", "账号状态"], ["M1", "移动有限公司", "正常"]])
    report = await queries.report(await run_import(data, "upsert"))
    assert report["errors"] == [
        {
            "row": 2,
            "column": "账号状态",
            "value": "正常",
            "reason": "cannot move from 注销 (closed) to 正常 (active)",
        }
    ]


async def test_more_rows_than_the_cap_found_while_reading_refuse_the_file(db, settings, monkeypatch):
    # the <row> count of the zip scan is an upper bound; the reader counts the real rows
    monkeypatch.setattr(settings, "import_max_rows", 3)
    data = workbook_bytes([["客户编号", "公司名称"], *([[]] * 8), *customer_rows(4)[1:]])
    with pytest.raises(FileRefused) as refused:
        await run_import(data, "create")
    assert (refused.value.status, refused.value.code) == (413, "too_many_rows")
    assert await Customer.all().count() == 0


async def test_a_contract_ending_before_it_was_signed_names_the_columns_of_the_file(db):
    data = workbook_bytes(
        [["客户编号", "公司名称", "签约日期", "合同到期日"], ["D1", "日期有限公司", "2024-03-05", "2024/1/1"]]
    )
    report = await queries.report(await run_import(data, "validate"))
    assert report["errors"] == [
        {"row": 2, "column": "合同到期日", "value": "2024/1/1", "reason": "must not be before 签约日期"}
    ]


async def test_a_customer_created_by_someone_else_meanwhile_fails_the_import_with_a_409_and_nothing_written(
    db, monkeypatch
):
    # given another writer that creates K00002 after the import checked the database
    real_plan = pipeline._plan

    async def plan_then_race(job, sheet, outcome):
        await real_plan(job, sheet, outcome)
        await make_customer(customer_code="K00002", company_name="抢先有限公司")

    monkeypatch.setattr(pipeline, "_plan", plan_then_race)
    # when the import writes
    with pytest.raises(Conflict) as conflict:
        await run_import(workbook_bytes(customer_rows(3)), "create")
    # then the database's unique key stops it, everything is rolled back, and it says so
    assert (conflict.value.status, conflict.value.code) == (409, "import_conflict")
    assert await Customer.all().values_list("customer_code", flat=True) == ["K00002"]
    [job] = await ImportJob.all()
    assert (job.status, job.error_code) == (ImportStatus.FAILED, "import_conflict")


async def test_a_rename_through_upsert_moves_the_uniqueness_key_with_it(db):
    customer = await make_customer(customer_code="R1", company_name="旧名有限公司")
    job = await run_import(
        workbook_bytes([["客户编号", "公司名称"], ["R1", "新名（上海）有限公司"]]), "upsert"
    )
    assert job.updated == 1
    customer = await Customer.get(id=customer.id)
    assert (customer.company_name, customer.name_key, customer.code_key) == (
        "新名（上海）有限公司",
        "新名(上海)有限公司",
        "r1",
    )
    # the old name is free again, the new one is taken (full-width or not)
    await make_customer(customer_code="R2", company_name="旧名有限公司")
    report = await queries.report(
        await run_import(workbook_bytes([["客户编号", "公司名称"], ["R3", "新名(上海)有限公司"]]), "validate")
    )
    assert report["errors"][0]["reason"] == "company name already belongs to customer R1"


async def test_a_big_file_when_the_queue_is_down_is_a_503_and_the_import_says_so(
    client, settings, monkeypatch
):
    from tests.backend.processes import celery_sends_to, free_port

    monkeypatch.setattr(settings, "import_sync_rows", 2)
    token = (await session_for(await make_user("finance"))).access_token
    with celery_sends_to(f"redis://127.0.0.1:{free_port()}/0"):  # a broker nobody answers at
        response = await client.post(
            "/api/v1/imports/customers",
            token=token,
            files={"file": ("big.xlsx", workbook_bytes(customer_rows(5)))},
            data={"mode": "create"},
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "queue_unavailable"
    [job] = await ImportJob.all()
    assert (job.status, job.error_code, job.background) == (ImportStatus.FAILED, "queue_unavailable", True)
    assert await Customer.all().count() == 0


async def test_a_code_in_other_letter_case_updates_the_same_customer(db):
    # given C100 in the database
    await make_customer(customer_code="C100", company_name="大小写公司", city="杭州")
    # when a file names it c100 with a new city
    job = await run_import(
        workbook_bytes([["客户编号", "公司名称", "城市"], ["c100", "大小写公司", "宁波"]]), "upsert"
    )
    # then the one customer is updated, on every database
    assert (job.created, job.updated) == (0, 1)
    assert [c.city for c in await Customer.all()] == ["宁波"]


# A published code (GB 32100-2015) and the same code with its check character changed. Written
# out, not made with credit_code_check_char: a wrong check function must fail these tests.
PUBLISHED_CREDIT_CODE = "91350100M000100Y43"
WRONG_CHECK_DIGIT = "91350100M000100Y44"


async def test_a_row_whose_credit_code_has_a_wrong_check_digit_fails_and_writes_nothing(db):
    # given a list with a good credit code and one whose last character does not check
    data = workbook_bytes(
        [
            ["客户编号", "公司名称", "统一社会信用代码"],
            ["K1", "校验正确有限公司", PUBLISHED_CREDIT_CODE],
            ["K2", "校验错误有限公司", WRONG_CHECK_DIGIT],
        ]
    )
    # when it is imported in create mode
    job = await run_import(data, "create")
    # then that row alone is reported failed, naming the column and the rule
    report = await queries.report(job)
    assert {k: report[k] for k in ("total", "created", "updated", "unchanged", "failed")} == {
        "total": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "failed": 1,
    }
    assert report["errors"] == [
        {
            "row": 3,
            "column": "统一社会信用代码",
            "value": WRONG_CHECK_DIGIT,
            "reason": "check digit does not match (GB 32100-2015)",
        }
    ]
    # and nothing of it is written: no customer, no audit row, no status history
    [customer] = await Customer.all()
    assert (customer.customer_code, customer.credit_code) == ("K1", PUBLISHED_CREDIT_CODE)
    assert await AuditLog.filter(entity_type="customer").values_list("entity_id", flat=True) == [
        str(customer.id)
    ]
    assert await CustomerStatusHistory.all().values_list("customer_id", flat=True) == [customer.id]


async def test_an_upsert_row_with_a_wrong_check_digit_leaves_the_customer_as_it_was(db):
    # given K5 in the database with a good credit code
    await make_customer(
        customer_code="K5", company_name="已有代码有限公司", city="杭州", credit_code=PUBLISHED_CREDIT_CODE
    )
    customer_audit_rows = await AuditLog.filter(entity_type="customer").count()
    # when a file changes its city and gives a code with a wrong check digit
    job = await run_import(
        workbook_bytes(
            [
                ["客户编号", "公司名称", "城市", "统一社会信用代码"],
                ["K5", "已有代码有限公司", "宁波", WRONG_CHECK_DIGIT],
            ]
        ),
        "upsert",
    )
    # then the row fails and the customer is untouched
    assert (job.created, job.updated, job.failed) == (0, 0, 1)
    assert [e["reason"] for e in (await queries.report(job))["errors"]] == [
        "check digit does not match (GB 32100-2015)"
    ]
    customer = await Customer.get(customer_code="K5")
    assert (customer.city, customer.credit_code) == ("杭州", PUBLISHED_CREDIT_CODE)
    assert await AuditLog.filter(entity_type="customer").count() == customer_audit_rows
