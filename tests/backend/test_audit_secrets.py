"""The audit log never holds a URL's password: data source and channel settings stored before
credentials in URLs were refused are written to it with ``***@`` in their place (a change of
them still shows), and audit rows written before that are answered the same way."""

from __future__ import annotations

import json

import pytest
from tortoise import connections

from opcms.core.audit import AuditLog
from opcms.core.db import is_mysql
from opcms.notifications.models import NotificationChannel
from opcms.usage.models import DataSource
from tests.backend.factories import token_for

SOURCES, CHANNELS, AUDIT = "/api/v1/data-sources", "/api/v1/notification-channels", "/api/v1/audit-log"
PASSWORD = "Legacy-Pa55word-7c1e"


@pytest.fixture
async def admin(db):
    return await token_for("admin")


async def stored_audit(entity_type: str, entity_id: int) -> list[dict]:
    """The before/after of an entity's audit rows as the database holds them (not as read back)."""
    q = "`" if is_mysql() else '"'
    rows = await connections.get("default").execute_query_dict(
        f"SELECT {q}action{q}, {q}before{q}, {q}after{q} FROM {q}audit_log{q} "
        f"WHERE {q}entity_type{q} = {'%s' if is_mysql() else '?'} "
        f"AND {q}entity_id{q} = {'%s' if is_mysql() else '?'} ORDER BY {q}id{q}",
        [entity_type, str(entity_id)],
    )
    loaded = [
        {
            "action": row["action"],
            **{k: json.loads(row[k]) if isinstance(row[k], str) else row[k] for k in ("before", "after")},
        }
        for row in rows
    ]
    assert PASSWORD not in json.dumps(loaded), loaded
    return loaded


async def test_a_legacy_source_with_a_url_password_leaves_none_in_the_audit(client, admin):
    # given a source stored before the rule, past the API, its URL carrying a password
    source = await DataSource.create(
        name="legacy",
        adapter="http_json",
        settings={"base_url": f"https://vendor:{PASSWORD}@vendor.example/api", "auth": "none"},
    )
    # when its settings are corrected through the API
    response = await client.patch(
        f"{SOURCES}/{source.id}",
        token=admin,
        json={"settings": {"base_url": "https://vendor.example/api", "auth": "none"}},
    )
    assert response.status_code == 200, response.text
    assert PASSWORD not in response.text

    # then neither its creation nor the correction wrote the password, and the change still shows
    created, corrected = await stored_audit("data_source", source.id)
    assert created["action"] == "create"
    assert created["after"]["settings"]["base_url"] == "https://***@vendor.example/api"
    assert corrected["action"] == "update"
    assert corrected["before"]["settings"]["base_url"] == "https://***@vendor.example/api"
    assert corrected["after"]["settings"]["base_url"] == "https://vendor.example/api"


async def test_a_legacy_channel_with_a_url_password_leaves_none_in_the_audit(client, admin):
    # given a channel stored before the rule, past the API
    channel = await NotificationChannel.create(
        name="legacy-app",
        kind="wecom_app",
        settings={"corp_id": "ww1", "agent_id": 1, "api_base": f"https://corp:{PASSWORD}@qyapi.example"},
    )
    # when another of its settings changes through the API, the URL kept as it was answered
    answered = (await client.get(f"{CHANNELS}/{channel.id}", token=admin)).json()["settings"]
    assert answered["api_base"] == "https://***@qyapi.example"
    response = await client.patch(
        f"{CHANNELS}/{channel.id}",
        token=admin,
        json={
            "settings": {"corp_id": "ww2", "agent_id": 1, "api_base": "https://qyapi.example"},
            "secrets": {"corp_secret": "s"},
        },
    )
    assert response.status_code == 200, response.text
    assert PASSWORD not in response.text

    # then the audit shows the change without the password
    created, changed = await stored_audit("notification_channel", channel.id)
    assert created["after"]["settings"]["api_base"] == "https://***@qyapi.example"
    assert changed["before"]["settings"] == {
        "corp_id": "ww1",
        "agent_id": 1,
        "api_base": "https://***@qyapi.example",
    }
    assert changed["after"]["settings"]["corp_id"] == "ww2"


async def test_audit_rows_written_before_the_masking_are_answered_without_the_password(client, admin):
    # given an audit row written before URL passwords were masked on the way in
    url = f"https://vendor:{PASSWORD}@vendor.example/api"
    row = await AuditLog.create(
        actor="admin",
        action="update",
        entity_type="data_source",
        entity_id="41",
        before={"settings": {"base_url": url, "headers": [f"Referer: http://u:{PASSWORD}@x.example/"]}},
        after={"settings": {"base_url": "https://vendor.example/api"}},
    )
    # when an auditor reads the log
    response = await client.get(AUDIT, token=admin, params={"entity_type": "data_source", "entity_id": "41"})

    # then the row is there, its URLs without user or password
    assert response.status_code == 200, response.text
    assert PASSWORD not in response.text
    [answered] = response.json()["items"]
    assert answered["id"] == row.id
    assert answered["before"]["settings"] == {
        "base_url": "https://***@vendor.example/api",
        "headers": ["Referer: http://***@x.example/"],
    }
    assert answered["after"] == {"settings": {"base_url": "https://vendor.example/api"}}
