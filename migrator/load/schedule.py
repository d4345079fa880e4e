"""The order of a load: which planned objects may be sent now, and which can never be.

Two kinds of edges:
- record edges: the refs in a payload plus the planned object's `after` (a payment after its
  invoice's "send"), plus `same_as` (a second source record adopting the first one's object).
  When a record is not loaded, everything that depends on it, transitively, is blocked;
- kind gates from the registry, for orderings no payload names: an invoice line's `kind` is an
  item category *name*, and a time entry needs its project's assignments. A gated object waits
  until every object of the gating kinds has settled, whatever their outcome (Harvest then
  answers for itself, e.g. "task is not assigned to the project"). Reactivations gate every
  other kind, and archives wait for every other kind: history first, archive last.

State events are left out of kind gates: their order is per record (`after`).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from migrator.load.planner import PlanEntry
from migrator.load.registry import REGISTRY

T = TypeVar("T")



def _gates(kind: str) -> frozenset[str]:
    entry = REGISTRY[kind]
    if entry.step:
        return frozenset(entry.depends_on)  # archives wait for everything, state events included
    # Reactivations (objects that exist, put back to active for their history) go before all else.
    return frozenset(dep for dep in entry.depends_on if not REGISTRY[dep].event) | {"reactivations"}


_GATES: dict[str, frozenset[str]] = {kind: _gates(kind) for kind in REGISTRY}


class Graph:
    """The work of a plan (create, update, adopt) as a DAG; entries are addressed by their index.

    Not thread-safe: the loader's scheduling thread owns it.
    """

    def __init__(self, work: list[PlanEntry]) -> None:
        self.work = work
        where = {(entry.planned.origin.system, entry.planned.ref): index for index, entry in enumerate(work)}
        self.waiting = [0] * len(work)
        self.dependents: list[list[int]] = [[] for _ in work]
        for index, entry in enumerate(work):
            system = entry.planned.origin.system
            # A reactivation's object exists before the run (that is why it is reactivated), and
            # everything else waits for the reactivations: a record edge to it would be a cycle.
            refs = () if entry.planned.kind == "reactivations" else entry.planned.depends_on()
            keys = {(system, ref) for ref in refs}
            if entry.same_as is not None:
                other_system, _, other_ref = entry.same_as.partition("|")
                keys.add((other_system, other_ref))  # often another source system (one task in two exports)
            for key in keys:
                other = where.get(key)
                if other is not None and other != index:
                    self.waiting[index] += 1
                    self.dependents[other].append(index)
        self.unsettled: dict[str, int] = defaultdict(int)
        for entry in work:
            self.unsettled[entry.planned.kind] += 1
        self.held: dict[str, list[int]] = defaultdict(list)  # kind -> indexes free of record edges, gated
        self.settled = [False] * len(work)
        self.ready: deque[int] = deque()
        for index in range(len(work)):
            if not self.waiting[index]:
                self._release(index)

    def _gated(self, kind: str) -> bool:
        return any(self.unsettled.get(gate, 0) for gate in _GATES[kind])

    def _release(self, index: int) -> None:
        kind = self.work[index].planned.kind
        if self._gated(kind):
            self.held[kind].append(index)
        else:
            self.ready.append(index)

    def _settle(self, index: int) -> None:
        self.settled[index] = True
        kind = self.work[index].planned.kind
        self.unsettled[kind] -= 1
        if self.unsettled[kind] == 0:
            # A kind just finished: release whatever it was holding back (and is free otherwise).
            for waiting_kind in [k for k in self.held if kind in _GATES[k] and not self._gated(k)]:
                self.ready.extend(self.held.pop(waiting_kind))

    def loaded(self, index: int) -> None:
        """Entry `index` is in the target: its dependents may go."""
        self._settle(index)
        for child in self.dependents[index]:
            self.waiting[child] -= 1
            if not self.waiting[child] and not self.settled[child]:
                self._release(child)

    def failed(self, index: int) -> list[int]:
        """Entry `index` is not in the target: settle it and return every dependent, transitively, now blocked."""
        self._settle(index)
        blocked: list[int] = []
        stack = list(self.dependents[index])
        while stack:
            child = stack.pop()
            if self.settled[child]:
                continue
            self._settle(child)
            blocked.append(child)
            stack.extend(self.dependents[child])
        # Nothing blocked here sits in `ready` or `held`: those have every record edge loaded.
        return blocked

    def stranded(self) -> Iterable[int]:
        """Entries that never became ready although nothing runs (only a dependency cycle does that)."""
        return (index for index, done in enumerate(self.settled) if not done)


def drive(
    graph: Graph,
    execute: Callable[[PlanEntry], T],
    finished: Callable[[int, Future[T]], None],
    *,
    concurrency: int,
    halted: Callable[[], bool],
) -> None:
    """Run ready entries on `concurrency` threads until nothing is ready or running.

    `finished(index, future)` runs on this (the calling) thread for each entry that ends, so it
    may update `graph`, which releases dependents into `graph.ready`. Once `halted()` is true no
    entry is started; those running are waited for.
    """
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load") as pool:
        running: dict[Future[T], int] = {}
        while True:
            # Never more submitted than threads: a stop then leaves nothing queued behind it.
            while graph.ready and len(running) < concurrency and not halted():
                index = graph.ready.popleft()
                running[pool.submit(execute, graph.work[index])] = index
            if not running:
                return
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                finished(running.pop(future), future)
