"""Password hashing with argon2id (argon2-cffi defaults, RFC 9106 low-memory profile), and the
rule every new password meets."""

from __future__ import annotations

import functools
import gzip
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from opcms.core.i18n import Message
from opcms.core.settings import get_settings


@functools.cache
def _hasher_with(time_cost: int, memory_kib: int, parallelism: int) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    # verified when the username is unknown, so both paths cost one argon2 verification
    return hasher, hasher.hash("opcms-timing-equaliser")


def _hasher() -> tuple[PasswordHasher, str]:
    """The hasher of the configured cost (argon2-cffi's defaults unless told otherwise: the test
    suite, which creates a user in most tests, asks for the cheapest)."""
    settings = get_settings()
    return _hasher_with(
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    )


MIN_PASSWORD_LENGTH = 10
# The 20,000 most common passwords (lower-cased, one a line) as compiled by Royce Williams, taken
# unchanged from Django 5.2 (django/contrib/auth/common-passwords.txt.gz, BSD licence, kept in
# common-passwords.LICENSE beside it). Length rules alone let "password12" through; this list
# is what stops the passwords tried first by anyone guessing.
_COMMON_PASSWORDS_FILE = "common-passwords.txt.gz"


@functools.cache
def _common_passwords() -> frozenset[str]:
    # read on first use (about 20 ms), not at import: the CLI and the worker rarely need it
    with resources.files(__package__).joinpath(_COMMON_PASSWORDS_FILE).open("rb") as raw:
        text = gzip.decompress(raw.read()).decode()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def is_common_password(password: str) -> bool:
    """Case does not make a common password less common: "Password12" is "password12"."""
    return password.strip().lower() in _common_passwords()


def password_problem(password: str) -> Message | None:
    """Why ``password`` may not be set, or None when it may (the same words on API and CLI)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return Message(
            "password_too_short",
            {"limit": MIN_PASSWORD_LENGTH},
            f"must be at least {MIN_PASSWORD_LENGTH} characters",
        )
    if password.isdigit() or password.isalpha():
        return Message("password_one_kind", fallback="must mix letters with digits or symbols")
    if is_common_password(password):
        return Message("password_common", fallback="is one of the most common passwords; choose another")
    return None


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, dummy_hash = _hasher()
    try:
        return hasher.verify(password_hash or dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher()[0].check_needs_rehash(password_hash)
