"""Auth and users routes: thin handlers over auth.service and auth.queries."""

from __future__ import annotations

from sanic import Blueprint, Request

from opcms.auth import queries, service
from opcms.auth.middleware import open_before_password_change
from opcms.auth.schemas import (
    LoginRequest,
    Me,
    OwnerOption,
    OwnerOptions,
    PasswordChange,
    PasswordReset,
    PasswordResetAnswer,
    PermissionMatrix,
    PermissionRow,
    RefreshRequest,
    SessionList,
    SessionPublic,
    SessionsRevoked,
    TokenPair,
    UserCreate,
    UserListQuery,
    UserPage,
    UserPublic,
    UserRecordQuery,
    UserUpdate,
)
from opcms.core.context import current_client_ip
from opcms.core.http import endpoint
from opcms.core.permissions import PERMISSIONS, ROLE_PERMISSIONS, Role

bp = Blueprint("auth", url_prefix="/api/v1")


def _pair(issued: service.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=issued.access_token, refresh_token=issued.refresh_token, expires_in=issued.expires_in
    )


@bp.post("/auth/login")
@endpoint(public=True, body=LoginRequest, response=TokenPair, tag="auth", errors=(401, 429))
async def login(request: Request, body: LoginRequest) -> TokenPair:
    """Sign in with username and password."""
    return _pair(await service.login(body.username, body.password, current_client_ip.get()))


@bp.post("/auth/refresh")
@endpoint(public=True, body=RefreshRequest, response=TokenPair, tag="auth", errors=(401,))
async def refresh(request: Request, body: RefreshRequest) -> TokenPair:
    """Exchange a refresh token for a new pair (the old one is used up)."""
    return _pair(await service.refresh(body.refresh_token))


@bp.post("/auth/logout")
@open_before_password_change
@endpoint(permission="session:self", status=204, tag="auth")
async def logout(request: Request) -> None:
    """End this session: every token of this login stops working."""
    await service.logout(request.ctx.session)


@bp.get("/auth/me")
@open_before_password_change
@endpoint(permission="session:self", response=Me, tag="auth")
async def me(request: Request) -> Me:
    """The signed-in user with their permissions (must_change_password: a one-time password is in use)."""
    return Me.of(request.ctx.user)


@bp.post("/auth/password")
@open_before_password_change
@endpoint(permission="session:self", body=PasswordChange, response=Me, tag="auth", errors=(429,))
async def change_password(request: Request, body: PasswordChange) -> Me:
    """Change one's own password (the current one, then a new one meeting the rule and differing
    from it); a one-time password is done with, and one's other sessions end (this one stays)."""
    user = await service.change_own_password(
        request.ctx.session, body.current_password, body.new_password, current_client_ip.get()
    )
    return Me.of(user)


@bp.get("/auth/sessions")
@endpoint(permission="session:self", response=SessionList, tag="auth")
async def my_sessions(request: Request) -> SessionList:
    """One's own live sessions (one per sign-in), newest first; `current` is this one."""
    sessions = await service.list_own_sessions(request.ctx.session)
    return SessionList(items=[SessionPublic.model_validate(s) for s in sessions])


@bp.delete("/auth/sessions/<session_id:str>")
@endpoint(permission="session:self", status=204, tag="auth")
async def revoke_my_session(request: Request, session_id: str) -> None:
    """End one of one's own sessions (the current one too: that is a logout)."""
    await service.revoke_own_session(request.ctx.session, session_id)


@bp.get("/permissions")
@endpoint(permission="session:self", response=PermissionMatrix, tag="users")
async def permission_matrix(request: Request) -> PermissionMatrix:
    """The role → permission matrix, read-only (every signed-in user may read it: it says what
    each role may do, nothing about anyone's data)."""
    return PermissionMatrix(
        roles=[role.value for role in Role],
        permissions=[
            PermissionRow(
                permission=name,
                description=description,
                roles=[role.value for role in Role if name in ROLE_PERMISSIONS[role]],
            )
            for name, description in PERMISSIONS.items()
        ],
    )


@bp.get("/users")
@endpoint(permission="users:read", query=UserListQuery, response=UserPage, tag="users")
async def list_users(request: Request, query: UserListQuery) -> UserPage:
    """List users."""
    return UserPage.model_validate(await queries.list_users(query))


@bp.get("/users/owners")
@endpoint(permission="customers:read", response=OwnerOptions, tag="users")
async def owner_options(request: Request) -> OwnerOptions:
    """Active users a customer can be assigned to (for owner pickers and filters)."""
    return OwnerOptions(items=[OwnerOption.model_validate(u) for u in await queries.owner_options()])


@bp.post("/users")
@endpoint(permission="users:write", body=UserCreate, response=UserPublic, status=201, tag="users")
async def create_user(request: Request, body: UserCreate) -> UserPublic:
    """Create a user."""
    return UserPublic.model_validate(await service.create_user(body))


@bp.get("/users/<user_id:int>")
@endpoint(permission="users:read", query=UserRecordQuery, response=UserPublic, tag="users")
async def get_user(request: Request, user_id: int, query: UserRecordQuery) -> UserPublic:
    """One user; a soft-deleted one only with include_deleted=true (users:read, which only
    admins and auditors hold, reads deleted history), a 404 otherwise."""
    return UserPublic.model_validate(await service.get_user(user_id, include_deleted=query.include_deleted))


@bp.patch("/users/<user_id:int>")
@endpoint(permission="users:write", body=UserUpdate, response=UserPublic, tag="users")
async def update_user(request: Request, user_id: int, body: UserUpdate) -> UserPublic:
    """Change a user's role, display name or active flag (disabling ends their sessions); the
    last active admin can be neither demoted nor disabled (409 last_admin)."""
    return UserPublic.model_validate(await service.update_user(user_id, body))


@bp.post("/users/<user_id:int>/password")
@endpoint(permission="users:write", body=PasswordReset, response=PasswordResetAnswer, tag="users")
async def reset_password(request: Request, user_id: int, body: PasswordReset) -> PasswordResetAnswer:
    """Set a one-time password: the one given, or without one a generated one, answered this once
    (never stored in clear nor audited). The user must choose their own at next sign-in; every
    session of theirs ends. Not one's own (409 self_change_forbidden: use POST /auth/password)."""
    user, generated = await service.reset_password(user_id, body.password)
    answer = PasswordResetAnswer.model_validate(user)
    answer.one_time_password = generated
    return answer


@bp.post("/users/<user_id:int>/sessions/revoke")
@endpoint(permission="users:write", response=SessionsRevoked, tag="users")
async def revoke_user_sessions(request: Request, user_id: int) -> SessionsRevoked:
    """End every session of a user (every sign-in's token family); answers how many ended."""
    return SessionsRevoked(revoked=await service.revoke_user_sessions(user_id))


@bp.delete("/users/<user_id:int>")
@endpoint(permission="users:write", response=UserPublic, tag="users")
async def delete_user(request: Request, user_id: int) -> UserPublic:
    """Soft-delete a user (their sessions end); not the last active admin (409 last_admin)."""
    return UserPublic.model_validate(await service.delete_user(user_id))


@bp.post("/users/<user_id:int>/restore")
@endpoint(permission="users:write", response=UserPublic, tag="users")
async def restore_user(request: Request, user_id: int) -> UserPublic:
    """Bring back a soft-deleted user."""
    return UserPublic.model_validate(await service.restore_user(user_id))
