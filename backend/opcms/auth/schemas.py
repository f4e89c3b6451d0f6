"""Request and response shapes of the auth and users API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import EmailStr, Field, field_validator
from pydantic.networks import validate_email

from opcms.auth.passwords import password_problem
from opcms.core.i18n import Invalid
from opcms.core.permissions import permissions_of
from opcms.core.schemas import Page, PageQuery, PatchSchema, PublicSchema, Schema, sort_by

RoleName = Literal["admin", "finance", "operator", "auditor"]
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$"
# a WeCom member's account (userid): 1–64 letters, digits and ._-@
WECOM_USERID_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"


class LoginRequest(Schema):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(Schema):
    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenPair(PublicSchema):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserPublic(PublicSchema):
    id: int
    username: str
    display_name: str
    role: RoleName
    is_active: bool
    email: str | None = None
    wecom_userid: str | None = None
    last_login_at: dt.datetime | None = None
    must_change_password: bool = False
    created_at: dt.datetime
    updated_at: dt.datetime
    is_deleted: bool = False


class Me(UserPublic):
    permissions: list[str]

    @classmethod
    def of(cls, user: object) -> Me:
        base = UserPublic.model_validate(user).model_dump()
        return cls(**base, permissions=sorted(permissions_of(base["role"])))


def _password_rule(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise Invalid(problem.code, problem.fallback, **problem.params)
    return value


class UserCreate(Schema):
    username: str = Field(pattern=USERNAME_PATTERN)
    display_name: str = Field(default="", max_length=128)
    role: RoleName
    password: str = Field(max_length=256)
    # where notifications reach the user (finance summaries by e-mail, reminders to owners on WeCom)
    email: EmailStr | None = None
    wecom_userid: str | None = Field(default=None, pattern=WECOM_USERID_PATTERN)

    _check_password = field_validator("password")(lambda cls, v: _password_rule(v))


def _null_among_roles(schema: dict[str, Any]) -> None:
    # OpenAPI 3.0 takes a nullable enum's null only when the enum lists it: here null keeps the role
    for variant in schema.get("anyOf", ()):
        if "enum" in variant and None not in variant["enum"]:
            variant["enum"] = [*variant["enum"], None]


class UserUpdate(PatchSchema):
    """Partial update: only the fields sent change; null keeps a field as it is."""

    display_name: str | None = Field(default=None, max_length=128)
    role: RoleName | None = Field(default=None, json_schema_extra=_null_among_roles)
    is_active: bool | None = None
    # "" clears it
    email: str | None = Field(default=None, max_length=254)
    wecom_userid: str | None = Field(default=None, pattern=rf"{WECOM_USERID_PATTERN}|^$")

    @field_validator("email")
    @classmethod
    def _email_or_empty(cls, value: str | None) -> str | None:
        return validate_email(value)[1] if value else value


class PasswordReset(Schema):
    """An admin's reset: the password given, or (left out or null) a generated one, answered once.
    Either way it is one-time: the user chooses their own at next sign-in."""

    password: str | None = Field(default=None, max_length=256)

    @field_validator("password")
    @classmethod
    def _check_password(cls, value: str | None) -> str | None:
        return None if value is None else _password_rule(value)


class PasswordResetAnswer(UserPublic):
    one_time_password: str | None = Field(
        default=None, description="the generated password, shown this once (null when one was given)"
    )


class PasswordChange(Schema):
    """The signed-in user's own password: the current one, and a new one meeting the rule."""

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(max_length=256)

    _check_password = field_validator("new_password")(lambda cls, v: _password_rule(v))


class SessionPublic(PublicSchema):
    id: str
    created_at: dt.datetime
    last_used_at: dt.datetime = Field(
        description="when its latest token pair was issued (sign-in or refresh)"
    )
    expires_at: dt.datetime
    current: bool = Field(description="the session of this request")


class SessionList(Schema):
    items: list[SessionPublic]


class SessionsRevoked(Schema):
    revoked: int = Field(description="how many sessions ended")


class PermissionRow(Schema):
    permission: str
    description: str
    roles: list[RoleName]


class PermissionMatrix(Schema):
    roles: list[RoleName]
    permissions: list[PermissionRow]


USER_SORTABLE = ("id", "username", "display_name", "role", "created_at", "last_login_at")


class UserListQuery(PageQuery):
    keyword: str | None = Field(default=None, max_length=64)
    role: RoleName | None = None
    is_active: bool | None = None
    include_deleted: bool = False
    sort: str | None = sort_by(*USER_SORTABLE)


class UserRecordQuery(Schema):
    include_deleted: bool = Field(
        default=False, description="true: answer a soft-deleted user too; without it, a 404"
    )


class UserPage(Page[UserPublic]):
    pass


class OwnerOption(PublicSchema):
    """Who can own a customer: enough to pick one, nothing more."""

    id: int
    username: str
    display_name: str
    role: RoleName


class OwnerOptions(Schema):
    items: list[OwnerOption]
