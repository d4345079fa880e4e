"""Ten years of an agency's working days, and the chronological sweep that dates every record.

Records are spread evenly over the working days of the history, in date order, so a writer can
stream them: record `i` of `n` falls on working day `i * days // n`. Each record takes a *slot*
(a project with a task and a person, say) among those open in its month; the few records that must
carry a trap come first and take fixed slots, which is why traps live in the first years.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

START = dt.date(2009, 1, 5)  # a Monday
END = dt.date(2018, 12, 28)
EXPORTED = dt.date(2019, 1, 7)  # the export ran the next working week (v1 support ended in 2019)
YEARS = END.year - START.year + 1

S = TypeVar("S")


MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def month_name(day: dt.date) -> str:
    """`March 2013`, whatever the process locale (`strftime("%B")` follows it: bytes would vary)."""
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


def month_of(day: dt.date) -> int:
    """Months since the start of the history (0 = January 2009)."""
    return (day.year - START.year) * 12 + day.month - 1


def month_bounds(month: int) -> tuple[dt.date, dt.date]:
    """First and last day of a month of the history."""
    year, index = divmod(month, 12)
    first = dt.date(START.year + year, index + 1, 1)
    following = dt.date(first.year + 1, 1, 1) if index == 11 else dt.date(first.year, index + 2, 1)
    return first, following - dt.timedelta(days=1)


def months() -> int:
    """Months in the history."""
    return month_of(END) + 1


class Timeline:
    """The working days of the history."""

    def __init__(self) -> None:
        day, one = START, dt.timedelta(days=1)
        days: list[dt.date] = []
        while day <= END:
            if day.weekday() < 5:
                days.append(day)
            day += one
        self.workdays: tuple[dt.date, ...] = tuple(days)

    def at(self, fraction: float) -> dt.date:
        """The working day `fraction` of the way through the history (0 = first, 1 = last)."""
        index = min(len(self.workdays) - 1, max(0, int(fraction * len(self.workdays))))
        return self.workdays[index]

    def between(self, rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
        """A random working day in [first, last] (first when the span is empty)."""
        span = (last - first).days
        day = first + dt.timedelta(days=rng.randint(0, max(span, 0)))
        while day.weekday() >= 5 and day < last:
            day += dt.timedelta(days=1)
        return day

    def sweep(
        self,
        count: int,
        slots_in_month: Callable[[int], Sequence[S]],
        rng: random.Random,
        pinned: Sequence[S] = (),
    ) -> Iterator[tuple[int, dt.date, S]]:
        """(index, day, slot) for `count` records in date order; the first ones take `pinned` slots.

        Raises `ValueError` when a month has no open slot, or a pinned slot is not open on its day
        (the model broke its own rules: better loud than a silently wrong export).
        """
        days = self.workdays
        total = len(days)
        month: int = -1
        slots: Sequence[S] = ()
        for index in range(count):
            day = days[index * total // count]
            current = (day.year - START.year) * 12 + day.month - 1
            if current != month:
                month, slots = current, slots_in_month(current)
                if not slots:
                    raise ValueError(f"no open slot in month {month} ({day:%Y-%m})")
            if index < len(pinned):
                slot = pinned[index]
                if slot not in slots:
                    raise ValueError(f"pinned slot {index} {slot!r} is not open on {day}")
            else:
                slot = slots[int(rng.random() * len(slots))]
            yield index, day, slot
