"""Login, refresh-token rotation with reuse detection, logout, and resolving a bearer token.

One login creates a token family; refresh rotates the single-use refresh token inside the
family; presenting an already-used refresh token revokes the whole family (someone else holds
a copy), and so does logout.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from opcms.auth import throttle, tokens
from opcms.auth.models import RefreshToken, TokenFamily, User
from opcms.auth.passwords import hash_password, needs_rehash, verify_password
from opcms.core.audit import AuditAction, record_audit
from opcms.core.context import Actor, acting_as
from opcms.core.errors import Unauthorized
from opcms.core.models import utcnow
from opcms.core.settings import get_settings


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
    await throttle.ensure_not_locked(username, client_ip)
    user = await User.get_or_none(username=username)
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        await throttle.record_failure(username, client_ip)
        reason = "unknown user" if user is None else ("disabled" if valid else "wrong password")
        await record_audit(
            AuditAction.LOGIN_FAILED,
            "user",
            user.id if user else None,
            message=f"{username[:64]}: {reason}",
            actor_name=username,
        )
        raise Unauthorized("Wrong username or password", code="invalid_credentials")

    await throttle.clear_user_failures(username)
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
