"""Secrets at rest (data source and channel credentials): Fernet, keyed from the settings.

The Fernet key is derived (HKDF-SHA256) from the signing secret, so there is no second key to
lose; a token written under another key is refused with :class:`SecretUnreadable` rather than
answered as garbage.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from opcms.core.settings import get_settings


class SecretUnreadable(RuntimeError):
    """Stored secrets cannot be decrypted with this installation's key."""


@lru_cache(maxsize=4)
def _fernet(signing_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"opcms-secrets-at-rest", info=b"fernet").derive(
        signing_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_json(values: dict[str, Any]) -> str:
    return _fernet(get_settings().signing_key).encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt_json(token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet(get_settings().signing_key).decrypt(token.encode()))
    except InvalidToken:
        raise SecretUnreadable("stored secrets were encrypted with another OPCMS_SECRET_KEY") from None
