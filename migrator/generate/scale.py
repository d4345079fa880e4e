"""How big everything else is, given the number of time entries.

Roughly an agency's shape over ten years: 1,000,000 entries come with ~50 people, ~400 projects
for ~130 clients, ~4,000 invoices and ~17,000 expenses; 300 entries with 7 people, 8 projects, 6
clients and 14 invoices. Team and catalogue sizes grow slowly (a root of the entries), billing
linearly. The traps are always there on top of these numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The records that carry traps come first in the sweep and must land in the first years of the
# history (see `timeline`); below this many entries they would not fit.
MIN_ENTRIES = 50


@dataclass(frozen=True)
class Scale:
    """How many of each record an account of `entries` time entries has."""

    entries: int
    people: int
    clients: int
    projects: int
    tasks: int
    invoices: int
    expenses: int
    estimates: int

    @classmethod
    def of(cls, entries: int) -> Scale:
        """The scale for `entries` (ValueError below `MIN_ENTRIES`)."""
        if entries < MIN_ENTRIES:
            raise ValueError(f"at least {MIN_ENTRIES} time entries are needed to carry every trap (got {entries})")
        projects = max(8, round(0.4 * math.sqrt(entries)))
        invoices = max(14, entries // 250)
        return cls(
            entries=entries,
            people=max(7, round(1.6 * entries**0.25)),
            clients=max(6, projects // 3),
            projects=projects,
            tasks=min(34, 8 + round(math.log2(entries))),
            invoices=invoices,
            expenses=max(12, entries // 60),
            estimates=max(5, invoices // 5),
        )
