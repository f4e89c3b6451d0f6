"""Industry and level dictionaries: codes, Chinese and English labels and the synonyms the import meets.

A value is accepted when its folded, case-free form equals an entry's code, one of its labels or
one of its synonyms; it is stored as the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from opcms.core.errors import Conflict
from opcms.core.i18n import Invalid
from opcms.core.models import get_or_404
from opcms.core.text import fold_key
from opcms.customers.models import DictionaryEntry, DictionaryKind


@dataclass(frozen=True)
class Dictionary:
    kind: DictionaryKind
    codes: tuple[str, ...]
    lookup: dict[str, str]  # folded code/label/synonym → code

    def resolve(self, raw: str) -> str:
        code = self.lookup.get(fold_key(raw))
        if code is None:
            raise Invalid(
                f"unknown_{self.kind.value}",
                f"unknown {self.kind.value} {{value}}; use one of {{choices}}",
                value=repr(raw),
                choices=list(self.codes),
            )
        return code


def _english(label_en: str | None) -> list[str]:
    return [label_en] if label_en and label_en.strip() else []


def build(kind: DictionaryKind, entries: list[DictionaryEntry]) -> Dictionary:
    lookup: dict[str, str] = {}
    for entry in entries:
        for word in (entry.code, entry.label, *_english(entry.label_en), *entry.synonyms):
            lookup.setdefault(fold_key(word), entry.code)
    return Dictionary(kind, tuple(e.code for e in entries), lookup)


async def load_all() -> dict[DictionaryKind, Dictionary]:
    entries = await DictionaryEntry.filter(is_active=True).order_by("sort_order", "id")
    return {kind: build(kind, [e for e in entries if e.kind == kind]) for kind in DictionaryKind}


async def list_entries(kind: DictionaryKind, *, include_inactive: bool = False) -> list[DictionaryEntry]:
    qs = DictionaryEntry.filter(kind=kind)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return await qs.order_by("sort_order", "id")


async def _check_words_free(kind: DictionaryKind, words: list[str], exclude_id: int | None = None) -> None:
    others = [e for e in await DictionaryEntry.filter(kind=kind) if e.id != exclude_id]
    taken = build(kind, others).lookup
    for word in words:
        owner = taken.get(fold_key(word))
        if owner is not None:
            raise Conflict(
                f"{word!r} already means {kind.value} {owner}",
                code="dictionary_word_taken",
                key=f"dictionary_word_taken_{kind.value}",
                params={"word": word, "code": owner},
            )


async def create_entry(
    kind: DictionaryKind, code: str, label: str, synonyms: list[str], sort_order: int, label_en: str = ""
) -> DictionaryEntry:
    label_en = label_en.strip()
    async with in_transaction():
        await _check_words_free(kind, [code, label, *_english(label_en), *synonyms])
        return await DictionaryEntry.create(
            kind=kind, code=code, label=label, label_en=label_en, synonyms=synonyms, sort_order=sort_order
        )


async def update_entry(kind: DictionaryKind, entry_id: int, changes: dict) -> DictionaryEntry:
    entry = await get_or_404(DictionaryEntry.filter(kind=kind), entry_id, "dictionary_entry")
    async with in_transaction():
        if "label_en" in changes:
            changes["label_en"] = changes["label_en"].strip()
        label = changes.get("label", entry.label)
        label_en = changes.get("label_en", entry.label_en)
        synonyms = changes.get("synonyms", entry.synonyms)
        await _check_words_free(
            kind, [entry.code, label, *_english(label_en), *synonyms], exclude_id=entry.id
        )
        entry.update_from_dict(changes)
        await entry.save()
    return entry
