"""Wall-clock arithmetic both sources need when the target tracks time by start and end.

A Harvest v2 account with timestamp timers takes `started_time`/`ended_time` (`8:00am`) instead of
`hours`. A legacy entry that only has a duration gets a span synthesised from it, starting where
the entry says or at midnight, so any duration up to 23:59 fits its day; a longer one is sent as
hours. The mappings report every synthesised or changed span as lossy with the exact figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DAY_MINUTES = 24 * 60


def clock_minutes(text: str) -> int:
    """`8:00am` -> 480 (the form `coerce.to_clock` produces)."""
    clock, meridiem = text[:-2], text[-2:]
    hour, minute = (int(part) for part in clock.split(":"))
    return (hour % 12 + (12 if meridiem == "pm" else 0)) * 60 + minute


def clock_text(minutes: int) -> str:
    """480 -> `8:00am`."""
    hour, minute = divmod(minutes, 60)
    return f"{hour % 12 or 12}:{minute:02d}{'am' if hour < 12 else 'pm'}"


def hours_of(minutes: int) -> Decimal:
    """Minutes as hours to the cent, as Harvest shows them."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Span:
    """A synthesised span (`started`/`ended` set), or None of them when the duration must go as hours."""

    minutes: int
    started: str | None = None
    ended: str | None = None


def span_for(hours: Decimal, start: int = 0) -> Span:
    """The span of `hours` (not negative) starting at minute `start`, moved to midnight if it would
    cross into the next day; no span at all when the duration is a whole day or more."""
    minutes = int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))
    if minutes >= DAY_MINUTES:  # after rounding: 23.995 h is 1440 minutes, which no span within a day holds
        return Span(minutes)
    if start + minutes >= DAY_MINUTES:
        start = 0
    return Span(minutes, clock_text(start), clock_text(start + minutes))
