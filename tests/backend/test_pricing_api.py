"""Pricing through the HTTP API: metrics, plans and their dated versions (billed versions are
frozen), subscriptions without overlaps, previews to the cent, audit rows for every write."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from opcms.core.audit import AuditLog
from opcms.core.context import acting_as, system_actor
from opcms.core.errors import Conflict
from opcms.pricing import service
from opcms.pricing.models import PricingPlan, PricingPlanVersion, Subscription, UsageMetric
from opcms.pricing.schemas import SubscriptionCreate
from tests.backend.factories import make_customer, make_metric, make_plan, make_subscription, token_for

API = "/api/v1"
PER_UNIT = {"mode": "per_unit", "unit_price": "0.010000"}
GRADUATED = {
    "mode": "graduated",
    "tiers": [
        {"up_to": "10000", "unit_price": "0.010000", "flat_fee": "0"},
        {"up_to": None, "unit_price": "0.008000", "flat_fee": "0"},
    ],
}


@pytest.fixture
async def finance(db):
    return await token_for("finance")


async def audit_actions(entity: str, entity_id) -> list[str]:
    return (
        await AuditLog.filter(entity_type=entity, entity_id=str(entity_id))
        .order_by("id")
        .values_list("action", flat=True)
    )


async def post_plan(client, token, **fields):
    body = {
        "code": "API-STD",
        "name": "API 标准价",
        "metric": "api_calls",
        "effective_from": "2024-01-01",
        **PER_UNIT,
        **fields,
    }
    return await client.post(f"{API}/pricing-plans", token=token, json=body)


# --- metrics ------------------------------------------------------------------------------------
async def test_metrics_are_created_listed_renamed_and_retired(client, finance):
    # when finance adds a metric
    created = await client.post(
        f"{API}/usage-metrics", token=finance, json={"code": "api_calls", "name": "API 调用", "unit": "次"}
    )
    # then it is listed, active, with an audit row
    assert created.status_code == 201, created.text
    metric = created.json()
    assert (metric["code"], metric["unit"], metric["is_active"]) == ("api_calls", "次", True)
    listed = (await client.get(f"{API}/usage-metrics", token=finance, params={"q": "api"})).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == metric["id"]
    # and a rename and a retirement are audited updates
    patched = await client.patch(
        f"{API}/usage-metrics/{metric['id']}", token=finance, json={"name": "接口调用", "is_active": False}
    )
    assert (
        patched.status_code == 200
        and patched.json()["name"] == "接口调用"
        and not patched.json()["is_active"]
    )
    assert await audit_actions("usage_metric", metric["id"]) == ["create", "update"]
    # and a retired metric takes no new plan
    refused = await post_plan(client, finance)
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["field"] == "metric"


@pytest.mark.parametrize("code", ["API_calls", "1calls", "", "a" * 33, "api-calls"])
async def test_a_metric_code_is_lower_snake_case(client, finance, code):
    response = await client.post(
        f"{API}/usage-metrics", token=finance, json={"code": code, "name": "x", "unit": "次"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "code"


async def test_a_duplicate_metric_code_is_409(client, finance):
    await make_metric("sms")
    response = await client.post(
        f"{API}/usage-metrics", token=finance, json={"code": "sms", "name": "短信", "unit": "条"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "usage_metric_duplicate"
    assert await UsageMetric.all().count() == 1


# --- plans --------------------------------------------------------------------------------------
async def test_a_plan_is_created_with_version_1_and_listed_with_its_current_and_latest_version(
    client, finance
):
    # given a metric
    await make_metric("api_calls")
    # when finance creates a graduated plan from a plan document
    response = await post_plan(
        client, finance, **{"mode": "graduated", "unit_price": None, **GRADUATED}, monthly_fee="100"
    )
    # then the plan has version 1 with the terms, money as strings
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["metric"] == "api_calls" and plan["currency"] == "CNY"
    [v1] = plan["versions"]
    assert (v1["version"], v1["effective_from"], v1["mode"], v1["billed_at"]) == (
        1,
        "2024-01-01",
        "graduated",
        None,
    )
    assert [t["up_to"] for t in v1["tiers"]] == ["10000", None]
    assert Decimal(v1["tiers"][1]["unit_price"]) == Decimal("0.008")
    assert Decimal(v1["monthly_fee"]) == Decimal("100")
    assert plan["current_version"]["id"] == plan["latest_version"]["id"] == v1["id"]
    assert await audit_actions("pricing_plan", plan["id"]) == ["create"]
    assert await audit_actions("pricing_plan_version", v1["id"]) == ["create"]

    # when a later version is added for a day far ahead
    later = await client.post(
        f"{API}/pricing-plans/{plan['id']}/versions",
        token=finance,
        json={**PER_UNIT, "effective_from": "2999-01-01"},
    )
    assert later.status_code == 201, later.text
    # then the list shows version 1 as current and version 2 as the latest
    listed = (
        await client.get(f"{API}/pricing-plans", token=finance, params={"metric": "api_calls", "q": "std"})
    ).json()
    assert listed["total"] == 1
    [item] = listed["items"]
    assert (item["current_version"]["version"], item["latest_version"]["version"]) == (1, 2)
    assert (await client.get(f"{API}/pricing-plans", token=finance, params={"metric": "sms"})).json()[
        "total"
    ] == 0
    assert (await client.get(f"{API}/pricing-plans", token=finance, params={"q": "nothing"})).json()[
        "total"
    ] == 0


async def test_a_plan_starts_today_by_default_and_its_code_is_unique(client, finance, settings):
    await make_metric("api_calls")
    created = await post_plan(client, finance, effective_from=None)
    assert created.status_code == 201
    assert created.json()["versions"][0]["effective_from"] == dt.datetime.now(settings.tz).date().isoformat()
    again = await post_plan(client, finance, name="另一个")
    assert again.status_code == 409 and again.json()["error"]["code"] == "pricing_plan_duplicate"


async def test_a_plan_document_for_an_unknown_metric_is_422(client, finance):
    response = await post_plan(client, finance, metric="nothing")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "metric"
    assert await PricingPlan.all().count() == 0


@pytest.mark.parametrize(
    "tiers, tier",
    [
        # bounds not strictly ascending: the second tier is named
        (
            [
                {"up_to": "100", "unit_price": "1", "flat_fee": "0"},
                {"up_to": "100", "unit_price": "1", "flat_fee": "0"},
                {"up_to": None, "unit_price": "1", "flat_fee": "0"},
            ],
            1,
        ),
        # the last tier is not open-ended
        (
            [
                {"up_to": "100", "unit_price": "1", "flat_fee": "0"},
                {"up_to": "200", "unit_price": "1", "flat_fee": "0"},
            ],
            1,
        ),
        # a negative price
        (
            [
                {"up_to": "100", "unit_price": "1", "flat_fee": "0"},
                {"up_to": None, "unit_price": "-1", "flat_fee": "0"},
            ],
            1,
        ),
    ],
)
async def test_bad_tiers_are_422_naming_the_tier(client, finance, tiers, tier):
    await make_metric("api_calls")
    response = await post_plan(client, finance, mode="graduated", unit_price=None, tiers=tiers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    named = " ".join([error["message"], *(f"{d['field']} {d['message']}" for d in error["details"])])
    assert f"tiers.{tier}" in named or f"tier {tier + 1}" in named or f"tier {tier}" in named, error
    assert await PricingPlan.all().count() == 0


async def test_name_and_description_change_but_not_terms(client, finance):
    plan = await make_plan()
    renamed = await client.patch(
        f"{API}/pricing-plans/{plan.id}", token=finance, json={"name": "新名字", "description": "说明"}
    )
    assert (
        renamed.status_code == 200
        and renamed.json()["name"] == "新名字"
        and renamed.json()["description"] == "说明"
    )
    terms = await client.patch(f"{API}/pricing-plans/{plan.id}", token=finance, json={"unit_price": "1"})
    assert terms.status_code == 422
    assert await audit_actions("pricing_plan", plan.id) == ["create", "update"]


# --- versions -----------------------------------------------------------------------------------
async def test_a_billed_version_is_frozen_and_new_terms_make_a_new_version(client, finance):
    # given a plan whose version 1 (from 2024-01-01) an invoice has used
    plan = await make_plan(effective_from=dt.date(2024, 1, 1))
    v1 = await PricingPlanVersion.get(plan_id=plan.id)
    v1.billed_at = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
    await v1.save()
    versions = f"{API}/pricing-plans/{plan.id}/versions"
    # when new terms are given for the billed version's own date
    same_day = await client.post(
        versions,
        token=finance,
        json={"mode": "per_unit", "unit_price": "0.02", "effective_from": "2024-01-01"},
    )
    # then 409: the issued invoice keeps its version
    assert same_day.status_code == 409, same_day.text
    assert same_day.json()["error"]["code"] == "version_billed"
    assert "version 1 was billed; give a later effective_from" in same_day.json()["error"]["message"]
    # and an earlier date is refused too
    earlier = await client.post(
        versions,
        token=finance,
        json={"mode": "per_unit", "unit_price": "0.02", "effective_from": "2023-06-01"},
    )
    assert earlier.status_code == 409
    # when the new terms start later
    later = await client.post(
        versions,
        token=finance,
        json={"mode": "per_unit", "unit_price": "0.02", "effective_from": "2024-02-01"},
    )
    # then they are version 2 and version 1 is untouched
    assert later.status_code == 201, later.text
    assert (later.json()["version"], later.json()["effective_from"]) == (2, "2024-02-01")
    await v1.refresh_from_db()
    assert v1.unit_price == Decimal("0.01")
    listed = (await client.get(versions, token=finance)).json()["items"]
    assert [(v["version"], v["unit_price"]) for v in listed] == [(1, "0.010000"), (2, "0.020000")]


async def test_an_unbilled_version_is_edited_in_place_for_its_own_date(client, finance):
    # given a plan with an unbilled version 2 from 2024-03-01
    plan = await make_plan(effective_from=dt.date(2024, 1, 1))
    versions = f"{API}/pricing-plans/{plan.id}/versions"
    v2 = (
        await client.post(versions, token=finance, json={**PER_UNIT, "effective_from": "2024-03-01"})
    ).json()
    # when other terms are given for that same date
    edited = await client.post(
        versions,
        token=finance,
        json={
            "metric": plan.metric.code,
            "mode": "package",
            "package_size": "1000",
            "package_price": "8",
            "effective_from": "2024-03-01",
        },
    )
    # then the same version (number and row) carries the new terms, and the edit is audited
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["id"], body["version"], body["mode"]) == (v2["id"], 2, "package")
    assert Decimal(body["package_size"]) == 1000 and Decimal(body["package_price"]) == 8
    assert await PricingPlanVersion.filter(plan_id=plan.id).count() == 2
    assert await audit_actions("pricing_plan_version", v2["id"]) == ["create", "update"]
    audit = await AuditLog.filter(
        entity_type="pricing_plan_version", entity_id=str(v2["id"]), action="update"
    ).first()
    assert audit.before["mode"] == "per_unit" and audit.after["mode"] == "package"


async def test_a_version_cannot_change_the_metric(client, finance):
    plan = await make_plan("api_calls")
    await make_metric("sms")
    response = await client.post(
        f"{API}/pricing-plans/{plan.id}/versions",
        token=finance,
        json={**PER_UNIT, "metric": "sms", "effective_from": "2030-01-01"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "metric"
    assert await PricingPlanVersion.filter(plan_id=plan.id).count() == 1


async def test_versions_of_a_missing_plan_are_404(client, finance):
    response = await client.post(f"{API}/pricing-plans/999999/versions", token=finance, json={**PER_UNIT})
    assert response.status_code == 404 and response.json()["error"]["code"] == "pricing_plan_not_found"


async def test_billing_reads_the_version_in_force_and_freezes_it(db):
    # given versions from 2024-01-01 and 2024-07-01
    plan = await make_plan(effective_from=dt.date(2024, 1, 1))
    from opcms.pricing.schemas import VersionCreate

    with acting_as(system_actor("test")):
        v2, created = await service.add_version(
            plan.id, VersionCreate(mode="per_unit", unit_price="0.02", effective_from="2024-07-01")
        )
    assert created
    # then each day is priced by the latest version starting on or before it
    assert await service.version_in_force(plan.id, dt.date(2023, 12, 31)) is None
    assert (await service.version_in_force(plan.id, dt.date(2024, 6, 30))).version == 1
    assert (await service.version_in_force(plan.id, dt.date(2024, 7, 1))).version == 2
    terms = service.terms_of(v2)
    assert terms.unit_price == Decimal("0.02")
    # and marking versions billed freezes those not frozen yet, once
    with acting_as(system_actor("billing")):
        assert await service.mark_billed([v2.id, v2.id]) == 1
        assert await service.mark_billed([v2.id]) == 0
    assert (await PricingPlanVersion.get(id=v2.id)).billed_at is not None
    assert await audit_actions("pricing_plan_version", v2.id) == ["create", "update"]


async def test_a_plan_in_use_cannot_be_deleted_until_its_subscriptions_end(client, finance):
    subscription = await make_subscription(effective_from="2024-01-01")
    plan_url = f"{API}/pricing-plans/{subscription.plan_id}"
    refused = await client.delete(plan_url, token=finance)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "pricing_plan_in_use"
    # an ended subscription keeps its history and no longer blocks
    ended = await client.patch(
        f"{API}/subscriptions/{subscription.id}", token=finance, json={"effective_to": "2024-03-31"}
    )
    assert ended.status_code == 200, ended.text
    deleted = await client.delete(plan_url, token=finance, params={"reason": "退役"})
    assert deleted.status_code == 200
    assert (await client.get(f"{API}/pricing-plans", token=finance)).json()["total"] == 0
    assert await audit_actions("pricing_plan", subscription.plan_id) == ["create", "delete"]
    # and the ended subscription still shows its (deleted) plan; it cannot be reopened
    listed = (await client.get(f"{API}/subscriptions", token=finance)).json()["items"]
    assert listed[0]["plan_id"] == subscription.plan_id
    reopened = await client.patch(
        f"{API}/subscriptions/{subscription.id}", token=finance, json={"effective_to": None}
    )
    assert reopened.status_code == 409


# --- subscriptions ------------------------------------------------------------------------------
async def post_subscription(client, token, customer, plan, effective_from, effective_to=None, **extra):
    body = {
        "customer_id": customer.id,
        "plan_id": plan.id,
        "effective_from": effective_from,
        "effective_to": effective_to,
        **extra,
    }
    return await client.post(f"{API}/subscriptions", token=token, json=body)


async def test_a_subscription_takes_the_metric_of_its_plan(client, finance):
    customer = await make_customer()
    plan = await make_plan("api_calls", effective_from=dt.date(2024, 1, 1))
    response = await post_subscription(
        client, finance, customer, plan, "2024-01-01", None, discount_percent="12.5", remark="年框"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["metric"], body["plan_code"], body["customer_code"]) == (
        "api_calls",
        plan.code,
        customer.customer_code,
    )
    assert (body["discount_percent"], body["effective_to"]) == ("12.50", None)
    assert await audit_actions("subscription", body["id"]) == ["create"]
    # listed by customer, metric, plan and day
    for params, total in [
        ({"customer_id": customer.id}, 1),
        ({"metric": "api_calls"}, 1),
        ({"metric": "sms"}, 0),
        ({"plan_id": plan.id}, 1),
        ({"active_on": "2023-12-31"}, 0),
        ({"active_on": "2099-01-01"}, 1),
    ]:
        assert (await client.get(f"{API}/subscriptions", token=finance, params=params)).json()[
            "total"
        ] == total, params


@pytest.mark.parametrize(
    "existing, new",
    [
        (("2024-01-01", "2024-06-30"), ("2024-06-30", "2024-12-31")),  # the new one starts on the last day
        (("2024-01-01", "2024-06-30"), ("2023-01-01", "2024-01-01")),  # ends on the first day
        (("2024-01-01", "2024-06-30"), ("2024-02-01", "2024-02-29")),  # inside
        (("2024-01-01", "2024-06-30"), ("2023-01-01", None)),  # contains it, open-ended
        (("2024-01-01", "2024-06-30"), ("2024-03-01", None)),  # open-ended from inside
        (("2024-01-01", None), ("2030-01-01", "2030-01-31")),  # the existing one is open-ended
        (("2024-01-01", None), ("2020-01-01", None)),  # both open-ended
    ],
)
async def test_overlapping_subscriptions_for_one_customer_and_metric_are_409(client, finance, existing, new):
    customer = await make_customer()
    plan = await make_plan("api_calls", effective_from=dt.date(2020, 1, 1))
    other_plan = await make_plan("api_calls", effective_from=dt.date(2020, 1, 1))
    first = await post_subscription(client, finance, customer, plan, *existing)
    assert first.status_code == 201, first.text
    response = await post_subscription(client, finance, customer, other_plan, *new)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "subscription_overlap"
    assert f"subscription {first.json()['id']}" in error["message"]
    assert await Subscription.all().count() == 1


@pytest.mark.parametrize(
    "existing, new",
    [
        (("2024-01-01", "2024-06-30"), ("2024-07-01", None)),
        (("2024-01-01", "2024-06-30"), ("2023-01-01", "2023-12-31")),
        (("2024-07-01", None), ("2024-01-01", "2024-06-30")),
    ],
)
async def test_adjacent_subscriptions_do_not_overlap(client, finance, existing, new):
    customer = await make_customer()
    plan = await make_plan("api_calls", effective_from=dt.date(2020, 1, 1))
    assert (await post_subscription(client, finance, customer, plan, *existing)).status_code == 201
    assert (await post_subscription(client, finance, customer, plan, *new)).status_code == 201


async def test_overlaps_only_count_the_same_customer_and_metric_and_live_subscriptions(client, finance):
    customer, other_customer = await make_customer(), await make_customer()
    calls = await make_plan("api_calls", effective_from=dt.date(2024, 1, 1))
    sms = await make_plan("sms", effective_from=dt.date(2024, 1, 1))
    first = await post_subscription(client, finance, customer, calls, "2024-01-01")
    assert (await post_subscription(client, finance, customer, sms, "2024-01-01")).status_code == 201
    assert (await post_subscription(client, finance, other_customer, calls, "2024-01-01")).status_code == 201
    # a deleted subscription no longer blocks
    assert (
        await client.delete(f"{API}/subscriptions/{first.json()['id']}", token=finance)
    ).status_code == 200
    assert (await post_subscription(client, finance, customer, calls, "2024-01-01")).status_code == 201
    assert await audit_actions("subscription", first.json()["id"]) == ["create", "delete"]


async def test_one_subscription_is_read_by_id_until_it_is_deleted(client, finance):
    # given a subscription, and the same one once deleted
    customer = await make_customer()
    plan = await make_plan("api_calls", effective_from=dt.date(2024, 1, 1))
    created = (
        await post_subscription(client, finance, customer, plan, "2024-01-01", discount_percent="5")
    ).json()
    url = f"{API}/subscriptions/{created['id']}"
    # when it is read by id, then it answers as the list does: its customer, metric and plan named
    read = await client.get(url, token=finance)
    assert read.status_code == 200 and read.json() == created
    assert (read.json()["customer_code"], read.json()["metric"], read.json()["plan_name"]) == (
        customer.customer_code,
        "api_calls",
        plan.name,
    )
    deleted = await client.delete(url, token=finance)
    assert deleted.status_code == 200 and deleted.json()["id"] == created["id"]
    # and once deleted it is read no more: a 404, like an id never given (the spec's use after free)
    gone = await client.get(url, token=finance)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "subscription_not_found")
    # and an id that was never given is a 404 naming the subscription
    missing = await client.get(f"{API}/subscriptions/{created['id'] + 1000}", token=finance)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "subscription_not_found")


async def test_extending_a_subscription_into_another_is_409(client, finance):
    customer = await make_customer()
    plan = await make_plan("api_calls", effective_from=dt.date(2024, 1, 1))
    first = (await post_subscription(client, finance, customer, plan, "2024-01-01", "2024-06-30")).json()
    await post_subscription(client, finance, customer, plan, "2024-07-01", None)
    url = f"{API}/subscriptions/{first['id']}"
    assert (await client.patch(url, token=finance, json={"effective_to": "2024-07-01"})).status_code == 409
    assert (await client.patch(url, token=finance, json={"effective_to": None})).status_code == 409
    shorter = await client.patch(
        url, token=finance, json={"effective_to": "2024-05-31", "discount_percent": "5"}
    )
    assert shorter.status_code == 200 and shorter.json()["discount_percent"] == "5.00"
    before = await client.patch(url, token=finance, json={"effective_to": "2023-12-31"})
    assert before.status_code == 422 and before.json()["error"]["details"][0]["field"] == "effective_to"
    assert await audit_actions("subscription", first["id"]) == ["create", "update"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"effective_from": "2024-02-01", "effective_to": "2024-01-31"}, "effective_to"),
        ({"discount_percent": "100.01"}, "discount_percent"),
        ({"discount_percent": "-1"}, "discount_percent"),
        ({"discount_percent": "10.001"}, "discount_percent"),
        ({"effective_from": "2023-12-31"}, "effective_from"),  # before the plan's first version
    ],
)
async def test_bad_subscription_fields_are_422(client, finance, fields, field):
    customer = await make_customer()
    plan = await make_plan(effective_from=dt.date(2024, 1, 1))
    body = {"customer_id": customer.id, "plan_id": plan.id, "effective_from": "2024-01-01", **fields}
    response = await client.post(f"{API}/subscriptions", token=finance, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field


async def test_a_deleted_customer_or_plan_takes_no_subscription(client, finance):
    customer = await make_customer()
    plan = await make_plan(effective_from=dt.date(2024, 1, 1))
    with acting_as(system_actor("test")):
        await customer.soft_delete()
    response = await post_subscription(client, finance, customer, plan, "2024-01-01")
    assert response.status_code == 404 and response.json()["error"]["code"] == "customer_not_found"
    live = await make_customer()
    assert (await client.delete(f"{API}/pricing-plans/{plan.id}", token=finance)).status_code == 200
    response = await post_subscription(client, finance, live, plan, "2024-01-01")
    assert response.status_code == 404 and response.json()["error"]["code"] == "pricing_plan_not_found"


async def test_a_deleted_customers_subscription_can_be_ended_but_not_extended(client, finance):
    subscription = await make_subscription(effective_from="2024-01-01", effective_to="2024-12-31")
    customer = await subscription.customer
    with acting_as(system_actor("test")):
        await customer.soft_delete()
    url = f"{API}/subscriptions/{subscription.id}"
    extended = await client.patch(url, token=finance, json={"effective_to": None})
    assert extended.status_code == 409 and extended.json()["error"]["code"] == "customer_deleted"
    ended = await client.patch(url, token=finance, json={"effective_to": "2024-06-30", "remark": "客户注销"})
    assert ended.status_code == 200, ended.text
    assert (ended.json()["effective_to"], ended.json()["remark"]) == ("2024-06-30", "客户注销")


async def test_two_concurrent_overlapping_creates_make_one_subscription(db):
    """The customer row is locked before the overlap check: on MySQL/MariaDB the second
    transaction waits at SELECT … FOR UPDATE and then sees the first one's row. On SQLite
    Tortoise runs one transaction at a time on its single connection (an asyncio lock), so
    the same holds; both databases run this test."""
    customer = await make_customer()
    plan_a = await make_plan("api_calls", effective_from=dt.date(2024, 1, 1))
    plan_b = await make_plan("api_calls", effective_from=dt.date(2024, 1, 1))

    async def create(plan, start):
        with acting_as(system_actor("test")):
            return await service.create_subscription(
                SubscriptionCreate(customer_id=customer.id, plan_id=plan.id, effective_from=start)
            )

    for _ in range(3):
        results = await asyncio.gather(
            create(plan_a, "2024-01-01"), create(plan_b, "2024-03-01"), return_exceptions=True
        )
        made = [r for r in results if isinstance(r, Subscription)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(made) == 1 and len(refused) == 1, results
        assert refused[0].code == "subscription_overlap"
        assert await Subscription.filter(customer_id=customer.id).count() == 1
        with acting_as(system_actor("test")):
            await made[0].soft_delete()


# --- preview ------------------------------------------------------------------------------------
async def test_preview_of_a_plan_document_is_the_invoice_line_to_the_cent(client, finance):
    body = {"plan": {"metric": "api_calls", "unit_price": None, **GRADUATED}, "quantity": "12345.5"}
    response = await client.post(f"{API}/pricing/preview", token=finance, json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    # 10000 × 0.01 + 2345.5 × 0.008 = 100 + 18.764 = 118.764 → 118.76
    assert result["amount"] == "118.76"
    assert [Decimal(b["quantity"]) for b in result["breakdown"]] == [Decimal("10000"), Decimal("2345.5")]
    assert result.get("plan_version") is None


async def test_preview_of_a_stored_plan_uses_the_version_in_force_on_the_day(client, finance):
    plan = await make_plan(effective_from=dt.date(2024, 1, 1))
    await client.post(
        f"{API}/pricing-plans/{plan.id}/versions",
        token=finance,
        json={"mode": "per_unit", "unit_price": "0.012", "effective_from": "2024-07-01"},
    )
    preview = f"{API}/pricing/preview"
    june = (
        await client.post(
            preview, token=finance, json={"plan_id": plan.id, "on": "2024-06-30", "quantity": "1001"}
        )
    ).json()
    july = (
        await client.post(
            preview, token=finance, json={"plan_id": plan.id, "on": "2024-07-01", "quantity": "1001"}
        )
    ).json()
    assert (june["amount"], june["plan_version"]) == ("10.01", 1)
    assert (july["amount"], july["plan_version"]) == ("12.01", 2)  # 12.012 → 12.01
    too_early = await client.post(
        preview, token=finance, json={"plan_id": plan.id, "on": "2023-01-01", "quantity": "1"}
    )
    assert too_early.status_code == 422 and too_early.json()["error"]["details"][0]["field"] == "on"


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": "1"},
        {"plan": {"metric": "api_calls", **PER_UNIT}, "plan_id": 1, "quantity": "1"},
        {"plan": {"metric": "api_calls", **PER_UNIT}, "on": "2024-01-01", "quantity": "1"},
    ],
)
async def test_preview_needs_exactly_one_of_plan_and_plan_id(client, finance, body):
    response = await client.post(f"{API}/pricing/preview", token=finance, json=body)
    assert response.status_code == 422, response.text


async def test_an_auditor_reads_pricing_but_cannot_preview(client):
    auditor = await token_for("auditor")
    assert (await client.get(f"{API}/pricing-plans", token=auditor)).status_code == 200
    body = {"plan": {"metric": "api_calls", **PER_UNIT}, "quantity": "1"}
    assert (await client.post(f"{API}/pricing/preview", token=auditor, json=body)).status_code == 403
