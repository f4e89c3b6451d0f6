"""Proposals for incoming statement lines (DESIGN §17): who paid, and which invoices it settles.

The customer, in this order:

1. ``account_learned`` — the payer's account was accepted for a customer before
   (``bank_payer_accounts``);
2. ``name_exact`` — the payer name folds to a live customer's company name or short name (the
   customers' name key: full-width folded, case-free);
3. ``name_fuzzy`` — the best customer the payer matching of the suggestions finds
   (``payments.suggestions``: the names without their legal form, rapidfuzz WRatio, at least
   ``MIN_NAME_SCORE``);
4. none — left for a person.

The allocation follows the suggestion engine's order (``payments.suggestions``): one invoice
whose outstanding is the amount (``exact_amount``), else 2 to 5 invoices adding up to it among
the oldest ``COMBINATION_CANDIDATES`` smaller ones (``combination``, the engine's
``find_combinations``), else oldest first (``fifo``), else nothing open (``no_open_invoices``:
the money becomes the customer's credit).

A statement is matched as a whole, in memory: the learned accounts, the customers and the
candidates' open invoices are read once (a few bounded queries, not a few per line), and an
invoice proposed for one line is not proposed again to a later line for more than it still
owes after the earlier ones.

Confidence: ``high`` — a learned account or an exact name, with an exact amount or a
combination; ``medium`` — a learned account or an exact name with FIFO (or nothing open), or a
fuzzy name with an exact amount; ``low`` — everything else. The reason is
``<customer basis>+<allocation kind>`` (``account_learned+exact_amount``), or ``no_customer``:
codes the UI translates.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from opcms.core.db import statement_of, values_by_key
from opcms.core.money import ZERO
from opcms.core.text import fold_key
from opcms.customers.models import Customer
from opcms.payments.suggestions import (
    COMBINATION_CANDIDATES,
    MAX_FIFO_INVOICES,
    MIN_NAME_SCORE,
    cents,
    find_combinations,
    name_key,
)
from opcms.settlement.queries import open_invoices
from opcms.statements.models import BankPayerAccount, Confidence

CHUNK = 500  # ids per IN (...) list

ACCOUNT_LEARNED, NAME_EXACT, NAME_FUZZY = "account_learned", "name_exact", "name_fuzzy"
EXACT, COMBINATION, FIFO, NOTHING_OPEN = "exact_amount", "combination", "fifo", "no_open_invoices"
NO_CUSTOMER = "no_customer"


class Payer(Protocol):
    """Who paid a line: what finding its customer reads of it."""

    @property
    def payer_name(self) -> str | None: ...

    @property
    def payer_account(self) -> str | None: ...


class Payable(Payer, Protocol):
    """What matching reads of a line (a stored line, or a row about to be inserted)."""

    @property
    def amount(self) -> Decimal | None: ...

    @property
    def currency(self) -> str: ...


@dataclass
class Proposal:
    customer_id: int | None
    allocations: list[dict[str, Any]]  # [{invoice_id, invoice_number, amount (text)}]
    confidence: Confidence
    reason: str


@dataclass
class _Open:
    id: int
    number: str
    outstanding: Decimal


# WRatio ≥ MIN_NAME_SCORE needs a long enough common subsequence (see _Names.best)
_LCS_SHARE = 0.636


class _Names:
    """Customers' name keys, searched for the best fuzzy match of a payer's key exactly as
    ``process.extractOne(payer, names, scorer=fuzz.WRatio, score_cutoff=MIN_NAME_SCORE)`` finds
    it (the higher score, then the lower id), without scoring every name.

    For keys without spaces (single tokens, as ``name_key`` writes them) WRatio is at most
    ``max(ratio, 0.9 × partial_ratio)``; with L the longest common subsequence of the two keys
    and m the shorter length, ``ratio ≤ 2L / (l1 + l2)`` and ``partial_ratio ≤ 2L / (m + L)``
    (a window of the longer key shares at most L characters in order with the shorter one). So
    a score of 70 needs ``L ≥ 0.636 m``: a bit-parallel LCS pass over all names (rapidfuzz)
    keeps those that can reach it, and only they are scored with WRatio. Names holding a space
    are always scored."""

    def __init__(self, names: Mapping[int, str]) -> None:
        ordered = sorted(names.items())
        self.spaced = {i: n for i, n in ordered if " " in n}
        self.ids = [i for i, n in ordered if " " not in n]
        self.keys = [n for i, n in ordered if " " not in n]
        self.shortest = min((len(n) for n in self.keys), default=0)

    def best(self, payer: str) -> tuple[float, int] | None:
        best: tuple[float, int] | None = None
        if self.spaced or " " in payer:  # a name with a space: every name is scored
            everything = {**dict(zip(self.ids, self.keys, strict=True)), **self.spaced}
            found = process.extractOne(
                payer, dict(sorted(everything.items())), scorer=fuzz.WRatio, score_cutoff=MIN_NAME_SCORE
            )
            return None if found is None else (found[1], found[2])
        if not payer or not self.keys:
            return None
        least = math.floor(_LCS_SHARE * min(len(payer), self.shortest))
        for _, common, index in process.extract(
            payer, self.keys, scorer=LCSseq.similarity, score_cutoff=least, limit=None
        ):
            key = self.keys[index]
            if common < _LCS_SHARE * min(len(payer), len(key)):
                continue
            score = fuzz.WRatio(payer, key, score_cutoff=MIN_NAME_SCORE)
            if score and (best is None or (-score, self.ids[index]) < (-best[0], best[1])):
                best = (score, self.ids[index])
        return best


@dataclass
class Matcher:
    """The state of one statement's matching: who is who, and what each customer still owes."""

    learned: dict[str, int] = field(default_factory=dict)
    exact_names: dict[str, int] = field(default_factory=dict)
    fuzzy_company: dict[int, str] = field(default_factory=dict)
    fuzzy_short: dict[int, str] = field(default_factory=dict)
    # a payer name key → the lowest-id customer whose company or short name has that very key:
    # the candidate the fuzzy matching ranks first (score 100, then the lower id), found at once
    same_key: dict[str, int] = field(default_factory=dict)
    live: set[int] = field(default_factory=set)
    # (customer, currency) -> open invoices, oldest first (by due date, then id)
    invoices: dict[tuple[int, str], list[_Open]] = field(default_factory=dict)
    _fuzzy_seen: dict[str, int | None] = field(default_factory=dict)
    _seen: dict[tuple[str | None, str | None], tuple[int | None, str]] = field(default_factory=dict)
    _company_names: _Names = field(default_factory=lambda: _Names({}))
    _short_names: _Names = field(default_factory=lambda: _Names({}))

    # --- loading ------------------------------------------------------------------------------
    @classmethod
    async def knowing_customers(cls) -> Matcher:
        """A matcher that knows the live customers' names and nothing of any line yet:
        ``for_lines(lines, knowing=…)`` completes it. The names depend on no line, so an import
        reads them while its file is being read."""
        matcher = cls()
        await matcher._load_customers()
        return matcher

    @classmethod
    async def for_lines(cls, lines: Sequence[Payer], knowing: Matcher | None = None) -> Matcher:
        """The matcher of ``lines``: the customers' names (``knowing``'s when given, read now
        when not), the payer accounts learned for the lines' accounts, the open invoices of the
        customers the lines point to."""
        accounts = sorted({line.payer_account for line in lines if line.payer_account})
        if knowing is None:
            matcher = cls()
            _, learned = await asyncio.gather(matcher._load_customers(), _learned_accounts(accounts))
        else:
            matcher, learned = knowing, await _learned_accounts(accounts)
        matcher.learned = {
            account: customer for account, customer in learned.items() if customer in matcher.live
        }
        wanted = {c for c, _ in (matcher.customer_for(line) for line in lines) if c is not None}
        await matcher._load_invoices(wanted)
        return matcher

    async def _load_customers(self) -> None:
        rows = await Customer.all().values_list("id", "company_name", "short_name")
        short_owners: dict[str, set[int]] = defaultdict(set)
        for customer_id, company, short in sorted(rows):
            self.live.add(customer_id)
            self.exact_names[fold_key(company)] = customer_id
            self.fuzzy_company[customer_id] = name_key(company)
            self.same_key.setdefault(self.fuzzy_company[customer_id], customer_id)
            if short:
                short_owners[fold_key(short)].add(customer_id)
                self.fuzzy_short[customer_id] = name_key(short)
                self.same_key.setdefault(self.fuzzy_short[customer_id], customer_id)
        self._company_names, self._short_names = _Names(self.fuzzy_company), _Names(self.fuzzy_short)
        for key, owners in short_owners.items():
            # a short name two customers share names neither; a company name wins over a short one
            if len(owners) == 1 and key not in self.exact_names:
                self.exact_names[key] = next(iter(owners))

    async def _load_invoices(self, customers: Iterable[int]) -> None:
        ids = sorted(customers)

        async def read(chunk: list[int]) -> list[tuple[Any, ...]]:
            # the rows as the driver reads them: the ORM's conversion of each of tens of thousands
            # of values cost more than the read (only the amount needs one, below)
            client, sql, params = statement_of(
                open_invoices(customer_id__in=chunk)
                .order_by("due_date", "id")
                .values_list("customer_id", "currency", "id", "number", "outstanding")
            )
            _, rows = await client.execute_query(sql, params)
            return [tuple(row.values()) if isinstance(row, dict) else tuple(row) for row in rows]

        # the chunks read side by side on the pool's connections, taken in order
        chunks = await asyncio.gather(
            *(read(ids[start : start + CHUNK]) for start in range(0, len(ids), CHUNK))
        )
        for rows in chunks:
            for customer_id, currency, invoice_id, number, outstanding in rows:
                amount = outstanding if type(outstanding) is Decimal else Decimal(str(outstanding))
                if amount > ZERO:
                    self.invoices.setdefault((customer_id, currency), []).append(
                        _Open(invoice_id, number, amount)
                    )

    # --- who paid ---------------------------------------------------------------------------
    def customer_for(self, line: Payer) -> tuple[int | None, str]:
        """The customer and the basis it was found on (the same payer is worked out once)."""
        key = (line.payer_account, line.payer_name)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._customer_for(line)
        return found

    def _customer_for(self, line: Payer) -> tuple[int | None, str]:
        if line.payer_account and line.payer_account in self.learned:
            return self.learned[line.payer_account], ACCOUNT_LEARNED
        if not line.payer_name or not line.payer_name.strip():
            return None, NO_CUSTOMER
        exact = self.exact_names.get(fold_key(line.payer_name))
        if exact is not None:
            return exact, NAME_EXACT
        fuzzy = self._fuzzy(line.payer_name)
        return (fuzzy, NAME_FUZZY) if fuzzy is not None else (None, NO_CUSTOMER)

    def _fuzzy(self, payer_name: str) -> int | None:
        """The best live customer by company or short name (as ``customer_candidates`` ranks
        them: the higher score, then the lower id), or None under ``MIN_NAME_SCORE``."""
        if payer_name in self._fuzzy_seen:
            return self._fuzzy_seen[payer_name]
        payer = name_key(payer_name)
        if payer in self.same_key:
            self._fuzzy_seen[payer_name] = self.same_key[payer]
            return self.same_key[payer]
        best: tuple[float, int] | None = None
        for names in (self._company_names, self._short_names):
            found = names.best(payer)
            if found is not None and (best is None or (-found[0], found[1]) < (-best[0], best[1])):
                best = found
        chosen = best[1] if best is not None else None
        self._fuzzy_seen[payer_name] = chosen
        return chosen

    # --- which invoices ---------------------------------------------------------------------
    def _allocation(
        self, customer_id: int, currency: str, amount: Decimal
    ) -> tuple[str, list[tuple[_Open, Decimal]]]:
        invoices = self.invoices.get((customer_id, currency), [])
        for invoice in invoices:
            if invoice.outstanding == amount:
                return EXACT, [(invoice, amount)]
        smaller = [i for i in invoices if i.outstanding < amount][:COMBINATION_CANDIDATES]
        if len(smaller) >= 2:
            sets, _ = find_combinations([cents(i.outstanding) for i in smaller], cents(amount), limit=1)
            if sets:
                return COMBINATION, [(smaller[i], smaller[i].outstanding) for i in sets[0]]
        taken: list[tuple[_Open, Decimal]] = []
        left = amount
        for invoice in invoices[:MAX_FIFO_INVOICES]:
            if left <= ZERO:
                break
            part = min(left, invoice.outstanding)
            taken.append((invoice, part))
            left -= part
        return (FIFO, taken) if taken else (NOTHING_OPEN, [])

    def propose(self, line: Payable) -> Proposal:
        """The proposal for one line; what it allocates is no longer open to later lines."""
        customer_id, basis = self.customer_for(line)
        amount = line.amount
        if customer_id is None or amount is None or amount <= ZERO:
            return Proposal(None, [], Confidence.LOW, NO_CUSTOMER)
        kind, taken = self._allocation(customer_id, line.currency, amount)
        allocations = []
        settled = False
        for invoice, part in taken:
            invoice.outstanding -= part
            settled = settled or invoice.outstanding <= ZERO
            allocations.append(
                {"invoice_id": invoice.id, "invoice_number": invoice.number, "amount": str(part)}
            )
        key = (customer_id, line.currency)
        if settled:  # only the invoices still owing stay open to later lines
            self.invoices[key] = [i for i in self.invoices.get(key, []) if i.outstanding > ZERO]
        return Proposal(customer_id, allocations, confidence(basis, kind), f"{basis}+{kind}")


async def _learned_accounts(accounts: list[str]) -> dict[str, int]:
    """The customer each of ``accounts`` was learned for (a statement names thousands)."""
    table = BankPayerAccount._meta.db_table
    found = await values_by_key(
        table, "payer_account", "customer_id", accounts, chunk=CHUNK, where="is_deleted = 0"
    )
    return {account: int(customer) for account, customer in found.items()}


def confidence(basis: str, kind: str) -> Confidence:
    if basis in (ACCOUNT_LEARNED, NAME_EXACT):
        return Confidence.HIGH if kind in (EXACT, COMBINATION) else Confidence.MEDIUM
    if basis == NAME_FUZZY and kind == EXACT:
        return Confidence.MEDIUM
    return Confidence.LOW
