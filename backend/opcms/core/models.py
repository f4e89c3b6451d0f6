"""The base of every business table: audit fields, soft delete, restore, automatic audit rows.

``Model.filter()/all()/get()`` hide soft-deleted rows; ``Model.with_deleted()`` is the
explicit way to see them (auditors, admins, restore). Every ``save()`` appends an audit row
with the before/after of the fields it changed, on the same connection (and so in the same
transaction) as the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, TypeVar, cast, overload

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.fields.relational import OnDelete
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet

from opcms.core.audit import AuditAction, record_audit, to_json_value
from opcms.core.context import current_actor
from opcms.core.errors import Conflict, NotFound
from opcms.core.schemas import MAX_ID

# Bookkeeping columns: changing them alone is not worth an audit row.
BOOKKEEPING_FIELDS = frozenset({"updated_at", "updated_by", "created_at", "created_by"})
MASK = "***"

ModelT = TypeVar("ModelT", bound=Model)

#: set while rows are read only to be answered (a list page): they get no audit before-image
_reading_only: ContextVar[bool] = ContextVar("reading_only", default=False)


@contextmanager
def read_only_rows() -> Iterator[None]:
    """Rows loaded inside this block are for reading: no audit before-image is taken (the copy
    costs more than the rest of building a row), and saving one is refused — a row to change is
    loaded again, outside the block, so that its change is audited against what it was."""
    token = _reading_only.set(True)
    try:
        yield
    finally:
        _reading_only.reset(token)


class LiveRowsManager(Manager):
    """Default manager: soft-deleted rows are invisible unless asked for."""

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().filter(is_deleted=False)


async def get_or_404(source: type[ModelT] | QuerySet[ModelT], pk: int, entity: str) -> ModelT:
    """One row by id, or a typed 404 (ids outside BIGINT never reach the database)."""
    row = await source.get_or_none(id=pk) if 0 < pk <= MAX_ID else None
    if row is None:
        raise NotFound.entity(entity, pk)
    return row


async def column_values(queryset: QuerySet[Any], field: str) -> list[Any]:
    """One field of every row of ``queryset``, as a flat list: ``values_list(field, flat=True)``.

    Tortoise's hints type any ``values_list`` as a list of tuples; a flat one is a list of
    values, and this says so in one place."""
    return cast(list[Any], await queryset.values_list(field, flat=True))


async def records_by_id(
    queryset: QuerySet[Any], fields: Sequence[str], chunk: int
) -> AsyncIterator[dict[str, Any]]:
    """Every row of ``queryset`` as a dict of ``fields``, in id order, read ``chunk`` rows at a
    time by keyset (``id > last``): an export of any size holds one chunk in memory, and no
    page is skipped or read twice while rows are added."""
    last_id = 0
    while True:
        rows = await queryset.filter(id__gt=last_id).order_by("id").limit(chunk).values_list("id", *fields)
        if not rows:
            return
        for _id, *values in rows:
            yield dict(zip(fields, values, strict=True))
        last_id = rows[-1][0]


def field_values(instance: Model) -> dict[str, Any]:
    """A row's loaded values by field name (the audit before-image; answers built from a row).

    Lists and dicts (JSON fields) are copied: changing one in place must still show as a change."""
    return {
        k: (v.copy() if isinstance(v, (list, dict)) else v)
        for k, v in instance.__dict__.items()
        if not k.startswith("_")
    }


@overload
def foreign_key(
    to: str, related_name: str, *, null: Literal[False] = False, on_delete: OnDelete = fields.RESTRICT
) -> fields.ForeignKeyRelation[ModelT]: ...


@overload
def foreign_key(
    to: str, related_name: str, *, null: Literal[True], on_delete: OnDelete = fields.RESTRICT
) -> fields.ForeignKeyNullableRelation[ModelT]: ...


def foreign_key(
    to: str, related_name: str, *, null: bool = False, on_delete: OnDelete = fields.RESTRICT
) -> fields.ForeignKeyRelation[ModelT] | fields.ForeignKeyNullableRelation[ModelT]:
    """A reference to a row of ``to`` (``"opcms.Customer"``), reached back from it as
    ``related_name``. The database refuses to delete a row something still refers to
    (RESTRICT) unless ``on_delete`` says otherwise: business rows are soft-deleted, never removed.

    Declared with the relation's type and the column behind it, which the type checker needs::

        customer: fields.ForeignKeyRelation[Customer] = foreign_key("opcms.Customer", "invoices")
        customer_id: int
    """
    if null:  # (Tortoise's overloads take the literal)
        return fields.ForeignKeyField(to, related_name=related_name, null=True, on_delete=on_delete)
    return fields.ForeignKeyField(to, related_name=related_name, on_delete=on_delete)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuditedModel(Model):
    id = fields.BigIntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    created_by = fields.CharField(max_length=64, null=True)
    updated_by = fields.CharField(max_length=64, null=True)
    is_deleted = fields.BooleanField(default=False, db_index=True)
    deleted_at = fields.DatetimeField(null=True)
    deleted_by = fields.CharField(max_length=64, null=True)

    #: name of the entity in the audit log, e.g. ``"user"``
    audit_entity: ClassVar[str] = ""
    #: fields whose values never reach the audit log (a change still shows, as ``***``)
    audit_masked: ClassVar[frozenset[str]] = frozenset()
    #: derived columns that are not worth recording (e.g. uniqueness keys)
    audit_ignored: ClassVar[frozenset[str]] = frozenset()
    #: the audited field names, worked out once per concrete model (set by _audited_field_names)
    _audited_names: ClassVar[tuple[str, ...]]

    class Meta:
        abstract = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls._meta.abstract:
            # one manager instance per concrete model: Tortoise binds it to the class
            cls._meta.manager = LiveRowsManager()
            if not cls.audit_entity:
                cls.audit_entity = cls._meta.db_table or cls.__name__.lower()

    @classmethod
    def with_deleted(cls) -> QuerySet[Self]:
        """All rows, soft-deleted ones included."""
        return QuerySet(cls)

    @classmethod
    def _init_from_db(cls, **kwargs: Any) -> Any:
        instance = super()._init_from_db(**kwargs)
        if _reading_only.get():
            object.__setattr__(instance, "_read_only", True)
            return instance
        # Only a cheap copy of the loaded values: most rows are read, never saved, so the
        # before-image is turned into audit values only when a save needs it.
        object.__setattr__(instance, "_audit_snapshot", field_values(instance))
        return instance

    @classmethod
    def _audited_field_names(cls) -> tuple[str, ...]:
        names: tuple[str, ...] | None = cls.__dict__.get("_audited_names")
        if names is None:
            names = tuple(
                cls._meta.fields_db_projection_reverse.get(column, column)
                for column in cls._meta.db_fields
                if cls._meta.fields_db_projection_reverse.get(column, column)
                not in BOOKKEEPING_FIELDS | cls.audit_ignored
            )
            cls._audited_names = names
        return names

    def audit_values(self, source: dict[str, Any] | None = None) -> dict[str, Any]:
        """The audited fields as JSON values, of this row or of an earlier snapshot of it."""
        source = self.__dict__ if source is None else source
        return {name: to_json_value(source.get(name)) for name in self._audited_field_names()}

    def _masked(self, values: dict[str, Any] | None) -> dict[str, Any] | None:
        # compared unmasked (so a new password hash counts as a change), written masked
        if values is None:
            return None
        return {k: (MASK if k in self.audit_masked and v else v) for k, v in values.items()}

    async def save(
        self,
        using_db: BaseDBAsyncClient | None = None,
        update_fields: Any = None,
        force_create: bool = False,
        force_update: bool = False,
        *,
        audit_action: AuditAction | None = None,
        audit_message: str = "",
    ) -> None:
        actor = current_actor.get().name[:64]
        creating = force_create or not self._saved_in_db
        if not creating and self.__dict__.get("_read_only"):
            raise PermissionError(
                f"{type(self).__name__} {self.pk} was read for display only (read_only_rows): "
                "load it again to change it"
            )
        if creating and not self.created_by:
            self.created_by = actor
        self.updated_by = actor
        if update_fields is not None and not creating:
            update_fields = list(dict.fromkeys([*update_fields, "updated_by", "updated_at"]))
        await super().save(using_db, update_fields, force_create, force_update)

        after = self.audit_values()
        if creating:
            before_changed, after_changed = None, after
            action = audit_action or AuditAction.CREATE
        else:
            previous = self.audit_values(getattr(self, "_audit_snapshot", {}))
            changed = [k for k, v in after.items() if previous.get(k) != v]
            before_changed = {k: previous.get(k) for k in changed}
            after_changed = {k: after[k] for k in changed}
            action = audit_action or AuditAction.UPDATE
            if not changed and audit_action is None:
                object.__setattr__(self, "_audit_snapshot", field_values(self))
                return
        await record_audit(
            action,
            self.audit_entity,
            self.pk,
            before=self._masked(before_changed),
            after=self._masked(after_changed),
            message=audit_message,
            using_db=using_db,
        )
        object.__setattr__(self, "_audit_snapshot", field_values(self))

    async def soft_delete(self, reason: str = "", using_db: BaseDBAsyncClient | None = None) -> None:
        self.is_deleted = True
        self.deleted_at = utcnow()
        self.deleted_by = current_actor.get().name[:64]
        await self.save(
            using_db,
            update_fields=["is_deleted", "deleted_at", "deleted_by"],
            audit_action=AuditAction.DELETE,
            audit_message=reason,
        )

    async def restore(self, using_db: BaseDBAsyncClient | None = None) -> None:
        self.is_deleted = False
        self.deleted_at = None
        self.deleted_by = None
        await self.save(
            using_db,
            update_fields=["is_deleted", "deleted_at", "deleted_by"],
            audit_action=AuditAction.RESTORE,
        )

    async def delete(self, using_db: BaseDBAsyncClient | None = None) -> None:
        raise PermissionError(
            f"{type(self).__name__} rows are soft-deleted through soft_delete(), never removed"
        )


@dataclass(frozen=True)
class ChosenName:
    """A unique column whose values people choose (a data source's or channel's name, a
    template's code). Soft-deleted rows keep their value (a plain unique column) and so block
    it too: the conflict says so, naming the deleted row to restore or rename."""

    model: type[AuditedModel]
    field: str  # "name"
    entity: str  # "notification channel", as the message names the row
    short_entity: str  # "channel", in "taken by deleted channel 3"
    code: str  # the conflict's error code
    lookup: str = ""  # "__iexact": compared without regard to letter case

    def taken(self, value: str, where: str = "", holder: int | None = None) -> Conflict:
        # the catalog names the row in each language: ``<code>`` and ``<code>_deleted`` (by a
        # deleted row, whose id is given)
        suffix = "_deleted" if holder is not None else ""
        held = {"id": holder} if holder is not None else {}
        return Conflict(
            f"{self.entity} {self.field} {value!r} is taken{where}",
            code=self.code,
            key=self.code + suffix,
            params={"value": value, **held},
            details=[
                {"field": self.field, "message": f"taken{where}", "code": "taken" + suffix, "params": held}
            ],
        )

    async def check_free(self, value: str, *, other_than: int | None = None) -> None:
        """Refuse ``value`` when a row other than ``other_than`` holds it, deleted or not."""
        rows = self.model.with_deleted().filter(**{self.field + self.lookup: value})
        taken = await rows.exclude(id=other_than or 0).first()
        if taken is not None:
            raise self.taken(
                value, f" by deleted {self.short_entity} {taken.id}" if taken.is_deleted else "", taken.id
            )

    async def save_changes(self, row: AuditedModel, changes: dict[str, Any]) -> None:
        """Write ``changes`` to ``row`` (its new value checked free beforehand): a race lost to
        another row taking the value between the check and the write is the same 409."""
        row.update_from_dict(changes)
        try:
            await row.save()
        except IntegrityError:
            raise self.taken(getattr(row, self.field)) from None
