"""User administration: create, change role or name, disable, reset password, delete, restore."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from opcms.auth.models import User
from opcms.auth.passwords import hash_password
from opcms.auth.schemas import UserCreate, UserUpdate
from opcms.auth.services.sessions import revoke_all_sessions
from opcms.core.context import current_actor
from opcms.core.errors import Conflict
from opcms.core.models import get_or_404
from opcms.core.schemas import patch_changes


async def get_user(user_id: int, *, include_deleted: bool = False) -> User:
    return await get_or_404(User.with_deleted() if include_deleted else User, user_id, "user")


async def create_user(data: UserCreate) -> User:
    if await User.with_deleted().filter(username=data.username).exists():
        raise Conflict(f"username {data.username!r} is taken", code="username_taken")
    return await User.create(
        username=data.username,
        display_name=data.display_name or data.username,
        role=data.role,
        password_hash=hash_password(data.password),
        email=data.email,
        wecom_userid=data.wecom_userid,
    )


def _guard_self(user: User, what: str) -> None:
    if current_actor.get().user_id == user.id:
        raise Conflict(f"You cannot {what} your own account", code="self_change_forbidden")


async def update_user(user_id: int, data: UserUpdate) -> User:
    user = await get_user(user_id)
    changes = patch_changes(data, drop_none=True)
    for contact in ("email", "wecom_userid"):  # "" clears the address
        if changes.get(contact) == "":
            changes[contact] = None
    if ("role" in changes and changes["role"] != user.role) or changes.get("is_active") is False:
        _guard_self(user, "change the role of or disable")
    async with in_transaction():
        user.update_from_dict(changes)
        await user.save()
        if changes.get("is_active") is False:
            await revoke_all_sessions(user.id, "disabled")
    return user


async def reset_password(user_id: int, password: str) -> User:
    user = await get_user(user_id)
    async with in_transaction():
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash"])
        await revoke_all_sessions(user.id, "password_reset")
    return user


async def delete_user(user_id: int) -> User:
    user = await get_user(user_id)
    _guard_self(user, "delete")
    async with in_transaction():
        await user.soft_delete()
        await revoke_all_sessions(user.id, "deleted")
    return user


async def restore_user(user_id: int) -> User:
    user = await get_user(user_id, include_deleted=True)
    if not user.is_deleted:
        raise Conflict(f"user {user_id} is not deleted", code="not_deleted")
    await user.restore()
    return user


async def ensure_user(username: str, role: str, password: str, display_name: str = "") -> tuple[User, bool]:
    """Create the user unless it exists (used by seeding); returns (user, created)."""
    existing = await User.with_deleted().get_or_none(username=username)
    if existing is not None:
        return existing, False
    user = await User.create(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
    )
    return user, True
