"""Users and roles, my account: one-time passwords and the forced change, one's own password and
sessions, an admin ending a user's sessions, the last active admin kept, the permission matrix."""

from __future__ import annotations

import asyncio

import pytest

from opcms.auth import service
from opcms.auth.models import TokenFamily, User
from opcms.auth.schemas import UserUpdate
from opcms.core.audit import AuditLog
from opcms.core.context import acting_as, system_actor
from opcms.core.errors import Conflict
from opcms.core.permissions import PERMISSIONS, ROLE_PERMISSIONS, Role
from tests.backend.factories import PASSWORD, make_user, session_for, token_for

USERS = "/api/v1/users"
AUTH = "/api/v1/auth"
NOT_ADMINS = ("finance", "operator", "auditor")


async def sign_in(client, username: str, password: str) -> dict:
    response = await client.post(f"{AUTH}/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def live_families(user: User) -> int:
    return await TokenFamily.filter(user_id=user.id, revoked_at=None).count()


# --- one-time password -------------------------------------------------------------------------
async def test_a_reset_without_a_password_answers_a_one_time_password_once_and_forces_a_change(client):
    admin = await token_for("admin")
    user = await make_user("operator", username="forgot")
    earlier = await session_for(user)
    # when an admin resets the password without giving one
    reset = await client.post(f"{USERS}/{user.id}/password", token=admin, json={})
    # then a generated password meeting the rule is answered, the flag is set, sessions ended
    assert reset.status_code == 200, reset.text
    body = reset.json()
    one_time = body["one_time_password"]
    assert len(one_time) == 19 and body["must_change_password"] is True
    assert (await client.get(f"{AUTH}/me", token=earlier.access_token)).status_code == 401
    # and it is neither stored nor audited in clear
    stored = await User.get(id=user.id)
    assert one_time not in stored.password_hash
    rows = await AuditLog.filter(entity_type="user", entity_id=str(user.id)).values(
        "before", "after", "message"
    )
    assert one_time not in repr(rows)
    assert any(row["after"] == {"sessions": 1, "reason": "password_reset"} for row in rows)

    # when the user signs in with it, then only me, logout and the password change are open
    pair = await sign_in(client, "forgot", one_time)
    token = pair["access_token"]
    me = await client.get(f"{AUTH}/me", token=token)
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    for path in ("/api/v1/customers", f"{AUTH}/sessions", "/api/v1/permissions"):
        refused = await client.get(path, token=token)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "password_change_required"
    # refresh still works (the page may outlive the access token)
    refreshed = await client.post(f"{AUTH}/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    token = refreshed.json()["access_token"]

    # when they choose their own
    changed = await client.post(
        f"{AUTH}/password", token=token, json={"current_password": one_time, "new_password": "Mine-own-77"}
    )
    # then the flag is gone and every route is open again
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    assert (await client.get("/api/v1/customers", token=token)).status_code == 200
    assert (await client.get(f"{AUTH}/me", token=token)).json()["must_change_password"] is False
    await sign_in(client, "forgot", "Mine-own-77")


async def test_a_password_chosen_by_the_admin_is_one_time_too_and_not_answered(client):
    admin = await token_for("admin")
    user = await make_user("finance", username="chosen")
    reset = await client.post(
        f"{USERS}/{user.id}/password", token=admin, json={"password": "Given-by-admin-5"}
    )
    assert reset.status_code == 200 and reset.json()["one_time_password"] is None
    pair = await sign_in(client, "chosen", "Given-by-admin-5")
    refused = await client.get("/api/v1/invoices", token=pair["access_token"])
    assert refused.json()["error"]["code"] == "password_change_required"
    # the chosen one must meet the rule too
    weak = await client.post(f"{USERS}/{user.id}/password", token=admin, json={"password": "password12"})
    assert weak.status_code == 422 and weak.json()["error"]["details"][0]["field"] == "password"


async def test_an_admin_resets_nobody_else_through_their_own_reset_and_not_themself(client):
    admin = await make_user("admin", username="boss")
    token = (await session_for(admin)).access_token
    own = await client.post(f"{USERS}/{admin.id}/password", token=token, json={})
    assert own.status_code == 409 and own.json()["error"]["code"] == "self_change_forbidden"
    missing = await client.post(f"{USERS}/424242/password", token=token, json={})
    assert missing.status_code == 404


# --- one's own password ------------------------------------------------------------------------
async def test_changing_ones_password_keeps_this_session_and_ends_the_others(client):
    user = await make_user("auditor", username="careful")
    this = await session_for(user)
    other = await session_for(user)
    changed = await client.post(
        f"{AUTH}/password",
        token=this.access_token,
        json={"current_password": PASSWORD, "new_password": "Fresh-secret-31"},
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get(f"{AUTH}/me", token=this.access_token)).status_code == 200
    ended = await client.get(f"{AUTH}/me", token=other.access_token)
    assert ended.status_code == 401 and ended.json()["error"]["code"] == "session_revoked"
    row = await AuditLog.filter(action="update", entity_id=str(user.id)).order_by("-id").first()
    assert row.after == {"password_hash": "***"} and row.message == "password changed"
    assert row.actor == "careful"
    revoked = await AuditLog.get(action="session_revoke", entity_id=str(user.id))
    assert revoked.after == {"sessions": 1, "reason": "password_change"}


async def test_a_wrong_current_password_a_weak_or_unchanged_new_one_is_422_and_changes_nothing(client):
    user = await make_user("operator", username="typo")
    token = (await session_for(user)).access_token
    url = f"{AUTH}/password"
    wrong = await client.post(
        url, token=token, json={"current_password": "nope", "new_password": "Fresh-1234"}
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "current_password_wrong"
    assert wrong.json()["error"]["details"][0]["field"] == "current_password"
    same = await client.post(url, token=token, json={"current_password": PASSWORD, "new_password": PASSWORD})
    assert same.status_code == 422 and same.json()["error"]["code"] == "password_unchanged"
    weak = await client.post(url, token=token, json={"current_password": PASSWORD, "new_password": "short1"})
    assert weak.status_code == 422 and weak.json()["error"]["details"][0]["field"] == "new_password"
    await sign_in(client, "typo", PASSWORD)  # still the old one


async def test_guessing_the_current_password_is_throttled_like_a_login(client, settings):
    user = await make_user("finance", username="guessed")
    token = (await session_for(user)).access_token
    statuses = []
    for attempt in range(settings.login_max_failures_per_user + 1):
        response = await client.post(
            f"{AUTH}/password",
            token=token,
            json={"current_password": f"Guess-{attempt}-x", "new_password": "Fresh-1234"},
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {422}


# --- one's own sessions ------------------------------------------------------------------------
async def test_a_user_lists_their_live_sessions_and_ends_one(client):
    user = await make_user("operator", username="roamer")
    laptop = await sign_in(client, "roamer", PASSWORD)
    phone = await sign_in(client, "roamer", PASSWORD)
    gone = await session_for(user)
    await client.post(f"{AUTH}/logout", token=gone.access_token)
    someone_else = await session_for(await make_user("finance"))
    # when they list their sessions
    listed = await client.get(f"{AUTH}/sessions", token=laptop["access_token"])
    # then both live ones are there, newest first, this one marked; the logged-out one is not
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert len(items) == 2 and [item["current"] for item in items].count(True) == 1
    assert set(items[0]) == {"id", "created_at", "last_used_at", "expires_at", "current"}
    phone_id = next(item["id"] for item in items if not item["current"])
    # when they end the other one, then it is gone and its tokens stop working
    ended = await client.delete(f"{AUTH}/sessions/{phone_id}", token=laptop["access_token"])
    assert ended.status_code == 204
    assert (await client.get(f"{AUTH}/me", token=phone["access_token"])).status_code == 401
    assert len((await client.get(f"{AUTH}/sessions", token=laptop["access_token"])).json()["items"]) == 1
    assert await AuditLog.filter(action="session_revoke", entity_id=str(user.id)).exists()
    # someone else's session or an unknown one is a 404
    other_family = (await TokenFamily.exclude(user_id=user.id).first()).id
    for unknown in (other_family, "nope", phone_id):
        missing = await client.delete(f"{AUTH}/sessions/{unknown}", token=laptop["access_token"])
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "session_not_found"
    assert (await client.get(f"{AUTH}/me", token=someone_else.access_token)).status_code == 200


# --- an admin ends a user's sessions -----------------------------------------------------------
async def test_an_admin_ends_every_session_of_a_user_and_hears_how_many(client):
    admin = await token_for("admin")
    user = await make_user("finance", username="everywhere")
    sessions = [await session_for(user) for _ in range(3)]
    revoked = await client.post(f"{USERS}/{user.id}/sessions/revoke", token=admin)
    assert revoked.status_code == 200 and revoked.json() == {"revoked": 3}
    for session in sessions:
        assert (await client.get(f"{AUTH}/me", token=session.access_token)).status_code == 401
    row = await AuditLog.get(action="session_revoke", entity_id=str(user.id))
    assert row.after == {"sessions": 3, "reason": "revoked_by_admin"} and row.actor.startswith("admin")
    again = await client.post(f"{USERS}/{user.id}/sessions/revoke", token=admin)
    assert again.json() == {"revoked": 0}
    # and the user can sign in again
    await sign_in(client, "everywhere", PASSWORD)


@pytest.mark.parametrize("role", NOT_ADMINS)
async def test_only_admins_reset_passwords_and_end_sessions_of_others(client, role):
    token = await token_for(role)
    target = await make_user("operator")
    for path, body in ((f"{USERS}/{target.id}/password", {}), (f"{USERS}/{target.id}/sessions/revoke", None)):
        refused = await client.post(path, token=token, json=body)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden", path
    assert (await User.get(id=target.id)).must_change_password is False
    # while their own account is theirs to manage
    assert (await client.get(f"{AUTH}/sessions", token=token)).status_code == 200
    assert (await client.get("/api/v1/permissions", token=token)).status_code == 200


# --- the last active admin ---------------------------------------------------------------------
async def test_the_only_admin_hears_last_admin_when_disabling_demoting_or_deleting_themself(client):
    # given one active admin (a disabled and a deleted one do not count)
    admin = await make_user("admin", username="sole")
    idle = await make_user("admin", username="idle")
    gone = await make_user("admin", username="gone")
    with acting_as(system_actor("test")):
        idle.is_active = False
        await idle.save()
        await gone.soft_delete()
    token = (await session_for(admin)).access_token
    # when they disable, demote or delete themself, then each is a 409 last_admin
    for method, body in (("PATCH", {"is_active": False}), ("PATCH", {"role": "auditor"}), ("DELETE", None)):
        refused = await client.call(method, f"{USERS}/{admin.id}", token=token, json=body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "last_admin"
    stored = await User.get(id=admin.id)
    assert stored.role == "admin" and stored.is_active and not stored.is_deleted
    # with a second active admin, their own account is still not theirs to take away
    await make_user("admin", username="second")
    self_change = await client.patch(f"{USERS}/{admin.id}", token=token, json={"is_active": False})
    assert self_change.status_code == 409 and self_change.json()["error"]["code"] == "self_change_forbidden"


@pytest.mark.parametrize("change", ["disable", "demote", "delete"])
async def test_no_one_takes_away_the_last_active_admin(db, change):
    # given a single active admin, changed by someone who is not one of them (the command line)
    admin = await make_user("admin", username="keeper")
    with acting_as(system_actor("test")), pytest.raises(Conflict) as refused:
        if change == "delete":
            await service.delete_user(admin.id)
        else:
            body = {"is_active": False} if change == "disable" else {"role": "operator"}
            await service.update_user(admin.id, UserUpdate(**body))
    assert refused.value.code == "last_admin"
    # while with a second active admin the same change is taken
    await make_user("admin", username="spare")
    with acting_as(system_actor("test")):
        if change == "delete":
            await service.delete_user(admin.id)
        else:
            await service.update_user(admin.id, UserUpdate(**body))
    assert await User.filter(role="admin", is_active=True).count() == 1


async def test_two_admins_disabling_each_other_at_once_leave_one_active(client):
    # given exactly two active admins, each signed in
    first = await make_user("admin", username="alpha")
    second = await make_user("admin", username="beta")
    first_token = (await session_for(first)).access_token
    second_token = (await session_for(second)).access_token
    # when each disables the other at the same moment
    answers = await asyncio.gather(
        client.patch(f"{USERS}/{second.id}", token=first_token, json={"is_active": False}),
        client.patch(f"{USERS}/{first.id}", token=second_token, json={"is_active": False}),
    )
    # then one change is taken and the other refused (409 last_admin, or 401 if its author was
    # already disabled when it arrived), and exactly one admin is left active
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([200, 409], [200, 401]), [answer.text for answer in answers]
    refused = next(answer for answer in answers if answer.status_code != 200)
    assert refused.json()["error"]["code"] in ("last_admin", "account_disabled", "session_revoked")
    assert await User.filter(role="admin", is_active=True).count() == 1


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(client):
    first = await make_user("admin", username="gamma")
    second = await make_user("admin", username="delta")
    first_token = (await session_for(first)).access_token
    second_token = (await session_for(second)).access_token
    answers = await asyncio.gather(
        client.patch(f"{USERS}/{second.id}", token=first_token, json={"role": "auditor"}),
        client.patch(f"{USERS}/{first.id}", token=second_token, json={"role": "auditor"}),
    )
    statuses = sorted(answer.status_code for answer in answers)
    # a demoted admin's request arriving after the demotion is refused by its new role (403)
    assert statuses in ([200, 409], [200, 403]), [answer.text for answer in answers]
    assert await User.filter(role="admin", is_active=True).count() == 1


# --- the permission matrix ---------------------------------------------------------------------
@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_every_role_reads_the_permission_matrix_as_the_code_has_it(client, role):
    response = await client.get("/api/v1/permissions", token=await token_for(role))
    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["admin", "finance", "operator", "auditor"]
    assert [row["permission"] for row in body["permissions"]] == list(PERMISSIONS)
    for row in body["permissions"]:
        assert row["description"] == PERMISSIONS[row["permission"]]
        assert row["roles"] == [r.value for r in Role if row["permission"] in ROLE_PERMISSIONS[r]]


# --- the users list ----------------------------------------------------------------------------
async def test_the_users_list_filters_by_role_active_and_keyword_and_shows_last_login(client):
    token = await token_for("admin")
    await make_user("finance", username="fin-on", display_name="Ann")
    off = await make_user("finance", username="fin-off")
    with acting_as(system_actor("test")):
        off.is_active = False
        await off.save()
    await make_user("operator", username="op-on")
    await sign_in(client, "fin-on", PASSWORD)
    listed = await client.get(USERS, token=token, params={"role": "finance", "is_active": "true"})
    [row] = listed.json()["items"]
    assert row["username"] == "fin-on" and row["last_login_at"] is not None
    assert row["must_change_password"] is False
    found = await client.get(USERS, token=token, params={"keyword": "ann"})
    assert [u["username"] for u in found.json()["items"]] == ["fin-on"]
    inactive = await client.get(USERS, token=token, params={"is_active": "false"})
    assert [u["username"] for u in inactive.json()["items"]] == ["fin-off"]
