"""The dashboard is handed out again only while nothing it reads has been written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opcms.analytics import service
from opcms.analytics.service import BoardMemo
from tests.backend.factories import make_customer
from tests.backend.factories_analytics import (
    invoice,
    pay,
    with_invoice_lines_back,
    without_invoice_lines,
)

MAY = service.Board(dt.date(2026, 5, 1), dt.date(2026, 5, 31), dt.date(2026, 5, 31), None)


async def test_the_same_board_is_not_computed_twice_while_nothing_is_written(db):
    # given a customer invoiced in May
    customer = await make_customer()
    await invoice(customer, "1000.00", issue=dt.date(2026, 5, 1))

    # when the board is asked for twice
    first = await service.dashboard(MAY)
    again = await service.dashboard(MAY)

    # then the second answer is the first one, computed once
    assert again is first
    assert first["figures"]["invoiced"]["value"] == Decimal("1000.00")


async def test_a_write_in_between_makes_the_board_computed_again(db):
    # given a board computed before a payment arrives
    customer = await make_customer()
    await invoice(customer, "1000.00", issue=dt.date(2026, 5, 1))
    before = await service.dashboard(MAY)
    assert before["figures"]["collected"]["value"] == Decimal("0.00")

    # when the payment is recorded (an audited write)
    await pay(customer, "400.00", received_on=dt.date(2026, 5, 20))

    # then the board is computed again and shows it
    after = await service.dashboard(MAY)
    assert after is not before
    assert after["figures"]["collected"]["value"] == Decimal("400.00")
    assert after["computed_at"] >= before["computed_at"]


async def test_new_scores_make_the_board_computed_again(db):
    # given a board computed before the customers were scored
    customer = await make_customer()
    await invoice(customer, "1000.00", issue=dt.date(2026, 5, 1))
    before = await service.dashboard(MAY)
    assert before["customers"]["by_tier"] == [{"key": None, "count": 1}]

    # when the scoring job stores scores (no audit rows)
    await service.score_customers(dt.date(2026, 5, 31))

    # then the board counts the customer in its tier
    after = await service.dashboard(MAY)
    assert after["customers"]["by_tier"] == [{"key": "C", "count": 1}]
    assert after["scores_computed_at"] is not None


async def test_a_board_with_a_failed_block_is_not_kept(db):
    # given a board computed while one block fails
    customer = await make_customer()
    await invoice(customer, "1000.00", issue=dt.date(2026, 5, 1))
    await without_invoice_lines()
    try:
        failed = await service.dashboard(MAY)
    finally:
        await with_invoice_lines_back()
    assert failed["usage"] is None

    # when it is asked for again with nothing written
    again = await service.dashboard(MAY)

    # then it is computed again, whole
    assert again["errors"] == [] and again["usage"] is not None


def test_the_memo_keeps_the_most_recent_boards_only():
    memo = BoardMemo(size=2)
    boards = [
        service.Board(dt.date(2026, m, 1), dt.date(2026, m, 28), dt.date(2026, 6, 1), None) for m in (1, 2, 3)
    ]
    for n, board in enumerate(boards):
        memo.put(board, (n,), {"n": n})
    assert memo.get(boards[0], (0,)) is None  # pushed out by the third
    assert memo.get(boards[1], (1,)) == {"n": 1}
    assert memo.get(boards[2], (2,)) == {"n": 2}
    assert memo.get(boards[2], (3,)) is None  # another version: not handed out
