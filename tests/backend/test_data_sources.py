"""Data sources over the API: configuration checked by the adapter, secrets that never come
back, account mappings, health checks and usage file uploads (real DB, real files).

Given/when/then: each test sets up the data it needs through the API or the factories, does
one thing, and checks what the user and the database see.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from decimal import Decimal
from pathlib import Path

import pytest

from opcms.core.audit import AuditLog
from opcms.core.context import acting_as, system_actor
from opcms.core.secrets import decrypt_json
from opcms.core.settings import get_settings
from opcms.jobs.models import ExecutionStatus, TaskExecution
from opcms.pricing.models import UsageMetric
from opcms.usage import service
from opcms.usage.models import AnomalyKind, CustomerSourceAccount, DataSource, UsageAnomaly, UsageRecord
from tests.backend.factories import make_customer, token_for, workbook_bytes

SOURCES = "/api/v1/data-sources"
SECRET = "tok-Very-Secret-9c1e"
DAY = dt.date(2026, 3, 2)


@pytest.fixture
async def admin(db):
    return await token_for("admin")


@pytest.fixture
async def operator(db):
    return await token_for("operator")


def closed_port() -> int:
    """A local port nobody listens on (bound by the OS, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(**settings) -> dict:
    return {"base_url": f"http://127.0.0.1:{closed_port()}", "auth": "bearer", **settings}


async def post_source(client, token, **fields):
    body = {
        "name": "vendor-a",
        "adapter": "http_json",
        "settings": http_json(),
        "secrets": {"token": SECRET},
        **fields,
    }
    return await client.post(SOURCES, token=token, json=body)


async def given_source(client, token, **fields) -> dict:
    response = await post_source(client, token, **fields)
    assert response.status_code == 201, response.text
    return response.json()


async def given_file_source(client, token, directory: Path | None = None, name: str = "uploads") -> dict:
    settings = {"directory": str(directory)} if directory is not None else {}
    return await given_source(client, token, name=name, adapter="file", settings=settings, secrets={})


async def given_metrics(*codes: str) -> None:
    with acting_as(system_actor("test")):
        for code in codes or ("api_calls", "sms"):
            await UsageMetric.create(code=code, name=code, unit="次")


async def given_mapping(client, token, source_id: int, account: str, customer=None):
    customer = customer or await make_customer(status="active")
    response = await client.post(
        f"{SOURCES}/{source_id}/accounts",
        token=token,
        json={"customer_id": customer.id, "external_account": account},
    )
    assert response.status_code == 201, response.text
    return customer


def csv_bytes(rows: list[list], header=("account", "metric", "day", "quantity")) -> bytes:
    lines = [",".join(header)] + [",".join(str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


async def upload(
    client, token, source_id: int, content: bytes, name: str = "usage.csv", content_type: str = "text/csv"
):
    return await client.post(
        f"{SOURCES}/{source_id}/uploads", token=token, files={"file": (name, content, content_type)}
    )


async def records() -> dict[tuple[str, str, dt.date], Decimal]:
    rows = await UsageRecord.all().select_related("customer", "metric")
    return {(r.customer.customer_code, r.metric.code, r.usage_day): Decimal(r.quantity) for r in rows}


def stored_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file()) if directory.is_dir() else []


# --- create and validation ----------------------------------------------------------------------
async def test_a_source_is_created_with_its_secrets_encrypted_and_never_answered(client, admin):
    # when
    response = await post_source(client, admin, remark="主供应商", timeout_seconds=15)
    # then the answer names the secret but never shows it
    assert response.status_code == 201, response.text
    body = response.json()
    assert SECRET not in response.text and "secrets_encrypted" not in body
    assert body["secret_names"] == ["token"] and body["secrets_readable"] is True
    assert (body["adapter"], body["is_enabled"], body["timeout_seconds"], body["remark"]) == (
        "http_json",
        True,
        15,
        "主供应商",
    )
    assert body["settings"]["auth"] == "bearer" and body["accounts"] == 0
    # and the row holds a Fernet token that decrypts to them
    row = await DataSource.get(id=body["id"])
    assert SECRET not in row.secrets_encrypted
    assert decrypt_json(row.secrets_encrypted) == {"token": SECRET}
    # and neither the list nor the detail shows them
    listed = await client.get(SOURCES, token=admin)
    one = await client.get(f"{SOURCES}/{body['id']}", token=await token_for("auditor"))
    assert listed.status_code == 200 and one.status_code == 200
    assert SECRET not in listed.text and SECRET not in one.text
    assert listed.json()["total"] == 1 and listed.json()["items"][0]["secret_names"] == ["token"]


async def test_the_audit_row_of_a_source_masks_its_secrets(client, admin):
    body = await given_source(client, admin)
    await client.patch(
        f"{SOURCES}/{body['id']}", token=admin, json={"secrets": {"token": "another-" + SECRET}}
    )
    audits = await AuditLog.filter(entity_type="data_source", entity_id=str(body["id"])).order_by("id")
    assert [a.action for a in audits] == ["create", "update"]
    assert audits[0].after["secrets_encrypted"] == "***"
    assert audits[1].before == {"secrets_encrypted": "***"} and audits[1].after == {
        "secrets_encrypted": "***"
    }
    assert SECRET not in json.dumps([[a.before, a.after] for a in audits])


async def test_an_unknown_adapter_is_422_naming_adapter_and_listing_the_known_ones(client, admin):
    response = await post_source(client, admin, adapter="ftp")
    assert response.status_code == 422, response.text
    detail = response.json()["error"]["details"][0]
    assert detail["field"] == "adapter"
    assert all(name in detail["message"] for name in ("demo", "file", "http_json"))
    assert await DataSource.with_deleted().count() == 0


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"settings": http_json(base_url="ftp://vendor.example")}, "settings.base_url"),
        ({"settings": http_json(paging="sideways")}, "settings.paging"),
        ({"settings": {"auth": "none"}}, "settings.base_url"),
        ({"secrets": {}}, "secrets.token"),  # bearer auth needs a token
        ({"adapter": "demo", "settings": {"base": -1}, "secrets": {}}, "settings.base"),
        ({"adapter": "demo", "settings": {"colour": "red"}, "secrets": {}}, "settings.colour"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"timeout_seconds": 601}, "timeout_seconds"),
        ({"name": "  "}, "name"),
        ({"secrets": {"token": 42}}, "secrets.token"),
    ],
)
async def test_a_bad_config_is_422_naming_the_field_and_stores_nothing(client, admin, fields, field):
    response = await post_source(client, admin, **fields)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field
    assert await DataSource.with_deleted().count() == 0


async def test_a_name_is_taken_once_whatever_its_case_even_by_a_deleted_source(client, admin):
    first = await given_source(client, admin, name="Vendor-A")
    again = await post_source(client, admin, name="vendor-a")
    assert again.status_code == 409 and again.json()["error"]["details"][0]["field"] == "name"
    assert (await client.delete(f"{SOURCES}/{first['id']}", token=admin)).status_code == 200
    after_delete = await post_source(client, admin, name="Vendor-A")
    assert after_delete.status_code == 409 and "deleted" in after_delete.json()["error"]["message"]


async def test_a_file_source_without_a_directory_keeps_its_uploads_under_its_id(client, admin):
    body = await given_file_source(client, admin)
    assert body["settings"] == {"directory": f"usage-uploads/{body['id']}"}


async def test_only_admins_configure_sources(client, operator):
    assert (await post_source(client, operator)).status_code == 403
    assert (await client.get(SOURCES, token=operator)).status_code == 200  # usage:read


# --- update -------------------------------------------------------------------------------------
async def test_patching_secrets_keeps_omitted_keys_replaces_given_ones_and_removes_nulls(client, admin):
    body = await given_source(client, admin, secrets={"token": SECRET, "spare": "old-spare"})
    url = f"{SOURCES}/{body['id']}"

    async def stored() -> dict:
        return decrypt_json((await DataSource.get(id=body["id"])).secrets_encrypted)

    # a change without secrets keeps them, byte for byte (no new token, no audit noise)
    token_before = (await DataSource.get(id=body["id"])).secrets_encrypted
    response = await client.patch(url, token=admin, json={"remark": "夜间拉取", "timeout_seconds": 60})
    assert response.status_code == 200, response.text
    assert response.json()["secret_names"] == ["spare", "token"]
    assert (await DataSource.get(id=body["id"])).secrets_encrypted == token_before
    # replace one key, the other is kept
    response = await client.patch(url, token=admin, json={"secrets": {"token": "new-token"}})
    assert response.status_code == 200 and "new-token" not in response.text
    assert await stored() == {"token": "new-token", "spare": "old-spare"}
    # null removes a key
    response = await client.patch(url, token=admin, json={"secrets": {"spare": None}})
    assert response.json()["secret_names"] == ["token"]
    assert await stored() == {"token": "new-token"}
    # removing a secret the settings need is refused, and changes nothing
    response = await client.patch(url, token=admin, json={"secrets": {"token": None}})
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "secrets.token"
    assert await stored() == {"token": "new-token"}
    # unless the settings stop needing it
    response = await client.patch(
        url, token=admin, json={"settings": http_json(auth="none"), "secrets": {"token": None}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["secret_names"] == []
    assert (await DataSource.get(id=body["id"])).secrets_encrypted is None


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"settings": {"base_url": "not a url", "auth": "bearer"}}, "settings.base_url"),
        ({"settings": None}, "settings"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"timeout_seconds": 601}, "timeout_seconds"),
        ({"name": "renamed"}, "name"),
        ({"adapter": "demo"}, "adapter"),
    ],
)
async def test_a_patch_is_validated_again_and_a_refused_one_changes_nothing(client, admin, patch, field):
    body = await given_source(client, admin)
    response = await client.patch(f"{SOURCES}/{body['id']}", token=admin, json=patch)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field
    row = await DataSource.get(id=body["id"])
    assert (row.name, row.adapter, row.settings, row.timeout_seconds) == (
        "vendor-a",
        "http_json",
        body["settings"],
        30,
    )


async def test_an_empty_patch_is_422_and_a_blank_remark_clears_it(client, admin):
    body = await given_source(client, admin, remark="旧备注")
    assert (await client.patch(f"{SOURCES}/{body['id']}", token=admin, json={})).status_code == 422
    response = await client.patch(f"{SOURCES}/{body['id']}", token=admin, json={"remark": "  "})
    assert response.status_code == 200 and response.json()["remark"] is None


async def test_a_file_source_moved_to_another_directory_gets_it_made(client, admin, tmp_path):
    body = await given_file_source(client, admin, tmp_path / "first")
    response = await client.patch(
        f"{SOURCES}/{body['id']}", token=admin, json={"settings": {"directory": str(tmp_path / "second")}}
    )
    assert response.status_code == 200, response.text
    assert (tmp_path / "second").is_dir()
    emptied = await client.patch(f"{SOURCES}/{body['id']}", token=admin, json={"settings": {}})
    assert emptied.json()["settings"] == {"directory": f"usage-uploads/{body['id']}"}


# --- delete and mappings ------------------------------------------------------------------------
async def test_a_source_with_mapped_accounts_cannot_be_deleted_until_they_are_removed(client, admin):
    body = await given_source(client, admin)
    await given_mapping(client, admin, body["id"], "acct-1")
    refused = await client.delete(f"{SOURCES}/{body['id']}", token=admin)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "data_source_in_use"
    assert (await client.get(f"{SOURCES}/{body['id']}", token=admin)).json()["accounts"] == 1
    mapping = await CustomerSourceAccount.get(source_id=body["id"])
    removed = await client.delete(f"{SOURCES}/{body['id']}/accounts/{mapping.id}", token=admin)
    assert removed.status_code == 200 and removed.json()["external_account"] == "acct-1"
    deleted = await client.delete(f"{SOURCES}/{body['id']}?reason=vendor%20gone", token=admin)
    assert deleted.status_code == 200, deleted.text
    assert (await client.get(f"{SOURCES}/{body['id']}", token=admin)).status_code == 404
    assert (await client.get(SOURCES, token=admin)).json()["total"] == 0
    row = await DataSource.with_deleted().get(id=body["id"])
    assert row.is_deleted and row.deleted_by


async def test_an_account_maps_to_one_customer_per_source_and_the_conflict_names_it(client, admin, operator):
    source = await given_source(client, admin)
    other = await given_source(client, admin, name="vendor-b")
    first = await given_mapping(client, operator, source["id"], "acct-1")
    second = await make_customer(status="active", company_name="第二客户有限公司")
    # a second customer may not take the same account on the same source
    response = await client.post(
        f"{SOURCES}/{source['id']}/accounts",
        token=operator,
        json={"customer_id": second.id, "external_account": " acct-1 "},
    )
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "account_taken" and first.customer_code in error["message"]
    assert error["details"][0]["field"] == "external_account"
    # but may on another source, and a customer may hold several accounts
    await given_mapping(client, operator, other["id"], "acct-1", second)
    await given_mapping(client, operator, source["id"], "acct-2", first)
    await given_mapping(client, operator, source["id"], "acct-3", first)
    listed = await client.get(f"{SOURCES}/{source['id']}/accounts?customer_id={first.id}", token=operator)
    assert [m["external_account"] for m in listed.json()["items"]] == ["acct-1", "acct-2", "acct-3"]
    assert listed.json()["items"][0]["customer_code"] == first.customer_code
    found = await client.get(f"{SOURCES}/{source['id']}/accounts?q=acct-2", token=operator)
    assert found.json()["total"] == 1
    by_name = await client.get(f"{SOURCES}/{other['id']}/accounts?q=第二客户", token=operator)
    assert [m["customer_id"] for m in by_name.json()["items"]] == [second.id]
    # once the mapping is removed, the account is free again
    mapping = await CustomerSourceAccount.get(source_id=source["id"], external_account="acct-1")
    assert (
        await client.delete(f"{SOURCES}/{source['id']}/accounts/{mapping.id}", token=operator)
    ).status_code == 200
    await given_mapping(client, operator, source["id"], "acct-1", second)
    assert (await client.get(SOURCES + f"/{source['id']}", token=operator)).json()["accounts"] == 3


async def test_mapping_to_a_deleted_or_missing_customer_is_404(client, admin):
    source = await given_source(client, admin)
    customer = await make_customer()
    await client.delete(f"/api/v1/customers/{customer.id}", token=admin)
    for customer_id in (customer.id, 999999):
        response = await client.post(
            f"{SOURCES}/{source['id']}/accounts",
            token=admin,
            json={"customer_id": customer_id, "external_account": "x"},
        )
        assert response.status_code == 404 and response.json()["error"]["code"] == "customer_not_found"
    assert await CustomerSourceAccount.all().count() == 0


async def test_a_mapping_is_removed_only_through_its_own_source(client, admin):
    source = await given_source(client, admin)
    other = await given_source(client, admin, name="vendor-b")
    await given_mapping(client, admin, source["id"], "acct-1")
    mapping = await CustomerSourceAccount.get(source_id=source["id"])
    assert (
        await client.delete(f"{SOURCES}/{other['id']}/accounts/{mapping.id}", token=admin)
    ).status_code == 404
    assert (
        await client.delete(
            f"{SOURCES}/{source['id']}/accounts/{mapping.id}", token=await token_for("auditor")
        )
    ).status_code == 403
    assert await CustomerSourceAccount.filter(id=mapping.id).exists()


# --- health -------------------------------------------------------------------------------------
async def test_the_demo_source_is_healthy(client, admin):
    body = await given_source(client, admin, name="demo", adapter="demo", settings={}, secrets={})
    response = await client.get(f"{SOURCES}/{body['id']}/health", token=admin)
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True and response.json()["latency_ms"] is not None


async def test_a_vendor_nobody_answers_for_is_unhealthy_not_an_error(client, admin):
    body = await given_source(client, admin, timeout_seconds=2)
    response = await client.get(f"{SOURCES}/{body['id']}/health", token=admin)
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is False and response.json()["detail"]


async def test_a_broken_stored_config_is_unhealthy_with_the_reason(client, admin, tmp_path):
    body = await given_source(client, admin)
    # secrets written under another key, and settings no adapter accepts, as a hand edit would leave them
    await DataSource.filter(id=body["id"]).update(secrets_encrypted="gAAAAA-not-a-token")
    response = await client.get(f"{SOURCES}/{body['id']}/health", token=admin)
    assert response.status_code == 200 and response.json()["ok"] is False
    assert "OPCMS_SECRET_KEY" in response.json()["detail"]
    listed = await client.get(f"{SOURCES}/{body['id']}", token=admin)
    assert listed.json()["secrets_readable"] is False and listed.json()["secret_names"] == []
    await DataSource.filter(id=body["id"]).update(secrets_encrypted=None, settings={"base_url": 7})
    response = await client.get(f"{SOURCES}/{body['id']}/health", token=admin)
    assert response.status_code == 200 and response.json()["ok"] is False
    assert "settings.base_url" in response.json()["detail"]
    missing = await given_file_source(client, admin, tmp_path / "gone")
    (tmp_path / "gone").rmdir()  # removed behind the application's back
    response = await client.get(f"{SOURCES}/{missing['id']}/health", token=admin)
    assert response.json()["ok"] is False and "does not exist" in response.json()["detail"]


async def test_health_needs_data_sources_write(client, admin, operator):
    body = await given_source(client, admin, name="demo", adapter="demo", settings={}, secrets={})
    assert (await client.get(f"{SOURCES}/{body['id']}/health", token=operator)).status_code == 403
    assert (await client.get(f"{SOURCES}/999999/health", token=admin)).status_code == 404


# --- uploads ------------------------------------------------------------------------------------
async def test_an_upload_writes_exact_quantities_and_holds_what_cannot_be_billed(
    client, admin, operator, tmp_path
):
    # given a file source, two metrics and a mapped customer
    await given_metrics()
    source = await given_file_source(client, admin, tmp_path / "vendor-files")
    customer = await given_mapping(client, operator, source["id"], "acct-a")
    content = csv_bytes(
        [
            ["acct-a", "api_calls", DAY.isoformat(), "1200.5"],
            ["acct-a", "sms", DAY.isoformat(), "0.0001"],
            ["acct-a", "api_calls", "2026/3/3", "99999999999"],
            ["acct-stranger", "api_calls", DAY.isoformat(), "7"],  # nobody is mapped to it
            ["acct-a", "sms", "next tuesday", "5"],  # a day nobody can read
        ]
    )
    # when
    response = await upload(client, operator, source["id"], content, name="三月用量.csv")
    # then one successful execution says what happened
    assert response.status_code == 201, response.text
    execution = response.json()
    assert execution["task_name"] == "usage.upload" and execution["trigger"] == "manual"
    assert execution["status"] == "success"
    assert execution["counters"] == {"records": 5, "written": 3, "anomalies": 2, "alerts": 2}
    params = execution["parameters"]
    assert (params["source"], params["file_name"], params["first_day"], params["last_day"]) == (
        "uploads",
        "三月用量.csv",
        "2026-03-02",
        "2026-03-03",
    )
    # and the usage is exact
    code = customer.customer_code
    assert await records() == {
        (code, "api_calls", DAY): Decimal("1200.5"),
        (code, "sms", DAY): Decimal("0.0001"),
        (code, "api_calls", dt.date(2026, 3, 3)): Decimal("99999999999"),
    }
    assert {r.execution_id for r in await UsageRecord.all()} == {execution["id"]}
    # and the rest waits for review
    anomalies = {a.external_account: a for a in await UsageAnomaly.all()}
    assert anomalies["acct-stranger"].kind == AnomalyKind.UNKNOWN_ACCOUNT
    assert (
        anomalies["acct-a"].kind == AnomalyKind.DAY_OUTSIDE_REQUEST
        and anomalies["acct-a"].raw_day == "next tuesday"
    )
    # and the file is kept where the source's pulls read it, under a safe, timestamped name
    files = stored_files(tmp_path / "vendor-files")
    assert len(files) == 1 and files[0].suffix == ".csv" and files[0].read_bytes() == content
    assert files[0].name == params["stored_name"] and files[0].name.endswith("-三月用量.csv")
    # and the upload is audited and listed among the pulls
    assert await AuditLog.filter(
        entity_type="usage_upload", entity_id=str(execution["id"]), action="import"
    ).exists()
    pulls = await client.get("/api/v1/usage/pulls", token=operator)
    if pulls.status_code == 200:  # the usage blueprint is registered
        assert [p["id"] for p in pulls.json()["items"]] == [execution["id"]]


async def test_uploading_the_same_file_again_rewrites_the_same_rows(client, admin, tmp_path):
    await given_metrics()
    source = await given_file_source(client, admin, tmp_path / "files")
    await given_mapping(client, admin, source["id"], "acct-a")
    content = csv_bytes(
        [
            ["acct-a", "api_calls", DAY.isoformat(), "10.25"],
            ["acct-a", "api_calls", (DAY + dt.timedelta(days=1)).isoformat(), "11"],
            ["acct-x", "sms", DAY.isoformat(), "3"],
        ]
    )
    first = await upload(client, admin, source["id"], content)
    before = await records()
    second = await upload(client, admin, source["id"], content)
    assert first.status_code == second.status_code == 201, second.text
    assert await records() == before and await UsageRecord.all().count() == 2
    assert await UsageAnomaly.all().count() == 1
    assert second.json()["counters"]["written"] == 2 and second.json()["id"] != first.json()["id"]


async def test_an_xlsx_upload_with_chinese_headers_and_slashed_days(client, admin, tmp_path):
    await given_metrics()
    source = await given_file_source(client, admin, tmp_path / "xlsx")
    customer = await given_mapping(client, admin, source["id"], "A-100")
    content = workbook_bytes(
        [
            ["三月用量"],  # a title above the header
            ["客户账号", "指标", "日期", "用量"],
            ["A-100", "api_calls", "2026/3/2", 12.5],
            ["A-100", "sms", dt.datetime(2026, 3, 2), 3],
        ]
    )
    response = await upload(
        client, admin, source["id"], content, name="march.xlsx", content_type="application/octet-stream"
    )
    assert response.status_code == 201, response.text
    assert await records() == {
        (customer.customer_code, "api_calls", DAY): Decimal("12.5"),
        (customer.customer_code, "sms", DAY): Decimal("3"),
    }
    assert [f.suffix for f in stored_files(tmp_path / "xlsx")] == [".xlsx"]


async def test_a_future_day_in_a_file_is_held_not_billed(client, admin, tmp_path):
    await given_metrics()
    source = await given_file_source(client, admin, tmp_path / "f")
    await given_mapping(client, admin, source["id"], "acct-a")
    future = dt.datetime.now(get_settings().tz).date() + dt.timedelta(days=10)
    content = csv_bytes(
        [["acct-a", "api_calls", DAY.isoformat(), "1"], ["acct-a", "api_calls", future.isoformat(), "2"]]
    )
    response = await upload(client, admin, source["id"], content)
    assert response.status_code == 201 and response.json()["parameters"]["last_day"] == DAY.isoformat()
    assert (await UsageAnomaly.get()).kind == AnomalyKind.DAY_OUTSIDE_REQUEST
    assert await UsageRecord.all().count() == 1


async def test_a_later_pull_of_the_file_source_reads_the_stored_upload(client, admin, tmp_path):
    await given_metrics()
    source = await given_file_source(client, admin, tmp_path / "pulled")
    await given_mapping(client, admin, source["id"], "acct-a")
    await upload(client, admin, source["id"], csv_bytes([["acct-a", "sms", DAY.isoformat(), "42.0001"]]))
    before = await records()
    with acting_as(system_actor("test")):
        execution = await service.run_pull(DAY, DAY, source_name="uploads")
    assert execution.status == ExecutionStatus.SUCCESS and execution.counters["written"] == 1
    assert await records() == before and list(before.values()) == [Decimal("42.0001")]


async def test_a_file_source_is_healthy_from_the_start_and_takes_uploads_in_its_default_directory(
    client, admin
):
    await given_metrics()
    source = await given_file_source(client, admin)
    directory = get_settings().var_dir / "usage-uploads" / str(source["id"])
    assert directory.is_dir()
    health = await client.get(f"{SOURCES}/{source['id']}/health", token=admin)
    assert health.json()["ok"] is True, health.text
    already = len(stored_files(directory))  # ids may repeat across tests on SQLite
    response = await upload(client, admin, source["id"], csv_bytes([["acct-a", "sms", DAY.isoformat(), "1"]]))
    assert response.status_code == 201, response.text
    assert len(stored_files(directory)) == already + 1


async def test_an_upload_to_a_source_that_is_not_a_file_source_is_409(client, admin):
    source = await given_source(client, admin, name="demo", adapter="demo", settings={}, secrets={})
    response = await upload(client, admin, source["id"], csv_bytes([["a", "sms", DAY.isoformat(), "1"]]))
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_a_file_source"
    assert await TaskExecution.all().count() == 0


async def test_an_upload_to_a_disabled_source_is_409(client, admin, tmp_path):
    source = await given_file_source(client, admin, tmp_path / "off")
    await client.patch(f"{SOURCES}/{source['id']}", token=admin, json={"is_enabled": False})
    response = await upload(client, admin, source["id"], csv_bytes([["a", "sms", DAY.isoformat(), "1"]]))
    assert response.status_code == 409 and response.json()["error"]["code"] == "data_source_disabled"
    assert stored_files(tmp_path / "off") == []


@pytest.mark.parametrize(
    "content, name, status, code",
    [
        (
            csv_bytes([["a", "sms", "2026-03-02", "1"]], header=("account", "metric", "day", "amount")),
            "u.csv",
            422,
            "missing_columns",
        ),
        (b"", "u.csv", 422, "empty_file"),
        (b"account,metric,day,quantity\n", "u.csv", 422, "no_rows"),
        (csv_bytes([["a", "sms", "someday", "1"]]), "u.csv", 422, "no_usage_day"),
        (b"account,metric,day,quantity\na,sms,2026-03-02,1\n", "u.xlsx", 415, "not_xlsx"),
        (b"\x00\x01binary\x00" * 10, "u.csv", 415, "not_csv"),
    ],
)
async def test_a_refused_file_is_a_4xx_and_nothing_is_stored_or_run(
    client, admin, tmp_path, content, name, status, code
):
    source = await given_file_source(client, admin, tmp_path / "refused")
    response = await upload(client, admin, source["id"], content, name=name)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert stored_files(tmp_path / "refused") == []
    assert await TaskExecution.all().count() == 0 and await UsageAnomaly.all().count() == 0


async def test_an_upload_needs_a_file_and_usage_ingest(client, admin, tmp_path):
    source = await given_file_source(client, admin, tmp_path / "perm")
    missing = await client.post(f"{SOURCES}/{source['id']}/uploads", token=admin, data={"other": "x"})
    assert missing.status_code == 422 and missing.json()["error"]["details"][0]["field"] == "file"
    content = csv_bytes([["a", "sms", DAY.isoformat(), "1"]])
    assert (await upload(client, await token_for("auditor"), source["id"], content)).status_code == 403
    assert (await upload(client, await token_for("finance"), source["id"], content)).status_code == 201
    assert (await upload(client, admin, 999999, content)).status_code == 404


async def test_the_list_filters_pages_and_counts_accounts(client, admin):
    a = await given_source(client, admin, name="alpha-vendor")
    await given_source(client, admin, name="beta-vendor", is_enabled=False)
    await given_source(client, admin, name="demo", adapter="demo", settings={}, secrets={})
    await given_mapping(client, admin, a["id"], "acct-1")
    await given_mapping(client, admin, a["id"], "acct-2")
    page = (await client.get(f"{SOURCES}?page_size=2", token=admin)).json()
    assert (page["total"], page["page"], page["page_size"]) == (3, 1, 2)
    assert [s["name"] for s in page["items"]] == ["alpha-vendor", "beta-vendor"]
    assert page["items"][0]["accounts"] == 2 and page["items"][1]["accounts"] == 0
    names = lambda query: [s["name"] for s in query.json()["items"]]  # noqa: E731
    assert names(await client.get(f"{SOURCES}?q=VENDOR&is_enabled=true", token=admin)) == ["alpha-vendor"]
    assert names(await client.get(f"{SOURCES}?adapter=demo", token=admin)) == ["demo"]
    assert names(await client.get(f"{SOURCES}?sort=-name", token=admin)) == [
        "demo",
        "beta-vendor",
        "alpha-vendor",
    ]
    assert (await client.get(f"{SOURCES}?sort=secrets_encrypted", token=admin)).status_code == 422


async def test_an_upload_to_a_source_whose_stored_settings_broke_is_409_not_500(client, admin, tmp_path):
    source = await given_file_source(client, admin, tmp_path / "broken")
    await DataSource.filter(id=source["id"]).update(
        settings={"directory": str(tmp_path / "broken"), "bogus": 1}
    )
    response = await upload(client, admin, source["id"], csv_bytes([["a", "sms", DAY.isoformat(), "1"]]))
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_source_config"
    assert stored_files(tmp_path / "broken") == [] and await TaskExecution.all().count() == 0
