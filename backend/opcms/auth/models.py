"""Users and the records behind their sessions (token families and refresh tokens)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from opcms.core.models import AuditedModel, foreign_key


class User(AuditedModel):
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=128, default="")
    role = fields.CharField(max_length=16)
    password_hash = fields.CharField(max_length=255)
    is_active = fields.BooleanField(default=True)
    last_login_at = fields.DatetimeField(null=True)
    # a one-time password set by an admin: until the user chooses their own, every route but
    # /auth/me, /auth/password and /auth/logout answers 403 password_change_required
    must_change_password = fields.BooleanField(default=False)
    # where notifications reach this user: overdue reminders go to a customer's owner on WeCom
    email = fields.CharField(max_length=254, null=True)
    wecom_userid = fields.CharField(max_length=64, null=True)

    audit_entity = "user"
    audit_masked = frozenset({"password_hash"})

    class Meta:
        table = "auth_user"


class TokenFamily(Model):
    """One login: every access and refresh token it begets shares the family.

    Revoking the family (logout, refresh-token reuse, password reset) kills them all at once.
    """

    id = fields.CharField(max_length=32, primary_key=True)
    user: fields.ForeignKeyRelation[User] = foreign_key("opcms.User", "token_families")
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "auth_token_family"


class RefreshToken(Model):
    """A refresh token is single use: using it marks it used and issues its successor."""

    jti = fields.CharField(max_length=32, primary_key=True)
    family: fields.ForeignKeyRelation[TokenFamily] = foreign_key(
        "opcms.TokenFamily", "refresh_tokens", on_delete=fields.CASCADE
    )
    family_id: int
    issued_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_refresh_token"


class LoginThrottle(Model):
    """Failed-login counter for one key (``user:<name>`` or ``ip:<address>``)."""

    key = fields.CharField(max_length=128, primary_key=True)
    failures = fields.IntField(default=0)
    window_started_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_login_throttle"
