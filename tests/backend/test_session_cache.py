"""The session cache: an API process trusts a session it checked for a few seconds
(OPCMS_SESSION_CACHE_SECONDS), so a revocation made elsewhere (another process, straight in the
database) is honoured within that bound, and one made by this process at once."""

from __future__ import annotations

import pytest

from opcms.auth import service, tokens
from opcms.auth.models import TokenFamily, User
from opcms.auth.session_cache import SessionCache, sessions
from opcms.core.models import utcnow
from opcms.core.settings import get_settings
from tests.backend.factories import PASSWORD, make_user, session_for, token_for

AUTH = "/api/v1/auth"
USERS = "/api/v1/users"
TTL = 5.0


class Clock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The process's session cache on a clock the test moves, emptied, with a TTL of 5 s."""
    clock = Clock()
    monkeypatch.setattr(sessions, "_clock", clock)
    monkeypatch.setattr(get_settings(), "session_cache_seconds", TTL)
    sessions.clear()
    yield clock
    sessions.clear()


async def revoke_elsewhere(user: User) -> None:
    """What another API process's logout does: the database changes, this process hears nothing."""
    await TokenFamily.filter(user_id=user.id).update(revoked_at=utcnow(), revoked_reason="logout")


# --- revoked in another process: honoured within the bound -------------------------------------
async def test_a_session_revoked_in_another_process_ends_here_within_the_cache_seconds(client, clock):
    # given an operator whose session this process has just checked
    user = await make_user("operator")
    token = (await session_for(user)).access_token
    assert (await client.get(f"{AUTH}/me", token=token)).status_code == 200
    # when another process ends the session
    await revoke_elsewhere(user)
    # then this process still trusts its check until the bound, not a moment after
    clock.now += TTL - 0.1
    assert (await client.get(f"{AUTH}/me", token=token)).status_code == 200
    clock.now += 0.1
    ended = await client.get(f"{AUTH}/me", token=token)
    assert ended.status_code == 401, ended.text
    assert ended.json()["error"]["code"] == "session_revoked"


async def test_a_user_disabled_in_another_process_is_refused_here_within_the_cache_seconds(client, clock):
    user = await make_user("finance")
    token = (await session_for(user)).access_token
    assert (await client.get(f"{AUTH}/me", token=token)).status_code == 200
    # when another process disables the user (its sessions stay, the flag changes)
    await User.filter(id=user.id).update(is_active=False)
    clock.now += TTL
    # then the next request after the bound reads the user again and is refused
    refused = await client.get(f"{AUTH}/me", token=token)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "account_disabled"


async def test_without_a_cache_every_request_reads_the_session(client, clock, monkeypatch):
    # given the cache turned off
    monkeypatch.setattr(get_settings(), "session_cache_seconds", 0)
    user = await make_user("operator")
    token = (await session_for(user)).access_token
    assert (await client.get(f"{AUTH}/me", token=token)).status_code == 200
    # when another process ends the session, then the very next request is refused
    await revoke_elsewhere(user)
    assert (await client.get(f"{AUTH}/me", token=token)).status_code == 401
    assert len(sessions) == 0


async def test_a_session_is_trusted_no_longer_than_its_token_lives(client, clock):
    # given a token that expires in under two seconds, checked once
    user = await make_user("operator")
    family = await TokenFamily.create(id=tokens.new_id(), user=user)
    token, _ = tokens.encode(user.id, "access", family.id, 2)
    assert (await client.get(f"{AUTH}/me", token=token)).status_code == 200
    # when another process ends the session and two seconds pass (less than the cache's five)
    await revoke_elsewhere(user)
    clock.now += 2.0
    # then the cached check died with the token's life: the session is read again, and refused
    assert (await client.get(f"{AUTH}/me", token=token)).status_code == 401


# --- revoked in this process: honoured at once --------------------------------------------------
async def test_a_logout_ends_the_session_at_once_in_this_process(client, clock):
    user = await make_user("operator")
    token = (await session_for(user)).access_token
    assert (await client.get(f"{AUTH}/me", token=token)).status_code == 200
    assert (await client.post(f"{AUTH}/logout", token=token)).status_code == 204
    # then with no time passed the token is refused
    assert (await client.get(f"{AUTH}/me", token=token)).status_code == 401


async def test_an_admin_ending_or_disabling_a_user_is_honoured_at_once_in_this_process(client, clock):
    admin = await token_for("admin")
    ended, disabled = await make_user("operator"), await make_user("operator")
    ended_token = (await session_for(ended)).access_token
    disabled_token = (await session_for(disabled)).access_token
    for token in (ended_token, disabled_token):
        assert (await client.get(f"{AUTH}/me", token=token)).status_code == 200
    # when the admin ends one user's sessions and disables the other
    assert (await client.post(f"{USERS}/{ended.id}/sessions/revoke", token=admin)).status_code == 200
    assert (
        await client.patch(f"{USERS}/{disabled.id}", token=admin, json={"is_active": False})
    ).status_code == 200
    # then both are refused with no time passed
    assert (await client.get(f"{AUTH}/me", token=ended_token)).status_code == 401
    assert (await client.get(f"{AUTH}/me", token=disabled_token)).status_code == 401


async def test_a_role_change_applies_at_once_in_this_process(client, clock):
    admin = await token_for("admin")
    user = await make_user("auditor")
    token = (await session_for(user)).access_token
    assert (await client.get(f"{AUTH}/me", token=token)).json()["role"] == "auditor"
    assert (
        await client.patch(f"{USERS}/{user.id}", token=admin, json={"role": "finance"})
    ).status_code == 200
    assert (await client.get(f"{AUTH}/me", token=token)).json()["role"] == "finance"


async def test_a_password_change_frees_the_kept_session_at_once_and_ends_the_others(client, clock):
    admin = await token_for("admin")
    user = await make_user("operator", username="onetime")
    reset = await client.post(f"{USERS}/{user.id}/password", token=admin, json={"password": PASSWORD})
    assert reset.status_code == 200, reset.text
    pairs = [
        (await client.post(f"{AUTH}/login", json={"username": "onetime", "password": PASSWORD})).json()
        for _ in range(2)
    ]
    kept, other = (pair["access_token"] for pair in pairs)
    # both sessions are checked (and cached) while the password is one-time
    assert (await client.get("/api/v1/customers", token=kept)).status_code == 403
    assert (await client.get(f"{AUTH}/me", token=other)).status_code == 200
    # when the user chooses their own password on the kept session
    changed = await client.post(
        f"{AUTH}/password",
        token=kept,
        json={"current_password": PASSWORD, "new_password": "Another-Horse-42"},
    )
    assert changed.status_code == 200, changed.text
    # then, with no time passed, the kept session reaches every route and the other is ended
    assert (await client.get("/api/v1/customers", token=kept)).status_code == 200
    assert (await client.get(f"{AUTH}/me", token=other)).status_code == 401


# --- the cache itself ---------------------------------------------------------------------------
def cached_session(user_id: int, family_id: str) -> service.Session:
    return service.Session(
        user=User(id=user_id, username=f"u{user_id}", role="operator"), family_id=family_id
    )


def test_an_entry_lives_its_seconds_and_each_hit_is_a_copy():
    clock = Clock()
    cache = SessionCache(clock)
    cache.put("jti-1", cached_session(1, "fam-1"), 2.0, generation=cache.generation)
    hit = cache.get("jti-1")
    assert hit is not None and hit.user.id == 1 and hit.family_id == "fam-1"
    # a handler changing its user does not change the cached one
    hit.user.role = "admin"
    assert cache.get("jti-1").user.role == "operator"
    clock.now += 2.0
    assert cache.get("jti-1") is None and len(cache) == 0


def test_forget_drops_a_family_or_every_session_of_a_user():
    cache = SessionCache(Clock())
    for jti, user_id, family in (("a", 1, "f1"), ("b", 1, "f2"), ("c", 2, "f3")):
        cache.put(jti, cached_session(user_id, family), 5.0, generation=cache.generation)
    cache.forget(family_id="f1")
    assert cache.get("a") is None and cache.get("b") is not None
    cache.forget(user_id=1)
    assert cache.get("b") is None and cache.get("c") is not None


def test_a_lookup_begun_before_a_revocation_is_not_kept():
    cache = SessionCache(Clock())
    began = cache.generation
    cache.forget(user_id=1)  # the revocation lands while the lookup reads the database
    cache.put("a", cached_session(1, "f1"), 5.0, generation=began)
    assert cache.get("a") is None


def test_a_full_cache_drops_the_expired_then_the_oldest():
    clock = Clock()
    cache = SessionCache(clock, max_entries=3)
    cache.put("old", cached_session(1, "f1"), 1.0, generation=cache.generation)
    cache.put("b", cached_session(2, "f2"), 10.0, generation=cache.generation)
    cache.put("c", cached_session(3, "f3"), 10.0, generation=cache.generation)
    clock.now += 1.0
    cache.put("d", cached_session(4, "f4"), 10.0, generation=cache.generation)
    assert len(cache) == 3 and cache.get("old") is None
    cache.put("e", cached_session(5, "f5"), 10.0, generation=cache.generation)
    assert len(cache) == 3 and cache.get("b") is None and cache.get("e") is not None
