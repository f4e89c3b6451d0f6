"""Auth and users routes: thin handlers over auth.service and auth.queries."""

from __future__ import annotations

from sanic import Blueprint, Request

from opcms.auth import queries, service
from opcms.auth.schemas import (
    LoginRequest,
    Me,
    OwnerOption,
    OwnerOptions,
    PasswordReset,
    RefreshRequest,
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
@endpoint(permission="session:self", status=204, tag="auth")
async def logout(request: Request) -> None:
    """End this session: every token of this login stops working."""
    await service.logout(request.ctx.session)


@bp.get("/auth/me")
@endpoint(permission="session:self", response=Me, tag="auth")
async def me(request: Request) -> Me:
    """The signed-in user with their permissions."""
    return Me.of(request.ctx.user)


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
    """Change a user's role, display name or active flag (disabling ends their sessions)."""
    return UserPublic.model_validate(await service.update_user(user_id, body))


@bp.post("/users/<user_id:int>/password")
@endpoint(permission="users:write", body=PasswordReset, response=UserPublic, tag="users")
async def reset_password(request: Request, user_id: int, body: PasswordReset) -> UserPublic:
    """Set a new password; the user's sessions end."""
    return UserPublic.model_validate(await service.reset_password(user_id, body.password))


@bp.delete("/users/<user_id:int>")
@endpoint(permission="users:write", response=UserPublic, tag="users")
async def delete_user(request: Request, user_id: int) -> UserPublic:
    """Soft-delete a user."""
    return UserPublic.model_validate(await service.delete_user(user_id))


@bp.post("/users/<user_id:int>/restore")
@endpoint(permission="users:write", response=UserPublic, tag="users")
async def restore_user(request: Request, user_id: int) -> UserPublic:
    """Bring back a soft-deleted user."""
    return UserPublic.model_validate(await service.restore_user(user_id))
