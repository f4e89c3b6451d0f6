"""The import's fast paths (issue 18, the statements bench) store what the plain paths store: the
line hash from one joined text equals ``line_hash`` (the reader's fingerprint), the SQL text of a
line composed column by column equals ``_text`` of each value, and a statement imported through
them holds those hashes and the proposals a fresh matcher makes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.bench.statements import PER_CUSTOMER, invoice_amount, statement_csv
from opcms.core.context import acting_as, system_actor
from opcms.statements.matching import Matcher
from opcms.statements.models import BankPayerAccount, BankStatementLine
from opcms.statements.reading import StatementLine, read_statement
from opcms.statements.service import (
    LINE_COLUMNS,
    SHARED,
    _line_hasher,
    _own_text,
    _row,
    _text,
    dedup_key,
    import_statement,
    line_hash,
)
from tests.backend.factories import make_customer, make_invoices_bulk


def statement_line(**given: object) -> StatementLine:
    fields: dict[str, object] = {
        "row_number": 7,
        "kind": "incoming",
        "reason": None,
        "detail": None,
        "booked_on": dt.date(2026, 1, 2),
        "booked_at": dt.time(9, 30, 1),
        "amount": Decimal("1200.50"),
        "balance": Decimal("99.00"),
        "payer_name": "上海澄明网络科技有限公司",
        "payer_account": "6222021000018866",
        "payer_bank": "中国工商银行",
        "summary": "汇入汇款",
        "purpose": "货款",
        "serial": "SN001",
        "currency": "CNY",
        "raw": {},
    }
    fields.update(given)
    return StatementLine(**fields)  # type: ignore[arg-type]


ODD_LINES = [
    statement_line(),
    statement_line(booked_on=None, booked_at=None, amount=None, balance=None),
    statement_line(payer_name=None, payer_account=None, serial=None, summary=None),
    statement_line(payer_name="ＡＢＣ　 Trading|Co", summary="Ａ|Ｂ  c", serial="S|1", payer_account="1|2"),
    statement_line(payer_name='  O\'Brien \\ "Ltd"  ', purpose="it's\nnew", amount=Decimal("0.1")),
    statement_line(kind="skipped", reason="outgoing", detail="支出 12.00", payer_bank=None),
]


def test_the_line_hash_of_one_joined_text_is_the_fingerprints():
    """Given lines with empty fields, full-width text, bars and quotes, when hashed by the
    import's hasher (twice: its cache of folded names), then each hash is ``line_hash``."""
    for account in ("", "3100228800005566001"):
        hasher = _line_hasher(account)
        for _ in range(2):
            for line in ODD_LINES:
                assert hasher(line) == line_hash(account, line), line


def test_a_lines_sql_text_is_each_values_text():
    """Given new lines (incoming, skipped, a duplicate, with and without a proposal, with a
    quote and a backslash in the texts), when written as SQL text, then it is ``_text`` of each
    value, in the columns' order."""
    now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    rows = [_row("3100", line, "finance", now) for line in ODD_LINES]
    rows[0].update(
        status="open",
        customer_id=12,
        allocations=[
            {"invoice_id": 3, "invoice_number": "INV-202501-000001", "amount": "12.50"},
            {"invoice_id": 4, "invoice_number": "INV\"\\'5", "amount": "0.01"},
        ],
        confidence="high",
        proposal_reason="name_exact+combination",
    )
    rows[1].update(kind="duplicate", dedup_key=None, duplicate_of_id=41, reason="already_imported")
    rows[2].update(allocations=[{"other": 1}], payments=[{"payment_id": 9}])  # not the usual shape
    for row in rows:
        assert _own_text(row) == ", ".join(_text(row[c]) for c in LINE_COLUMNS[SHARED:]), row


async def test_an_imported_statement_holds_the_plain_paths_hashes_and_a_fresh_matchers_proposals(db):
    """Given the bench's customers, open invoices and learned accounts, and a statement of their
    kinds of lines, when it is imported, then every stored line has the reader's hash and key and
    the proposal a fresh matcher makes for it, in file order."""
    for index in range(20):  # as the bench seeds them: 5 open invoices each, a fifth learned
        customer = await make_customer(company_name=f"bench customer {index}")
        await make_invoices_bulk(customer, [invoice_amount(index, k) for k in range(PER_CUSTOMER)])
        if index >= 16:
            await BankPayerAccount.create(payer_account=f"62220300{index:08d}", customer_id=customer.id)
    content, _ = statement_csv(60, 20)
    read = read_statement(content, "statement.csv")
    account = (read.account or "").strip()
    now = dt.datetime.now(dt.UTC)
    expected = [_row(account, line, "bench", now) for line in read.lines]
    matcher = await Matcher.for_lines([row for row in expected if row["dedup_key"]])
    proposals = [matcher.propose(row) for row in expected if row["kind"] == "incoming"]

    with acting_as(system_actor("bench")):
        imported = await import_statement(content, "statement.csv")

    stored = await BankStatementLine.filter(statement_id=imported.statement.id, kind="incoming").order_by(
        "row_number"
    )
    assert len(stored) == len(read.incoming) == len(proposals) == 60
    incoming = [line for line in read.lines if line.kind == "incoming"]
    assert {p.confidence.value for p in proposals} == {"high", "medium", "low"}
    for got, line, proposal in zip(stored, incoming, proposals, strict=True):
        assert got.line_hash == line_hash(account, line)
        assert got.dedup_key == dedup_key(account, line, got.line_hash)
        assert got.customer_id == proposal.customer_id
        assert got.allocations == proposal.allocations
        assert got.confidence == proposal.confidence
        assert got.proposal_reason == proposal.reason
        assert got.amount == line.amount and got.payer_name == line.payer_name
