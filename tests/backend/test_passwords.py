"""Stored passwords: argon2id at argon2-cffi's default cost unless configured otherwise, and a
password stored at another cost re-hashed at the configured one when its user next logs in."""

from __future__ import annotations

import argon2
from argon2 import PasswordHasher

from opcms.auth.models import User
from opcms.auth.passwords import hash_password, needs_rehash, verify_password
from opcms.core.settings import Settings
from tests.backend.factories import PASSWORD, make_user


def test_the_default_cost_is_argon2_cffis_rfc_9106_low_memory_profile():
    defaults = Settings.model_fields
    profile = argon2.profiles.RFC_9106_LOW_MEMORY
    assert defaults["password_hash_time_cost"].default == profile.time_cost
    assert defaults["password_hash_memory_kib"].default == profile.memory_cost
    assert defaults["password_hash_parallelism"].default == profile.parallelism


def test_a_hash_is_argon2id_at_the_configured_cost_and_verifies(settings):
    stored = hash_password("Correct-horse-7")
    params = argon2.extract_parameters(stored)
    assert params.type is argon2.Type.ID
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    )
    assert verify_password(stored, "Correct-horse-7")
    assert not verify_password(stored, "Correct-horse-8")
    assert not verify_password(None, "Correct-horse-7")


async def test_a_password_stored_at_another_cost_is_rehashed_at_login(client):
    # given a user whose password was stored at another cost (e.g. before the cost was raised)
    user = await make_user("operator", username="rehash-me")
    older = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    await User.filter(id=user.id).update(password_hash=older)
    assert needs_rehash(older)

    # when the user logs in
    answer = await client.post("/api/v1/auth/login", json={"username": "rehash-me", "password": PASSWORD})

    # then the login succeeds and the password is stored at the configured cost now
    assert answer.status_code == 200, answer.text
    stored = (await User.get(id=user.id)).password_hash
    assert stored != older and not needs_rehash(stored)
    assert verify_password(stored, PASSWORD)
