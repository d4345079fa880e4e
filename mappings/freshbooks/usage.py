"""Which tasks and people a FreshBooks project's history names: the assignments that history implies.

FreshBooks lists a project's tasks and staff as they are on the day of the export (`project.list`
`<tasks>`, `<staff>`): a person who left, or a task taken off the project, is no longer listed,
yet their time entries and expenses stay. Harvest takes no time or expense without an active
assignment, so every (project, task) and (project, person) the history names is assigned. One
the project does not list exists only for that history: it is planned inactive, created active so
the history loads, and archived at the end of the batch, like any other archived thing.

While the time entries and expenses are mapped (once, streamed), this counts how many records name
each pair and remembers the first of them: an implied assignment's origin is that record, never
the project's line, and its reason says how much history implies it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from migrator.sources.record import Origin


@dataclass(slots=True)
class Implied:
    """The history that names one (project, task) or (project, person) pair."""

    origin: Origin  # the first time entry or expense that names it
    time_entries: int = 0
    expenses: int = 0

    def reason(self) -> str:
        """`implied by 3 time entries and 1 expense, not on the project in FreshBooks`."""
        counted = [
            _count(n, singular, plural)
            for n, singular, plural in (
                (self.time_entries, "time entry", "time entries"),
                (self.expenses, "expense", "expenses"),
            )
            if n
        ]
        return f"implied by {' and '.join(counted)}, not on the project in FreshBooks"


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n:,} {singular if n == 1 else plural}"


class HistoryUsage:
    """Per FreshBooks project id: the tasks and the staff its time entries and expenses name.

    Bounded by the account's (project, task) and (project, person) pairs, never by its history.
    """

    def __init__(self) -> None:
        self.tasks: defaultdict[str, dict[str, Implied]] = defaultdict(dict)
        self.staff: defaultdict[str, dict[str, Implied]] = defaultdict(dict)

    def time_entry(self, project_id: str, task_id: str, staff_id: str | None, origin: Origin) -> None:
        """A time entry of `staff_id` on `project_id`'s `task_id` (both needed to log it in Harvest)."""
        # The hot path of a million-entry plan: one lookup and one increment per pair.
        tasks = self.tasks[project_id]
        found = tasks.get(task_id)
        if found is None:
            tasks[task_id] = Implied(origin, time_entries=1)
        else:
            found.time_entries += 1
        if staff_id:
            staff = self.staff[project_id]
            found = staff.get(staff_id)
            if found is None:
                staff[staff_id] = Implied(origin, time_entries=1)
            else:
                found.time_entries += 1

    def expense(self, project_id: str, staff_id: str, origin: Origin) -> None:
        """An expense of `staff_id` on `project_id` (Harvest needs the person assigned; an expense has no task)."""
        staff = self.staff[project_id]
        found = staff.get(staff_id)
        if found is None:
            staff[staff_id] = Implied(origin, expenses=1)
        else:
            found.expenses += 1
