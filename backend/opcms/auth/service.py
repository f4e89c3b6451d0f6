"""Auth use cases: sessions (login, refresh-token rotation with reuse detection, logout,
resolving a bearer token) and user administration (create, change role or name, disable, reset
password, delete, restore).

One login creates a token family; refresh rotates the single-use refresh token inside the
family; presenting an already-used refresh token revokes the whole family (someone else holds
a copy), and so does logout. Disabling, deleting a user or resetting a password revokes every
family of that user in the same transaction.

A password reset by an admin is one-time: the user may sign in with it, but until they choose
their own (``change_own_password``) every route but /auth/me, /auth/password and /auth/logout
answers 403 ``password_change_required`` (``jwt_middleware``). The last active admin can be
neither disabled, demoted nor deleted (409 ``last_admin``): the check runs inside the
transaction, under row locks on every admin row, so two admins disabling each other at once
leave one of them active.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import secrets
import string
from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from opcms.auth import throttle, tokens
from opcms.auth.models import RefreshToken, TokenFamily, User
from opcms.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from opcms.auth.schemas import UserCreate, UserUpdate
from opcms.auth.session_cache import sessions as session_cache
from opcms.core.audit import AuditAction, record_audit
from opcms.core.context import Actor, acting_as, current_actor
from opcms.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
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
            raise Unauthorized(
                "The refresh token is no longer valid", code="invalid_token", key="refresh_token_invalid"
            )
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
        session_cache.forget(family_id=claims.family_id)
        raise Unauthorized("The refresh token was already used; the session is revoked", code="token_reused")
    return issued


async def logout(session: Session) -> None:
    await TokenFamily.filter(id=session.family_id, revoked_at=None).update(
        revoked_at=utcnow(), revoked_reason="logout"
    )
    session_cache.forget(family_id=session.family_id)
    await record_audit(AuditAction.LOGOUT, "user", session.user.id, message="logout")


async def revoke_all_sessions(user_id: int, reason: str, *, keep: str | None = None) -> int:
    """End every live session of the user (but ``keep``, a family id) and say so in the audit
    log when there was one; answers how many ended. This process forgets the user's cached
    sessions at once; a caller inside a transaction forgets them again after its commit
    (:func:`_forget_user`), so no request of this process re-reads the uncommitted past."""
    families = TokenFamily.filter(user_id=user_id, revoked_at=None)
    if keep is not None:
        families = families.exclude(id=keep)
    count = await families.update(revoked_at=utcnow(), revoked_reason=reason)
    session_cache.forget(user_id=user_id)
    if count:
        await record_audit(
            AuditAction.SESSION_REVOKE,
            "user",
            user_id,
            after={"sessions": count, "reason": reason},
            message=f"{count} session(s) ended: {reason}",
        )
    return count


@dataclass(frozen=True)
class SessionInfo:
    """One live login of a user, as its owner sees it."""

    id: str
    created_at: dt.datetime
    last_used_at: dt.datetime
    expires_at: dt.datetime
    current: bool


async def list_own_sessions(session: Session) -> list[SessionInfo]:
    """The caller's live logins, newest first: not revoked, and holding a refresh token that is
    neither used nor expired (last used: when its latest token pair was issued)."""
    # a family's one unused refresh token is its latest (each use issues the next)
    rows = await RefreshToken.filter(
        family__user_id=session.user.id, family__revoked_at=None, used_at=None, expires_at__gt=utcnow()
    ).values("family_id", "issued_at", "expires_at")
    latest = {row["family_id"]: row for row in rows}
    families = await TokenFamily.filter(id__in=list(latest)).order_by("-created_at", "id")
    return [
        SessionInfo(
            id=family.id,
            created_at=family.created_at,
            last_used_at=latest[family.id]["issued_at"],
            expires_at=latest[family.id]["expires_at"],
            current=family.id == session.family_id,
        )
        for family in families
    ]


async def revoke_own_session(session: Session, family_id: str) -> None:
    """End one of the caller's own logins (their current one too: that is a logout)."""
    count = await TokenFamily.filter(id=family_id, user_id=session.user.id, revoked_at=None).update(
        revoked_at=utcnow(), revoked_reason="revoked_by_user"
    )
    if not count:
        raise NotFound("session {id} not found", code="session_not_found", params={"id": family_id})
    session_cache.forget(family_id=family_id)
    await record_audit(
        AuditAction.SESSION_REVOKE,
        "user",
        session.user.id,
        after={"sessions": 1, "reason": "revoked_by_user"},
        message=f"session {family_id[:8]}… ended by its user",
    )


async def change_own_password(
    session: Session, current_password: str, new_password: str, client_ip: str | None
) -> User:
    """The caller sets their own password: the current one is checked (throttled as a login is,
    since it is the same secret), the new one differs from it; the one-time flag clears and the
    caller's other sessions end, this one stays."""
    user = session.user
    attempt = await throttle.admit(user.username, client_ip)
    if not verify_password(user.password_hash, current_password):
        await throttle.record_failure(attempt)
        raise ValidationFailed(
            "current_password: is not your current password",
            code="current_password_wrong",
            details=[
                {
                    "field": "current_password",
                    "code": "current_password_wrong",
                    "message": "is not your current password",
                }
            ],
        )
    await throttle.record_success(attempt)
    if new_password == current_password:
        raise ValidationFailed(
            "new_password: must differ from the current password",
            code="password_unchanged",
            details=[
                {
                    "field": "new_password",
                    "code": "password_unchanged",
                    "message": "must differ from the current password",
                }
            ],
        )
    async with in_transaction():
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        await user.save(
            update_fields=["password_hash", "must_change_password"], audit_message="password changed"
        )
        await revoke_all_sessions(user.id, "password_change", keep=session.family_id)
    _forget_user(user.id)  # the kept session is read afresh: no longer one-time
    return user


def _forget_user(user_id: int) -> None:
    """After a committed change to a user or their sessions: this process's requests read them
    afresh from now on (other processes within ``OPCMS_SESSION_CACHE_SECONDS``)."""
    session_cache.forget(user_id=user_id)


async def authenticate(access_token: str) -> Session:
    """The session of a bearer access token: the token is decoded (signature, expiry) and its
    family and user read from the database at most once per ``OPCMS_SESSION_CACHE_SECONDS`` per
    token and process, never past the token's expiry (:mod:`opcms.auth.session_cache`)."""
    key = hashlib.sha256(access_token.encode()).digest()
    cached = session_cache.get(key)
    if cached is not None:
        return cached
    generation = session_cache.generation
    claims = tokens.decode(access_token, "access")
    family = (
        await TokenFamily.filter(id=claims.family_id, user_id=claims.user_id).select_related("user").first()
    )
    if family is None or family.revoked_at is not None:
        raise Unauthorized("The session has ended; sign in again", code="session_revoked")
    user = family.user
    if not user.is_active or user.is_deleted:
        raise Unauthorized("The account is disabled", code="account_disabled")
    session = Session(user=user, family_id=family.id)
    token_left = (claims.expires_at - dt.datetime.now(dt.UTC)).total_seconds()
    session_cache.put(
        key,
        Session(user=copy.copy(user), family_id=family.id),
        min(get_settings().session_cache_seconds, token_left),
        generation=generation,
    )
    return session


# --- user administration -----------------------------------------------------------------------
async def get_user(user_id: int, *, include_deleted: bool = False) -> User:
    return await get_or_404(User.with_deleted() if include_deleted else User, user_id, "user")


async def create_user(data: UserCreate) -> User:
    if await User.with_deleted().filter(username=data.username).exists():
        raise Conflict(
            f"username {data.username!r} is taken", code="username_taken", params={"username": data.username}
        )
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
        raise Conflict(
            f"You cannot {what} your own account",
            code="self_change_forbidden",
            key={
                "change the role of or disable": "self_change_role",
                "reset the password of (change it on your account page)": "self_reset_password",
                "end every session of (use your account page)": "self_end_sessions",
                "delete": "self_delete",
            }.get(what, "self_change_forbidden"),
        )


def _is_active_admin(user: User) -> bool:
    return user.role == "admin" and user.is_active and not user.is_deleted


async def _locked_for_admin_change(user_id: int) -> tuple[User, int]:
    """Inside a transaction: lock every admin row (in id order, so two such transactions queue
    instead of deadlocking), then the user; answers the user and how many other active admins
    there are, both as committed now (a locking read sees the latest committed rows). On SQLite
    the single connection runs one transaction at a time, and the reads happen inside it."""
    admins = await User.filter(role="admin").order_by("id").select_for_update()
    user = next((admin for admin in admins if admin.id == user_id), None)
    if user is None:
        user = await get_or_404(User.filter(id=user_id).select_for_update(), user_id, "user")
    others = sum(1 for admin in admins if admin.is_active and admin.id != user_id)
    return user, others


def _guard_last_admin(user: User, other_active_admins: int) -> None:
    """Refuse to take away the last active admin (counted under ``_locked_for_admin_change``)."""
    if _is_active_admin(user) and other_active_admins == 0:
        raise Conflict(
            "{username} is the last active admin: it cannot be disabled, demoted or deleted; "
            "make another user an admin first",
            code="last_admin",
            params={"username": user.username},
        )


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
    async with in_transaction():
        user, other_admins = await _locked_for_admin_change(user_id)
        disabling = changes.get("is_active") is False
        if ("role" in changes and changes["role"] != "admin") or disabling:
            # first: the only admin taking themself away hears why it cannot be
            _guard_last_admin(user, other_admins)
        if ("role" in changes and changes["role"] != user.role) or disabling:
            _guard_self(user, "change the role of or disable")
        user.update_from_dict(changes)
        await user.save()
        if disabling:
            await revoke_all_sessions(user.id, "disabled")
    _forget_user(user.id)  # a new role or name, or disabled
    return user


# a one-time password: 16 letters and digits without look-alikes (0/O, 1/l/I), in groups of four
_OTP_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def one_time_password() -> str:
    while True:
        text = "".join(secrets.choice(_OTP_ALPHABET) for _ in range(16))
        password = "-".join(text[i : i + 4] for i in range(0, 16, 4))
        if any(c.isdigit() for c in text) and password_problem(password) is None:
            return password


async def reset_password(user_id: int, password: str | None) -> tuple[User, str | None]:
    """Set a one-time password: the one given, or a generated one answered once (never stored
    in clear, never in the audit log). The user must choose their own at next sign-in; every
    session of theirs ends. Answers the user and the generated password (None when given)."""
    user = await get_user(user_id)
    _guard_self(user, "reset the password of (change it on your account page)")
    generated = one_time_password() if password is None else None
    async with in_transaction():
        user.password_hash = hash_password(password or generated or "")
        user.must_change_password = True
        await user.save(
            update_fields=["password_hash", "must_change_password"], audit_message="one-time password set"
        )
        await revoke_all_sessions(user.id, "password_reset")
    _forget_user(user.id)
    return user, generated


async def revoke_user_sessions(user_id: int) -> int:
    """An admin ends every session of a user (each refresh-token family); answers how many."""
    user = await get_user(user_id)
    _guard_self(user, "end every session of (use your account page)")
    async with in_transaction():
        count = await revoke_all_sessions(user.id, "revoked_by_admin")
    _forget_user(user.id)
    return count


async def delete_user(user_id: int) -> User:
    async with in_transaction():
        user, other_admins = await _locked_for_admin_change(user_id)
        _guard_last_admin(user, other_admins)
        _guard_self(user, "delete")
        await user.soft_delete()
        await revoke_all_sessions(user.id, "deleted")
    _forget_user(user.id)
    return user


async def restore_user(user_id: int) -> User:
    user = await get_user(user_id, include_deleted=True)
    if not user.is_deleted:
        raise Conflict(
            f"user {user_id} is not deleted",
            code="not_deleted",
            key="user_not_deleted",
            params={"id": user_id},
        )
    await user.restore()
    _forget_user(user.id)
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


async def prune_expired_refresh_tokens(now: dt.datetime) -> int:
    """Delete the refresh tokens that expired more than ``session_retention_days`` ago: none of
    them can be used again, and a reused one is refused as unknown just as it was as expired."""
    before = now - dt.timedelta(days=get_settings().session_retention_days)
    return await RefreshToken.filter(expires_at__lt=before).delete()


async def prune_ended_sessions(now: dt.datetime) -> int:
    """Delete the sessions (token families) begun before the retention and left with no refresh
    token: their last token expired long ago (``prune_expired_refresh_tokens`` ran first)."""
    before = now - dt.timedelta(days=get_settings().session_retention_days)
    with_tokens = Subquery(RefreshToken.all().values("family_id"))
    return await TokenFamily.filter(created_at__lt=before).exclude(id__in=with_tokens).delete()
