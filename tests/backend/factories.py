"""Small factories: build the data a test needs in the domain's own words."""

from __future__ import annotations

import itertools

from opcms.auth import tokens
from opcms.auth.models import TokenFamily, User
from opcms.auth.schemas import UserCreate
from opcms.auth.services.sessions import IssuedTokens, _issue
from opcms.auth.services.users import create_user
from opcms.core.context import acting_as, system_actor

PASSWORD = "Correct-Horse-9"
_seq = itertools.count(1)


async def make_user(role: str = "admin", *, username: str | None = None, password: str = PASSWORD, **extra) -> User:
    with acting_as(system_actor("test-factory")):
        user = await create_user(
            UserCreate(username=username or f"{role}{next(_seq)}", role=role, password=password, **extra)
        )
    return user


async def session_for(user: User) -> IssuedTokens:
    """Tokens for a user without going through the login endpoint (no argon2, no audit)."""
    family = await TokenFamily.create(id=tokens.new_id(), user=user)
    return await _issue(user, family.id)


async def token_for(role: str) -> str:
    return (await session_for(await make_user(role))).access_token
