"""Secrets at rest (data source and channel credentials): Fernet, keyed from the settings;
and the request and answer shapes every API that takes credentials shares.

The Fernet key is derived (HKDF-SHA256) from the signing secret, so there is no second key to
lose; a token written under another key is refused with :class:`SecretUnreadable` rather than
answered as garbage.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Annotated, Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import Field, StringConstraints

from opcms.core.settings import get_settings


class SecretUnreadable(RuntimeError):
    """Stored secrets cannot be decrypted with this installation's key."""


@lru_cache(maxsize=4)
def _fernet(signing_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"opcms-secrets-at-rest", info=b"fernet"
    ).derive(signing_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_json(values: dict[str, Any]) -> str:
    return _fernet(get_settings().signing_key).encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def encrypted(secrets: dict[str, Any]) -> str | None:
    """The stored token of a set of secrets; none stored for none."""
    return encrypt_json(secrets) if secrets else None


def decrypt_json(token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        values: dict[str, Any] = json.loads(_fernet(get_settings().signing_key).decrypt(token.encode()))
        return values
    except InvalidToken:
        raise SecretUnreadable("stored secrets were encrypted with another OPCMS_SECRET_KEY") from None


def patch_secrets(token: str | None, patch: dict[str, Any] | None) -> tuple[dict[str, Any], str | None, bool]:
    """Apply a PATCH's ``secrets`` (a ``None`` value removes that name) to the stored token.

    Returns the secrets after the patch, their new token, and whether the token changes.
    Stored secrets that cannot be decrypted (the key changed) are replaced when the patch gives
    them again, and are a 409 ``secrets_unreadable`` otherwise — a settings change needs them
    to be checked against.
    """
    from opcms.core.errors import Conflict

    try:
        current = decrypt_json(token)
    except SecretUnreadable:
        if patch is None:
            raise Conflict(
                "the stored secrets cannot be decrypted (OPCMS_SECRET_KEY changed): send them again in 'secrets'",
                code="secrets_unreadable",
            ) from None
        current = {}
    secrets = dict(current)
    for name, value in (patch or {}).items():
        if value is None:
            secrets.pop(name, None)
        else:
            secrets[name] = value
    changed = secrets != current or bool(token and not current)  # unreadable ones are re-encrypted
    return secrets, encrypted(secrets), changed


def take_secrets(changes: dict[str, Any], token: str | None) -> dict[str, Any] | None:
    """Move a PATCH's ``secrets`` out of its ``changes`` onto the stored ``token``: a new token
    goes into ``changes`` as ``secrets_encrypted`` when they change. Returns the secrets after
    the patch when the settings or the secrets change (the config must be checked again with
    them), None when neither does."""
    patch = changes.pop("secrets", None)
    if "settings" not in changes and patch is None:
        return None
    secrets, new_token, changed = patch_secrets(token, patch)
    if changed:
        changes["secrets_encrypted"] = new_token
    return secrets


def secret_names(token: str | None) -> tuple[list[str], bool]:
    """(the names of the stored secrets, whether they could be decrypted): what an API answers
    about secrets — never their values."""
    try:
        return sorted(decrypt_json(token)), True
    except SecretUnreadable:
        return [], False


def secret_fields(token: str | None) -> dict[str, Any]:
    """The ``secret_names`` and ``secrets_readable`` of an answer (:data:`SecretNames`)."""
    names, readable = secret_names(token)
    return {"secret_names": names, "secrets_readable": readable}


# --- credentials in URLs -------------------------------------------------------------------------
# Settings are stored in clear, answered to every reader and written to the audit log; a URL's
# userinfo (``https://user:password@host/``) is a credential in that clear text, like an
# Authorization header, and is refused there: it belongs in the secrets.
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s@]*@")


def _texts(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}.{index}")


def url_credentials(
    settings: Any, secret_fields: Iterable[str] = (), *, prefix: str = "settings"
) -> list[dict[str, str]]:
    """One error detail per setting that holds a URL with a user name or password, naming the
    secrets the credential belongs in; empty when there is none."""
    names = ", ".join(f"secrets.{name}" for name in secret_fields) or "secrets"
    message = f"must not carry a user name or password (user:password@): give credentials in {names}"
    return [
        {"field": field, "message": message}
        for field, text in _texts(settings, prefix)
        if _URL_USERINFO.search(text)
    ]


def without_url_credentials(value: Any) -> Any:
    """``value`` with the userinfo of every URL in it replaced by ``***``: what an answer shows
    of settings stored before such URLs were refused."""
    if isinstance(value, str):
        # a URL's userinfo ends with "@": a text without one (most of them) skips the regex
        return _URL_USERINFO.sub(r"\1***@", value) if "@" in value else value
    if isinstance(value, dict):
        return {key: without_url_credentials(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_url_credentials(item) for item in value]
    return value


# --- request and answer shapes ----------------------------------------------------------------
# They travel in one direction only: a request may set them, no response carries them
# (``secret_names`` lists the keys that are set, never a value).
MAX_SECRETS = 32
SecretName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
SecretValue = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
#: the secrets of a new source or channel
SecretsIn = Annotated[
    dict[SecretName, SecretValue],
    Field(
        default_factory=dict,
        max_length=MAX_SECRETS,
        description="credentials, encrypted at rest, never answered",
    ),
]
#: a PATCH's secrets, merged key by key (:func:`patch_secrets`)
SecretsPatch = Annotated[
    dict[SecretName, SecretValue | None] | None,
    Field(max_length=MAX_SECRETS, description="per key: a value replaces, null removes, absent keeps"),
]
SecretNames = Annotated[
    list[str], Field(description="the names of the secrets that are set (values are never answered)")
]
SecretsReadable = Annotated[
    bool, Field(description="false when the stored secrets were encrypted under another OPCMS_SECRET_KEY")
]
