"""Identity: which v2 object each source record is, one map shared by every stage.

A payload names other planned objects by reference (`@kind:source_id`, `migrator.planned.Ref`), in
the fields its kind declares as references (`kinds.Kind.ref_fields`) and nowhere else: a note that
merely looks like one ("@ana: please review") is text, sent as written. The ledger records the v2 id
each record got. `IdMap` answers "which v2 id is this reference?" for the planner, the loader,
reconciliation, verification and rollback alike: from what this run learnt, else from the ledger. It
keeps in memory only the kinds some record refers to (clients, projects, people, tasks, invoices…),
never time entries or expenses, which nothing refers to.
"""

from __future__ import annotations

import threading
from typing import Any

from migrator.kinds import REGISTRY
from migrator.load.ledger import LOADED_STATES, Ledger
from migrator.planned import Ref, parse_ref


def resolve(payload: Any, lookup: dict[str, int], *, strict: bool = False) -> Any:
    """Replace `@kind:id` references with v2 ids where `lookup` knows them (all of them, or KeyError, when `strict`)."""
    if isinstance(payload, str):
        if payload in lookup:
            return lookup[payload]
        if strict and parse_ref(payload) is not None:
            raise KeyError(payload)
        return payload
    if isinstance(payload, dict):
        return {key: resolve(value, lookup, strict=strict) for key, value in payload.items()}
    if isinstance(payload, list):
        return [resolve(item, lookup, strict=strict) for item in payload]
    return payload


class IdMap:
    """(system, reference) -> v2 id: what this run learnt, else the ledger. Thread-safe."""

    def __init__(self, ledger: Ledger | None) -> None:
        self.ledger = ledger
        self._known: dict[tuple[str, str], int | None] = {}
        self._lock = threading.Lock()

    def set(self, system: str, ref: str | Ref, v2_id: int) -> None:
        with self._lock:
            self._known[(system, str(ref))] = v2_id

    def forget(self, system: str, ref: str | Ref) -> None:
        with self._lock:
            self._known[(system, str(ref))] = None

    def get(self, system: str, ref: str | Ref) -> int | None:
        """The v2 id of a loaded record, or None."""
        text = str(ref)
        with self._lock:
            if (system, text) in self._known:
                return self._known[(system, text)]
        parsed = Ref.parse(text)
        if parsed is None or self.ledger is None or parsed.kind not in REGISTRY:
            return None
        row = self.ledger.get(system, parsed.kind, parsed.source_id)
        v2_id = row.v2_id if row is not None and row.state in LOADED_STATES else None
        if not REGISTRY[parsed.kind].leaf:
            with self._lock:
                self._known.setdefault((system, text), v2_id)
        return v2_id

    def resolve(self, system: str, kind: str, payload: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
        """`payload` (of `kind`) with the reference in each of its reference fields replaced by its v2 id
        (KeyError for one without, if `strict`). Other text is left as it is, however it looks."""
        table = {}
        for ref in REGISTRY[kind].refs(payload):
            v2_id = self.get(system, ref)
            if v2_id is not None:
                table[ref] = v2_id
        resolved = resolve(payload, {})  # a copy: callers may change what they get
        for path in REGISTRY[kind].ref_fields:
            resolved = _resolved_at(resolved, path, table, strict)
        return resolved


def _resolved_at(value: Any, path: tuple[str, ...], lookup: dict[str, int], strict: bool) -> Any:
    """`value` with the reference at `path` (`*` for every item of a list) replaced; copies what it changes."""
    if not path:
        return resolve(value, lookup, strict=strict)
    head, rest = path[0], path[1:]
    if head == "*":
        return [_resolved_at(item, rest, lookup, strict) for item in value] if isinstance(value, list) else value
    if isinstance(value, dict) and value.get(head) is not None:
        return value | {head: _resolved_at(value[head], rest, lookup, strict)}
    return value
