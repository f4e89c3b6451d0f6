"""The deleted records page: every soft-deletable kind listed with who deleted it, when and why,
and restored by admins; deleted codes and names stay taken or are freed, and restore and
re-create agree (docs/deleted-records.md)."""

from __future__ import annotations

import pytest

from opcms.alerts.models import AlertRule
from opcms.core.audit import AuditLog
from opcms.core.context import acting_as, system_actor
from opcms.customers.models import Customer
from opcms.notifications.models import NotificationChannel, NotificationTemplate
from opcms.pricing.models import PricingPlan, Subscription, UsageMetric
from opcms.statements.models import BankStatementProfile
from opcms.usage.models import CustomerSourceAccount, DataSource
from tests.backend.factories import (
    make_customer,
    make_metric,
    make_plan,
    make_subscription,
    make_user,
    session_for,
    token_for,
)
from tests.backend.factories_notifications import make_channel, make_template

DELETED = "/api/v1/deleted-records"
SECRET = "tok-Very-Secret-9c1e"


@pytest.fixture
async def admin(db):
    user = await make_user("admin", username="root-admin")
    return (await session_for(user)).access_token


@pytest.fixture
async def auditor(db):
    return await token_for("auditor")


async def given_source(client, admin, name="vendor-a") -> dict:
    body = {
        "name": name,
        "adapter": "http_json",
        "settings": {"base_url": "http://127.0.0.1:9/usage", "auth": "bearer"},
        "secrets": {"token": SECRET},
    }
    response = await client.post("/api/v1/data-sources", token=admin, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def given_mapping(client, admin, source_id: int, customer_id: int, account: str) -> dict:
    response = await client.post(
        f"/api/v1/data-sources/{source_id}/accounts",
        token=admin,
        json={"customer_id": customer_id, "external_account": account},
    )
    assert response.status_code == 201, response.text
    return response.json()


# Each kind: make one row, delete it through the product as the admin with a reason (users take
# none), and say what names it on the page.
async def deleted_customer(client, admin):
    row = await make_customer(customer_code="GONE-1", company_name="旧客户有限公司")
    await client.delete(f"/api/v1/customers/{row.id}", token=admin, params={"reason": "duplicate"})
    return row.id, "GONE-1 · 旧客户有限公司", "duplicate"


async def deleted_metric(client, admin):
    # metrics have no delete route yet: deleted the way the product deletes, as the admin would
    row = await make_metric("old_metric", name="旧指标")
    with acting_as(system_actor("root-admin")):
        await row.soft_delete("retired")
    return row.id, "old_metric · 旧指标", "retired"


async def deleted_plan(client, admin):
    row = await make_plan(code="OLD-PLAN")
    response = await client.delete(
        f"/api/v1/pricing-plans/{row.id}", token=admin, params={"reason": "replaced"}
    )
    assert response.status_code == 200, response.text
    return row.id, f"OLD-PLAN · {row.name}", "replaced"


async def deleted_subscription(client, admin):
    row = await make_subscription(effective_from="2024-01-01", effective_to="2024-06-30")
    response = await client.delete(
        f"/api/v1/subscriptions/{row.id}", token=admin, params={"reason": "mistake"}
    )
    assert response.status_code == 200, response.text
    return row.id, "2024-01-01 · 2024-06-30", "mistake"


async def deleted_source(client, admin):
    row = await given_source(client, admin)
    response = await client.delete(
        f"/api/v1/data-sources/{row['id']}", token=admin, params={"reason": "vendor gone"}
    )
    assert response.status_code == 200, response.text
    return row["id"], "vendor-a · http_json", "vendor gone"


async def deleted_mapping(client, admin):
    source = await given_source(client, admin)
    customer = await make_customer()
    row = await given_mapping(client, admin, source["id"], customer.id, "ACCT-1")
    response = await client.delete(
        f"/api/v1/data-sources/{source['id']}/accounts/{row['id']}", token=admin, params={"reason": "moved"}
    )
    assert response.status_code == 200, response.text
    return row["id"], "ACCT-1", "moved"


async def deleted_channel(client, admin):
    row = await make_channel("sms", name="old-sms")
    response = await client.delete(
        f"/api/v1/notification-channels/{row.id}", token=admin, params={"reason": "provider changed"}
    )
    assert response.status_code == 200, response.text
    return row.id, "old-sms · sms", "provider changed"


async def deleted_template(client, admin):
    row = await make_template(code="old_tpl")
    response = await client.delete(
        f"/api/v1/notification-templates/{row.id}", token=admin, params={"reason": "unused"}
    )
    assert response.status_code == 200, response.text
    return row.id, "old_tpl · 测试模板", "unused"


async def deleted_user(client, admin):
    row = await make_user("operator", username="leaver", display_name="Leaver")
    response = await client.delete(f"/api/v1/users/{row.id}", token=admin)
    assert response.status_code == 200, response.text
    return row.id, "leaver · Leaver", ""


async def deleted_statement_profile(client, admin):
    made = await client.post(
        "/api/v1/bank-statement-profiles",
        token=admin,
        json={"name": "old-map", "base_profile": "icbc", "mapping": {"serial": "凭证号"}},
    )
    assert made.status_code == 201, made.text
    response = await client.delete(
        f"/api/v1/bank-statement-profiles/{made.json()['id']}", token=admin, params={"reason": "bank changed"}
    )
    assert response.status_code == 200, response.text
    return made.json()["id"], "old-map · icbc", "bank changed"


async def deleted_alert_rule(client, admin):
    made = await client.post(
        "/api/v1/alert-rules", token=admin, json={"name": "old-rule", "kind": "job_failed", "threshold": "1"}
    )
    assert made.status_code == 201, made.text
    response = await client.delete(
        f"/api/v1/alert-rules/{made.json()['id']}", token=admin, params={"reason": "noisy"}
    )
    assert response.status_code == 200, response.text
    return made.json()["id"], "old-rule · job_failed", "noisy"


KINDS = {
    "customer": (deleted_customer, Customer),
    "usage_metric": (deleted_metric, UsageMetric),
    "pricing_plan": (deleted_plan, PricingPlan),
    "subscription": (deleted_subscription, Subscription),
    "data_source": (deleted_source, DataSource),
    "customer_source_account": (deleted_mapping, CustomerSourceAccount),
    "notification_channel": (deleted_channel, NotificationChannel),
    "notification_template": (deleted_template, NotificationTemplate),
    "alert_rule": (deleted_alert_rule, AlertRule),
    "user": (deleted_user, None),
    "bank_statement_profile": (deleted_statement_profile, BankStatementProfile),
}


async def restore(client, token, kind: str, record_id: int):
    return await client.post(f"{DELETED}/{kind}/{record_id}/restore", token=token)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_each_kind_is_listed_with_who_when_why_and_restored_by_an_admin(client, admin, auditor, kind):
    # given a record of this kind deleted by the admin
    make, _model = KINDS[kind]
    record_id, label, reason = await make(client, admin)

    # when the auditor lists the deleted records of that kind
    listed = await client.get(DELETED, token=auditor, params={"entity": kind})

    # then the row is there with its label, who, when and why, and the record as it was
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["id"], i["label"], i["reason"]) for i in items] == [(record_id, label, reason)]
    assert items[0]["kind"] == kind and items[0]["deleted_at"]
    assert items[0]["deleted_by"] == ("system:root-admin" if kind == "usage_metric" else "root-admin")
    assert items[0]["record"]["id"] == record_id and items[0]["record"]["is_deleted"] is True
    assert list(items[0]["record"])[-3:] == ["is_deleted", "deleted_at", "deleted_by"]

    # the auditor may not restore; the admin may, and the restore is audited
    refused = await restore(client, auditor, kind, record_id)
    assert refused.status_code == 403, refused.text
    restored = await restore(client, admin, kind, record_id)
    assert restored.status_code == 200, restored.text
    assert restored.json()["id"] == record_id and restored.json()["reason"] == reason
    entity = "user" if kind == "user" else kind
    actions = await AuditLog.filter(entity_type=entity, entity_id=str(record_id)).values_list(
        "action", "actor"
    )
    assert ("restore", "root-admin") in actions
    after = await client.get(DELETED, token=auditor, params={"entity": kind})
    assert after.json()["items"] == []

    # restoring it again is a 409 not_deleted
    again = await restore(client, admin, kind, record_id)
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_deleted"


@pytest.mark.parametrize("role", ["operator", "finance"])
async def test_operators_and_finance_do_not_see_deleted_records(client, role):
    token = await token_for(role)
    assert (await client.get(DELETED, token=token, params={"entity": "customer"})).status_code == 403
    assert (await client.get(f"{DELETED}/kinds", token=token)).status_code == 403
    assert (await restore(client, token, "customer", 1)).status_code == 403


async def test_the_kinds_say_how_many_are_deleted_and_whether_codes_are_freed(client, admin, auditor):
    await deleted_plan(client, admin)
    await deleted_customer(client, admin)
    kinds = {k["kind"]: k for k in (await client.get(f"{DELETED}/kinds", token=auditor)).json()["items"]}
    assert set(kinds) == set(KINDS)
    assert kinds["pricing_plan"]["count"] == 1 and kinds["pricing_plan"]["codes_freed"] is False
    assert kinds["customer"]["count"] == 1 and kinds["customer"]["codes_freed"] is True
    assert kinds["customer"]["unique_fields"] == ["customer_code", "company_name"]
    assert kinds["user"]["count"] == 0


async def test_an_unknown_kind_or_id_is_404(client, admin, auditor):
    listed = await client.get(DELETED, token=auditor, params={"entity": "invoice"})
    assert listed.status_code == 404 and listed.json()["error"]["code"] == "unknown_deleted_kind"
    assert (await restore(client, admin, "invoice", 1)).status_code == 404
    missing = await restore(client, admin, "customer", 999999)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "customer_not_found"


async def test_a_live_record_is_not_restored(client, admin):
    customer = await make_customer()
    response = await restore(client, admin, "customer", customer.id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_deleted"


async def test_secrets_are_masked_in_the_record_as_it_was(client, admin, auditor):
    await deleted_source(client, admin)
    await make_channel(
        "wecom_bot", name="bot", secrets={"webhook_url": "https://example.test/hook?key=s3cr3t"}
    )
    channel = await NotificationChannel.get(name="bot")
    await client.delete(f"/api/v1/notification-channels/{channel.id}", token=admin)
    for kind in ("data_source", "notification_channel"):
        body = (await client.get(DELETED, token=auditor, params={"entity": kind})).json()
        record = body["items"][0]["record"]
        assert record["secrets_encrypted"] == "***"
        assert SECRET not in str(body) and "s3cr3t" not in str(body)


async def test_the_list_searches_and_pages(client, admin, auditor):
    for n in range(3):
        customer = await make_customer(customer_code=f"DEL-{n}")
        await client.delete(f"/api/v1/customers/{customer.id}", token=admin, params={"reason": f"r{n}"})
    page = (await client.get(DELETED, token=auditor, params={"entity": "customer", "page_size": 2})).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    found = (await client.get(DELETED, token=auditor, params={"entity": "customer", "q": "del-1"})).json()
    assert [i["reason"] for i in found["items"]] == ["r1"]


# --- freed codes: re-create is allowed, restore then answers 409 restore_conflict ---------------
async def test_a_customers_freed_code_taken_again_makes_its_restore_a_409(client, admin):
    record_id, _label, _reason = await deleted_customer(client, admin)
    again = await client.post(
        "/api/v1/customers", token=admin, json={"customer_code": "gone-1", "company_name": "新客户有限公司"}
    )
    assert again.status_code == 201, again.text

    response = await restore(client, admin, "customer", record_id)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "restore_conflict"
    assert error["details"][0]["field"] == "customer_code" and "GONE-1" in error["message"]
    # the parameters as the message says them (the field by its name in the reader's language)
    assert error["params"]["field"] == "customer code" and error["params"]["value"] == "GONE-1"
    assert error["params"]["kind"] == "customer"
    assert await Customer.with_deleted().filter(id=record_id, is_deleted=True).exists()
    # and in Chinese the kind and the field are named in Chinese
    chinese = await client.post(
        f"/api/v1/deleted-records/customer/{record_id}/restore",
        token=admin,
        headers={"Accept-Language": "zh-CN"},
    )
    assert chinese.status_code == 409
    assert chinese.json()["error"]["message"].startswith("无法恢复：客户的客户编号“GONE-1”"), chinese.text


async def test_a_mappings_freed_account_taken_again_makes_its_restore_a_409(client, admin):
    record_id, _label, _reason = await deleted_mapping(client, admin)
    mapping = await CustomerSourceAccount.with_deleted().get(id=record_id)
    other = await make_customer()
    await given_mapping(client, admin, mapping.source_id, other.id, "acct-1")

    response = await restore(client, admin, "customer_source_account", record_id)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "restore_conflict" and error["details"][0]["field"] == "external_account"
    assert "ACCT-1" in error["message"]


# --- kept codes: re-create is a 409 naming the deleted record, which restores cleanly -----------
async def test_a_deleted_plan_keeps_its_code_and_re_create_names_it(client, admin):
    record_id, _label, _reason = await deleted_plan(client, admin)
    plan = await PricingPlan.with_deleted().get(id=record_id).prefetch_related("metric")

    again = await client.post(
        "/api/v1/pricing-plans",
        token=admin,
        json={
            "code": "OLD-PLAN",
            "name": "again",
            "metric": plan.metric.code,
            "mode": "per_unit",
            "unit_price": "1",
        },
    )

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "pricing_plan_duplicate"
    assert f"by deleted plan {record_id}" in again.json()["error"]["message"]
    assert (await restore(client, admin, "pricing_plan", record_id)).status_code == 200


async def test_a_deleted_metric_keeps_its_code_and_re_create_names_it(client, admin):
    record_id, _label, _reason = await deleted_metric(client, admin)
    again = await client.post(
        "/api/v1/usage-metrics", token=admin, json={"code": "old_metric", "name": "x", "unit": "次"}
    )
    assert again.status_code == 409 and f"by deleted metric {record_id}" in again.json()["error"]["message"]


@pytest.mark.parametrize(
    ("kind", "path", "body"),
    [
        ("notification_template", "/api/v1/notification-templates", {"code": "old_tpl", "body": "hi"}),
        (
            "notification_channel",
            "/api/v1/notification-channels",
            {"name": "old-sms", "kind": "sms", "secrets": {}},
        ),
    ],
)
async def test_deleted_templates_and_channels_keep_their_code_or_name(client, admin, kind, path, body):
    make, _model = KINDS[kind]
    record_id, _label, _reason = await make(client, admin)
    again = await client.post(path, token=admin, json=body)
    assert again.status_code == 409, again.text
    assert (
        "deleted" in again.json()["error"]["message"] and str(record_id) in again.json()["error"]["message"]
    )
    assert (await restore(client, admin, kind, record_id)).status_code == 200


# --- what a restore needs besides its codes ------------------------------------------------------
async def test_a_template_is_not_restored_while_its_channel_is_deleted(client, admin):
    channel = await make_channel("sms", name="c1")
    template = await make_template(channel, code="t1")
    await client.delete(f"/api/v1/notification-templates/{template.id}", token=admin)
    await client.delete(f"/api/v1/notification-channels/{channel.id}", token=admin)

    response = await restore(client, admin, "notification_template", template.id)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "restore_parent_deleted" and error["details"][0]["field"] == "channel_id"
    assert (await restore(client, admin, "notification_channel", channel.id)).status_code == 200
    assert (await restore(client, admin, "notification_template", template.id)).status_code == 200


async def test_a_subscription_is_not_restored_over_one_made_since(client, admin):
    record_id, _label, _reason = await deleted_subscription(client, admin)
    old = await Subscription.with_deleted().get(id=record_id)
    customer = await Customer.get(id=old.customer_id)
    plan = await PricingPlan.get(id=old.plan_id)
    await make_subscription(customer, plan, effective_from="2024-03-01")

    response = await restore(client, admin, "subscription", record_id)

    assert response.status_code == 409 and response.json()["error"]["code"] == "subscription_overlap"
    assert await Subscription.with_deleted().filter(id=record_id, is_deleted=True).exists()
