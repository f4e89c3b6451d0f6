"""Weak passwords are refused wherever a password is set: the users API (create and reset) and
`opcms createuser`, with the one 422 shape naming the field ``password``."""

from __future__ import annotations

import os
import subprocess

import pytest

from opcms.auth.models import User
from opcms.auth.passwords import MIN_PASSWORD_LENGTH, is_common_password
from tests.backend.factories import make_user, token_for
from tests.backend.processes import opcms

USERS = "/api/v1/users"
NINE_CHARACTERS = "Abcde-123"
# in the shipped list of common passwords, and long enough to pass a length rule alone
COMMON_AND_LONG = "password12"
GOOD = "Ledger-Kite-47"


def test_the_examples_are_what_they_claim():
    assert len(NINE_CHARACTERS) == MIN_PASSWORD_LENGTH - 1
    assert len(COMMON_AND_LONG) >= MIN_PASSWORD_LENGTH and is_common_password(COMMON_AND_LONG)
    assert is_common_password("admin123")
    assert not is_common_password(GOOD)


def test_the_common_list_is_compared_without_regard_to_case():
    assert is_common_password("PassWord12") and is_common_password("QWERTYUIOP")


def assert_refused_password(response, words: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert [d["field"] for d in error["details"]] == ["password"]
    assert words in error["details"][0]["message"]


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("admin123", f"at least {MIN_PASSWORD_LENGTH} characters"),
        (NINE_CHARACTERS, f"at least {MIN_PASSWORD_LENGTH} characters"),
        (COMMON_AND_LONG, "most common passwords"),
        ("Password12", "most common passwords"),
    ],
)
async def test_the_users_api_refuses_a_weak_password_and_creates_nobody(client, password, words):
    token = await token_for("admin")
    response = await client.post(
        USERS, token=token, json={"username": "weakling", "role": "operator", "password": password}
    )
    assert_refused_password(response, words)
    assert not await User.filter(username="weakling").exists()


async def test_the_users_api_accepts_a_good_password_that_then_logs_in(client):
    token = await token_for("admin")
    created = await client.post(
        USERS, token=token, json={"username": "strong", "role": "operator", "password": GOOD}
    )
    assert created.status_code == 201, created.text
    login = await client.post("/api/v1/auth/login", json={"username": "strong", "password": GOOD})
    assert login.status_code == 200


async def test_a_password_reset_obeys_the_same_rule(client):
    token = await token_for("admin")
    user = await make_user("operator")
    before = (await User.get(id=user.id)).password_hash
    refused = await client.post(
        f"{USERS}/{user.id}/password", token=token, json={"password": COMMON_AND_LONG}
    )
    assert_refused_password(refused, "most common passwords")
    assert (await User.get(id=user.id)).password_hash == before
    accepted = await client.post(f"{USERS}/{user.id}/password", token=token, json={"password": GOOD})
    assert accepted.status_code == 200


def createuser(username: str, password: str) -> tuple[int, str]:
    process = opcms(
        "createuser",
        username,
        "--role",
        "admin",
        "--password-stdin",
        env=dict(os.environ),
        stdin=subprocess.PIPE,
    )
    output, _ = process.communicate(f"{password}\n", timeout=120)
    return process.returncode, output


@pytest.mark.slow
async def test_createuser_refuses_weak_passwords_and_accepts_a_good_one(db):
    # when the first admin is given "admin123", a 9-character or a common password, it is refused
    for password, words in [
        ("admin123", f"at least {MIN_PASSWORD_LENGTH} characters"),
        (NINE_CHARACTERS, f"at least {MIN_PASSWORD_LENGTH} characters"),
        (COMMON_AND_LONG, "most common passwords"),
    ]:
        code, output = createuser("root-admin", password)
        assert code == 1, output
        assert "password: " in output and words in output
        assert not await User.filter(username="root-admin").exists()
    # and a good one makes the user
    code, output = createuser("root-admin", GOOD)
    assert code == 0, output
    assert "created user root-admin (admin)" in output
    assert await User.filter(username="root-admin", role="admin").exists()
