"""Login, throttling, refresh rotation and reuse, logout, and forged tokens (DESIGN §12)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import jwt
import pytest

from opcms.auth.models import TokenFamily
from opcms.core.audit import AuditLog
from tests.backend.factories import PASSWORD, make_user, session_for

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"


async def login(client, username, password=PASSWORD, **kw):
    return await client.post(LOGIN, json={"username": username, "password": password}, **kw)


async def test_login_returns_a_token_pair_that_opens_me(client):
    # given a finance user
    user = await make_user("finance", username="fiona", display_name="Fiona")
    # when they log in
    response = await login(client, "fiona")
    # then they get both tokens and /auth/me knows them
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 7200
    me = await client.get(ME, token=body["access_token"])
    assert me.status_code == 200
    assert me.json()["username"] == "fiona" and me.json()["role"] == "finance"
    assert "users:write" not in me.json()["permissions"]
    # and the login is in the audit log with the client's IP and the request id
    row = await AuditLog.filter(action="login", entity_id=str(user.id)).first()
    assert (
        row is not None and row.client_ip == "10.9.8.7" and row.request_id == response.headers["X-Request-ID"]
    )


async def test_wrong_password_is_401_and_audited(client):
    await make_user("operator", username="olga")
    response = await login(client, "olga", "Wrong-password-1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    failed = await AuditLog.filter(action="login_failed").all()
    assert [r.actor for r in failed] == ["olga"]
    assert "wrong password" in failed[0].message


async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client):
    response = await login(client, "nobody", "Whatever-123")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


async def test_failed_logins_are_throttled_per_user(client):
    # given a user whose password is guessed wrong 3 times (the test limit)
    await make_user("admin", username="ada")
    for _ in range(3):
        assert (await login(client, "ada", "Bad-guess-0")).status_code == 401
    # when even the right password is tried
    response = await login(client, "ada")
    # then the account is locked for a while
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(response.headers["Retry-After"]) <= 900


async def test_failed_logins_are_throttled_per_ip(client):
    # given 6 failures from one address spread over many usernames (per-user limit not hit)
    await make_user("admin", username="ivy")
    for i in range(6):
        assert (await login(client, f"guess{i}", "Bad-guess-0")).status_code == 401
    # then the address is locked, whatever account it tries
    response = await login(client, "ivy")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


async def test_a_successful_login_resets_the_user_counter(client):
    await make_user("admin", username="rita")
    for _ in range(2):
        await login(client, "rita", "Bad-guess-0")
    assert (await login(client, "rita")).status_code == 200
    for _ in range(2):
        await login(client, "rita", "Bad-guess-0")
    assert (await login(client, "rita")).status_code == 200


async def test_disabled_user_cannot_log_in(client):
    user = await make_user("operator", username="dora")
    user.is_active = False
    await user.save()
    assert (await login(client, "dora")).status_code == 401


async def test_refresh_rotates_and_reuse_revokes_the_family(client):
    # given a logged-in user
    await make_user("finance", username="remy")
    first = (await login(client, "remy")).json()
    # when the refresh token is exchanged
    rotated = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    # then a new pair comes back and works
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get(ME, token=second["access_token"])).status_code == 200
    # when the old refresh token is presented again (a stolen copy)
    reused = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    # then it is refused and every token of that login is dead
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_reused"
    assert (await client.get(ME, token=second["access_token"])).status_code == 401
    assert (await client.get(ME, token=first["access_token"])).status_code == 401
    assert (await client.post(REFRESH, json={"refresh_token": second["refresh_token"]})).status_code == 401
    assert await AuditLog.filter(action="token_reuse").count() == 1


async def test_logout_revokes_the_session_but_not_other_logins(client):
    user = await make_user("auditor", username="aldo")
    this = await session_for(user)
    other = await session_for(user)
    response = await client.post("/api/v1/auth/logout", token=this.access_token)
    assert response.status_code == 204
    assert (await client.get(ME, token=this.access_token)).status_code == 401
    assert (await client.post(REFRESH, json={"refresh_token": this.refresh_token})).status_code == 401
    assert (await client.get(ME, token=other.access_token)).status_code == 200
    family = await TokenFamily.filter(revoked_reason="logout").count()
    assert family == 1


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "forgery", ["alg_none", "wrong_signature", "expired", "refresh_as_access", "garbage"]
)
async def test_forged_or_expired_tokens_are_refused(client, settings, forgery):
    user = await make_user("admin")
    issued = await session_for(user)
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})
    if forgery == "alg_none":
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    elif forgery == "wrong_signature":
        token = jwt.encode(claims, "not-the-server-key-but-long-enough-000000", algorithm="HS256")
    elif forgery == "expired":
        past = int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)).timestamp())
        token = jwt.encode(
            {**claims, "iat": past - 7200, "exp": past}, settings.signing_key, algorithm="HS256"
        )
    elif forgery == "refresh_as_access":
        token = issued.refresh_token
    else:
        token = "not.a.jwt"
    response = await client.get(ME, token=token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"invalid_token", "token_expired"}
    # the genuine token still works
    assert (await client.get(ME, token=issued.access_token)).status_code == 200


async def test_missing_token_is_401_in_the_error_shape(client):
    response = await client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
