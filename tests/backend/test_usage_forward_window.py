"""A pull's spike window only moves forward and forgets the days that have left it: its answers
must stay those of a rescan of every recorded day."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from opcms.usage.ingest import WINDOW_DAYS, SpikeWindow
from tests.backend.test_usage_spike_window import YEAR, RescanWindow, random_quantity


@pytest.mark.parametrize("seed", range(8))
def test_a_forward_window_answers_what_the_rescan_answers_over_a_year_of_pulls(seed):
    # given a year pulled day after day for a few keys, some days missing, some days re-recorded
    rng = random.Random(seed)
    keys = [(1, 1), (1, 2), (2, 1)]
    forward, rescan = SpikeWindow(forward=True), RescanWindow()
    answers = []
    # when each day is asked (ascending, as a pull asks) and then recorded, in both windows
    for n, day in enumerate(YEAR):
        for key in keys:
            if rng.random() < 0.15:  # no row for this key today (and sometimes a long gap)
                continue
            if key == (2, 1) and 150 <= n < 210:  # two months without rows: the window jumps
                continue
            answers.append((repr(forward.average(key, day)), repr(rescan.average(key, day))))
            for _ in range(2 if rng.random() < 0.1 else 1):  # a reviewed row recorded again
                quantity = random_quantity(rng)
                forward.record(key, day, quantity)
                rescan.record(key, day, quantity)
    # then every answer is the same Decimal, written the same way
    assert [new for new, _ in answers] == [old for _, old in answers]
    assert sum(old != "None" for _, old in answers) > len(answers) // 2
    # and the forward window kept only about a window's worth of days per key
    assert all(len(trail.days) <= WINDOW_DAYS + 2 for trail in forward._trails.values())


def test_a_forward_window_refuses_to_move_back():
    # given a forward window asked about a day
    window, key = SpikeWindow(forward=True), (1, 1)
    for day in YEAR[:10]:
        window.record(key, day, random_quantity(random.Random(1)))
    window.average(key, YEAR[40])
    # when it is asked about an earlier day, then it refuses (it may have forgotten the days needed)
    with pytest.raises(ValueError):
        window.average(key, YEAR[39])
    # (a later day is fine)
    assert window.average(key, YEAR[40] + dt.timedelta(days=1)) is None
