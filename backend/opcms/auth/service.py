"""Auth use cases: sessions (login, refresh-token rotation with reuse detection, logout,
resolving a bearer token) and user administration (create, change role or name, disable, reset
password, delete, restore).

One login creates a token family; refresh rotates the single-use refresh token inside the
family; presenting an already-used refresh token revokes the whole family (someone else holds
a copy), and so does logout. Disabling, deleting a user or resetting a password revokes every
family of that user in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from opcms.auth import throttle, tokens
from opcms.auth.models import RefreshToken, TokenFamily, User
from opcms.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from opcms.auth.schemas import UserCreate, UserUpdate
from opcms.core.audit import AuditAction, record_audit
from opcms.core.context import Actor, acting_as, current_actor
from opcms.core.errors import Conflict, Unauthorized, ValidationFailed
from opcms.core.models import get_or_404, utcnow
from opcms.core.schemas import patch_changes
from opcms.core.settings import get_settings


# --- sessions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class Session:
    """The authenticated caller of one request."""

    user: User
    family_id: str

    @property
    def actor(self) -> Actor:
        return Actor(name=self.user.username, user_id=self.user.id, role=self.user.role)


async def _issue(user: User, family_id: str) -> IssuedTokens:
    settings = get_settings()
    access, _ = tokens.encode(user.id, "access", family_id, settings.access_token_ttl_seconds)
    refresh, claims = tokens.encode(user.id, "refresh", family_id, settings.refresh_token_ttl_seconds)
    await RefreshToken.create(jti=claims.jti, family_id=family_id, expires_at=claims.expires_at)
    return IssuedTokens(access, refresh, settings.access_token_ttl_seconds)


async def login(username: str, password: str, client_ip: str | None) -> IssuedTokens:
    # the attempt is counted before the password is checked, so concurrent guesses cannot all
    # pass the throttle first; one that ends otherwise (an error) stays counted for its window
    attempt = await throttle.admit(username, client_ip)
    user = await User.get_or_none(username=username)
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        await throttle.record_failure(attempt)
        reason = "unknown user" if user is None else ("disabled" if valid else "wrong password")
        await record_audit(
            AuditAction.LOGIN_FAILED,
            "user",
            user.id if user else None,
            message=f"{username[:64]}: {reason}",
            actor_name=username,
        )
        raise Unauthorized("Wrong username or password", code="invalid_credentials")

    await throttle.record_success(attempt)
    with acting_as(Actor(name=user.username, user_id=user.id, role=user.role)):
        async with in_transaction():
            user.last_login_at = utcnow()
            update = ["last_login_at"]
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
                update.append("password_hash")
            # bookkeeping only: the login row below is the audit record
            await User.filter(id=user.id).update(**{f: getattr(user, f) for f in update})
            family = await TokenFamily.create(id=tokens.new_id(), user=user)
            issued = await _issue(user, family.id)
            await record_audit(AuditAction.LOGIN, "user", user.id, message="login")
    return issued


async def refresh(refresh_token: str) -> IssuedTokens:
    claims = tokens.decode(refresh_token, "refresh")
    reused = False
    async with in_transaction():
        row = (
            await RefreshToken.filter(jti=claims.jti, family_id=claims.family_id).select_for_update().first()
        )
        family = await TokenFamily.filter(id=claims.family_id).select_related("user").first()
        if row is None or family is None or family.revoked_at is not None:
            raise Unauthorized("The refresh token is no longer valid", code="invalid_token")
        user = family.user
        if row.used_at is not None:
            # a used refresh token came back: someone kept a copy. Kill the whole family.
            family.revoked_at, family.revoked_reason = utcnow(), "refresh_token_reuse"
            await family.save(update_fields=["revoked_at", "revoked_reason"])
            with acting_as(Actor(name=user.username, user_id=user.id, role=user.role)):
                await record_audit(
                    AuditAction.TOKEN_REUSE, "user", user.id, message=f"family {family.id} revoked"
                )
            reused = True
        elif not user.is_active or user.is_deleted:
            raise Unauthorized("The account is disabled", code="account_disabled")
        else:
            row.used_at = utcnow()
            await row.save(update_fields=["used_at"])
            issued = await _issue(user, family.id)
    if reused:  # outside the transaction, so the revocation is committed
        raise Unauthorized("The refresh token was already used; the session is revoked", code="token_reused")
    return issued


async def logout(session: Session) -> None:
    await TokenFamily.filter(id=session.family_id, revoked_at=None).update(
        revoked_at=utcnow(), revoked_reason="logout"
    )
    await record_audit(AuditAction.LOGOUT, "user", session.user.id, message="logout")


async def revoke_all_sessions(user_id: int, reason: str) -> int:
    return await TokenFamily.filter(user_id=user_id, revoked_at=None).update(
        revoked_at=utcnow(), revoked_reason=reason
    )


async def authenticate(access_token: str) -> Session:
    claims = tokens.decode(access_token, "access")
    family = (
        await TokenFamily.filter(id=claims.family_id, user_id=claims.user_id).select_related("user").first()
    )
    if family is None or family.revoked_at is not None:
        raise Unauthorized("The session has ended; sign in again", code="session_revoked")
    user = family.user
    if not user.is_active or user.is_deleted:
        raise Unauthorized("The account is disabled", code="account_disabled")
    return Session(user=user, family_id=family.id)


# --- user administration -----------------------------------------------------------------------
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
    # null keeps a field: a body of nulls only changes nothing, as the document admits it (an
    # empty body is still a 422)
    changes = {name: value for name, value in patch_changes(data).items() if value is not None}
    if not changes:
        return user
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
    # seeding skips the request schemas, not the password rule: no weak account from a demo or bench
    problem = password_problem(password)
    if problem:
        raise ValidationFailed.field("password", problem)
    user = await User.create(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
    )
    return user, True
