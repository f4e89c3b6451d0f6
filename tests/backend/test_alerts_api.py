"""Alert rules and firings over the API: admins write (every write audited), auditors read and
cannot write, each kind's parameters and threshold are checked (422 in the one error shape,
nothing written), a rule cannot be enabled without a channel (the list says why), and the
firings list filters and pages."""

from __future__ import annotations

import pytest

from opcms.alerts.models import AlertRule
from opcms.core.audit import AuditLog
from opcms.core.models import utcnow
from opcms.notifications.models import NotificationStatus
from tests.backend.factories import token_for
from tests.backend.factories_alerts import ALERTS_MIGRATION, make_rule, message, seed_alert_template
from tests.backend.factories_notifications import make_channel

RULES, FIRINGS = "/api/v1/alert-rules", "/api/v1/alert-firings"


@pytest.fixture
async def admin(db):
    return await token_for("admin")


@pytest.fixture
async def auditor(db):
    return await token_for("auditor")


@pytest.fixture
async def channel(db):
    await seed_alert_template()
    return await make_channel(
        "wecom_bot", secrets={"webhook_url": "http://127.0.0.1:9/send?key=k"}, name="ops"
    )


def backlog_body(**fields):
    return {
        "name": "积压",
        "kind": "notification_backlog",
        "threshold": "50",
        "params": {"older_than_minutes": 10},
        **fields,
    }


async def test_an_admin_creates_changes_disables_and_deletes_a_rule_every_write_audited(
    client, admin, channel
):
    created = await client.post(RULES, token=admin, json=backlog_body(channel_id=channel.id, is_enabled=True))
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["threshold"] == "50.0000"
    assert rule["params"] == {"older_than_minutes": 10, "channel": None}
    assert (rule["channel_name"], rule["is_enabled"], rule["cannot_send"]) == ("ops", True, None)
    url = f"{RULES}/{rule['id']}"

    patched = await client.patch(url, token=admin, json={"threshold": 80, "quiet_minutes": 30})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["quiet_minutes"], patched.json()["params"]["older_than_minutes"]) == (30, 10)
    disabled = await client.post(f"{url}/disable", token=admin)
    assert disabled.json()["is_enabled"] is False
    deleted = await client.delete(url, token=admin, params={"reason": "duplicate"})
    assert deleted.status_code == 200
    assert (await client.get(url, token=admin)).status_code == 404

    actions = [
        a for (a,) in await AuditLog.filter(entity_type="alert_rule").order_by("id").values_list("action")
    ]
    assert actions == ["create", "update", "status_change", "delete"]


async def test_an_auditor_reads_rules_and_firings_but_cannot_write(client, auditor, channel):
    rule = await make_rule("channel_failing", 5, channel)
    assert (await client.get(RULES, token=auditor)).status_code == 200
    assert (await client.get(FIRINGS, token=auditor)).status_code == 200
    for method, url, body in (
        ("post", RULES, backlog_body()),
        ("patch", f"{RULES}/{rule.id}", {"threshold": 3}),
        ("delete", f"{RULES}/{rule.id}", None),
        ("post", f"{RULES}/{rule.id}/disable", None),
        ("post", f"{RULES}/{rule.id}/evaluate", None),
    ):
        answer = await getattr(client, method)(url, token=auditor, **({"json": body} if body else {}))
        assert answer.status_code == 403, (method, url, answer.text)
        assert answer.json()["error"]["code"] in ("forbidden", "role_forbidden")
    assert (await AlertRule.get(id=rule.id)).threshold == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "usage_vs_average", "threshold": "3", "params": {}}, "params.direction"),
        (
            {"kind": "usage_vs_average", "threshold": "3", "params": {"direction": "sideways"}},
            "params.direction",
        ),
        ({"kind": "usage_vs_average", "threshold": "3", "params": {"direction": "below"}}, "threshold"),
        ({"kind": "usage_vs_average", "threshold": "0.5", "params": {"direction": "above"}}, "threshold"),
        ({"kind": "job_failed", "threshold": "1.5"}, "threshold"),
        ({"kind": "job_failed", "threshold": "0"}, "threshold"),
        ({"kind": "job_failed", "threshold": "1", "params": {"channel": "ops"}}, "params.channel"),
        ({"kind": "channel_failing", "threshold": "500"}, "threshold"),
        ({"kind": "notification_backlog", "threshold": "-1"}, "threshold"),
        (
            {"kind": "notification_backlog", "threshold": "5", "params": {"older_than_minutes": 0}},
            "params.older_than_minutes",
        ),
        ({"kind": "no_such_kind", "threshold": "1"}, "kind"),
        ({"kind": "job_failed", "threshold": "1", "quiet_minutes": 0}, "quiet_minutes"),
        ({"kind": "job_failed", "threshold": "1", "channel_id": 999999}, "channel_id"),
    ],
)
async def test_bad_rules_are_422_naming_the_field_and_nothing_is_written(client, admin, body, field):
    before = await AlertRule.with_deleted().count()
    answer = await client.post(RULES, token=admin, json={"name": "bad", **body})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    assert field in [d["field"] for d in error["details"]], error
    assert await AlertRule.with_deleted().count() == before


async def test_a_rule_without_a_channel_stays_disabled_and_the_list_says_why(client, admin, db):
    await seed_alert_template()
    created = await client.post(RULES, token=admin, json=backlog_body())
    rule = created.json()
    assert (rule["is_enabled"], rule["cannot_send"]) == (False, "no_channel")
    refused = await client.post(f"{RULES}/{rule['id']}/enable", token=admin)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "alert_rule_cannot_send"
    assert (await AlertRule.get(id=rule["id"])).is_enabled is False


async def test_the_seeded_defaults_are_one_disabled_rule_per_kind(client, admin, db):
    from tortoise import connections

    for statement in ALERTS_MIGRATION.SEED_RULES:
        await connections.get("default").execute_script(statement)
    page = (await client.get(RULES, token=admin, params={"page_size": 50})).json()
    kinds = sorted({rule["kind"] for rule in page["items"]})
    assert kinds == sorted(
        [
            "job_failed",
            "usage_pull_empty",
            "usage_vs_average",
            "notification_backlog",
            "channel_failing",
            "invoice_run_failed",
        ]
    )
    assert all(not r["is_enabled"] and r["cannot_send"] == "template_missing" for r in page["items"])


async def test_evaluate_now_fires_and_the_firings_list_filters_and_pages(client, admin, channel):
    sms = await make_channel("sms", name="sms")
    for _ in range(3):
        await message(sms, NotificationStatus.PENDING, attempts=0, age_minutes=20)
    rule = await make_rule("notification_backlog", 1, channel, params={"older_than_minutes": 10})

    evaluated = await client.post(f"{RULES}/{rule.id}/evaluate", token=admin)
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json() == {"rules": 1, "fired": 1, "sent": 1, "failed": 0, "suppressed": 0}
    again = await client.post(f"{RULES}/{rule.id}/evaluate", token=admin)
    assert again.json()["suppressed"] == 1

    page = (await client.get(FIRINGS, token=admin, params={"rule_id": rule.id, "status": "sent"})).json()
    assert page["total"] == 1
    [firing] = page["items"]
    assert (firing["subject"], firing["value"], firing["threshold"], firing["repeats"]) == (
        "channel:sms",
        "3.0000",
        "1.0000",
        1,
    )
    assert "sms" in firing["summary"] and firing["rule_name"] == rule.name
    assert (await client.get(FIRINGS, token=admin, params={"status": "failed"})).json()["total"] == 0
    future = utcnow().replace(year=utcnow().year + 1).isoformat()
    assert (await client.get(FIRINGS, token=admin, params={"fired_from": future})).json()["total"] == 0
    assert (await client.get(FIRINGS, token=admin, params={"kind": "nope"})).status_code == 422
