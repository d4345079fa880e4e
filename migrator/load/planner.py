"""The planner: compare mapped source objects with the ledger and the target, decide an action each.

Actions (CONTRACT.md): `create`, `update` (with a field diff), `unchanged` (costs zero requests),
`adopt` (an object with the same natural key already exists in the target: take it over instead of
duplicating it), `invalid` (cannot be loaded, with the reason — including "depends on something
invalid"), `skipped` (deliberately not loaded).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from migrator.kinds import ACTIONS, KINDS
from migrator.load.ledger import Ledger, LedgerRow, payload_hash
from migrator.load.registry import REGISTRY, load_order
from migrator.load.target import TargetIndex
from migrator.mapping import Planned, iter_refs, parse_ref

LOADED_STATES = ("done", "adopted", "archived")
_ORDER = {kind: index for index, kind in enumerate(load_order())}


@dataclass
class PlanEntry:
    planned: Planned
    action: str
    target_id: int | None = None
    diff: dict[str, list[Any]] | None = None
    reason: str | None = None
    same_as: str | None = None  # adopt the object another entry of this plan creates (same natural key)


@dataclass
class Plan:
    entries: list[PlanEntry] = field(default_factory=list)
    ledger_fingerprint: str = ""
    target_fingerprint: str = ""

    def summary(self) -> dict[str, dict[str, int]]:
        counts = Counter((entry.planned.kind, entry.action) for entry in self.entries)
        return {kind: {action: counts.get((kind, action), 0) for action in ACTIONS} for kind in KINDS}


def resolve(payload: Any, lookup: dict[str, int], *, strict: bool = False) -> Any:
    """Replace `@kind:id` references with v2 ids where known (all of them when `strict`)."""
    if isinstance(payload, str):
        parsed = parse_ref(payload)
        if parsed is None:
            return payload
        if payload in lookup:
            return lookup[payload]
        if strict:
            raise KeyError(payload)
        return payload
    if isinstance(payload, dict):
        return {key: resolve(value, lookup, strict=strict) for key, value in payload.items()}
    if isinstance(payload, list):
        return [resolve(item, lookup, strict=strict) for item in payload]
    return payload


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, list[Any]]:
    """Top-level fields whose value changed: {field: [old, new]}."""
    old = old or {}
    return {key: [old.get(key), new.get(key)] for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)}


def _describe_key(kind: str, key: Any) -> str:
    return f"matched by {kind} natural key {key!r}"


def _event_done(event: str, state: str | None) -> bool:
    """Has the target's invoice/estimate state already taken this event?"""
    if state is None:
        return False
    return {
        "send": state not in ("draft",),
        "close": state == "closed",
        "accept": state == "accepted",
        "decline": state == "declined",
        "draft": state == "draft",
        "re-open": state in ("open", "sent"),
    }.get(event, False)


class _Planner:
    def __init__(self, ledger: Ledger | None, target: TargetIndex, create_users: bool, recreate_missing: bool) -> None:
        self.ledger = ledger
        self.target = target
        self.create_users = create_users
        self.recreate_missing = recreate_missing
        self.v2: dict[tuple[str, str], dict[str, int]] = {}  # system -> ref -> v2 id
        self.outcome: dict[tuple[str, str], str] = {}  # (system, ref) -> action
        self.known: set[tuple[str, str]] = set()
        self.claimed: dict[tuple[str, Any], str] = {}  # (kind, natural key) -> ref planned first

    def lookup(self, system: str) -> dict[str, int]:
        return self.v2.setdefault((system, ""), {})

    def row(self, planned: Planned) -> LedgerRow | None:
        if self.ledger is None:
            return None
        return self.ledger.get(planned.origin.system, planned.kind, planned.source_id)

    def decide(self, planned: Planned) -> PlanEntry:
        system = planned.origin.system
        if planned.status != "ok":
            return PlanEntry(planned, "invalid" if planned.status == "invalid" else "skipped", reason=planned.reason)
        for dependency in planned.depends_on():
            state = self.outcome.get((system, dependency))
            if state in ("invalid", "skipped"):
                kind, source_id = parse_ref(dependency) or ("", dependency)
                return PlanEntry(planned, "invalid", reason=f"depends on {state} {kind} {source_id}")
            if state is None and (system, dependency) not in self.known:
                kind, source_id = parse_ref(dependency) or ("", dependency)
                if not self._loaded_elsewhere(system, kind, source_id):
                    return PlanEntry(
                        planned, "invalid", reason=f"depends on {kind} {source_id}, which is not in the source"
                    )
        lookup = self.lookup(system)
        resolved = resolve(planned.payload, lookup)
        row = self.row(planned)
        entry = REGISTRY[planned.kind]
        if row is not None and row.state in LOADED_STATES and (row.v2_id is not None or entry.event):
            if row.v2_id is not None:
                lookup[planned.ref] = row.v2_id
            if row.v2_id is not None and self.target.exists(planned.kind, row.v2_id) is False:
                if self.recreate_missing:
                    lookup.pop(planned.ref, None)
                    return PlanEntry(planned, "create", reason="deleted in the target; it will be created again")
                return PlanEntry(
                    planned,
                    "skipped",
                    target_id=row.v2_id,
                    reason=f"deleted in the target since batch {row.batch}; pass --recreate-missing to create it again",
                )
            if payload_hash(resolved) == row.payload_hash or _still_unresolved(resolved):
                return PlanEntry(planned, "unchanged", target_id=row.v2_id)
            changes = diff(row.payload, resolved)
            if not entry.updatable:
                return PlanEntry(
                    planned,
                    "skipped",
                    target_id=row.v2_id,
                    diff=changes,
                    reason=f"changed in the source, but a loaded {planned.kind[:-1]} cannot be updated",
                )
            return PlanEntry(planned, "update", target_id=row.v2_id, diff=changes)
        return self._new(planned, resolved, lookup)

    def _loaded_elsewhere(self, system: str, kind: str, source_id: str) -> bool:
        if self.ledger is None or kind not in REGISTRY:
            return False
        row = self.ledger.get(system, kind, source_id)
        if row is not None and row.state in LOADED_STATES and row.v2_id is not None:
            self.lookup(system)[f"@{kind}:{source_id}"] = row.v2_id
            return True
        return False

    def _new(self, planned: Planned, resolved: dict[str, Any], lookup: dict[str, int]) -> PlanEntry:
        entry = REGISTRY[planned.kind]
        if entry.event:
            return self._event(planned, resolved)
        if entry.parent_field:
            parent = resolved.get(entry.parent_field)
            if not isinstance(parent, int):
                return PlanEntry(planned, "create")  # its parent is new: it cannot exist yet
            key = entry.payload_key(resolved)
            candidates = [obj for obj in self._children(planned.kind, parent) if entry.target_key(obj) == key]
        else:
            key = entry.payload_key(resolved)
            if key is None or any(True for _ in iter_refs(key if isinstance(key, (list, tuple)) else [key])):
                return self._create(planned)
            candidates = self.target.find(planned.kind, key)
        if not candidates and key is not None and not entry.parent_field:
            first = self.claimed.setdefault((planned.kind, key), f"{planned.origin.system}|{planned.ref}")
            if first != f"{planned.origin.system}|{planned.ref}":
                # Two source records with one natural key (e.g. a task "Design" in both exports): one object.
                return PlanEntry(
                    planned,
                    "adopt",
                    same_as=first,
                    reason=f"same {planned.kind} natural key {key!r} as {first.replace('|', ' ')}",
                )
        if len(candidates) == 1:
            target_id = int(candidates[0]["id"])
            lookup[planned.ref] = target_id
            return PlanEntry(planned, "adopt", target_id=target_id, reason=_describe_key(planned.kind, key))
        if len(candidates) > 1:
            ids = ", ".join(str(obj["id"]) for obj in candidates[:5])
            return PlanEntry(
                planned,
                "invalid",
                reason=f"{len(candidates)} objects in the target match "
                f"{planned.kind} natural key {key!r} (ids {ids}): refusing to guess",
            )
        return self._create(planned)

    def _children(self, kind: str, parent: int) -> list[dict[str, Any]]:
        if kind in ("user_assignments", "task_assignments"):
            entry = REGISTRY[kind]
            return [obj for obj in self._all(kind) if entry.target_key(obj)[0] == parent]
        return self.target.children(kind, parent)

    def _all(self, kind: str) -> list[dict[str, Any]]:
        self.target._ensure(kind)
        return list(self.target._by_id[kind].values())

    def _create(self, planned: Planned) -> PlanEntry:
        if planned.kind == "users" and not self.create_users:
            email = planned.payload.get("email")
            return PlanEntry(
                planned,
                "invalid",
                reason=(
                    f"no user with email {email} in the target: invite them in Harvest first, "
                    "or pass --create-users (Harvest emails an invitation)"
                ),
            )
        row = self.row(planned)
        if row is not None and row.state == "pending":
            return PlanEntry(
                planned, "create", reason="an earlier attempt's outcome is unknown: reconciled before sending"
            )
        return PlanEntry(planned, "create")

    def _event(self, planned: Planned, resolved: dict[str, Any]) -> PlanEntry:
        entry = REGISTRY[planned.kind]
        parent = resolved.get(entry.parent_field or "")
        if isinstance(parent, int):
            parent_kind = "invoices" if planned.kind == "invoice_messages" else "estimates"
            obj = self.target.get(parent_kind, parent)
            if obj is not None and _event_done(str(resolved.get("event_type")), obj.get("state")):
                return PlanEntry(
                    planned, "adopt", reason=f"the target {parent_kind[:-1]} is already {obj.get('state')}"
                )
        return PlanEntry(planned, "create")


def _still_unresolved(payload: Any) -> bool:
    return any(True for _ in iter_refs(payload))


def _plan_order(item: Planned) -> float:
    # A state event other than "send" (close, accept…) follows the payments it waits for.
    if REGISTRY.get(item.kind) and REGISTRY[item.kind].event and item.payload.get("event_type") != "send":
        return _ORDER["invoice_payments"] + 0.5
    return float(_ORDER.get(item.kind, len(_ORDER)))


def build_plan(
    planned: Iterable[Planned],
    *,
    ledger: Ledger | None,
    target: TargetIndex,
    create_users: bool = False,
    recreate_missing: bool = False,
) -> Plan:
    """Decide an action for every planned object, in dependency order."""
    items = sorted(planned, key=_plan_order)
    planner = _Planner(ledger, target, create_users, recreate_missing)
    for item in items:
        planner.known.add((item.origin.system, item.ref))
    plan = Plan()
    for item in items:
        entry = planner.decide(item)
        planner.outcome[(item.origin.system, item.ref)] = entry.action
        plan.entries.append(entry)
    plan.ledger_fingerprint = ledger.fingerprint() if ledger is not None else ""
    plan.target_fingerprint = target.fingerprint()
    return plan
