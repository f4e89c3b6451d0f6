"""``Idempotency-Key`` on writes that create money records (DESIGN §2).

The first response to a key is stored with a hash of the request body; the same key with the
same body gets that response again, the same key with another body is a 409.
Routes answer through :func:`respond_once` (payments, allocations, credit notes), which runs
the use case with :func:`run_once` and retries it whole when the database gave it up to break a
deadlock. The use case it runs must make one attempt only (no retry of its own): a retry inside
the transaction that holds the key's record could not undo what the database rolled back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from opcms.core.context import current_actor
from opcms.core.errors import Conflict, ValidationFailed

if TYPE_CHECKING:
    from sanic.response import HTTPResponse


class IdempotencyRecord(Model):
    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=64)  # e.g. "payments.create"
    # sha256 of the key as sent: keys are case-sensitive, and a digest compares exactly under
    # any collation (MariaDB's default one would take "abc" and "ABC" for one key)
    key = fields.CharField(max_length=128)
    actor = fields.CharField(max_length=64)
    request_hash = fields.CharField(max_length=64)  # sha256 of the canonical body
    response_status = fields.IntField()
    response_body: fields.JSONField[Any] = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("scope", "key"),)


# --- the helper create endpoints use -------------------------------------------------------------
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 128
# written with the record and replaced by the real answer before the transaction commits:
# nobody ever reads it (the row is invisible until commit)
_PENDING_STATUS = 0


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any
    replayed: bool  # True: the answer of an earlier request with the same key


def request_hash(body: Any) -> str:
    """sha256 of the canonical JSON of a request body (keys sorted, no spaces), so the same
    body sent with its keys in another order or other spacing is the same request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def checked_key(raw: str | None) -> str | None:
    """The key of a header value, or None when there is none; a 422 when it is unusable."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed.field(
            HEADER,
            f"must be 1 to {MAX_KEY_LENGTH} printable characters",
            code="idempotency_key_invalid",
            params={"limit": MAX_KEY_LENGTH},
        )
    return key


def _reused(key: str) -> Conflict:
    message = f"{HEADER} {key!r} was already used with another request body; use a new key for a new request"
    params = {"header": HEADER, "key": key}
    return Conflict(
        message,
        code="idempotency_key_reused",
        params=params,
        details=[{"field": HEADER, "message": message, "code": "idempotency_key_reused", "params": params}],
    )


def _stored_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def _answer_of(scope: str, key: str, digest: str, actor: str) -> StoredResponse | None:
    record = await IdempotencyRecord.get_or_none(scope=scope, key=_stored_key(key))
    if record is None:
        return None
    if record.request_hash != digest or record.actor != actor:
        raise _reused(key)
    return StoredResponse(record.response_status, record.response_body, replayed=True)


async def run_once(
    scope: str,
    key: str | None,
    body: Any,
    create: Callable[[], Awaitable[tuple[int, Any]]],
    *,
    check: Callable[[], Awaitable[None]] | None = None,
) -> StoredResponse:
    """Run ``create`` (which returns ``(status, json body)``) at most once per ``(scope, key)``.

    Without a key, ``create`` simply runs. With one, the record is inserted *first* in the
    transaction that runs ``create``: a concurrent request with the same key waits on the
    unique ``(scope, key)`` index until this one commits (MariaDB) or runs after it (SQLite's
    single writer), then gets the stored answer. A failed ``create`` rolls the record back
    with it, so an error is never replayed: the retry runs again.

    ``check`` runs the validations that read (and may refuse) after a replay was ruled out and
    before the transaction, which then starts with writes only (see payments.service).
    """
    if key is None:
        if check is not None:
            await check()
        status, response = await create()
        return StoredResponse(status, response, replayed=False)
    actor = current_actor.get().name[:64]
    digest = request_hash(body)
    stored = await _answer_of(scope, key, digest, actor)
    if stored is not None:
        return stored
    if check is not None:
        await check()
    try:
        async with in_transaction():
            record = await IdempotencyRecord.create(
                scope=scope,
                key=_stored_key(key),
                actor=actor,
                request_hash=digest,
                response_status=_PENDING_STATUS,
                response_body={},
            )
            status, response = await create()
            record.response_status, record.response_body = status, response
            await record.save(update_fields=["response_status", "response_body"])
    except IntegrityError:
        # Either the key was taken by a concurrent request that committed first, or create()
        # let an IntegrityError of its own through. Read again, outside the rolled-back
        # transaction, so the committed record is visible.
        stored = await _answer_of(scope, key, digest, actor)
        if stored is None:
            raise
        return stored
    return StoredResponse(status, response, replayed=False)


async def respond_once(
    request: Any,
    scope: str,
    body: Any,
    create: Callable[[], Awaitable[tuple[int, Any]]],
    *,
    check: Callable[[], Awaitable[None]] | None = None,
) -> HTTPResponse:
    """The HTTP answer of a create route that honours ``Idempotency-Key``: the stored answer
    again (with ``Idempotent-Replayed: true``) or the new one."""
    from sanic.response import json as json_response

    from opcms.core.retries import retry_on_deadlock

    key = checked_key(request.headers.get(HEADER))
    answer = await retry_on_deadlock(run_once)(scope, key, body, create, check=check)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return json_response(answer.body, status=answer.status, headers=headers)
