"""Date windows: every day from the floor to the ceiling is asked for exactly once, whatever the hints
say; windows grow where the data is sparse and shrink where it is dense."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.export.windows import CEILING, FLOOR, GROWTH, TARGET, cover, next_width, stretch, walk

DAY = dt.timedelta(days=1)
days = st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2030, 12, 31))


def _asked(low: dt.date, high: dt.date, density: int) -> list[tuple[dt.date, dt.date]]:
    windows: list[tuple[dt.date, dt.date]] = []

    def fetch(start: dt.date, end: dt.date) -> int:
        windows.append((start, end))
        return ((end - start).days + 1) * density

    cover(fetch, low, high)
    return windows


@settings(max_examples=200, deadline=None, derandomize=True)
@given(days, days, st.integers(min_value=0, max_value=500))
def test_cover_asks_for_every_day_from_floor_to_ceiling_exactly_once(a: dt.date, b: dt.date, density: int) -> None:
    low, high = min(a, b), max(a, b)
    windows = _asked(low, high, density)
    assert windows[0][0] == FLOOR and windows[-1][1] == CEILING
    for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
        assert start == end + DAY  # no gap, no overlap
    assert all(start <= end for start, end in windows)


def test_windows_are_sized_to_the_data() -> None:
    sparse = _asked(dt.date(2010, 1, 1), dt.date(2019, 12, 31), density=0)
    dense = _asked(dt.date(2010, 1, 1), dt.date(2019, 12, 31), density=400)
    assert len(sparse) == 2 + 5  # below; 31, 124, 496, 1984 days and the rest of ten years; above
    widths = [(end - start).days + 1 for start, end in dense[1:-1]]
    assert widths[0] == 31 and all(w == TARGET // 400 for w in widths[1:-1])  # 400 a day: 5 days a window
    assert next_width(10, 0) == 10 * GROWTH and next_width(10, 10 * TARGET) == 1 and next_width(1, 10**9) == 1


def test_hints_size_the_walk_they_never_narrow_the_range() -> None:
    today = dt.date(2026, 12, 7)
    assert stretch(dt.date(2013, 3, 4), dt.date(2013, 3, 8), None, today) == (dt.date(2013, 3, 4), dt.date(2013, 3, 8))
    # Missing or upside-down hints: from the record's creation to "today".
    assert stretch(None, dt.date(2013, 3, 8), dt.date(2012, 1, 1), today) == (dt.date(2012, 1, 1), today)
    assert stretch(dt.date(2014, 1, 1), dt.date(2013, 1, 1), None, today) == (today, today)
    assert stretch(dt.date(1800, 1, 1), dt.date(2200, 1, 1), None, today) == (FLOOR, CEILING)
    windows = _asked(*stretch(dt.date(2013, 3, 4), dt.date(2013, 3, 8), None, today), density=1)
    assert windows[0] == (FLOOR, dt.date(2013, 3, 3)) and windows[-1] == (dt.date(2013, 3, 9), CEILING)


@pytest.mark.parametrize("high", [dt.date(2013, 3, 4), dt.date(2013, 3, 5)])
def test_a_walk_of_a_day_or_two_asks_once(high: dt.date) -> None:
    asked: list[tuple[dt.date, dt.date]] = []
    walk(lambda a, b: asked.append((a, b)) or 0, dt.date(2013, 3, 4), high)
    assert asked == [(dt.date(2013, 3, 4), high)]
