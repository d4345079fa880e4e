"""Lanes: the order of a plan, for deciding it, reporting it and loading it.

A lane is one kind, except that state events are split in two: a document's `send` (before its
payments) and what comes after the payments (`close`, `accept`, `decline`…). Each lane waits for
the lanes it depends on (its kind's `depends_on` in `migrator.kinds`) to settle, whatever their
outcome; `reactivations` go first and `archives` last. With events split, no record of a lane
waits for another record of the same lane, so the loader streams each lane from the plan store
instead of holding a dependency graph of every record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator.kinds import REGISTRY, load_order


@dataclass(frozen=True)
class Lane:
    index: int
    kind: str
    part: str  # "" for a whole kind; "send" / "later" for the two halves of a state-event kind
    gates: frozenset[int]  # lanes that must settle before this one starts

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.part}" if self.part else self.kind


def _names() -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    order = load_order()
    for kind in order:
        entry = REGISTRY[kind]
        if entry.event:
            names.append((kind, "send"))
            if not entry.later_after:
                names.append((kind, "later"))
        else:
            names.append((kind, ""))
        # An event kind's later half that waits for this kind (an invoice's `close` after its payments).
        names += [(other, "later") for other in order if REGISTRY[other].later_after == kind]
    return names


def _build() -> tuple[Lane, ...]:
    names = _names()
    index = {name: number for number, name in enumerate(names)}
    first = {kind: index[(kind, "send" if REGISTRY[kind].event else "")] for kind, _part in names}
    openers = {number for number, (kind, _part) in enumerate(names) if REGISTRY[kind].step == "first"}
    lanes = []
    for number, (kind, part) in enumerate(names):
        entry = REGISTRY[kind]
        if entry.step == "last":
            gates = set(range(number))  # after everything else
        elif entry.step == "first":
            gates = set()  # before everything else
        else:
            gates = {first[dep] for dep in entry.depends_on} | openers
            if part == "later":
                gates.add(index[(kind, "send")])
                if entry.later_after:
                    gates.add(index[(entry.later_after, "")])
        lanes.append(Lane(number, kind, part, frozenset(gates - {number})))
    return tuple(lanes)


LANES: tuple[Lane, ...] = _build()
_BY_NAME = {(lane.kind, lane.part): lane.index for lane in LANES}


def lane_of(kind: str, payload: dict[str, Any]) -> int:
    """The lane a planned object of `kind` loads in."""
    if REGISTRY[kind].event:
        return _BY_NAME[(kind, "send" if payload.get("event_type") == "send" else "later")]
    return _BY_NAME[(kind, "")]
