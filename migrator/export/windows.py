"""Date windows for APIs that answer "everything between two dates" without paging (Harvest v1's
time and expense reports): the whole range is covered, and the windows are sized to the data.

- **The range** runs from `FLOOR` to `CEILING`, whatever the account says: entries are backdated
  before anything's creation and typed into the future (leave logged ahead, a mistyped year).
  Everything outside the stretch walked window by window costs one request each side.
- **The stretch** is what the hints say (Harvest's `hint-earliest/latest-record-at`, refreshed
  daily): hints size the windows, they never narrow the range. Without hints, it runs from the
  record's creation to "today", which the journal fixes for the whole export, so a resume on
  another day asks for exactly the same windows.
- **Sizing**: a window that brought few records makes the next one wider (at most `GROWTH` times),
  one that brought many makes it narrower, aiming at `TARGET` records a response. An answer is
  complete however large (these APIs do not page), so nothing is ever fetched twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

# Harvest began in 2006; the floor leaves a century for backdated and mistyped entries. Being
# outside the hints, the years below cost one request whatever their number.
FLOOR = dt.date(1900, 1, 1)
CEILING = dt.date(2099, 12, 31)
TARGET = 2000  # records a response aims at: about a megabyte of v1 XML
GROWTH = 4  # how much wider the next window may be than the last

Fetch = Callable[[dt.date, dt.date], int]  # asks for one window (both days included); returns its record count


def stretch(
    earliest: dt.date | None, latest: dt.date | None, start: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The days to walk window by window: the hints when both make sense, else `start` (e.g. the
    record's creation) to `today`; always inside [FLOOR, CEILING]."""
    if earliest is not None and latest is not None and earliest <= latest:
        low, high = earliest, latest
    else:
        high = today
        low = min(start, high) if start is not None else high
    return max(FLOOR, min(low, CEILING)), max(FLOOR, min(high, CEILING))


def cover(fetch: Fetch, low: dt.date, high: dt.date, *, first_days: int = 31) -> int:
    """Ask for every day from FLOOR to CEILING: one window below `low`, windows sized to the data
    from `low` to `high`, one window above. Returns the records found."""
    found = 0
    if low > FLOOR:
        found += fetch(FLOOR, low - dt.timedelta(days=1))
    found += walk(fetch, low, high, first_days=first_days)
    if high < CEILING:
        found += fetch(high + dt.timedelta(days=1), CEILING)
    return found


def walk(fetch: Fetch, low: dt.date, high: dt.date, *, first_days: int = 31, target: int = TARGET) -> int:
    """Windows from `low` to `high` (both included), each sized by what the one before brought."""
    found, start, days = 0, low, first_days
    while start <= high:
        end = start + dt.timedelta(days=min(days, (high - start).days + 1) - 1)
        count = fetch(start, end)
        found += count
        days = next_width((end - start).days + 1, count, target)
        start = end + dt.timedelta(days=1)
    return found


def next_width(width: int, count: int, target: int = TARGET) -> int:
    """The next window's width in days, aiming at `target` records at the density just seen."""
    if count == 0:
        return width * GROWTH
    return max(1, min(width * GROWTH, width * target // count))


def ymd(day: dt.date) -> str:
    """`20130301`: how Harvest v1's reports take `from` and `to`."""
    return day.strftime("%Y%m%d")
