"""Customer profiles: rules, uniqueness, filters, status machine, batch, deleted history."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from opcms.core.audit import AuditLog
from opcms.core.settings import business_today
from opcms.customers.models import Customer, CustomerStatus, CustomerStatusHistory
from opcms.customers.status import TRANSITIONS
from tests.backend.factories import credit_code, make_customer, make_user, token_for

CUSTOMERS = "/api/v1/customers"


@pytest.fixture
async def operator(db):
    return await token_for("operator")


async def post_customer(client, token, **fields):
    body = {"customer_code": "ACME-1", "company_name": "艾克米科技（上海）有限公司", **fields}
    return await client.post(CUSTOMERS, token=token, json=body)


# --- create and the field rules -----------------------------------------------------------------
async def test_create_cleans_the_profile_and_records_history_and_audit(client, operator):
    owner = await make_user("operator", username="owner1")
    response = await post_customer(
        client,
        operator,
        customer_code=" ＡＣＭＥ-1 ",
        short_name=" 艾克米 ",
        credit_code=credit_code(7).lower(),
        industry="互联网行业",
        level="重要客户",
        owner_id=owner.id,
        contact_phone="+86 138-0013-8000",
        contact_email="Ops@Example.com",
        signed_at="2024-03-05",
        contract_end_at="2025-03-04",
        payment_terms_days=45,
        credit_limit="50000.5",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["customer_code"] == "ACME-1"
    assert body["company_name"] == "艾克米科技（上海）有限公司"  # stored as written
    assert body["short_name"] == "艾克米" and body["credit_code"] == credit_code(7)
    assert (body["industry"], body["level"]) == ("internet", "A")
    assert body["contact_phone"] == "13800138000"
    assert body["credit_limit"] == "50000.50" and body["payment_terms_days"] == 45
    assert body["status"] == "prospect" and body["owner_id"] == owner.id and body["owner_name"] == "owner1"
    history = await CustomerStatusHistory.filter(customer_id=body["id"]).values_list(
        "from_status", "to_status"
    )
    assert history == [(None, "prospect")]
    audit = await AuditLog.get(entity_type="customer", entity_id=str(body["id"]), action="create")
    assert audit.after["customer_code"] == "ACME-1" and "code_key" not in audit.after


@pytest.mark.parametrize(
    "field, value",
    [
        ("credit_code", "91310000000000007X"),  # wrong check digit
        ("credit_code", "9131000000000000I1"),  # I is not in the charset
        ("contact_phone", "12345"),
        ("contact_email", "not-an-email"),
        ("payment_terms_days", -1),
        ("credit_limit", "-0.01"),
        ("credit_limit", "1.234"),
        ("level", "钻石客户"),
        ("industry", "航天"),
        ("owner_id", 999999),
        ("customer_code", "has space"),
        ("company_name", "   "),
    ],
)
async def test_each_rule_violation_is_422_naming_the_field(client, operator, field, value):
    response = await post_customer(client, operator, **{field: value})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field
    assert not response.json()["error"]["details"][0]["message"].startswith("Value error")
    assert await Customer.all().count() == 0


async def test_contract_may_not_end_before_it_is_signed(client, operator):
    response = await post_customer(client, operator, signed_at="2024-05-01", contract_end_at="2024-04-30")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "contract_end_at"


@pytest.mark.parametrize("seed", [1, 42, 123456789])
def test_generated_credit_codes_pass_and_a_changed_digit_fails(seed):
    from opcms.customers.rules import clean_credit_code

    code = credit_code(seed)
    assert clean_credit_code(code) == code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValueError):
        clean_credit_code(wrong)


def test_a_published_credit_code_is_accepted():
    from opcms.customers.rules import clean_credit_code

    assert clean_credit_code("91350100M000100Y43") == "91350100M000100Y43"


# --- uniqueness ---------------------------------------------------------------------------------
async def test_code_and_folded_name_are_unique_among_live_customers(client, operator):
    assert (
        await post_customer(client, operator, customer_code="A1", company_name="ABC科技（北京）有限公司")
    ).status_code == 201
    same_code = await post_customer(client, operator, customer_code="Ａ１", company_name="别的公司")
    assert same_code.status_code == 409
    assert same_code.json()["error"]["details"][0]["field"] == "customer_code"
    full_width_name = await post_customer(
        client, operator, customer_code="A2", company_name="ＡＢＣ科技(北京)有限公司 "
    )
    assert full_width_name.status_code == 409
    assert full_width_name.json()["error"]["details"][0]["field"] == "company_name"
    lower_code = await post_customer(client, operator, customer_code="a1", company_name="小写编号公司")
    assert lower_code.status_code == 409  # codes are case-free on every database
    case_name = await post_customer(
        client, operator, customer_code="A3", company_name="abc科技(北京)有限公司"
    )
    assert case_name.status_code == 409
    assert await Customer.all().count() == 1


async def test_a_deleted_customer_frees_its_code_and_a_restore_that_would_collide_is_409(client):
    admin = await token_for("admin")
    old = await make_customer(customer_code="DUP", company_name="旧公司")
    assert (await client.delete(f"{CUSTOMERS}/{old.id}", token=admin)).status_code == 200
    new = await post_customer(client, admin, customer_code="DUP", company_name="新公司")
    assert new.status_code == 201
    restore = await client.post(f"{CUSTOMERS}/{old.id}/restore", token=admin)
    assert restore.status_code == 409
    assert (await Customer.with_deleted().get(id=old.id)).is_deleted is True


# --- update -------------------------------------------------------------------------------------
async def test_partial_update_changes_only_what_was_sent_and_audits_the_diff(client, operator):
    customer = await make_customer(contact_name="李四", city="杭州")
    response = await client.patch(
        f"{CUSTOMERS}/{customer.id}", token=operator, json={"city": "宁波", "level": "b级"}
    )
    assert response.status_code == 200
    assert response.json()["city"] == "宁波" and response.json()["level"] == "B"
    assert response.json()["contact_name"] == "李四"
    row = await AuditLog.get(entity_id=str(customer.id), action="update")
    assert row.before == {"city": "杭州", "level": None} and row.after == {"city": "宁波", "level": "B"}


async def test_update_checks_dates_against_the_stored_ones_and_uniqueness(client, operator):
    customer = await make_customer(signed_at=dt.date(2024, 6, 1))
    other = await make_customer()
    early = await client.patch(
        f"{CUSTOMERS}/{customer.id}", token=operator, json={"contract_end_at": "2024-05-31"}
    )
    assert early.status_code == 422
    clash = await client.patch(
        f"{CUSTOMERS}/{customer.id}", token=operator, json={"company_name": other.company_name}
    )
    assert clash.status_code == 409
    status = await client.patch(f"{CUSTOMERS}/{customer.id}", token=operator, json={"status": "active"})
    assert status.status_code == 422  # status moves only through /status


# --- status machine -----------------------------------------------------------------------------
STATUSES = ["prospect", "trial", "active", "suspended", "closed"]
REACH = {
    "prospect": [],
    "trial": ["trial"],
    "active": ["trial", "active"],
    "suspended": ["trial", "active", "suspended"],
    "closed": ["closed"],
}


@pytest.mark.parametrize("current, target", list(itertools.product(STATUSES, STATUSES)))
async def test_every_status_transition_is_allowed_or_409_as_the_machine_says(
    client, operator, current, target
):
    customer = await make_customer()
    for step in REACH[current]:  # walk there through legal moves
        assert (
            await client.post(
                f"{CUSTOMERS}/{customer.id}/status", token=operator, json={"status": step, "reason": "setup"}
            )
        ).status_code == 200
    response = await client.post(
        f"{CUSTOMERS}/{customer.id}/status", token=operator, json={"status": target, "reason": "because"}
    )
    legal = CustomerStatus(target) in TRANSITIONS[CustomerStatus(current)]
    if legal:
        assert response.status_code == 200 and response.json()["status"] == target
        last = await CustomerStatusHistory.filter(customer_id=customer.id).order_by("-id").first()
        assert (last.from_status, last.to_status, last.reason) == (current, target, "because")
    else:
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "illegal_status_transition"
        assert (await Customer.get(id=customer.id)).status.value == current


async def test_a_status_change_needs_a_reason(client, operator):
    customer = await make_customer()
    response = await client.post(
        f"{CUSTOMERS}/{customer.id}/status", token=operator, json={"status": "trial"}
    )
    assert response.status_code == 422


# --- list ---------------------------------------------------------------------------------------
async def test_filters_sorting_and_paging(client, operator):
    owner = await make_user("operator", username="owner-list")
    today = business_today()
    await make_customer(
        customer_code="K1",
        company_name="甲公司",
        province="浙江",
        city="杭州",
        level="A",
        industry="finance",
        owner_id=owner.id,
        signed_at=dt.date(2024, 1, 10),
        contract_end_at=today + dt.timedelta(days=10),
        contact_name="王五",
    )
    await make_customer(
        customer_code="K2",
        company_name="乙公司",
        province="浙江",
        city="宁波",
        level="B",
        signed_at=dt.date(2024, 6, 1),
        contract_end_at=today + dt.timedelta(days=90),
    )
    await make_customer(
        customer_code="K3",
        company_name="丙公司",
        province="江苏",
        city="南京",
        level="A",
        status="active",
        contract_end_at=today - dt.timedelta(days=1),
    )

    async def codes(**params):
        response = await client.get(CUSTOMERS, token=operator, params={"sort": "customer_code", **params})
        assert response.status_code == 200, response.text
        return [c["customer_code"] for c in response.json()["items"]]

    assert await codes() == ["K1", "K2", "K3"]
    assert await codes(keyword="王五") == ["K1"]
    assert await codes(keyword="乙") == ["K2"]
    assert await codes(province="浙江", level="A") == ["K1"]
    assert await codes(industry="finance") == ["K1"]
    assert await codes(status="active") == ["K3"]
    assert await codes(owner_id=owner.id) == ["K1"]
    listed = (await client.get(CUSTOMERS, token=operator, params={"owner_id": owner.id})).json()["items"]
    assert listed[0]["owner_name"] == "owner-list"
    assert await codes(owner_id=0) == ["K2", "K3"]
    assert await codes(city="宁波") == ["K2"]
    assert await codes(signed_from="2024-02-01", signed_to="2024-12-31") == ["K2"]
    assert await codes(contract_ending_within_days=30) == ["K1"]
    assert await codes(sort="-customer_code", page_size=2) == ["K3", "K2"]
    assert await codes(sort="-customer_code", page_size=2, page=2) == ["K1"]
    assert (await client.get(CUSTOMERS, token=operator, params={"status": "gone"})).status_code == 422


# --- detail, delete, restore --------------------------------------------------------------------
async def test_detail_shows_status_history_and_audit_trail(client, operator):
    customer = await make_customer()
    await client.post(
        f"{CUSTOMERS}/{customer.id}/status", token=operator, json={"status": "trial", "reason": "demo"}
    )
    body = (await client.get(f"{CUSTOMERS}/{customer.id}", token=operator)).json()
    assert [(h["from_status"], h["to_status"]) for h in body["status_history"]] == [
        (None, "prospect"),
        ("prospect", "trial"),
    ]
    assert [a["action"] for a in body["audit_trail"]] == ["status_change", "create"]


async def test_deleted_customers_are_hidden_listed_for_auditors_and_restored_by_admins(client, operator):
    customer = await make_customer(customer_code="GONE")
    deleted = await client.delete(
        f"{CUSTOMERS}/{customer.id}", token=operator, params={"reason": "duplicate"}
    )
    assert deleted.status_code == 200 and deleted.json()["is_deleted"] is True
    assert (await client.get(CUSTOMERS, token=operator)).json()["total"] == 0
    assert (await client.get(f"{CUSTOMERS}/deleted", token=operator)).status_code == 403
    auditor = await token_for("auditor")
    listed = (await client.get(f"{CUSTOMERS}/deleted", token=auditor)).json()
    assert [c["customer_code"] for c in listed["items"]] == ["GONE"]
    assert listed["items"][0]["deleted_by"].startswith("operator") and listed["items"][0]["deleted_at"]
    assert (await client.post(f"{CUSTOMERS}/{customer.id}/restore", token=operator)).status_code == 403
    admin = await token_for("admin")
    restored = await client.post(f"{CUSTOMERS}/{customer.id}/restore", token=admin)
    assert restored.status_code == 200 and restored.json()["is_deleted"] is False
    actions = (
        await AuditLog.filter(entity_id=str(customer.id)).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["create", "delete", "restore"]
    assert (await AuditLog.get(entity_id=str(customer.id), action="delete")).message == "duplicate"


# --- batch --------------------------------------------------------------------------------------
async def test_batch_assigns_an_owner_to_all(client, operator):
    owner = await make_user("operator", username="batch-owner")
    customers = [await make_customer() for _ in range(3)]
    response = await client.post(
        f"{CUSTOMERS}/batch",
        token=operator,
        json={"action": "assign_owner", "customer_ids": [c.id for c in customers], "owner_id": owner.id},
    )
    assert response.status_code == 200 and response.json()["affected"] == 3
    assert await Customer.filter(owner_id=owner.id).count() == 3
    assert await AuditLog.filter(action="batch_assign_owner").count() == 1
    assert await AuditLog.filter(action="update", entity_type="customer").count() == 3


async def test_batch_is_all_or_nothing(client, operator):
    a, b = await make_customer(), await make_customer()
    await client.post(f"{CUSTOMERS}/{b.id}/status", token=operator, json={"status": "closed", "reason": "x"})
    # b is closed: moving both to trial must fail for b and leave a untouched
    response = await client.post(
        f"{CUSTOMERS}/batch",
        token=operator,
        json={"action": "change_status", "customer_ids": [a.id, b.id], "status": "trial", "reason": "bulk"},
    )
    assert response.status_code == 409
    assert (await Customer.get(id=a.id)).status.value == "prospect"
    assert await CustomerStatusHistory.filter(customer_id=a.id).count() == 1
    # an unknown id fails the whole batch too
    missing = await client.post(
        f"{CUSTOMERS}/batch",
        token=operator,
        json={"action": "change_level", "customer_ids": [a.id, 999999], "level": "S"},
    )
    assert missing.status_code == 422
    assert (await Customer.get(id=a.id)).level is None


async def test_batch_soft_delete_and_level(client, operator):
    customers = [await make_customer() for _ in range(2)]
    ids = [c.id for c in customers]
    level = await client.post(
        f"{CUSTOMERS}/batch",
        token=operator,
        json={"action": "change_level", "customer_ids": ids, "level": "战略客户"},
    )
    assert level.status_code == 200
    assert set(await Customer.filter(id__in=ids).values_list("level", flat=True)) == {"S"}
    gone = await client.post(
        f"{CUSTOMERS}/batch",
        token=operator,
        json={"action": "soft_delete", "customer_ids": ids, "reason": "合并"},
    )
    assert gone.status_code == 200 and await Customer.all().count() == 0
    assert await Customer.with_deleted().filter(is_deleted=True).count() == 2
    bad = await client.post(
        f"{CUSTOMERS}/batch", token=operator, json={"action": "assign_owner", "customer_ids": ids}
    )
    assert bad.status_code == 422


# --- dictionaries -------------------------------------------------------------------------------
async def test_dictionaries_are_seeded_and_admins_can_add_synonyms(client, operator):
    levels = (await client.get("/api/v1/dictionaries/level", token=operator)).json()["items"]
    assert [e["code"] for e in levels] == ["S", "A", "B", "C"]
    industries = (await client.get("/api/v1/dictionaries/industry", token=operator)).json()["items"]
    assert {e["code"]: e["label"] for e in industries}["healthcare"] == "医疗"
    admin = await token_for("admin")
    level_a = next(e for e in levels if e["code"] == "A")
    patched = await client.patch(
        f"/api/v1/dictionaries/level/{level_a['id']}",
        token=admin,
        json={"synonyms": [*level_a["synonyms"], "金牌客户"]},
    )
    assert patched.status_code == 200
    assert (await make_customer(level="金牌客户")).level == "A"
    taken = await client.patch(
        f"/api/v1/dictionaries/level/{level_a['id']}", token=admin, json={"synonyms": ["普通客户"]}
    )
    assert taken.status_code == 409
    assert (
        await client.patch(f"/api/v1/dictionaries/level/{level_a['id']}", token=operator, json={"label": "x"})
    ).status_code == 403
    assert (await client.get("/api/v1/dictionaries/colour", token=operator)).status_code == 404


async def test_dictionary_entries_carry_an_english_label_that_admins_set(client, operator):
    # given the seeded dictionaries
    levels = (await client.get("/api/v1/dictionaries/level", token=operator)).json()["items"]
    industries = (await client.get("/api/v1/dictionaries/industry", token=operator)).json()["items"]
    # then every seeded entry has its English label next to the Chinese one
    assert {e["code"]: e["label_en"] for e in levels} == {
        "S": "Level S",
        "A": "Level A",
        "B": "Level B",
        "C": "Level C",
    }
    assert {e["code"]: (e["label"], e["label_en"]) for e in industries}["healthcare"] == (
        "医疗",
        "Healthcare",
    )
    assert all(e["label_en"] for e in industries)
    # and the import accepts the English label as a value
    assert (await make_customer(industry="healthcare ", level="level b")).level == "B"
    assert (await make_customer(industry="Healthcare")).industry == "healthcare"

    # when an admin adds an entry with an English label and renames it
    admin = await token_for("admin")
    created = await client.post(
        "/api/v1/dictionaries/industry",
        token=admin,
        json={"code": "energy", "label": "能源", "label_en": " Energy ", "synonyms": ["电力"]},
    )
    assert created.status_code == 201, created.text
    assert created.json()["label_en"] == "Energy"
    renamed = await client.patch(
        f"/api/v1/dictionaries/industry/{created.json()['id']}",
        token=admin,
        json={"label_en": "Energy & power"},
    )
    assert renamed.status_code == 200 and renamed.json()["label_en"] == "Energy & power"
    # then an English label another entry already means is refused, and one without stays empty
    taken = await client.patch(
        f"/api/v1/dictionaries/industry/{created.json()['id']}", token=admin, json={"label_en": "Retail"}
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "dictionary_word_taken"
    bare = await client.post(
        "/api/v1/dictionaries/industry", token=admin, json={"code": "mining", "label": "矿业"}
    )
    assert bare.status_code == 201 and bare.json()["label_en"] == ""


async def test_concurrent_creates_of_one_code_give_one_customer_and_a_409(client, operator):
    import asyncio

    responses = await asyncio.gather(
        *[
            post_customer(client, operator, customer_code="RACE", company_name=f"竞速公司{i}")
            for i in range(4)
        ]
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert await Customer.filter(customer_code="RACE").count() == 1


async def test_demo_customers_are_varied_valid_and_seeded_once(db):
    from opcms.core.context import acting_as, system_actor
    from opcms.demo.customers import seed_customers

    with acting_as(system_actor("seed-demo")):
        assert await seed_customers(40) == 40
        assert await seed_customers(40) == 0
    statuses = set(await Customer.all().values_list("status", flat=True))
    assert len(statuses) >= 3
    assert await Customer.all().count() == 40
