"""Credentials in URL settings (``https://user:password@host/``): refused for data sources and
notification channels with a 422 naming the setting and the secrets they belong in; nothing
is stored or audited, and settings stored before the rule are answered without them."""

from __future__ import annotations

import json

import pytest

from opcms.core.audit import AuditLog
from opcms.notifications.models import NotificationChannel
from opcms.usage.models import DataSource
from tests.backend.factories import token_for

SOURCES, CHANNELS = "/api/v1/data-sources", "/api/v1/notification-channels"
PASSWORD = "Url-Pa55word-9f3a"


@pytest.fixture
async def admin(db):
    return await token_for("admin")


def refused(response) -> list[dict]:
    assert response.status_code == 422, response.text
    assert PASSWORD not in response.text
    return response.json()["error"]["details"]


async def nothing_written(model, entity_type: str) -> None:
    assert await model.with_deleted().count() == 0
    audits = await AuditLog.filter(entity_type=entity_type)
    assert PASSWORD not in json.dumps([[a.before, a.after] for a in audits])


@pytest.mark.parametrize(
    "given, field",
    [
        ({"base_url": f"https://vendor:{PASSWORD}@vendor.example/api"}, "settings.base_url"),
        ({"base_url": f"https://{PASSWORD}@vendor.example"}, "settings.base_url"),  # a user alone
        (
            {"base_url": "https://vendor.example", "headers": {"Referer": f"http://u:{PASSWORD}@x.example/"}},
            "settings.headers.Referer",
        ),
    ],
)
async def test_a_data_source_url_with_credentials_is_422_naming_the_secrets(client, admin, given, field):
    response = await client.post(
        SOURCES,
        token=admin,
        json={"name": "vendor-a", "adapter": "http_json", "settings": {"auth": "bearer", **given}},
    )
    details = refused(response)
    assert details[0]["field"] == field
    assert "secrets.token" in details[0]["message"] and "secrets.hmac_secret" in details[0]["message"]
    await nothing_written(DataSource, "data_source")


async def test_a_patch_cannot_put_credentials_into_a_source_url(client, admin):
    created = await client.post(
        SOURCES,
        token=admin,
        json={
            "name": "vendor-b",
            "adapter": "http_json",
            "settings": {"base_url": "https://vendor.example/api", "auth": "bearer"},
            "secrets": {"token": "t"},
        },
    )
    assert created.status_code == 201, created.text
    source_id = created.json()["id"]
    response = await client.patch(
        f"{SOURCES}/{source_id}",
        token=admin,
        json={"settings": {"base_url": f"https://vendor:{PASSWORD}@vendor.example/api", "auth": "bearer"}},
    )
    assert refused(response)[0]["field"] == "settings.base_url"
    stored = await DataSource.get(id=source_id)
    assert stored.settings["base_url"] == "https://vendor.example/api"
    audits = await AuditLog.filter(entity_type="data_source", entity_id=str(source_id))
    assert PASSWORD not in json.dumps([[a.before, a.after] for a in audits])


@pytest.mark.parametrize(
    "kind, given, field, secret",
    [
        (
            "wecom_app",
            {"corp_id": "ww1", "agent_id": 1, "api_base": f"https://corp:{PASSWORD}@qyapi.example"},
            "settings.api_base",
            "secrets.corp_secret",
        ),
        # an SMS provider's own settings are free-form: read all the same
        (
            "sms",
            {"gateway": {"url": f"https://acct:{PASSWORD}@sms.example/send"}},
            "settings.gateway.url",
            "secrets",
        ),
    ],
)
async def test_a_channel_url_with_credentials_is_422_naming_the_secrets(
    client, admin, kind, given, field, secret
):
    response = await client.post(
        CHANNELS,
        token=admin,
        json={"name": f"{kind}-creds", "kind": kind, "settings": given, "secrets": {"corp_secret": "s"}}
        if kind == "wecom_app"
        else {"name": f"{kind}-creds", "kind": kind, "settings": given},
    )
    details = refused(response)
    assert details[0]["field"] == field and secret in details[0]["message"]
    await nothing_written(NotificationChannel, "notification_channel")


async def test_settings_stored_before_the_rule_are_answered_without_the_password(client, admin):
    # written past the API, as a row stored before the rule would be
    source = await DataSource.create(
        name="legacy",
        adapter="http_json",
        settings={"base_url": f"https://vendor:{PASSWORD}@vendor.example/api", "auth": "none"},
    )
    channel = await NotificationChannel.create(
        name="legacy-app",
        kind="wecom_app",
        settings={"corp_id": "ww1", "agent_id": 1, "api_base": f"https://corp:{PASSWORD}@qyapi.example"},
    )
    one = await client.get(f"{SOURCES}/{source.id}", token=admin)
    listed = await client.get(SOURCES, token=admin)
    assert one.status_code == listed.status_code == 200
    assert PASSWORD not in one.text and PASSWORD not in listed.text
    assert one.json()["settings"]["base_url"] == "https://***@vendor.example/api"
    for response in (
        await client.get(f"{CHANNELS}/{channel.id}", token=admin),
        await client.get(CHANNELS, token=admin),
    ):
        assert response.status_code == 200 and PASSWORD not in response.text
    # and the adapter will not use it: the health check names the setting instead of calling out
    health = await client.get(f"{SOURCES}/{source.id}/health", token=admin)
    assert health.status_code == 200 and health.json()["ok"] is False
    assert "settings.base_url" in health.json()["detail"] and PASSWORD not in health.text
