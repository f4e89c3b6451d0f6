"""Bank statement use cases (DESIGN §17): import a statement (one transaction), accept a line
(one payment — or one per part of a split — with its allocations, one transaction), accept all
lines of a confidence, undo an accepted line, and the saved column mappings.

A line is accepted under its row lock, so accepting it twice at once records one payment; its
payment carries the bank's serial (or a reference made from the line's hash) and the payments'
duplicate-reference rule applies: a payment recorded by hand with that reference first makes
the line a ``conflict`` (409), never a second payment. Money moves only through the payments'
service and the ledger's allocations, with their row locks: nothing is over-allocated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, cast

from asyncmy.converters import escape_str
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from opcms.core.audit import AuditAction
from opcms.core.context import current_actor
from opcms.core.db import insert_rows, is_mysql, values_by_key
from opcms.core.errors import Conflict, NotFound, ValidationFailed
from opcms.core.models import column_values, get_or_404, utcnow
from opcms.core.money import ZERO
from opcms.core.retries import retry_on_deadlock
from opcms.core.settings import business_today
from opcms.core.text import fold_key
from opcms.payments.schemas import PaymentCreate
from opcms.payments.service import check_new_payment, insert_payment, reference_key, void_payment
from opcms.settlement.allocations import Line, allocate_once, reverse
from opcms.settlement.models import Allocation, AllocationSource, Invoice, Payment, PaymentMethod
from opcms.statements.matching import Matcher
from opcms.statements.models import (
    AT_LEAST,
    BankPayerAccount,
    BankStatement,
    BankStatementLine,
    BankStatementProfile,
    Confidence,
    LineKind,
    LineStatus,
    MatchedBy,
)
from opcms.statements.profiles import FIELDS, PROFILES
from opcms.statements.reading import ReadStatement, StatementLine, read_statement
from opcms.statements.schemas import LineAccept

BATCH = 1000
#: lines turned into rows between two turns of the event loop (the matcher's reads go on meanwhile)
ROW_CHUNK = 2000
JSON_COLUMNS = ("allocations", "payments")
SHARED = 6  # the first columns of LINE_COLUMNS: the same for every line of an import
CHUNK = 500
KEY_CHUNK = 1000
IMPORT_ATTEMPTS = 3
DEFAULT_CURRENCY = "CNY"
ACCEPTED_STATUSES = (LineStatus.ACCEPTED, LineStatus.CREDIT)


# --- profiles and mappings ----------------------------------------------------------------------
def parse_mapping(text: str | None) -> dict[str, str] | None:
    """The ``mapping`` form field: a JSON object of field -> header text, "" for a field not to
    be read (422 otherwise)."""
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationFailed.field(
            "mapping", "must be a JSON object (field -> header text)", code="statement_mapping_not_json"
        )
    check_mapping_fields(value)
    # a blank header clears the field: its column is not read even where the profile finds one
    return {k: v if v.strip() else "" for k, v in value.items()}


def check_mapping_fields(mapping: Mapping[str, str]) -> None:
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise ValidationFailed.field(
            "mapping",
            f"unknown fields: {', '.join(unknown)}",
            code="statement_mapping_unknown_field",
            params={"names": ", ".join(unknown)},
        )


async def saved_profile(name: str) -> BankStatementProfile | None:
    return await BankStatementProfile.filter(name=name).order_by("-id").first()


async def resolve_profile(
    profile: str | None, mapping: dict[str, str] | None
) -> tuple[str | None, dict[str, str] | None]:
    """A bank profile's code as given; a saved profile's name as its base profile and mapping
    (the given mapping corrects it)."""
    if profile is None or not profile.strip() or profile in PROFILES:
        return (profile or None), mapping
    saved = await saved_profile(profile.strip())
    if saved is None:
        return profile, mapping  # the reader answers unknown_profile
    return saved.base_profile, {**saved.mapping, **(mapping or {})}


async def read_upload(
    content: bytes, filename: str | None, profile: str | None, mapping_text: str | None
) -> tuple[ReadStatement, dict[str, str] | None]:
    base, mapping = await resolve_profile(profile, parse_mapping(mapping_text))
    read = await asyncio.to_thread(
        read_statement, content, filename or "statement", profile=base, mapping=mapping
    )
    return read, mapping


async def check_profile_name(name: str) -> None:
    """A saved profile's name: not a bank profile's code, not taken by a live saved profile."""
    if name in PROFILES:
        raise Conflict(
            f"{name} is a bank profile's code; choose another name",
            code="statement_profile_builtin",
            params={"value": name},
            details=[
                {
                    "field": "name",
                    "message": "a bank profile's code",
                    "code": "statement_profile_builtin",
                    "params": {"value": name},
                }
            ],
        )
    if await saved_profile(name) is not None:
        raise Conflict(
            f"statement profile name {name} is taken",
            code="statement_profile_taken",
            params={"value": name},
            details=[
                {
                    "field": "name",
                    "message": "taken",
                    "code": "statement_profile_taken",
                    "params": {"value": name},
                }
            ],
        )


async def save_profile(
    name: str, base_profile: str | None, mapping: Mapping[str, str]
) -> BankStatementProfile:
    name = name.strip()
    check_mapping_fields(mapping)
    await check_profile_name(name)
    if base_profile is not None and base_profile not in PROFILES:
        raise ValidationFailed.field(
            "base_profile",
            f"unknown bank profile {base_profile}",
            code="unknown_profile",
            params={"profile": base_profile, "known": ", ".join(PROFILES)},
        )
    return await BankStatementProfile.create(name=name, base_profile=base_profile, mapping=dict(mapping))


async def delete_profile(profile_id: int, reason: str) -> BankStatementProfile:
    profile = await get_or_404(BankStatementProfile, profile_id, "bank_statement_profile")
    await profile.soft_delete(reason)
    return profile


# --- import -------------------------------------------------------------------------------------
def _sha(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def line_hash(account: str, line: StatementLine) -> str:
    return _sha(account, line.fingerprint())


def _line_hasher(account: str) -> Callable[[StatementLine], str]:
    """``line_hash`` for the lines of one statement, to the same text: the account's prefix
    built once, one hash call over the joined text, the folded names and summaries (which repeat
    from line to line) folded once each."""
    folded: dict[str, str] = {}
    prefix = account + "\x1f"
    sha256 = hashlib.sha256

    def fold_part(value: str | None) -> str:
        text = value or ""
        found = folded.get(text)
        if found is None:
            found = folded[text] = fold_key(text).replace("|", "/")
        return found

    def hashed(line: StatementLine) -> str:
        booked_on, booked_at, amount = line.booked_on, line.booked_at, line.amount
        text = (
            f"{prefix}{booked_on.isoformat() if booked_on else ''}"
            f"|{booked_at.isoformat() if booked_at else ''}"
            f"|{f'{amount:.2f}' if amount is not None else ''}"
            f"|{(line.payer_account or '').replace('|', '/')}"
            f"|{fold_part(line.payer_name)}"
            f"|{(line.serial or '').replace('|', '/')}"
            f"|{fold_part(line.summary)}"
        )
        return sha256(text.encode("utf-8")).hexdigest()

    return hashed


def dedup_key(account: str, line: StatementLine, hashed: str) -> str:
    """The same bank line, whichever file it comes in: by (account, serial) when the bank gives a
    serial, else by (account, the line's hash)."""
    if line.serial:
        return _sha(account, "serial", line.serial.strip())
    return _sha(account, "hash", hashed)


def _cut(value: str | None, length: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value[:length] or None


class _Payer(NamedTuple):
    """Who paid a line, as its row says it (what matching reads of it before the row is built)."""

    payer_name: str | None
    payer_account: str | None


class NewLine(dict[str, Any]):
    """A line's row as it is inserted (column -> value), read by the matching as a line."""

    @property
    def payer_name(self) -> str | None:
        return cast(str | None, self["payer_name"])

    @property
    def payer_account(self) -> str | None:
        return cast(str | None, self["payer_account"])

    @property
    def amount(self) -> Decimal | None:
        return cast(Decimal | None, self["amount"])

    @property
    def currency(self) -> str:
        return cast(str, self["currency"])


def _row(
    statement_account: str,
    line: StatementLine,
    actor: str,
    now: dt.datetime,
    hasher: Callable[[StatementLine], str] | None = None,
) -> NewLine:
    hashed = hasher(line) if hasher is not None else line_hash(statement_account, line)
    return NewLine(
        created_at=now,
        updated_at=now,
        created_by=actor,
        updated_by=actor,
        is_deleted=False,
        statement_id=0,
        row_number=line.row_number,
        kind=line.kind,
        reason=line.reason,
        detail=_cut(line.detail, 255),
        booked_on=line.booked_on,
        booked_at=line.booked_at.strftime("%H:%M:%S") if line.booked_at else None,
        amount=line.amount,
        balance=line.balance,
        currency=(line.currency or "CNY")[:3],
        payer_name=_cut(line.payer_name, 200),
        payer_account=_cut(line.payer_account, 64),
        payer_bank=_cut(line.payer_bank, 200),
        summary=_cut(line.summary, 255),
        purpose=_cut(line.purpose, 255),
        serial=_cut(line.serial, 64),
        line_hash=hashed,
        dedup_key=dedup_key(statement_account, line, hashed) if line.kind == "incoming" else None,
        duplicate_of_id=None,
        status=None,
        customer_id=None,
        allocations=[],
        confidence=None,
        proposal_reason=None,
        payments=[],
    )


async def _known_keys(keys: list[str]) -> dict[str, int]:
    """The lines already stored under these keys: their ids by key."""
    table = BankStatementLine._meta.db_table
    found = await values_by_key(table, "dedup_key", "id", keys, chunk=KEY_CHUNK)
    return {key: int(line_id) for key, line_id in found.items()}


# the columns of a new line, in the order of the multi-row INSERT (MySQL)
LINE_COLUMNS = (
    # shared by every line of an import
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "is_deleted",
    "statement_id",
    # each line's own
    "row_number",
    "kind",
    "reason",
    "detail",
    "booked_on",
    "booked_at",
    "amount",
    "balance",
    "currency",
    "payer_name",
    "payer_account",
    "payer_bank",
    "summary",
    "purpose",
    "serial",
    "line_hash",
    "dedup_key",
    "duplicate_of_id",
    "status",
    "customer_id",
    "allocations",
    "confidence",
    "proposal_reason",
    "payments",
)


def _text(value: Any) -> str:
    """One value of a new line as SQL text: the driver's own escaping of a text, the fixed form
    of a number, a day or a time (what the driver would send, without its per-value work)."""
    if value is None:
        return "NULL"
    kind = type(value)
    if kind is str:
        return escape_str(value)
    if kind is int:
        return str(value)
    if kind is Decimal:
        return format(value, "f")
    if kind is dt.date:
        return f"'{value.isoformat()}'"
    if kind is list or kind is dict:
        return escape_str(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    if kind is bool:
        return "1" if value else "0"
    if kind is dt.datetime:
        return f"'{value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=' ')}'"
    raise TypeError(f"no SQL text for a {kind.__name__}")


_ALLOCATION_KEYS = ("invoice_id", "invoice_number", "amount")


def _json_text(value: list[Any]) -> str:
    """A JSON column's SQL text, as ``_text`` writes it: the empty list and the proposals'
    allocations (``{invoice_id, invoice_number, amount}``) composed directly, anything else
    through ``_text``."""
    if not value:
        return "'[]'"
    parts = []
    for item in value:
        if type(item) is not dict or tuple(item) != _ALLOCATION_KEYS or type(item["invoice_id"]) is not int:
            return _text(value)
        parts.append(
            f'{{"invoice_id":{item["invoice_id"]},"invoice_number":'
            f"{json.dumps(item['invoice_number'], ensure_ascii=False)},"
            f'"amount":{json.dumps(item["amount"], ensure_ascii=False)}}}'
        )
    return escape_str("[" + ",".join(parts) + "]")


def _own_text(row: NewLine) -> str:
    """A new line's own columns (``LINE_COLUMNS[SHARED:]``) as SQL text: the same as
    ``", ".join(_text(row[c]) for c in LINE_COLUMNS[SHARED:])``, each column written by its own
    type (no per-value dispatch); a value of another type goes through ``_text``."""
    g = row.get
    values = [g(c) for c in LINE_COLUMNS[SHARED:]]
    (
        row_number, kind, reason, detail, booked_on, booked_at, amount, balance, currency, payer_name,
        payer_account, payer_bank, summary, purpose, serial, hashed, key, duplicate_of, status,
        customer, allocations, confidence, proposal_reason, payments,
    ) = values  # fmt: skip
    if (
        type(row_number) is not int
        or (booked_on is not None and type(booked_on) is not dt.date)
        or (amount is not None and type(amount) is not Decimal)
        or (balance is not None and type(balance) is not Decimal)
        or (duplicate_of is not None and type(duplicate_of) is not int)
        or (customer is not None and type(customer) is not int)
        or type(allocations) is not list
        or type(payments) is not list
        or not all(
            v is None or type(v) is str
            for v in (
                kind, reason, detail, booked_at, currency, payer_name, payer_account, payer_bank,
                summary, purpose, serial, hashed, key, status, confidence, proposal_reason,
            )
        )
    ):  # fmt: skip
        return ", ".join([_text(v) for v in values])
    e = escape_str
    return (
        f"{row_number}, {'NULL' if kind is None else e(kind)}, {'NULL' if reason is None else e(reason)}, "
        f"{'NULL' if detail is None else e(detail)}, "
        f"{'NULL' if booked_on is None else f'{chr(39)}{booked_on.isoformat()}{chr(39)}'}, "
        f"{'NULL' if booked_at is None else e(booked_at)}, "
        f"{'NULL' if amount is None else format(amount, 'f')}, "
        f"{'NULL' if balance is None else format(balance, 'f')}, "
        f"{'NULL' if currency is None else e(currency)}, {'NULL' if payer_name is None else e(payer_name)}, "
        f"{'NULL' if payer_account is None else e(payer_account)}, "
        f"{'NULL' if payer_bank is None else e(payer_bank)}, {'NULL' if summary is None else e(summary)}, "
        f"{'NULL' if purpose is None else e(purpose)}, {'NULL' if serial is None else e(serial)}, "
        f"{'NULL' if hashed is None else e(hashed)}, {'NULL' if key is None else e(key)}, "
        f"{'NULL' if duplicate_of is None else duplicate_of}, {'NULL' if status is None else e(status)}, "
        f"{'NULL' if customer is None else customer}, {_json_text(allocations)}, "
        f"{'NULL' if confidence is None else e(confidence)}, "
        f"{'NULL' if proposal_reason is None else e(proposal_reason)}, {_json_text(payments)}"
    )


def _propose(matcher: Matcher, row: NewLine) -> None:
    if row["kind"] != LineKind.INCOMING.value:
        return
    proposal = matcher.propose(row)
    row.update(
        status=LineStatus.OPEN.value,
        customer_id=proposal.customer_id,
        allocations=proposal.allocations,
        confidence=proposal.confidence.value,
        proposal_reason=proposal.reason,
    )


async def _insert_lines(rows: list[NewLine], statement_id: int, matcher: Matcher) -> None:
    """Propose and write the lines, in file order, in multi-row INSERTs inside the caller's
    transaction (no audit row each: the import is one audited event, the statement's).

    MySQL: the VALUES written as text, and each batch sent before the next one is proposed and
    written, so the database stores one while Python works on the next. SQLite: the ORM's bulk
    create."""
    mysql = is_mysql()
    conn = connections.get("default")  # the transaction's, inside in_transaction()
    head = f"INSERT INTO `{BankStatementLine._meta.db_table}` ({', '.join(f'`{c}`' for c in LINE_COLUMNS)}) VALUES "
    # the bookkeeping columns every line shares (LINE_COLUMNS[:SHARED]): written once
    first = rows[0] if rows else NewLine(statement_id=statement_id)
    shared = "(" + "".join(
        _text(first.get(c) if c != "statement_id" else statement_id) + ", " for c in LINE_COLUMNS[:SHARED]
    )
    sent: asyncio.Future[Any] | None = None
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        for row in batch:
            row["statement_id"] = statement_id
            _propose(matcher, row)
        if not mysql:
            await insert_rows(BankStatementLine, [dict(row) for row in batch], json_columns=JSON_COLUMNS)
            continue
        sql = head + ", ".join([shared + _own_text(row) + ")" for row in batch])
        if sent is not None:
            await sent
        sent = asyncio.ensure_future(conn.execute_query(sql))
        await asyncio.sleep(0)  # the batch is on its way before the next one is built
    if sent is not None:
        await sent


@dataclass
class Imported:
    statement: BankStatement
    skipped: list[dict[str, Any]]  # the lines not incoming: row_number, reason, detail


async def import_statement(
    content: bytes,
    filename: str | None,
    *,
    profile: str | None = None,
    mapping_text: str | None = None,
    save_profile_as: str | None = None,
) -> Imported:
    """Read a statement and store it with its lines and their proposals, in one transaction."""
    # the customers' names, which every line is matched against, are read from the database
    # while the file is read (in its thread): the two waits overlap instead of adding up
    knowing = asyncio.ensure_future(Matcher.knowing_customers())
    try:
        read, mapping = await read_upload(content, filename, profile, mapping_text)
        if save_profile_as is not None and save_profile_as.strip():
            await check_profile_name(save_profile_as.strip())  # before anything is written
        customers = await knowing
    finally:
        if not knowing.done():
            knowing.cancel()
            await asyncio.gather(knowing, return_exceptions=True)
    return await store_statement(
        read,
        _cut(filename, 255) or "statement",
        save_profile_as=(save_profile_as or "").strip() or None,
        mapping=mapping,
        base_profile=profile if profile in PROFILES else read.profile if read.profile in PROFILES else None,
        knowing=customers,
    )


async def store_statement(
    read: ReadStatement,
    filename: str,
    *,
    save_profile_as: str | None = None,
    mapping: Mapping[str, str] | None = None,
    base_profile: str | None = None,
    knowing: Matcher | None = None,
) -> Imported:
    """Store what was read: lines already imported (by key, also earlier in the same file) are
    duplicates; the new incoming lines get their proposals. One transaction; a concurrent
    import of the same lines is waited out and read again (then they are duplicates).
    ``knowing``: the customers' names already read (``Matcher.knowing_customers``), for the
    first attempt (a matcher is spent by the proposals it makes: a second attempt reads anew)."""
    for attempt in range(IMPORT_ATTEMPTS):
        try:
            return await _store_once(
                read, filename, save_profile_as, mapping, base_profile, knowing if attempt == 0 else None
            )
        except IntegrityError:
            if attempt == IMPORT_ATTEMPTS - 1:
                raise Conflict(
                    "the same lines are being imported by another upload; try again",
                    code="statement_import_busy",
                ) from None
    raise AssertionError("unreachable")


@contextmanager
def _cycles_collected_after() -> Iterator[None]:
    """The cyclic garbage collector paused while a statement's rows are built, proposed and
    written: tens of thousands of new dicts and texts (no reference cycles among them; freed by
    their counts as ever) would otherwise set off collections that walk the whole heap again and
    again. It runs again at the end (if it ran before)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


async def _store_once(
    read: ReadStatement,
    filename: str,
    save_profile_as: str | None,
    mapping: Mapping[str, str] | None,
    base_profile: str | None,
    knowing: Matcher | None,
) -> Imported:
    with _cycles_collected_after():
        return await _store_rows(read, filename, save_profile_as, mapping, base_profile, knowing)


async def _store_rows(
    read: ReadStatement,
    filename: str,
    save_profile_as: str | None,
    mapping: Mapping[str, str] | None,
    base_profile: str | None,
    knowing: Matcher | None,
) -> Imported:
    actor = current_actor.get().name[:64]
    account = (read.account or "").strip()
    now = utcnow()
    hasher = _line_hasher(account)
    # who paid each incoming line, as its row will say it: the matcher loads for every incoming
    # line (and proposes for the new ones only), reading learned accounts and open invoices
    # while the rows are built (a chunk at a time, so that its reads are sent meanwhile)
    payers = [
        _Payer(_cut(line.payer_name, 200), _cut(line.payer_account, 64))
        for line in read.lines
        if line.kind == LineKind.INCOMING.value
    ]
    matching = asyncio.ensure_future(Matcher.for_lines(payers, knowing))
    try:
        rows: list[NewLine] = []
        for start in range(0, len(read.lines), ROW_CHUNK):
            rows += [
                _row(account, line, actor, now, hasher) for line in read.lines[start : start + ROW_CHUNK]
            ]
            await asyncio.sleep(0)
        # the lines imported before (on another of the pool's connections)
        known = await _known_keys([row["dedup_key"] for row in rows if row["dedup_key"]])
        matcher = await matching
    finally:
        if not matching.done():
            matching.cancel()
            await asyncio.gather(matching, return_exceptions=True)
    seen: set[str] = set()
    fresh: list[NewLine] = []
    for row in rows:
        key = row["dedup_key"]
        if key is None:
            continue
        if key in known or key in seen:
            row.update(kind=LineKind.DUPLICATE.value, dedup_key=None, duplicate_of_id=known.get(key))
            row["reason"] = "already_imported" if key in known else "repeated_in_file"
        else:
            seen.add(key)
            fresh.append(row)

    counts = Counter(row["kind"] for row in rows)
    async with in_transaction():
        statement = BankStatement(
            filename=filename,
            profile=read.profile[:64],
            account=account or None,
            encoding=read.encoding[:16],
            lines_total=len(rows),
            incoming=counts[LineKind.INCOMING.value],
            skipped=counts[LineKind.SKIPPED.value],
            duplicates=counts[LineKind.DUPLICATE.value],
            incoming_amount=sum((row.amount or ZERO for row in fresh), ZERO),
        )
        await statement.save(
            audit_action=AuditAction.IMPORT,
            audit_message=f"{filename}: {len(rows)} lines, {len(fresh)} new incoming, "
            f"{counts[LineKind.DUPLICATE.value]} already imported",
        )
        await _insert_lines(rows, statement.id, matcher)
        if save_profile_as:
            await BankStatementProfile.create(
                name=save_profile_as, base_profile=base_profile, mapping=dict(mapping or read.mapping)
            )
    skipped = [
        {"row_number": row["row_number"], "reason": row["reason"], "detail": row["detail"]}
        for row in rows
        if row["kind"] != LineKind.INCOMING.value
    ]
    return Imported(statement, skipped)


# --- accept -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    customer_id: int
    amount: Decimal
    lines: list[Line]


def line_reference(line: BankStatementLine, part: int = 0) -> str:
    """The payment's bank reference: the bank's serial, else one made from the line's hash;
    the second and later parts of a split line add ``/2``, ``/3`` …"""
    base = line.serial or f"LH-{line.line_hash[:32]}"
    return base if part == 0 else f"{base[:58]}/{part + 1}"


def _line_error(
    line: BankStatementLine, error: type[Conflict], code: str, text: str, **params: Any
) -> Conflict:
    return error(text, code=code, params={"row": line.row_number, **params})


def _proposed_parts(line: BankStatementLine) -> list[Part]:
    if line.customer_id is None:
        raise _line_error(line, Conflict, "statement_line_no_customer", "row {row} has no proposed customer")
    lines = [Line(int(a["invoice_id"]), Decimal(str(a["amount"]))) for a in line.allocations]
    return [Part(line.customer_id, line.amount or ZERO, lines)]


def _chosen_parts(line: BankStatementLine, choice: LineAccept) -> list[Part]:
    amount = line.amount or ZERO
    if choice.parts is not None:
        parts = [
            Part(p.customer_id, p.amount, [Line(a.invoice_id, a.amount) for a in p.allocations])
            for p in choice.parts
        ]
        total = sum((p.amount for p in parts), ZERO)
        if total != amount:
            raise ValidationFailed.field(
                "parts",
                f"the parts add up to {total}, not {amount}",
                code="statement_parts_sum",
                params={"total": total, "amount": amount},
            )
    else:
        assert choice.customer_id is not None
        allocations = choice.allocations if choice.allocations is not None else []
        parts = [Part(choice.customer_id, amount, [Line(a.invoice_id, a.amount) for a in allocations])]
    for index, part in enumerate(parts):
        allocated = sum((x.amount for x in part.lines), ZERO)
        if allocated > part.amount:
            field = f"parts.{index}.allocations" if choice.parts is not None else "allocations"
            raise ValidationFailed.field(
                field,
                f"the allocations add up to {allocated}, more than {part.amount}",
                code="statement_allocations_over",
                params={"total": allocated, "amount": part.amount},
            )
    return parts


async def _learn(line: BankStatementLine, customer_id: int) -> None:
    """Remember the payer's account for the customer (a later line from it is theirs)."""
    if not line.payer_account:
        return
    known = (
        await BankPayerAccount.with_deleted()
        .filter(payer_account=line.payer_account)
        .select_for_update()
        .first()
    )
    if known is None:
        try:
            async with in_transaction():
                await BankPayerAccount.create(
                    payer_account=line.payer_account, customer_id=customer_id, payer_name=line.payer_name
                )
            return
        except IntegrityError:  # learned by a line accepted at the same time
            known = await BankPayerAccount.with_deleted().filter(payer_account=line.payer_account).first()
            if known is None:
                return
    if known.customer_id != customer_id or known.is_deleted:
        known.customer_id, known.times_matched, known.is_deleted = customer_id, 1, False
        known.deleted_at = known.deleted_by = None
    else:
        known.times_matched += 1
    known.payer_name = line.payer_name
    await known.save()


async def _invoice_numbers(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(await Invoice.with_deleted().filter(id__in=sorted(ids)).values_list("id", "number"))


@retry_on_deadlock
async def _accept_once(line_id: int, choice: LineAccept | None) -> BankStatementLine:
    by_hand = choice is not None and choice.by_hand
    async with in_transaction():
        line = await get_or_404(BankStatementLine.all().select_for_update(), line_id, "bank_statement_line")
        if line.kind != LineKind.INCOMING:
            raise _line_error(
                line,
                Conflict,
                "statement_line_not_incoming",
                "row {row} is not an incoming line",
                kind=line.kind,
            )
        if line.status not in (LineStatus.OPEN, LineStatus.CONFLICT):
            raise _line_error(
                line,
                Conflict,
                "statement_line_not_open",
                "row {row} was accepted already",
                status=line.status,
            )
        if line.currency != DEFAULT_CURRENCY:
            # a payment is recorded in the ledger's currency only (payments take no other)
            raise _line_error(
                line,
                Conflict,
                "statement_line_currency",
                "row {row} is in {currency}: payments are recorded in CNY only",
                currency=line.currency,
            )
        parts = _chosen_parts(line, choice) if choice is not None and by_hand else _proposed_parts(line)
        today = business_today()
        received_on = min(line.booked_on or today, today)
        payments: list[dict[str, Any]] = []
        made: list[tuple[int, Decimal]] = []
        for index, part in enumerate(parts):
            data = PaymentCreate.model_construct(
                customer_id=part.customer_id,
                amount=part.amount,
                received_on=received_on,
                method=PaymentMethod.BANK_TRANSFER,
                payer_name=line.payer_name,
                bank_reference=line_reference(line, index),
                remark=f"bank statement {line.statement_id} row {line.row_number}",
            )
            await check_new_payment(data)
            payment = await insert_payment(data)
            allocation_ids: list[int] = []
            if part.lines:
                allocation_ids = await allocate_once(
                    payment_id=payment.id,
                    lines=part.lines,
                    source_kind=AllocationSource.MANUAL if by_hand else AllocationSource.SUGGESTION,
                )
                made += [(x.invoice_id, x.amount) for x in part.lines]
            payments.append(
                {
                    "payment_id": payment.id,
                    "customer_id": part.customer_id,
                    "amount": str(part.amount),
                    "allocation_ids": allocation_ids,
                }
            )
        numbers = await _invoice_numbers({invoice_id for invoice_id, _ in made})
        line.status = LineStatus.ACCEPTED if made else LineStatus.CREDIT
        line.customer_id = parts[0].customer_id
        line.allocations = [
            {"invoice_id": invoice_id, "invoice_number": numbers.get(invoice_id), "amount": str(amount)}
            for invoice_id, amount in made
        ]
        line.payments = payments
        line.payment_id = payments[0]["payment_id"]
        line.matched_by = MatchedBy.HAND if by_hand else MatchedBy.AUTO
        line.accepted_at = utcnow()
        line.accepted_by = current_actor.get().name[:64]
        line.conflict_payment_id = None
        await line.save(
            audit_action=AuditAction.ALLOCATE,
            audit_message=f"accepted: payment {', '.join(str(p['payment_id']) for p in payments)}",
        )
        if len(parts) == 1:
            await _learn(line, parts[0].customer_id)
    return line


async def _mark_conflict(line_id: int) -> int | None:
    """The line's bank reference is held by another payment: say which, and leave it open."""
    line = await BankStatementLine.get_or_none(id=line_id)
    if line is None:
        return None
    key = reference_key(line_reference(line))
    holder = (
        await Payment.with_deleted().filter(method=PaymentMethod.BANK_TRANSFER, reference_key=key).first()
    )
    holder_id = holder.id if holder is not None else None
    async with in_transaction():
        locked = await BankStatementLine.filter(id=line_id).select_for_update().first()
        if locked is not None and locked.status == LineStatus.OPEN:
            locked.status = LineStatus.CONFLICT
            locked.conflict_payment_id = holder_id
            await locked.save(update_fields=["status", "conflict_payment_id"])
    return holder_id


async def accept_line(line_id: int, choice: LineAccept | None = None) -> BankStatementLine:
    """Accept one line as proposed (``choice`` empty) or as chosen by hand. 409 when it was
    accepted already, when its bank reference is held by a payment recorded meanwhile (the line
    becomes a ``conflict``), or when an invoice no longer owes what is allocated to it."""
    try:
        return await _accept_once(line_id, choice)
    except Conflict as error:
        if error.code == "payment_duplicate":
            await _mark_conflict(line_id)
        raise


#: lines one accept-all call takes (oldest rows first): it answers in seconds, well within the
#: server's response timeout; the answer's ``remaining`` says whether to call again
MAX_ACCEPT_PER_CALL = 1000


@dataclass
class AcceptAllOutcome:
    accepted: int
    conflicts: list[dict[str, Any]]
    without_customer: int
    remaining: int = 0


async def accept_all(
    statement_id: int, confidence: Confidence, *, limit: int = MAX_ACCEPT_PER_CALL
) -> AcceptAllOutcome:
    """Accept the open lines of the statement at ``confidence`` or above that have a proposed
    customer (up to ``limit`` of them, in row order), one line per transaction; lines that
    cannot be (a conflict) stay open, named. ``remaining``: such lines still open after it."""
    await get_or_404(BankStatement, statement_id, "bank_statement")
    open_lines = BankStatementLine.filter(
        statement_id=statement_id,
        kind=LineKind.INCOMING,
        status=LineStatus.OPEN,
        confidence__in=AT_LEAST[confidence],
    )
    without = await open_lines.filter(customer_id__isnull=True).count()
    rows = (
        await open_lines.filter(customer_id__isnull=False)
        .order_by("row_number", "id")
        .limit(limit)
        .values_list("id", "row_number")
    )
    outcome = AcceptAllOutcome(0, [], without)
    for line_id, row_number in rows:
        try:
            await accept_line(line_id)
        except (Conflict, NotFound) as error:
            if error.code == "statement_line_not_open":
                continue  # accepted meanwhile by someone else
            payment_id = None
            if error.code == "payment_duplicate":
                held = await BankStatementLine.filter(id=line_id).values_list(
                    "conflict_payment_id", flat=True
                )
                payment_id = held[0] if held else None
            else:  # an invoice changed since the proposal: propose again, from what is open now
                await repropose(line_id)
            outcome.conflicts.append(
                {"line_id": line_id, "row_number": row_number, "code": error.code, "payment_id": payment_id}
            )
            continue
        outcome.accepted += 1
    tried = {line_id for line_id, _ in rows}
    left = await column_values(open_lines.filter(customer_id__isnull=False), "id")
    outcome.remaining = sum(1 for line_id in left if line_id not in tried)
    return outcome


def _set_proposal(line: BankStatementLine, matcher: Matcher) -> None:
    proposal = matcher.propose(line)
    line.customer_id = proposal.customer_id
    line.allocations = proposal.allocations
    line.confidence = proposal.confidence
    line.proposal_reason = proposal.reason


async def repropose(line_id: int) -> None:
    """Propose an open line again from the invoices open now (its old proposal went stale)."""
    async with in_transaction():
        line = await BankStatementLine.filter(id=line_id).select_for_update().first()
        if line is None or line.status != LineStatus.OPEN:
            return
        _set_proposal(line, await Matcher.for_lines([line]))
        await line.save(update_fields=["customer_id", "allocations", "confidence", "proposal_reason"])


# --- undo ---------------------------------------------------------------------------------------
async def undo_line(line_id: int, reason: str) -> BankStatementLine:
    """Reverse the allocations of the line's payments, void them (the reason kept on each), and
    open the line again with a fresh proposal. Each step is the ledger's own, audited; run
    again after an interruption it finishes what was left."""
    line = await get_or_404(BankStatementLine, line_id, "bank_statement_line")
    if line.status not in ACCEPTED_STATUSES:
        raise _line_error(line, Conflict, "statement_line_not_accepted", "row {row} is not accepted")
    for payment in line.payments:
        payment_id = int(payment["payment_id"])
        active = await column_values(
            Allocation.filter(payment_id=payment_id, is_reversed=False).order_by("id"), "id"
        )
        for allocation_id in active:
            try:
                await reverse(int(allocation_id), reason)
            except Conflict as error:
                if error.code != "allocation_reversed":
                    raise
        try:
            await void_payment(payment_id, reason)
        except Conflict as error:
            if error.code != "payment_void":
                raise
    async with in_transaction():
        line = await get_or_404(BankStatementLine.all().select_for_update(), line_id, "bank_statement_line")
        if line.status not in ACCEPTED_STATUSES:
            return line  # undone meanwhile
        line.status = LineStatus.OPEN
        line.payment_id = None
        line.payments = []
        line.matched_by = None  # type: ignore[assignment]  # a nullable column
        line.accepted_at = None
        line.accepted_by = None
        _set_proposal(line, await Matcher.for_lines([line]))
        await line.save(audit_action=AuditAction.REVERSE, audit_message=f"undone: {reason}"[:255])
    return line
