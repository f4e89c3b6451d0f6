"""Batched SQL for the import's write phase: customers, their status history, audit rows.

A 50,000-row import cannot afford ``Model.save()`` per row, so this does by hand, in batches
of multi-row statements on the import's one transaction, what ``AuditedModel.save`` and the
customer service do for one row: bookkeeping fields from the current actor, the uniqueness
keys (``Customer.refresh_keys``), an audit row with the before/after of the changed fields
(``create`` carries the whole new row, as ``AuditedModel.save`` writes it), and a status
history row for every new customer and every status move (audited as ``status_change``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import JSONField

from opcms.core.audit import AuditAction, AuditLog, to_json_value
from opcms.core.context import current_actor, current_client_ip, current_request_id
from opcms.core.models import BOOKKEEPING_FIELDS
from opcms.customers.models import SCORE_FIELDS, Customer, CustomerStatusHistory, code_key
from opcms.customers.schemas import CustomerCreate

#: the profile fields an import sets
PROFILE_FIELDS = tuple(CustomerCreate.model_fields)
# the audit row's JSON column encodes its values this way (fields_map is typed by the base Field)
_encode_json = cast(JSONField[Any], AuditLog._meta.fields_map["after"]).encoder


# Read from the model once Tortoise is initialised (foreign-key columns such as owner_id are
# added to the model's meta then).
@functools.cache
def audit_fields() -> tuple[str, ...]:
    """What AuditedModel.audit_values() records for a customer."""
    return tuple(
        name
        for name in Customer._meta.fields_db_projection
        if name not in BOOKKEEPING_FIELDS and name not in Customer.audit_ignored
    )


@functools.cache
def insert_fields() -> tuple[str, ...]:
    # the scores are the scoring job's: an imported profile starts without them
    fields = tuple(name for name in Customer._meta.fields_db_projection if name not in ("id", *SCORE_FIELDS))
    assert "owner_id" in fields, "Tortoise is not initialised"
    return fields


def uniqueness_keys(customer_code: str, company_name: str) -> dict[str, str | None]:
    """code_key and name_key of a live customer, by ``Customer.refresh_keys`` itself."""
    live = SimpleNamespace(is_deleted=False, customer_code=customer_code, company_name=company_name)
    Customer.refresh_keys(live)  # type: ignore[arg-type]  # a stand-in with just the fields it reads
    return {"code_key": live.code_key, "name_key": live.name_key}


class BulkWriter:
    """Writes on one connection (the import's transaction); ``now`` stamps every row."""

    def __init__(self, conn: BaseDBAsyncClient, *, message: str, now: dt.datetime) -> None:
        self.conn = conn
        self.mysql = conn.capabilities.dialect == "mysql"
        self.mark = "%s" if self.mysql else "?"
        actor = current_actor.get()
        self.actor = actor.name[:64]
        self.actor_user_id = actor.user_id
        self.request_id = current_request_id.get()
        self.client_ip = current_client_ip.get()
        self.message = message[:255]
        self.now = now

    def _quote(self, name: str) -> str:
        return f"`{name}`" if self.mysql else f'"{name}"'

    def _insert_sql(self, table: str, columns: Sequence[str]) -> str:
        names = ", ".join(self._quote(c) for c in columns)
        marks = ", ".join([self.mark] * len(columns))
        return f"INSERT INTO {self._quote(table)} ({names}) VALUES ({marks})"

    # --- customers ------------------------------------------------------------------------------
    async def create_customers(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert new customers (profile dicts); returns their ids in the same order."""
        if not rows:
            return []
        bookkeeping = {
            "created_at": self.now,
            "updated_at": self.now,
            "created_by": self.actor,
            "updated_by": self.actor,
            "is_deleted": False,
            "deleted_at": None,
            "deleted_by": None,
        }
        columns = insert_fields()
        values = []
        for row in rows:
            record = {**bookkeeping, **row}
            record.update(uniqueness_keys(row["customer_code"], row["company_name"]))
            values.append([record[name] for name in columns])
        await self.conn.execute_many(self._insert_sql(Customer._meta.db_table, columns), values)
        codes = [code_key(row["customer_code"]) for row in rows]
        found = await self.conn.execute_query_dict(
            f"SELECT id, code_key FROM {self._quote(Customer._meta.db_table)} "
            f"WHERE code_key IN ({', '.join([self.mark] * len(codes))})",
            codes,
        )
        ids = {row["code_key"]: row["id"] for row in found}
        return [ids[code] for code in codes]

    async def update_customers(self, changes: list[tuple[int, dict[str, Any], dict[str, Any]]]) -> None:
        """Apply ``(id, {field: new value}, the row's full profile)`` changes, one statement per
        set of changed fields."""
        groups: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
        for customer_id, changed, profile in changes:
            record = dict(changed)
            if "customer_code" in record or "company_name" in record:
                keys = uniqueness_keys(profile["customer_code"], profile["company_name"])
                if "customer_code" in record:
                    record["code_key"] = keys["code_key"]
                if "company_name" in record:
                    record["name_key"] = keys["name_key"]
            record["updated_at"] = self.now
            record["updated_by"] = self.actor
            columns = tuple(sorted(record))
            groups[columns].append([record[c] for c in columns] + [customer_id])
        table = self._quote(Customer._meta.db_table)
        for columns, values in groups.items():
            assignments = ", ".join(f"{self._quote(c)} = {self.mark}" for c in columns)
            await self.conn.execute_many(f"UPDATE {table} SET {assignments} WHERE id = {self.mark}", values)

    # --- history and audit ------------------------------------------------------------------------
    async def record_status(self, moves: list[tuple[int, str | None, str]], reason: str) -> None:
        """``(customer id, from status, to status)`` rows in customer_status_history."""
        if not moves:
            return
        columns = ("customer_id", "from_status", "to_status", "reason", "actor", "changed_at")
        values = [[cid, before, after, reason[:255], self.actor, self.now] for cid, before, after in moves]
        await self.conn.execute_many(self._insert_sql(CustomerStatusHistory._meta.db_table, columns), values)

    async def audit(
        self, entries: list[tuple[str, str, Any, dict | None, dict | None]], message: str | None = None
    ) -> None:
        """``(action, entity type, entity id, before, after)`` rows in the audit log."""
        if not entries:
            return
        columns = (
            "occurred_at",
            "actor",
            "actor_user_id",
            "action",
            "entity_type",
            "entity_id",
            "before",
            "after",
            "message",
            "request_id",
            "client_ip",
        )
        text = (self.message if message is None else message)[:255]
        values = [
            [
                self.now,
                self.actor,
                self.actor_user_id,
                action,
                entity,
                None if entity_id is None else str(entity_id),
                None if before is None else _encode_json(before),
                None if after is None else _encode_json(after),
                text,
                self.request_id,
                self.client_ip,
            ]
            for action, entity, entity_id, before, after in entries
        ]
        await self.conn.execute_many(self._insert_sql(AuditLog._meta.db_table, columns), values)


#: profile fields whose values are not JSON as they are (money, dates)
_NOT_JSON = ("credit_limit", "signed_at", "contract_end_at")


def created_audit(customer_id: int, row: dict[str, Any]) -> tuple[str, str, Any, None, dict]:
    """The audit row of a new customer: every recorded field, as AuditedModel.save writes it."""
    record = {"id": customer_id, "is_deleted": False, "deleted_at": None, "deleted_by": None, **row}
    after = {name: record.get(name) for name in audit_fields()}
    for name in _NOT_JSON:  # to_json_value on the few fields that need it (50,000 rows add up)
        after[name] = to_json_value(after[name])
    return (AuditAction.CREATE.value, Customer.audit_entity, customer_id, None, after)


def updated_audit(
    customer_id: int, before: dict[str, Any], after: dict[str, Any], action: AuditAction
) -> tuple:
    return (
        action.value,
        Customer.audit_entity,
        customer_id,
        {k: to_json_value(v) for k, v in before.items()},
        {k: to_json_value(v) for k, v in after.items()},
    )
