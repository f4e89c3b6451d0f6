"""The soft-deletable kinds of record, for the deleted records page (``opcms.deleted``).

Each business table whose rows the product soft-deletes is described once by a
:class:`DeletableKind` — its model, what names a row, which of its values must be free for a
restore, which rows it hangs on, and the domain's own restore rule — registered in
``opcms.wiring``. Core knows no domain: the descriptions are handed to it.

Deleted codes and names (docs/deleted-records.md): a configuration record's code or name (a
metric's or plan's code, a data source's or channel's name, a template's code, a username)
stays taken by the deleted row — a plain unique column holds it, and creating another with it
is a 409 naming the deleted row to restore. A customer's code and company name and a vendor
account mapping's account are freed on delete (their uniqueness keys are NULL once deleted):
creating another is allowed, and restoring the deleted one then answers 409
``restore_conflict`` naming the field and value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opcms.core.audit import to_json_value
from opcms.core.errors import Conflict, NotFound
from opcms.core.i18n import Message
from opcms.core.models import MASK, AuditedModel
from opcms.core.secrets import without_url_credentials

#: a domain's own check before a restore (raises a Conflict), e.g. no overlapping subscription
RestoreCheck = Callable[[Any], Awaitable[None]]

#: the soft delete's own fields: at the end of a record, after its business fields
_DELETION_FIELDS = ("is_deleted", "deleted_at", "deleted_by")


@dataclass(frozen=True)
class UniqueValue:
    """A value of a deleted row that a live row may hold again since (a freed code or name).

    ``live_filter`` turns the deleted row into the filter that finds a live row holding the
    same value (``{"code_key": row.customer_code.casefold()}``); by default the field itself."""

    field: str
    live_filter: Callable[[Any], dict[str, Any]] | None = None

    def filter_for(self, row: Any) -> dict[str, Any]:
        if self.live_filter is not None:
            return self.live_filter(row)
        return {self.field: getattr(row, self.field)}


@dataclass(frozen=True)
class Parent:
    """A row the record hangs on (a subscription's customer): a record is not restored while
    its parent stays deleted. ``field`` is the record's column holding the parent's id."""

    field: str
    model: type[AuditedModel]
    kind: str


@dataclass(frozen=True)
class DeletableKind:
    kind: str  # "pricing_plan": the audit log's entity type of the rows too
    model: type[AuditedModel]
    label_fields: tuple[str, ...]  # what names a row on the page, joined with " · "
    search_fields: tuple[str, ...] = ()  # text columns the page's search box looks in
    unique: tuple[UniqueValue, ...] = ()  # values freed on delete, checked free on restore
    codes_freed: bool = False  # True: deleting frees the code/name (see the module's docstring)
    parents: tuple[Parent, ...] = ()
    check_restore: RestoreCheck | None = None

    @property
    def entity(self) -> str:
        return self.model.audit_entity

    def label(self, row: Any) -> str:
        values = [to_json_value(getattr(row, name, None)) for name in self.label_fields]
        return " · ".join(str(v) for v in values if v is not None and str(v) != "")

    def record(self, row: AuditedModel) -> dict[str, Any]:
        """The row as it was, masked as the audit log masks it (secrets ``***``, no URL
        credentials), with its bookkeeping fields."""
        values = row.audit_values()
        masked = {k: (MASK if k in row.audit_masked and v else v) for k, v in values.items()}
        business = {k: v for k, v in masked.items() if k not in _DELETION_FIELDS}
        record = {"id": row.id, **(without_url_credentials(business) or {})}
        record["created_at"] = to_json_value(row.created_at)
        record["created_by"] = row.created_by
        record["updated_at"] = to_json_value(row.updated_at)
        record["updated_by"] = row.updated_by
        return record | {name: values.get(name) for name in _DELETION_FIELDS}


_KINDS: dict[str, DeletableKind] = {}


def register_deletable(kind: DeletableKind) -> None:
    """Make ``kind`` listed and restorable on the deleted records page (once per kind)."""
    if kind.kind in _KINDS and _KINDS[kind.kind] != kind:
        raise ValueError(f"deletable kind {kind.kind!r} is registered twice")
    _KINDS[kind.kind] = kind


def deletable_kinds() -> list[DeletableKind]:
    return list(_KINDS.values())


def deletable_kind(kind: str) -> DeletableKind:
    """The registered kind, or a 404 ``unknown_deleted_kind``."""
    found = _KINDS.get(kind)
    if found is None:
        params = {"kind": kind, "known": ", ".join(sorted(_KINDS))}
        message = "no kind of deleted record '{kind}'; known: {known}"
        raise NotFound(
            message,
            code="unknown_deleted_kind",
            params=params,
            details=[
                {"field": "entity", "code": "unknown_deleted_kind", "params": params, "message": message}
            ],
        )
    return found


def kind_label(kind: str) -> Message:
    """A kind of record as a message names it, in the reader's language (``record_kind.<kind>``)."""
    return Message(f"record_kind.{kind}", fallback=kind.replace("_", " "))


def field_label(field: str) -> Message:
    """A field a restore is refused on, in the reader's language (``record_field.<field>``)."""
    return Message(f"record_field.{field}", fallback=field)


def restore_conflict(kind: DeletableKind, field_name: str, value: Any, holder_id: int) -> Conflict:
    """409 ``restore_conflict``: the deleted row's freed ``field_name`` is held again by a live
    row (``holder_id``), made since."""
    params = {
        "kind": kind_label(kind.kind),
        "field": field_label(field_name),
        "value": value,
        "holder_id": holder_id,
    }
    message = (
        "cannot restore: {kind} {field} '{value}' is taken again by {kind} {holder_id} created since; "
        "rename or delete that one first"
    )
    detail = {"field": field_name, "code": "restore_conflict", "params": params, "message": message}
    return Conflict(message, code="restore_conflict", params=params, details=[detail])
