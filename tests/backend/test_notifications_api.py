"""Notifications over the API: channels (secrets write-only, checked by their kind, masked in
the audit log), templates (declared variables, preview), messages (send, list, resend), and
who may do what."""

from __future__ import annotations

import pytest

from opcms.core.audit import AuditLog
from opcms.notifications import delivery
from opcms.notifications.channels.wecom_app import forget_tokens
from opcms.notifications.models import Notification, NotificationStatus
from tests.backend.factories import token_for
from tests.backend.factories_notifications import (
    VARIABLES,
    make_bot_channel,
    make_template,
)
from tests.backend.fake_wecom import FakeSmtp, FakeWeCom

CHANNELS, TEMPLATES, MESSAGES = (
    "/api/v1/notification-channels",
    "/api/v1/notification-templates",
    "/api/v1/notifications",
)
PASSWORD = "smtp-Pa55word-never-shown"


@pytest.fixture
async def admin(db):
    return await token_for("admin")


@pytest.fixture
def wecom():
    forget_tokens()
    with FakeWeCom(bot_key="very-secret-bot-key") as fake:
        yield fake
    forget_tokens()


async def create_email_channel(client, admin, **fields):
    body = {
        "name": "mail",
        "kind": "email",
        "settings": {"host": "127.0.0.1", "port": 2525, "from_address": "billing@opcms.test"},
        "secrets": {"username": "billing", "password": PASSWORD},
        **fields,
    }
    return await client.post(CHANNELS, token=admin, json=body)


# --- channels ------------------------------------------------------------------------------------
async def test_a_channel_keeps_its_secrets_encrypted_never_answered_and_masked_in_the_audit(client, admin):
    # when a channel is created and its password changed, then removed
    created = await create_email_channel(client, admin)
    assert created.status_code == 201, created.text
    channel = created.json()
    assert channel["secret_names"] == ["password", "username"] and channel["secrets_readable"] is True
    patched = await client.patch(
        f"{CHANNELS}/{channel['id']}", token=admin, json={"secrets": {"password": "new-" + PASSWORD}}
    )
    assert patched.status_code == 200 and patched.json()["secret_names"] == ["password", "username"]
    removed = await client.patch(
        f"{CHANNELS}/{channel['id']}", token=admin, json={"secrets": {"username": None, "password": None}}
    )
    assert removed.status_code == 200 and removed.json()["secret_names"] == []
    # then no answer and no audit row ever carries a secret
    answers = [
        created,
        patched,
        removed,
        await client.get(f"{CHANNELS}/{channel['id']}", token=admin),
        await client.get(CHANNELS, token=admin),
    ]
    for answer in answers:
        assert PASSWORD not in answer.text and "secrets_encrypted" not in answer.text
    audits = await AuditLog.filter(entity_type="notification_channel").order_by("id")
    assert [a.action for a in audits] == ["create", "update", "update"]
    assert all(PASSWORD not in str(a.before) + str(a.after) for a in audits)
    assert audits[0].after["secrets_encrypted"] == "***" and audits[1].after == {"secrets_encrypted": "***"}


async def test_a_bot_webhook_url_is_a_secret(client, admin, wecom):
    response = await client.post(
        CHANNELS,
        token=admin,
        json={
            "name": "finance-bot",
            "kind": "wecom_bot",
            "secrets": {"webhook_url": wecom.webhook_url},
            "rate_per_minute": 20,
        },
    )
    assert response.status_code == 201 and response.json()["secret_names"] == ["webhook_url"]
    assert wecom.bot_key not in response.text
    audits = await AuditLog.filter(entity_type="notification_channel")
    assert all(wecom.bot_key not in str(a.after) for a in audits)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"settings": {"host": "h", "port": 0, "from_address": "a@b.cn"}}, "settings.port"),
        ({"settings": {"host": "h", "from_address": "a@b.cn", "colour": "red"}}, "settings.colour"),
        ({"secrets": {"username": "u"}}, "secrets.password"),
        ({"kind": "pigeon"}, "kind"),
        ({"max_attempts": 0}, "max_attempts"),
    ],
)
async def test_a_bad_channel_configuration_is_a_422_naming_the_field(client, admin, fields, field):
    response = await create_email_channel(client, admin, **fields)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert not await AuditLog.filter(entity_type="notification_channel").exists()


async def test_a_channel_name_is_unique_and_a_patch_is_checked_again(client, admin):
    channel = (await create_email_channel(client, admin)).json()
    assert (await create_email_channel(client, admin)).status_code == 409
    bad = await client.patch(f"{CHANNELS}/{channel['id']}", token=admin, json={"settings": {"host": "h"}})
    assert bad.status_code == 422 and "settings.from_address" in bad.text
    assert (await client.patch(f"{CHANNELS}/{channel['id']}", token=admin, json={})).status_code == 422
    ok = await client.patch(
        f"{CHANNELS}/{channel['id']}", token=admin, json={"rate_per_minute": 5, "is_enabled": False}
    )
    assert ok.status_code == 200 and ok.json()["rate_per_minute"] == 5 and ok.json()["is_enabled"] is False


async def test_a_channel_used_by_a_template_cannot_be_deleted(client, admin, wecom):
    channel = await make_bot_channel(wecom)
    template = await make_template(channel, code="t")
    refused = await client.delete(f"{CHANNELS}/{channel.id}", token=admin)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "notification_channel_in_use"
    assert (await client.delete(f"{TEMPLATES}/{template.id}", token=admin)).status_code == 200
    deleted = await client.delete(f"{CHANNELS}/{channel.id}?reason=retired", token=admin)
    assert deleted.status_code == 200
    assert (await client.get(f"{CHANNELS}/{channel.id}", token=admin)).status_code == 404
    assert (await client.get(CHANNELS, token=admin)).json()["total"] == 0


async def test_channel_health_asks_the_server(client, admin, wecom):
    good = await make_bot_channel(wecom)
    response = await client.post(f"{CHANNELS}/{good.id}/health", token=admin)
    assert response.status_code == 200 and response.json()["ok"] is True
    assert wecom.messages == []  # the health check sent nothing to the group
    with FakeSmtp() as smtp:
        mail = (
            await create_email_channel(
                client,
                admin,
                settings={"host": "127.0.0.1", "port": smtp.port, "from_address": "a@b.cn"},
                secrets={},
            )
        ).json()
        assert (await client.post(f"{CHANNELS}/{mail['id']}/health", token=admin)).json()["ok"] is True
    # the SMTP server is gone now
    down = (await client.post(f"{CHANNELS}/{mail['id']}/health", token=admin)).json()
    assert down["ok"] is False and down["detail"]


# --- templates -----------------------------------------------------------------------------------
async def test_a_template_declares_every_variable_it_uses(client, admin):
    body = {
        "code": "invoice_overdue",
        "title": "发票 {{ invoice_no }}",
        "body": "{{ customer }} 应付 {{ amount }}",
        "variables": ["invoice_no", "customer"],
    }
    undeclared = await client.post(TEMPLATES, token=admin, json=body)
    assert undeclared.status_code == 422 and "amount" in undeclared.text
    broken = await client.post(
        TEMPLATES,
        token=admin,
        json={**body, "body": "{{ customer }", "variables": ["invoice_no", "customer"]},
    )
    assert broken.status_code == 422 and broken.json()["error"]["details"][0]["field"] == "body"
    created = await client.post(
        TEMPLATES, token=admin, json={**body, "variables": ["invoice_no", "customer", "amount"]}
    )
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["variables"] == ["invoice_no", "customer", "amount"] and template["channel_id"] is None
    # a patch is checked as a whole
    patched = await client.patch(
        f"{TEMPLATES}/{template['id']}", token=admin, json={"body": "{{ due_date }}"}
    )
    assert patched.status_code == 422 and "due_date" in patched.text
    assert (
        await client.post(
            TEMPLATES, token=admin, json={**body, "variables": ["invoice_no", "customer", "amount"]}
        )
    ).status_code == 409
    # unknown channel
    assert (
        await client.patch(f"{TEMPLATES}/{template['id']}", token=admin, json={"channel_id": 999})
    ).status_code == 422


async def test_a_template_preview_renders_or_names_what_is_missing(client, admin):
    template = await make_template(None)
    preview = await client.post(
        f"{TEMPLATES}/{template.id}/preview", token=admin, json={"variables": VARIABLES}
    )
    assert preview.status_code == 200
    assert preview.json() == {
        "title": "发票 INV-202611-0001 已逾期",
        "content": "测试客户：应付 1,234.50 元，请尽快付款。",
    }
    missing = await client.post(
        f"{TEMPLATES}/{template.id}/preview", token=admin, json={"variables": {"invoice_no": "X"}}
    )
    assert missing.status_code == 422
    assert {d["field"] for d in missing.json()["error"]["details"]} == {
        "variables.customer",
        "variables.amount",
    }


async def test_the_sandbox_refuses_unsafe_templates(client, admin):
    template = (
        await client.post(
            TEMPLATES,
            token=admin,
            json={
                "code": "evil",
                "body": "{{ x.__class__.__mro__ }}",
                "variables": ["x"],
            },
        )
    ).json()
    response = await client.post(
        f"{TEMPLATES}/{template['id']}/preview", token=admin, json={"variables": {"x": "a"}}
    )
    assert response.status_code == 422, response.text


# --- messages ------------------------------------------------------------------------------------
async def test_a_message_is_sent_listed_and_resent_over_the_api(client, admin, wecom):
    channel = await make_bot_channel(wecom, max_attempts=1)
    await make_template(channel, code="invoice_overdue")
    # when a test message is sent
    sent = await client.post(
        MESSAGES,
        token=admin,
        json={"template_code": "invoice_overdue", "variables": VARIABLES, "priority": "high"},
    )
    assert sent.status_code == 202, sent.text
    message = sent.json()
    assert (
        message["status"] == "pending"
        and message["channel_name"] == channel.name
        and message["priority"] == "high"
    )
    assert message["created_by"].startswith("admin")
    audit = await AuditLog.get(entity_type="notification", entity_id=str(message["id"]))
    assert audit.actor.startswith("admin") and audit.after["template_code"] == "invoice_overdue"
    # and its delivery fails for good (one attempt allowed)
    wecom.fail_next("500")
    await delivery.deliver(message["id"])
    shown = (await client.get(f"{MESSAGES}/{message['id']}", token=admin)).json()
    assert shown["status"] == "dead" and shown["attempts"] == 1 and "500" in shown["last_error"]
    # then it is listed among the dead ones
    dead = (await client.get(f"{MESSAGES}?status=dead&template_code=invoice_overdue", token=admin)).json()
    assert [m["id"] for m in dead["items"]] == [message["id"]]
    assert (await client.get(f"{MESSAGES}?status=sent", token=admin)).json()["total"] == 0
    # and re-sent by hand it goes out
    resent = await client.post(f"{MESSAGES}/{message['id']}/resend", token=admin)
    assert resent.status_code == 202 and resent.json()["status"] == "pending"
    await delivery.deliver(message["id"])
    assert (await client.get(f"{MESSAGES}/{message['id']}", token=admin)).json()["status"] == "sent"
    again = await client.post(f"{MESSAGES}/{message['id']}/resend", token=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "notification_not_resendable"


async def test_a_missing_variable_is_a_422_and_stores_nothing(client, admin, wecom):
    await make_template(await make_bot_channel(wecom), code="t")
    response = await client.post(
        MESSAGES, token=admin, json={"template_code": "t", "variables": {"invoice_no": "X", "customer": "Y"}}
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "template_render_error"
    assert "amount" in response.json()["error"]["message"]
    assert await Notification.all().count() == 0
    assert not await AuditLog.filter(entity_type="notification").exists()


async def test_send_refusals(client, admin, wecom):
    await make_template(None, code="no_channel")
    assert (
        await client.post(MESSAGES, token=admin, json={"template_code": "nope", "variables": {}})
    ).status_code == 404
    unavailable = await client.post(
        MESSAGES, token=admin, json={"template_code": "no_channel", "variables": VARIABLES}
    )
    assert unavailable.status_code == 409 and unavailable.json()["error"]["code"] == "channel_unavailable"
    assert (
        await client.post(MESSAGES, token=admin, json={"template_code": "no_channel", "priority": "urgent"})
    ).status_code == 422
    assert (await client.get(f"{MESSAGES}/999999", token=admin)).status_code == 404
    assert (await client.post(f"{MESSAGES}/999999/resend", token=admin)).status_code == 404


async def test_messages_are_filtered_by_subject_target_and_time(client, admin, wecom):
    from opcms.notifications import service

    await make_template(await make_bot_channel(wecom), code="t")
    first = await service.send("t", "", VARIABLES, subject=("invoice", 7))
    await service.send("t", "", VARIABLES, subject=("invoice", 8))
    by_subject = (await client.get(f"{MESSAGES}?subject_type=invoice&subject_id=7", token=admin)).json()
    assert [m["id"] for m in by_subject["items"]] == [first.id]
    created = first.created_at.isoformat()
    assert (await client.get(MESSAGES, token=admin, params={"created_from": created})).json()["total"] == 2
    assert (await client.get(MESSAGES, token=admin, params={"created_to": created})).json()["total"] == 0
    assert (await client.get(f"{MESSAGES}?status=bogus", token=admin)).status_code == 422
    paged = (await client.get(f"{MESSAGES}?page_size=1&sort=id", token=admin)).json()
    assert paged["total"] == 2 and [m["id"] for m in paged["items"]] == [first.id]


async def test_readers_read_and_only_writers_write(client, wecom):
    channel = await make_bot_channel(wecom)
    template = await make_template(channel, code="t")
    for role in ("operator", "finance", "auditor"):
        token = await token_for(role)
        assert (await client.get(MESSAGES, token=token)).status_code == 200
        assert (await client.get(CHANNELS, token=token)).status_code == 200
        assert (await client.get(TEMPLATES, token=token)).status_code == 200
        assert (
            await client.post(MESSAGES, token=token, json={"template_code": "t", "variables": VARIABLES})
        ).status_code == 403
        assert (
            await client.patch(f"{CHANNELS}/{channel.id}", token=token, json={"is_enabled": False})
        ).status_code == 403
        assert (await client.delete(f"{TEMPLATES}/{template.id}", token=token)).status_code == 403
        assert (await client.post(f"{CHANNELS}/{channel.id}/health", token=token)).status_code == 403
    assert (await client.get(MESSAGES)).status_code == 401
    assert await Notification.filter(status=NotificationStatus.PENDING).count() == 0
