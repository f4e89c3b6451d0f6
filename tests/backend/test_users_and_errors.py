"""Users admin API, soft delete with history, and the one error shape (DESIGN §2)."""

from __future__ import annotations

from opcms.auth.models import User
from opcms.core.audit import AuditLog
from tests.backend.factories import make_user, session_for, token_for

USERS = "/api/v1/users"


async def admin_token() -> str:
    return await token_for("admin")


async def test_admin_creates_a_user_who_can_then_log_in(client):
    token = await admin_token()
    response = await client.post(
        USERS,
        token=token,
        json={"username": "newbie", "display_name": "新人", "role": "operator", "password": "Start-1234"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "operator" and body["display_name"] == "新人"
    assert "password" not in body and "password_hash" not in body
    login = await client.post("/api/v1/auth/login", json={"username": "newbie", "password": "Start-1234"})
    assert login.status_code == 200
    created = await AuditLog.get(action="create", entity_type="user", entity_id=str(body["id"]))
    assert created.after["password_hash"] == "***" and created.after["role"] == "operator"


async def test_a_user_gets_the_addresses_notifications_reach_them_at_and_can_clear_them(client):
    token = await admin_token()
    # given a finance user created with an e-mail address and a WeCom account
    created = await client.post(
        USERS,
        token=token,
        json={
            "username": "cashier",
            "role": "finance",
            "password": "Start-1234",
            "email": "cashier@example.com",
            "wecom_userid": "ZhangSan",
        },
    )
    assert created.status_code == 201
    user_id = created.json()["id"]
    assert created.json()["email"] == "cashier@example.com" and created.json()["wecom_userid"] == "ZhangSan"
    # when a bad address is given, then it is a 422 that changes nothing
    bad = await client.patch(
        f"{USERS}/{user_id}", token=token, json={"email": "not-an-address", "wecom_userid": "a b"}
    )
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} >= {"email", "wecom_userid"}
    assert (await User.get(id=user_id)).email == "cashier@example.com"
    # when both are cleared with "", then they are gone
    cleared = await client.patch(f"{USERS}/{user_id}", token=token, json={"email": "", "wecom_userid": ""})
    assert cleared.status_code == 200
    user = await User.get(id=user_id)
    assert user.email is None and user.wecom_userid is None


async def test_a_taken_username_is_409(client):
    token = await admin_token()
    await make_user("finance", username="dupe")
    response = await client.post(
        USERS, token=token, json={"username": "dupe", "role": "finance", "password": "Start-1234"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"


async def test_schema_violation_is_422_with_field_details_and_changes_nothing(client):
    token = await admin_token()
    before = await User.all().count()
    response = await client.post(
        USERS, token=token, json={"username": "x y", "role": "boss", "password": "short"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    fields = {d["field"] for d in error["details"]}
    assert fields == {"username", "role", "password"}
    assert await User.all().count() == before


async def test_unknown_fields_are_rejected(client):
    token = await admin_token()
    response = await client.post(
        USERS,
        token=token,
        json={"username": "ok1", "role": "finance", "password": "Start-1234", "is_superuser": True},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "is_superuser"


async def test_bad_json_is_400(client):
    token = await admin_token()
    response = await client.post(
        USERS, token=token, content=b'{"username": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


async def test_unknown_id_and_unknown_route_are_404_in_the_error_shape(client):
    token = await admin_token()
    for unknown in ("424242", "0", "-5", "9" * 30):
        missing = await client.get(f"{USERS}/{unknown}", token=token)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "user_not_found", unknown
    nowhere = await client.get("/api/v1/no-such-thing", token=token)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "route_not_found"
    wrong_method = await client.call("PUT", "/api/v1/auth/me", token=token)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_an_unexpected_error_is_a_500_without_internals(client):
    response = await client.get("/api/v1/test/boom", headers={"X-Request-ID": "trace-me-123"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert response.headers["X-Request-ID"] == "trace-me-123"


async def test_role_change_is_audited_with_before_and_after(client):
    token = await admin_token()
    user = await make_user("operator", username="mover")
    response = await client.patch(f"{USERS}/{user.id}", token=token, json={"role": "finance"})
    assert response.status_code == 200 and response.json()["role"] == "finance"
    row = await AuditLog.get(action="update", entity_id=str(user.id))
    assert row.before == {"role": "operator"} and row.after == {"role": "finance"}
    assert row.actor.startswith("admin")


async def test_disabling_a_user_ends_their_sessions(client):
    token = await admin_token()
    user = await make_user("finance", username="leaver")
    their = await session_for(user)
    assert (await client.get("/api/v1/auth/me", token=their.access_token)).status_code == 200
    response = await client.patch(f"{USERS}/{user.id}", token=token, json={"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert (await client.get("/api/v1/auth/me", token=their.access_token)).status_code == 401


async def test_an_admin_cannot_demote_or_delete_themself(client):
    admin = await make_user("admin", username="selfie")
    token = (await session_for(admin)).access_token
    demote = await client.patch(f"{USERS}/{admin.id}", token=token, json={"role": "auditor"})
    assert demote.status_code == 409
    assert (await client.delete(f"{USERS}/{admin.id}", token=token)).status_code == 409
    assert (await User.get(id=admin.id)).role == "admin"


async def test_password_reset_ends_sessions_and_sets_the_new_password(client):
    token = await admin_token()
    user = await make_user("operator", username="forgetful")
    their = await session_for(user)
    response = await client.post(
        f"{USERS}/{user.id}/password", token=token, json={"password": "Brand-new-42"}
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/auth/me", token=their.access_token)).status_code == 401
    login = await client.post(
        "/api/v1/auth/login", json={"username": "forgetful", "password": "Brand-new-42"}
    )
    assert login.status_code == 200
    row = await AuditLog.get(action="update", entity_id=str(user.id))
    assert row.before == {"password_hash": "***", "must_change_password": False}
    assert row.after == {"password_hash": "***", "must_change_password": True}


async def test_soft_delete_hides_include_deleted_shows_who_and_when_restore_brings_back(client):
    token = await admin_token()
    user = await make_user("operator", username="ghost")
    # when the user is deleted
    deleted = await client.delete(f"{USERS}/{user.id}", token=token)
    assert deleted.status_code == 200
    # then normal lists hide them
    listed = await client.get(USERS, token=token, params={"keyword": "ghost"})
    assert listed.json()["total"] == 0
    # and include_deleted shows them with who and when
    history = await client.get(USERS, token=token, params={"keyword": "ghost", "include_deleted": "true"})
    [row] = history.json()["items"]
    assert row["is_deleted"] is True
    stored = await User.with_deleted().get(id=user.id)
    assert stored.deleted_by.startswith("admin") and stored.deleted_at is not None
    # and they can no longer log in
    assert (
        await client.post("/api/v1/auth/login", json={"username": "ghost", "password": "Correct-Horse-9"})
    ).status_code == 401
    # when an admin restores them
    restored = await client.post(f"{USERS}/{user.id}/restore", token=token)
    assert restored.status_code == 200 and restored.json()["is_deleted"] is False
    assert (await client.get(USERS, token=token, params={"keyword": "ghost"})).json()["total"] == 1
    actions = (
        await AuditLog.filter(entity_type="user", entity_id=str(user.id))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "delete", "restore"]
    # restoring a live row is a conflict
    assert (await client.post(f"{USERS}/{user.id}/restore", token=token)).status_code == 409


async def test_list_paging_sorting_and_bad_sort(client):
    token = await admin_token()
    for name in ("pa", "pb", "pc"):
        await make_user("finance", username=name)
    page = await client.get(
        USERS, token=token, params={"role": "finance", "sort": "-username", "page_size": 2}
    )
    body = page.json()
    assert body["total"] == 3 and body["page_size"] == 2
    assert [u["username"] for u in body["items"]] == ["pc", "pb"]
    second = await client.get(
        USERS, token=token, params={"role": "finance", "sort": "-username", "page_size": 2, "page": 2}
    )
    assert [u["username"] for u in second.json()["items"]] == ["pa"]
    bad = await client.get(USERS, token=token, params={"sort": "password_hash"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "sort"
    too_big = await client.get(USERS, token=token, params={"page_size": 500})
    assert too_big.status_code == 422


async def test_owner_options_list_active_staff_for_anyone_who_reads_customers(client):
    await make_user("operator", username="opal", display_name="Opal")
    await make_user("auditor", username="audra")
    gone = await make_user("finance", username="gone-fin")
    gone.is_active = False
    await gone.save()
    response = await client.get(f"{USERS}/owners", token=await token_for("operator"))
    assert response.status_code == 200
    names = [o["username"] for o in response.json()["items"]]
    assert "opal" in names and "audra" not in names and "gone-fin" not in names
    assert set(response.json()["items"][0]) == {"id", "username", "display_name", "role"}
