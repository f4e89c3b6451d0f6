"""``Idempotency-Key`` on writes that create money records (DESIGN §2).

The first response to a key is stored with a hash of the request body; the same key with the
same body gets that response again, the same key with another body is a 409.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyRecord(Model):
    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=64)  # e.g. "payments.create"
    key = fields.CharField(max_length=128)
    actor = fields.CharField(max_length=64)
    request_hash = fields.CharField(max_length=64)  # sha256 of the canonical body
    response_status = fields.IntField()
    response_body = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("scope", "key"),)
