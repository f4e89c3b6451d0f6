"""JWT access and refresh tokens (HS256, signed with the settings' secret key).

Claims: ``sub`` (user id), ``typ`` (access|refresh), ``fam`` (token family = one login),
``jti``, ``iat``, ``exp``. Only HS256 is accepted, so ``alg=none`` and foreign algorithms
are refused by construction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import jwt

from opcms.core.errors import Unauthorized
from opcms.core.settings import get_settings

ALGORITHM = "HS256"
ISSUER = "opcms"


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    token_type: str
    family_id: str
    jti: str
    expires_at: dt.datetime


def new_id() -> str:
    return uuid.uuid4().hex


def encode(
    user_id: int, token_type: str, family_id: str, ttl_seconds: int, jti: str | None = None
) -> tuple[str, TokenClaims]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    claims = TokenClaims(
        user_id=user_id,
        token_type=token_type,
        family_id=family_id,
        jti=jti or new_id(),
        expires_at=now + dt.timedelta(seconds=ttl_seconds),
    )
    payload = {
        "iss": ISSUER,
        "sub": str(user_id),
        "typ": token_type,
        "fam": family_id,
        "jti": claims.jti,
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    return jwt.encode(payload, get_settings().signing_key, algorithm=ALGORITHM), claims


def decode(token: str, expected_type: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            get_settings().signing_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("The token is invalid", code="invalid_token") from None
    if payload.get("typ") != expected_type or not isinstance(payload.get("fam"), str):
        raise Unauthorized("The token is invalid", code="invalid_token")
    try:
        user_id = int(payload["sub"])
    except (TypeError, ValueError):
        raise Unauthorized("The token is invalid", code="invalid_token") from None
    return TokenClaims(
        user_id=user_id,
        token_type=expected_type,
        family_id=payload["fam"],
        jti=str(payload["jti"]),
        expires_at=dt.datetime.fromtimestamp(payload["exp"], dt.UTC),
    )
