"""Identity: which v2 object each source record is, in one id map per session.

A payload names other planned objects by reference (`@kind:source_id`, `migrator.planned.Ref`), in
the fields its kind declares as references (`kinds.Kind.ref_fields`) and nowhere else: a note that
merely looks like one ("@ana: please review") is text, sent as written. The ledger records the v2 id
each record got. `IdMap` answers "which v2 id is this reference?" for the planner, the loader and
verification alike (`api.Session` makes one and hands it to each; the plan carries it to the
loader): from what this session learnt, else from the ledger.

It holds only ids that later records reference: clients, projects, people, tasks, invoices… never a
leaf's (a time entry's, an expense's), which nothing refers to. The loader still records a leaf's id
in the ledger; keeping it here too would make a run's memory grow with its size.
"""

from __future__ import annotations

import threading
from typing import Any

from migrator.kinds import REGISTRY
from migrator.load.ledger import LOADED_STATES, Ledger
from migrator.planned import Ref


class IdMap:
    """(system, reference) -> v2 id: what this session learnt, else the ledger. Thread-safe."""

    def __init__(self, ledger: Ledger | None) -> None:
        self.ledger = ledger
        self._known: dict[tuple[str, str], int | None] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _kept(ref: str) -> Ref | None:
        """The reference, if it names a kind whose ids are kept (not a leaf); None otherwise."""
        parsed = Ref.parse(ref)
        if parsed is None or parsed.kind not in REGISTRY or REGISTRY[parsed.kind].leaf:
            return None
        return parsed

    def set(self, system: str, ref: str, v2_id: int) -> None:
        """This session learnt `ref`'s v2 id (a leaf's is not kept: nothing refers to one)."""
        if self._kept(ref) is not None:
            with self._lock:
                self._known[(system, ref)] = v2_id

    def forget(self, system: str, ref: str) -> None:
        """`ref`'s object is gone from the target: it has no v2 id until it is created again."""
        if self._kept(ref) is not None:
            with self._lock:
                self._known[(system, ref)] = None

    def get(self, system: str, ref: str) -> int | None:
        """The v2 id of a loaded record, or None."""
        with self._lock:
            if (system, ref) in self._known:
                return self._known[(system, ref)]
        parsed = Ref.parse(ref)
        if parsed is None or self.ledger is None or parsed.kind not in REGISTRY:
            return None
        row = self.ledger.get(system, parsed.kind, parsed.source_id)
        v2_id = row.v2_id if row is not None and row.state in LOADED_STATES else None
        if not REGISTRY[parsed.kind].leaf:
            with self._lock:
                self._known.setdefault((system, ref), v2_id)
        return v2_id

    def resolve(self, system: str, kind: str, payload: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
        """`payload` (of `kind`) with the reference in each of its reference fields replaced by its v2 id
        (KeyError for one without, if `strict`). Other text is left as it is, however it looks. What it
        does not change is shared with `payload`: read it, do not change it."""

        def v2_id(ref: str) -> int | None:
            found = self.get(system, ref)
            if found is None and strict:
                raise KeyError(ref)
            return found

        return REGISTRY[kind].map_refs(payload, v2_id)
