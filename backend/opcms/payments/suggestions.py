"""What to do with a payment's money (DESIGN §8; docs/payments.md, "Suggestions").

For a payment with a customer, the customer's open invoices ranked:

1. ``exact`` — one invoice whose outstanding is the unallocated amount (oldest first);
2. ``combination`` — 2 to 5 invoices whose outstandings add up to it exactly, fewest invoices
   first, then oldest (by due date, then id), searched among the oldest
   :data:`COMBINATION_CANDIDATES` invoices smaller than the amount, in integer cents, with
   pruning and a node budget (:func:`find_combinations`);
3. ``fifo`` — oldest first, filling the amount (the last one partly).

Every query is bounded (``LIMIT``), so the answer does not grow with the number of open
invoices. For a payment without a customer: candidate customers whose company or short name
is like the payer name (rapidfuzz), best first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rapidfuzz import fuzz, process
from tortoise.queryset import QuerySet

from opcms.core.i18n import Message
from opcms.core.money import ZERO
from opcms.core.text import fold_key
from opcms.customers.models import Customer
from opcms.payments.schemas import CustomerCandidate, SuggestedInvoice, Suggestion, SuggestionsPublic
from opcms.settlement.models import Invoice, Payment
from opcms.settlement.queries import open_invoices

MAX_EXACT = 3
COMBINATION_CANDIDATES = 40
MIN_COMBINATION, MAX_COMBINATION = 2, 5
MAX_COMBINATIONS = 3
NODE_BUDGET = 150_000  # about 50 ms of Python at worst
MAX_FIFO_INVOICES = 200
MAX_CUSTOMER_CANDIDATES = 5
MIN_NAME_SCORE = 70.0


@dataclass(frozen=True)
class OpenInvoice:
    id: int
    number: str
    period: str
    due_date: dt.date
    outstanding: Decimal

    def take(self, amount: Decimal) -> SuggestedInvoice:
        return SuggestedInvoice(
            invoice_id=self.id,
            number=self.number,
            period=self.period,
            due_date=self.due_date,
            outstanding=self.outstanding,
            amount=amount,
        )


def cents(amount: Decimal) -> int:
    """Exact integer cents of a 2-place amount."""
    return int(amount.scaleb(2).to_integral_value())


# --- the combination search ---------------------------------------------------------------------
class _BudgetSpent(Exception):
    pass


def find_combinations(
    values: Sequence[int],
    target: int,
    *,
    sizes: range = range(MIN_COMBINATION, MAX_COMBINATION + 1),
    limit: int = MAX_COMBINATIONS,
    budget: int = NODE_BUDGET,
) -> tuple[list[tuple[int, ...]], bool]:
    """Index sets of ``values`` (positive cents, oldest first) that add up to ``target``.

    Smaller sets first; within a size, in lexicographic order of the indexes — the set whose
    oldest invoice is oldest first. Returns at most ``limit`` sets and whether the search ran
    to its end (False: the budget of visited nodes ran out first).

    Pruning: a branch is cut when the ``m`` smallest (largest) values left after it are more
    (less) than what is still needed — precomputed per suffix, for m ≤ the largest size.
    """
    n = len(values)
    top = max(sizes, default=0)
    # lowest[i][m] / highest[i][m]: the sum of the m smallest / largest values of values[i:]
    lowest = [[0] * (top + 1) for _ in range(n + 1)]
    highest = [[0] * (top + 1) for _ in range(n + 1)]
    for i in range(n):
        suffix = sorted(values[i:])
        for m in range(1, top + 1):
            lowest[i][m] = sum(suffix[:m]) if m <= len(suffix) else target + 1
            highest[i][m] = sum(suffix[-m:]) if m <= len(suffix) else -1
    for m in range(1, top + 1):
        lowest[n][m], highest[n][m] = target + 1, -1

    # where each value occurs, ascending: the last pick is a lookup, not a scan
    positions: dict[int, list[int]] = {}
    for i, value in enumerate(values):
        positions.setdefault(value, []).append(i)

    found: list[tuple[int, ...]] = []
    nodes = 0  # every index considered counts: the budget bounds the time, whatever the values
    chosen: list[int] = []

    def search(start: int, need: int, picks: int) -> None:
        nonlocal nodes
        if lowest[start][picks] > need or highest[start][picks] < need:
            return
        if picks == 1:
            at = positions.get(need, ())
            k = bisect_left(at, start)
            for i in at[k : k + limit - len(found)]:
                found.append((*chosen, i))
            return
        for i in range(start, n - picks + 1):
            nodes += 1
            if nodes > budget:
                raise _BudgetSpent
            value = values[i]
            if value >= need:
                continue  # values are positive: the others must still add something
            chosen.append(i)
            search(i + 1, need - value, picks - 1)
            chosen.pop()
            if len(found) >= limit:
                return

    try:
        for size in sizes:
            if size <= n and len(found) < limit:
                search(0, target, size)
    except _BudgetSpent:
        return found, False
    return found, True


# --- suggestions --------------------------------------------------------------------------------
def _open_invoices(customer_id: int, currency: str) -> QuerySet[Invoice]:
    return open_invoices(customer_id=customer_id, currency=currency)


async def _rows(queryset: QuerySet[Invoice], limit: int) -> list[OpenInvoice]:
    rows = (
        await queryset.order_by("due_date", "id")
        .limit(limit)
        .values_list("id", "number", "period", "due_date", "outstanding")
    )
    return [
        OpenInvoice(i, number, period, due, Decimal(outstanding))
        for i, number, period, due, outstanding in rows
    ]


def _signature(suggestion: Suggestion) -> tuple[tuple[int, Decimal], ...]:
    return tuple((i.invoice_id, i.amount) for i in suggestion.invoices)


async def invoice_suggestions(payment: Payment) -> list[Suggestion]:
    amount = payment.unallocated_amount
    if payment.customer_id is None or amount <= ZERO:
        return []
    base = _open_invoices(payment.customer_id, payment.currency)
    # three bounded reads, side by side on the pool's connections (one after the other on SQLite)
    exact, candidates, oldest = await asyncio.gather(
        _rows(base.filter(outstanding=amount), MAX_EXACT),
        _rows(base.filter(outstanding__lt=amount), COMBINATION_CANDIDATES),
        _rows(base, MAX_FIFO_INVOICES),
    )
    suggestions: list[Suggestion] = []

    for invoice in exact:
        suggestions.append(
            Suggestion(
                kind="exact",
                invoices=[invoice.take(amount)],
                total=amount,
                reason=str(
                    Message(
                        "suggest_exact", {"number": invoice.number, "due": invoice.due_date, "amount": amount}
                    )
                ),
            )
        )

    sets, complete = find_combinations([cents(c.outstanding) for c in candidates], cents(amount))
    scope = Message("suggest_scope" if complete else "suggest_scope_partial", {"count": len(candidates)})
    for indexes in sets:
        chosen = [candidates[i] for i in indexes]
        suggestions.append(
            Suggestion(
                kind="combination",
                invoices=[c.take(c.outstanding) for c in chosen],
                total=amount,
                reason=str(
                    Message(
                        "suggest_combination",
                        {
                            "count": len(chosen),
                            "numbers": [c.number for c in chosen],
                            "amount": amount,
                            "scope": scope,
                        },
                    )
                ),
            )
        )

    fifo: list[SuggestedInvoice] = []
    left = amount
    for invoice in oldest:
        if left <= ZERO:
            break
        part = min(left, invoice.outstanding)
        fifo.append(invoice.take(part))
        left -= part
    if fifo:
        total = amount - left
        reason = str(Message("suggest_fifo", {"count": len(fifo), "first": fifo[0].number}))
        if fifo[-1].amount < fifo[-1].outstanding:
            reason += str(Message("suggest_fifo_partly", {"number": fifo[-1].number}))
        if left > ZERO:
            reason += str(Message("suggest_fifo_credit", {"left": left}))
        suggestion = Suggestion(kind="fifo", invoices=fifo, total=total, reason=reason)
        if _signature(suggestion) not in {_signature(s) for s in suggestions}:
            suggestions.append(suggestion)
    return suggestions


# --- who paid? ----------------------------------------------------------------------------------
# legal-form words every company name carries: compared, they only make unrelated names alike
_LEGAL_FORMS = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团|公司|co\.?,? ?ltd\.?|company|limited|ltd\.?|inc\.?|corp\.?)$"
)


def name_key(name: str) -> str:
    key = fold_key(name)
    for _ in range(2):  # "…集团有限公司"
        key = _LEGAL_FORMS.sub("", key).strip(" ,.")
    return key.replace(" ", "") or fold_key(name)


async def customer_candidates(payer_name: str | None) -> list[CustomerCandidate]:
    """Live customers whose company or short name is like ``payer_name``, best first."""
    if not payer_name or not payer_name.strip():
        return []
    payer = name_key(payer_name)
    rows = await Customer.all().values_list("id", "customer_code", "company_name", "short_name")
    by_id = {row[0]: row for row in rows}
    scores: dict[int, tuple[float, str]] = {}
    for column, position in (("company name", 2), ("short name", 3)):
        names = {row[0]: name_key(row[position]) for row in rows if row[position]}
        for _, score, customer_id in process.extract(
            payer,
            names,
            scorer=fuzz.WRatio,
            limit=MAX_CUSTOMER_CANDIDATES * 4,
            score_cutoff=MIN_NAME_SCORE,
        ):
            if score > scores.get(customer_id, (-1.0, ""))[0]:
                scores[customer_id] = (score, column)
    ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))[:MAX_CUSTOMER_CANDIDATES]
    candidates = []
    for customer_id, (score, column) in ranked:
        _, code, company, short = by_id[customer_id]
        matched = company if column == "company name" else short
        candidates.append(
            CustomerCandidate(
                customer_id=customer_id,
                customer_code=code,
                company_name=company,
                short_name=short,
                score=round(score),
                reason=str(
                    Message(
                        "suggest_payer",
                        {
                            "payer": payer_name,
                            "column": Message("column_" + column.replace(" ", "_")),
                            "matched": matched,
                            "score": round(score),
                        },
                    )
                ),
            )
        )
    return candidates


async def suggestions_for(payment: Payment) -> SuggestionsPublic:
    return SuggestionsPublic(
        payment_id=payment.id,
        unallocated_amount=payment.unallocated_amount,
        customer_candidates=[]
        if payment.customer_id is not None
        else await customer_candidates(payment.payer_name),
        suggestions=await invoice_suggestions(payment),
    )
