"""The audit log: automatic rows for model writes, append-only, filters on the API."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise.transactions import in_transaction

from opcms.auth.models import User
from opcms.core.audit import AuditLog, record_audit
from opcms.core.context import Actor, acting_as
from tests.backend.factories import make_user, token_for

AUDIT = "/api/v1/audit-log"


async def test_a_rolled_back_change_leaves_no_audit_row(db):
    user = await make_user("operator", username="atomic")
    with pytest.raises(RuntimeError):
        async with in_transaction():
            user.display_name = "changed"
            await user.save()
            raise RuntimeError("abort")
    assert (await User.get(id=user.id)).display_name == "atomic"
    assert await AuditLog.filter(entity_id=str(user.id), action="update").count() == 0


async def test_audit_fields_are_filled_from_the_acting_user(db):
    with acting_as(Actor(name="boss", user_id=77, role="admin")):
        user = await make_user("operator", username="stamped")
    # make_user acts as the factory; the update below acts as "boss"
    with acting_as(Actor(name="boss", user_id=77, role="admin")):
        user.display_name = "Stamped"
        await user.save()
    stored = await User.get(id=user.id)
    assert stored.created_by == "system:test-factory" and stored.updated_by == "boss"
    row = await AuditLog.get(action="update", entity_id=str(user.id))
    assert (row.actor, row.actor_user_id) == ("boss", 77)


async def test_an_unchanged_save_writes_no_audit_row(db):
    user = await make_user("operator", username="still")
    await user.save()
    assert await AuditLog.filter(entity_id=str(user.id)).count() == 1  # the create only


async def test_audit_rows_cannot_be_changed_or_deleted(db):
    row = await record_audit("create", "thing", 1)
    row.action = "delete"
    with pytest.raises(PermissionError):
        await row.save()
    with pytest.raises(PermissionError):
        await row.delete()


async def test_business_rows_cannot_be_hard_deleted(db):
    user = await make_user("operator")
    with pytest.raises(PermissionError):
        await user.delete()


async def test_filters_by_entity_actor_action_and_time(client):
    token = await token_for("auditor")
    with acting_as(Actor(name="alice")):
        await record_audit("create", "invoice", 1)
        await record_audit("update", "invoice", 1)
    with acting_as(Actor(name="bob")):
        await record_audit("create", "customer", 9)

    async def ids(**params):
        response = await client.get(AUDIT, token=token, params={**params, "page_size": 200})
        assert response.status_code == 200, response.text
        return [(r["actor"], r["action"], r["entity_type"]) for r in response.json()["items"]]

    assert await ids(entity_type="invoice") == [
        ("alice", "update", "invoice"),
        ("alice", "create", "invoice"),
    ]
    assert await ids(actor="bob") == [("bob", "create", "customer")]
    assert await ids(action="create", entity_type="customer", entity_id="9") == [
        ("bob", "create", "customer")
    ]
    now = dt.datetime.now(dt.UTC)
    assert len(await ids(since=(now - dt.timedelta(minutes=5)).isoformat(), entity_type="invoice")) == 2
    assert await ids(until=(now - dt.timedelta(minutes=5)).isoformat(), entity_type="invoice") == []
    bad = await client.get(AUDIT, token=token, params={"since": "yesterday-ish"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "since"
    # a time without a zone is UTC, and may be compared with one that has a zone
    naive_since = (now - dt.timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    shanghai_until = (
        (now + dt.timedelta(minutes=5)).astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    )
    assert len(await ids(since=naive_since, until=shanghai_until, entity_type="invoice")) == 2
    assert (
        await ids(
            since=(now + dt.timedelta(minutes=5)).replace(tzinfo=None).isoformat(), entity_type="invoice"
        )
        == []
    )


async def test_operators_and_finance_cannot_read_the_audit_log(client):
    for role in ("operator", "finance"):
        response = await client.get(AUDIT, token=await token_for(role))
        assert response.status_code == 403
