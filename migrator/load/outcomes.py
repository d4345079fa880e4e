"""What a load reports: progress events while it (and the plan before it) runs, and a `LoadResult` at the end."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

# Outcome states a record can end a load in. Ledger states, plus the plan actions that cost no
# request (`unchanged`, `invalid`, `skipped`), `updated` for a PATCH that went through, and
# `waiting` for work a stopped run never started.
OUTCOMES = (
    "done",
    "updated",
    "adopted",
    "unchanged",
    "rejected",
    "blocked",
    "pending",
    "invalid",
    "skipped",
    "waiting",
)


@dataclass(frozen=True)
class Outcome:
    """How one record ended: its state, v2 id, whether its object is in the target, and why."""

    state: str  # done | updated | adopted | rejected | blocked | pending | waiting
    v2_id: int | None = None
    message: str | None = None
    available: bool = False  # dependents may go (the object exists in the target)
    # An expense whose receipt did not reach the target: why, and whether it was refused ("rejected") or
    # its upload's outcome is unknown ("pending": the next run settles it). The expense itself is `state`.
    receipt: str | None = None
    receipt_state: str = "rejected"


@dataclass(frozen=True)
class LoadEvent:
    """One record settled: `done` of `total` so far; `kinds` gives (done, total) per kind, for a progress bar."""

    done: int
    total: int
    kind: str
    source_id: str
    state: str
    kinds: Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class Phase:
    """A step before the load (reading, mapping, comparing): what it is, how far it got (`total` None: unknown)."""

    what: str
    done: int = 0
    total: int | None = None
    detail: str = ""  # the part being worked on (a kind), shown beside the count

    def __str__(self) -> str:
        count = f": {self.done:,}/{self.total:,}" if self.total else ""
        return f"{self.what}{count}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Problem:
    """A record the load could not finish, located in the source, with Harvest's message or the cause."""

    state: str  # invalid | rejected | blocked | pending
    kind: str
    source_id: str
    where: str
    message: str
    system: str = ""

    @property
    def record(self) -> str:
        """`SYSTEM:KIND:SOURCE_ID` (docs/INTERFACE.md)."""
        return f"{self.system}:{self.kind}:{self.source_id}"

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id} ({self.where}): {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "state": self.state,
            "record": self.record,
            "system": self.system,
            "kind": self.kind,
            "source_id": self.source_id,
            "where": self.where,
            "message": self.message,
        }


@dataclass
class LoadResult:
    """The outcome of `load`: per-kind per-state counts, problems, requests used, time taken."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    requests: int = 0
    elapsed: float = 0.0
    stopped: bool = False  # the caller's stop event ended the run early (resume with the same command)

    def _lines(self, state: str) -> list[str]:
        return [str(problem) for problem in self.problems if problem.state == state]

    @property
    def invalid(self) -> list[str]:
        """Records the plan could not load (unmappable, or depending on such a record), with why."""
        return self._lines("invalid")

    @property
    def rejected(self) -> list[str]:
        """Records Harvest refused, with its message."""
        return self._lines("rejected")

    @property
    def blocked(self) -> list[str]:
        """Records not sent because something they depend on was not loaded."""
        return self._lines("blocked")

    @property
    def unknown(self) -> list[str]:
        """Records whose outcome is still unknown: they stay pending and are reconciled on the next run."""
        return self._lines("pending")

    @property
    def exit_code(self) -> int:
        """CONTRACT: 0 done; 3 finished with records not loaded (invalid, rejected, blocked, unknown);
        1 stopped early."""
        if self.stopped:
            return 1
        return 3 if self.problems else 0


class Tally:
    """Thread-confined counters the scheduler keeps while loading (per kind: states, done, total)."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.total: dict[str, int] = defaultdict(int)
        self.settled: dict[str, int] = defaultdict(int)

    def expect(self, kind: str, n: int = 1) -> None:
        if n:
            self.total[kind] += n

    def count(self, kind: str, state: str, *, work: bool = True, n: int = 1) -> None:
        self.states[kind][state] += n
        if work:
            self.settled[kind] += n

    def event(self, kind: str, source_id: str, state: str) -> LoadEvent:
        kinds = {name: (self.settled[name], total) for name, total in self.total.items()}
        return LoadEvent(sum(self.settled.values()), sum(self.total.values()), kind, source_id, state, kinds)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {kind: dict(states) for kind, states in self.states.items() if any(states.values())}
