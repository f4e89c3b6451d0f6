"""The audit log page's API: filters, keyset pages newest first (stable while rows arrive),
the xlsx export of the filtered log (capped), the filter choices, and who may read them."""

from __future__ import annotations

import base64
import datetime as dt
import io

import openpyxl
import pytest

from opcms.audit import export as audit_export
from opcms.audit.schemas import ENTITY_TYPES
from opcms.core.audit import AuditAction, AuditLog, record_audit
from opcms.core.context import Actor, acting_as
from opcms.core.models import AuditedModel
from tests.backend.factories import make_customer, token_for

AUDIT = "/api/v1/audit-log"
T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
#: the entries a test writes are on T0's day; signing in writes rows of its own, at the real time
ON_T0 = {"until": (T0 + dt.timedelta(days=1)).isoformat()}


@pytest.fixture
async def auditor(db):
    return await token_for("auditor")


async def entry(
    minutes: float, action="update", entity_type="invoice", entity_id="1", actor="alice", **extra
):
    """An audit row at T0 + minutes (written past record_audit, to choose its time)."""
    return await AuditLog.create(
        occurred_at=T0 + dt.timedelta(minutes=minutes),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        **extra,
    )


async def page(client, token, **params):
    response = await client.get(AUDIT, token=token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def all_ids(client, token, **params) -> list[int]:
    """Every id the filter pages through, following next_cursor."""
    ids, cursor = [], None
    while True:
        answer = await page(client, token, **params, **({"cursor": cursor} if cursor else {}))
        ids += [row["id"] for row in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            return ids


def error_of(response) -> dict:
    return response.json()["error"]


# --- filters ----------------------------------------------------------------------------------------
async def test_each_filter_narrows_the_log_newest_first(client, auditor):
    # given entries of two invoices, a customer and a login, by two actors, over two hours
    a = await entry(0, "create", "invoice", "12", "alice", request_id="req-a")
    b = await entry(30, "update", "invoice", "12", "bob", before={"total": "1.00"}, after={"total": "2.00"})
    c = await entry(60, "update", "invoice", "13", "alice")
    d = await entry(90, "status_change", "customer", "12", "bob")
    e = await entry(120, "login", "user", "3", "carol", request_id="req-e")

    async def ids(**params):
        return [row["id"] for row in (await page(client, auditor, **{**ON_T0, **params}))["items"]]

    # then each filter keeps its rows, newest first
    assert await ids() == [e.id, d.id, c.id, b.id, a.id]
    assert await ids(entity_type="invoice", entity_id="12") == [b.id, a.id]
    assert await ids(entity_type="invoice") == [c.id, b.id, a.id]
    assert await ids(actor="bob") == [d.id, b.id]
    assert await ids(action="update") == [c.id, b.id]
    assert await ids(action="status_change") == [d.id]
    assert await ids(request_id="req-e") == [e.id]
    since, until = (T0 + dt.timedelta(minutes=30)).isoformat(), (T0 + dt.timedelta(minutes=90)).isoformat()
    assert await ids(since=since, until=until) == [c.id, b.id]  # since inclusive, until exclusive
    assert await ids(since=since, actor="alice") == [c.id]
    # and an entry answers its before/after as written
    [row] = (await page(client, auditor, actor="bob", entity_type="invoice"))["items"]
    assert (row["before"], row["after"]) == ({"total": "1.00"}, {"total": "2.00"})


async def test_a_filter_the_log_cannot_take_is_refused(client, auditor):
    # an action the log never writes, an id without its type, a range ending before it starts
    for params, field in (
        ({"action": "explode"}, "action"),
        ({"entity_id": "12"}, None),
        ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, None),
        ({"page_size": "201"}, "page_size"),
        ({"sort": "actor"}, "sort"),
    ):
        response = await client.get(AUDIT, token=auditor, params=params)
        assert response.status_code == 422, (params, response.text)
        assert error_of(response)["details"][0]["field"] == field, (params, response.text)


async def test_every_known_action_is_a_filter(client, auditor):
    # the actions the product writes by hand (a retry, a batch over customers) are named too
    listed = (await client.get(f"{AUDIT}/actions", token=auditor)).json()["items"]
    assert {"create", "status_change", "login", "retry", "batch_soft_delete"} <= set(listed)
    assert listed == [a.value for a in AuditAction]
    for action in listed:
        assert (await client.get(AUDIT, token=auditor, params={"action": action})).status_code == 200


# --- keyset pages -----------------------------------------------------------------------------------
async def test_pages_follow_the_cursor_without_a_gap_or_a_repeat_while_rows_arrive(client, auditor):
    # given seven entries, three of them written in the same microsecond (ties broken by id)
    rows = [await entry(m) for m in (0, 1, 2, 2, 2, 3, 4)]
    expected = [r.id for r in sorted(rows, key=lambda r: (r.occurred_at, r.id), reverse=True)]

    # when the log is read three at a time
    first = await page(client, auditor, page_size=3, **ON_T0)
    assert [r["id"] for r in first["items"]] == expected[:3]
    assert first["next_cursor"] and "total" not in first
    # and new entries arrive before the next page is asked for
    newer = [await entry(10), await entry(11)]
    second = await page(client, auditor, page_size=3, cursor=first["next_cursor"], **ON_T0)
    third = await page(client, auditor, page_size=3, cursor=second["next_cursor"], **ON_T0)

    # then the pages go on where the first stopped: every row once, none of the new ones
    assert [r["id"] for r in second["items"] + third["items"]] == expected[3:]
    assert third["next_cursor"] is None
    # and a fresh read starts with the new entries
    assert [r["id"] for r in (await page(client, auditor, page_size=2, **ON_T0))["items"]] == [
        newer[1].id,
        newer[0].id,
    ]
    # and the same rows come out oldest first, paged the other way
    assert (
        await all_ids(
            client, auditor, page_size=2, sort="occurred_at", until=(T0 + dt.timedelta(minutes=5)).isoformat()
        )
        == expected[::-1]
    )


async def test_a_page_of_exactly_the_rest_says_there_is_no_more(client, auditor):
    for minute in range(4):
        await entry(minute)
    answer = await page(client, auditor, page_size=4, **ON_T0)
    assert len(answer["items"]) == 4 and answer["next_cursor"] is None
    assert (await page(client, auditor, page_size=200, actor="nobody")) == {
        "items": [],
        "page_size": 200,
        "next_cursor": None,
    }


async def test_a_cursor_this_list_did_not_write_is_refused(client, auditor):
    await entry(0)
    forged = base64.urlsafe_b64encode(b"yesterday|1").decode().rstrip("=")
    for cursor in (
        "not*base64",
        "AAAA",
        forged,
        base64.urlsafe_b64encode(b"2026-03-01T08:00:00.000000|0").decode().rstrip("="),
    ):
        response = await client.get(AUDIT, token=auditor, params={"cursor": cursor})
        assert response.status_code == 422, (cursor, response.text)
        assert error_of(response)["details"][0]["field"] == "cursor"


# --- export -----------------------------------------------------------------------------------------
def sheet_rows(content: bytes) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


async def test_the_export_writes_the_filtered_log_newest_first(client, auditor):
    # given an invoice's history, another invoice's entry, and an entry holding a masked secret
    await entry(0, "create", "invoice", "12", after={"total": "1200.50", "number": "INV-1"})
    await entry(5, "update", "invoice", "12", "bob", before={"total": "1200.50"}, after={"total": "99.00"})
    await entry(6, "update", "invoice", "13")
    await entry(7, "update", "user", "4", before={"password_hash": "***"}, after={"password_hash": "***"})

    # when the invoice's history is exported by a reader of Chinese
    response = await client.get(
        f"{AUDIT}/export",
        token=auditor,
        params={"entity_type": "invoice", "entity_id": "12"},
        headers={"Accept-Language": "zh-CN"},
    )

    # then the workbook holds its two entries, newest first, in the business time zone, in Chinese
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="audit-log-' in response.headers["content-disposition"]
    header, *rows = sheet_rows(response.content)
    assert header[:6] == ("编号", "时间", "操作人", "动作", "对象类型", "对象ID")
    assert [(r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("bob", "修改", "invoice", "12", "total"),
        ("alice", "新建", "invoice", "12", "number, total"),
    ]
    assert rows[0][1] == dt.datetime(2026, 3, 1, 16, 5)  # 08:05 UTC in Asia/Shanghai
    assert '"total": "99.00"' in rows[0][8] and '"total": "1200.50"' in rows[0][7]
    # and the masked secret stays masked
    user = sheet_rows(
        (
            await client.get(
                f"{AUDIT}/export", token=auditor, params={"entity_type": "user", "entity_id": "4"}
            )
        ).content
    )
    assert user[1][7] == '{"password_hash": "***"}'
    # and a reader of English gets English headers and actions
    assert user[0][:4] == ("ID", "Time", "Actor", "Action") and user[1][3] == "Update"


async def test_an_export_over_the_cap_is_refused_before_anything_is_written(client, auditor, monkeypatch):
    # given three entries and an export cap of two
    for minute in range(3):
        await entry(minute)
    monkeypatch.setattr(audit_export, "EXPORT_MAX_ROWS", 2)
    # when all three are asked for: a 422 saying to narrow the filter
    response = await client.get(f"{AUDIT}/export", token=auditor)
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "audit_export_too_large"
    # and a filter matching two exports them
    narrowed = await client.get(
        f"{AUDIT}/export",
        token=auditor,
        params={"since": (T0 + dt.timedelta(minutes=1)).isoformat(), **ON_T0},
    )
    assert narrowed.status_code == 200, narrowed.text
    assert len(sheet_rows(narrowed.content)) == 3
    # and the export's filters are the list's: refused the same way
    bad = await client.get(f"{AUDIT}/export", token=auditor, params={"action": "explode"})
    assert bad.status_code == 422


# --- choices and permissions -----------------------------------------------------------------------
def audited_models(cls=AuditedModel):
    for sub in cls.__subclasses__():
        if not sub._meta.abstract:
            yield sub
        yield from audited_models(sub)


async def test_the_entity_types_name_every_audited_model(client, auditor):
    answer = await client.get(f"{AUDIT}/entity-types", token=auditor)
    assert answer.status_code == 200
    assert answer.json()["items"] == list(ENTITY_TYPES)
    assert {model.audit_entity for model in audited_models()} <= set(ENTITY_TYPES)


async def test_an_audited_write_is_found_by_its_entity(client, auditor):
    # given a customer created through the model (its create is audited)
    with acting_as(Actor(name="writer")):
        customer = await make_customer()
        await record_audit(
            "status_change", "customer", customer.id, before={"status": "a"}, after={"status": "b"}
        )
    # then the customer's history reads both entries, newest first
    items = (await page(client, auditor, entity_type="customer", entity_id=str(customer.id)))["items"]
    assert [row["action"] for row in items] == ["status_change", "create"]


@pytest.mark.parametrize(
    "role, allowed", [("operator", False), ("finance", False), ("auditor", True), ("admin", True)]
)
async def test_only_auditors_and_admins_read_and_export_the_log(client, role, allowed):
    token = await token_for(role)
    for path in (AUDIT, f"{AUDIT}/export", f"{AUDIT}/entity-types", f"{AUDIT}/actions"):
        response = await client.get(path, token=token)
        assert response.status_code == (200 if allowed else 403), (role, path, response.text)
