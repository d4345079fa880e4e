"""The planner: compare mapped source objects with the ledger and the target, decide an action each.

Actions (CONTRACT.md): `create`; `update` (with a field diff); `unchanged` (zero requests at load
time); `adopt` (the target already has this object, found by natural key: take it over instead of
duplicating it); `invalid` (cannot be loaded, with the reason, including "depends on invalid
clients 7"); `skipped` (deliberately not loaded, e.g. deleted in the target by hand).

Planning reads the ledger row of each record (SQLite, local) and each kind's target list once;
it never sends one request per record.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from migrator import jsonio
from migrator.harvest.models import UPDATE_MODELS
from migrator.kinds import ACTIONS, PLAN_KINDS, kind_index
from migrator.load.archive import for_load, plan_steps
from migrator.load.invoices import event_applied
from migrator.load.ledger import EMPTY_LEDGER_FINGERPRINT, Ledger, LedgerRow, payload_hash
from migrator.load.registry import REGISTRY, load_order
from migrator.load.target import TargetIndex, nested
from migrator.mapping import Planned, iter_refs, parse_ref

LOADED_STATES = ("done", "adopted", "archived")
# Kinds whose natural key Harvest does not keep unique (two equal payments on one invoice are two
# payments): a target object another ledger row already owns is never adopted for a second record.
MANY_PER_KEY = frozenset({"contacts", "invoice_payments"})
_PHASE = {kind: float(index) for index, kind in enumerate(load_order())}
# Kinds Harvest creates by itself when we create a project (default tasks, all-future-projects users):
# an adopted one may carry Harvest's defaults, not the source's settings, so adopting it also sets
# ours (the plan shows them in `diff`). Whether a crash came before or after such a project, the
# end state is the same. Every other adoption takes the object as it is, with no request.
ALIGN_ON_ADOPT = frozenset({"user_assignments", "task_assignments"})
KEY_WORDS = {
    "clients": "name",
    "contacts": "client, first and last name and email",
    "users": "email",
    "tasks": "name",
    "expense_categories": "name",
    "invoice_item_categories": "name",
    "estimate_item_categories": "name",
    "projects": "client and code or name",
    "user_assignments": "project and user",
    "task_assignments": "project and task",
    "time_entries": "external reference",
    "expenses": "project, date, total cost and marker",
    "estimates": "client and number",
    "invoices": "client and number",
    "invoice_payments": "invoice, paid date and amount",
}


@dataclass
class PlanEntry:
    """What will happen to one planned object, and why."""

    planned: Planned
    action: str
    target_id: int | None = None
    diff: dict[str, list[Any]] | None = None
    reason: str | None = None
    same_as: str | None = None  # "system|@kind:id": adopt the object that other entry creates (same natural key)
    # The object is ours: created by a batch of this ledger (or by an earlier attempt whose answer was
    # lost, found again). Ours take the source's archived state and are removed by rollback.
    ours: bool = False


@dataclass
class Plan:
    """Every planned object with its action, plus what a saved plan must match to stay valid."""

    entries: list[PlanEntry] = field(default_factory=list)
    ledger_fingerprint: str = ""
    target_fingerprint: str = ""

    def summary(self) -> dict[str, dict[str, int]]:
        """{kind: {action: n}} for every kind and every action, zeros included."""
        counts = Counter((entry.planned.kind, entry.action) for entry in self.entries)
        return {kind: {action: counts.get((kind, action), 0) for action in ACTIONS} for kind in PLAN_KINDS}


def resolve(payload: Any, lookup: dict[str, int], *, strict: bool = False) -> Any:
    """Replace `@kind:id` references with v2 ids where known (all of them, or KeyError, when `strict`)."""
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


def as_stored(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` as the ledger gives it back (JSON: dates become strings, whole decimals ints)."""
    return jsonio.loads(jsonio.dumps(payload))  # type: ignore[no-any-return]


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, list[Any]]:
    """Top-level fields whose value changed: {field: [old, new]}, compared as stored.

    Why as stored: the ledger keeps JSON, so a `date` read back is a string; comparing it with
    the mapped `date` would call every date field changed and PATCH it for nothing.
    """
    old, new = as_stored(old or {}), as_stored(new)
    return {key: [old.get(key), new.get(key)] for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)}


def drift(obj: dict[str, Any], payload: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Plain fields (among `fields`) where target object `obj` differs from `payload`: a PATCH body.

    References, nested objects and line items are left out: they are part of the natural key or
    cannot be compared field by field.
    """
    body: dict[str, Any] = {}
    for name in set(fields) & set(payload):
        want, have = payload[name], obj.get(name)
        if name.endswith("_id") or isinstance(want, (dict, list)):
            continue
        if isinstance(want, (int, Decimal)) and not isinstance(want, bool) and isinstance(have, (int, Decimal)):
            same = Decimal(str(have)) == Decimal(str(want))
        else:
            same = jsonio.loads(jsonio.dumps(have)) == jsonio.loads(jsonio.dumps(want))
        if not same:
            body[name] = want
    return body


def alignment(kind: str, obj: dict[str, Any], payload: dict[str, Any]) -> dict[str, list[Any]]:
    """For an adopted object of an `ALIGN_ON_ADOPT` kind: {field: [target value, source value]} to set."""
    if kind not in ALIGN_ON_ADOPT:
        return {}
    wanted = for_load(kind, payload)  # an archived assignment is kept active until the batch's end
    return {
        name: [obj.get(name), value] for name, value in drift(obj, wanted, UPDATE_MODELS[kind].model_fields).items()
    }


def describe_match(kind: str, key: Hashable) -> str:
    """`matched by name 'acme'`: how an adopted object was recognised."""
    parts = key if isinstance(key, tuple) else (key,)
    shown = " / ".join(repr(part[1] if isinstance(part, tuple) and len(part) == 2 else part) for part in parts)
    return f"matched by {KEY_WORDS.get(kind, 'natural key')} {shown}"


def _has_refs(value: Any) -> bool:
    return next(iter_refs(list(value) if isinstance(value, tuple) else value), None) is not None


def dependency_order(items: list[Planned]) -> list[Planned]:
    """Planned objects with every dependency inside the plan before its dependents.

    Kind order first, then source order; per-record `after` refs (a payment after the invoice's
    "send", "close" after the payments) move an object behind what it waits for. A cycle cannot
    be ordered: its members keep kind order and the planner reports their missing dependency.
    """
    position = {(item.origin.system, item.ref): index for index, item in enumerate(items)}
    waiting = [0] * len(items)
    dependents: list[list[int]] = [[] for _ in items]
    for index, item in enumerate(items):
        for dep in item.depends_on():
            other = position.get((item.origin.system, dep))
            if other is not None and other != index:
                waiting[index] += 1
                dependents[other].append(index)
    heap = [(kind_index(item.kind), index) for index, item in enumerate(items) if not waiting[index]]
    heapq.heapify(heap)
    ordered: list[int] = []
    while heap:
        _, index = heapq.heappop(heap)
        ordered.append(index)
        for child in dependents[index]:
            waiting[child] -= 1
            if not waiting[child]:
                heapq.heappush(heap, (kind_index(items[child].kind), child))
    if len(ordered) < len(items):
        placed = set(ordered)
        ordered += sorted((i for i in range(len(items)) if i not in placed), key=lambda i: kind_index(items[i].kind))
    return [items[index] for index in ordered]


class _Planner:
    def __init__(self, ledger: Ledger | None, target: TargetIndex, create_users: bool, recreate_missing: bool) -> None:
        self.ledger = ledger
        self.target = target
        self.create_users = create_users
        self.recreate_missing = recreate_missing
        self.ids: dict[str, dict[str, int]] = {}  # system -> ref -> v2 id
        self.outcome: dict[tuple[str, str], str] = {}  # (system, ref) -> action decided
        self.in_plan: set[tuple[str, str]] = set()
        self.first_with_key: dict[tuple[str, Hashable], str] = {}  # (kind, natural key) -> "system|ref"
        self.claimed: dict[str, set[int]] = {}  # kind -> v2 ids owned by ledger rows or adoptions
        self.owned: set[tuple[str, str]] = set()  # (system, ref) of objects that are ours (PlanEntry.ours)
        self._claimed_read: set[str] = set()  # kinds whose ledger rows were added to `claimed`

    def lookup(self, system: str) -> dict[str, int]:
        return self.ids.setdefault(system, {})

    def row(self, system: str, kind: str, source_id: str) -> LedgerRow | None:
        return self.ledger.get(system, kind, source_id) if self.ledger is not None else None

    def decide(self, planned: Planned) -> PlanEntry:
        if planned.status != "ok":
            return PlanEntry(planned, "invalid" if planned.status == "invalid" else "skipped", reason=planned.reason)
        system = planned.origin.system
        for dependency in planned.depends_on():
            problem = self._dependency_problem(system, dependency)
            if problem is not None:
                return PlanEntry(planned, "invalid", reason=problem)
        lookup = self.lookup(system)
        resolved = resolve(planned.payload, lookup)
        row = self.row(system, planned.kind, planned.source_id)
        entry = REGISTRY[planned.kind]
        if row is not None and row.state in LOADED_STATES and (row.v2_id is not None or entry.event):
            decided = self._loaded(planned, resolved, row, lookup)
        else:
            decided = self._new(planned, resolved, row, lookup)
        if decided.ours:
            self.owned.add((system, planned.ref))
        return decided

    def _dependency_problem(self, system: str, dependency: str) -> str | None:
        kind, source_id = parse_ref(dependency) or ("?", dependency)
        state = self.outcome.get((system, dependency))
        if state in ("invalid", "skipped"):
            return f"depends on {state} {kind} {source_id}"
        if state is None and (system, dependency) not in self.in_plan:
            row = self.row(system, kind, source_id) if kind in REGISTRY else None
            if row is None or row.state not in LOADED_STATES or row.v2_id is None:
                return f"depends on {kind} {source_id}, which is neither in the source nor loaded before"
            self.lookup(system)[dependency] = row.v2_id
        return None

    def _loaded(self, planned: Planned, resolved: dict[str, Any], row: LedgerRow, lookup: dict[str, int]) -> PlanEntry:
        """The ledger says this record is in the target: unchanged, update, or deleted by hand."""
        entry = REGISTRY[planned.kind]
        ours = row.state != "adopted"
        if row.v2_id is not None:
            lookup[planned.ref] = row.v2_id
            if self.target.exists(planned.kind, row.v2_id) is False:
                if self.recreate_missing:
                    del lookup[planned.ref]
                    return PlanEntry(
                        planned,
                        "create",
                        reason=f"deleted in the target since batch {row.batch}; created again",
                        ours=True,
                    )
                return PlanEntry(
                    planned,
                    "skipped",
                    target_id=row.v2_id,
                    reason=f"deleted in the target since batch {row.batch}; pass --recreate-missing to create it again",
                )
        # Refs still unresolved mean a dependency is re-created in this plan: nothing to compare yet.
        if payload_hash(resolved) == row.payload_hash or _has_refs(resolved):
            return PlanEntry(planned, "unchanged", target_id=row.v2_id, ours=ours)
        changes = diff(row.payload, resolved)
        if not entry.updatable:
            return PlanEntry(
                planned,
                "skipped",
                target_id=row.v2_id,
                diff=changes,
                reason=f"changed in the source ({', '.join(changes)}), but Harvest cannot update "
                f"{planned.kind.replace('_', ' ')}: left as loaded",
                ours=ours,
            )
        return PlanEntry(planned, "update", target_id=row.v2_id, diff=changes, ours=ours)

    def _new(
        self, planned: Planned, resolved: dict[str, Any], row: LedgerRow | None, lookup: dict[str, int]
    ) -> PlanEntry:
        """Not in the target as far as the ledger knows: adopt a match, or create."""
        entry = REGISTRY[planned.kind]
        pending = row is not None and row.state == "pending"
        if entry.event:
            return self._event(planned, resolved)
        if pending and row is not None and row.v2_id is not None and self.target.exists(planned.kind, row.v2_id):
            # Created by an earlier run that stopped before its follow-up (a project's automatic
            # assignments) was settled: ours, finished now.
            lookup[planned.ref] = row.v2_id
            return PlanEntry(
                planned,
                "adopt",
                target_id=row.v2_id,
                reason=f"created by batch {row.batch}, which stopped before finishing it: finished now",
                ours=True,
            )
        key = entry.payload_key(resolved)
        if key is None or _has_refs(key):
            return self._create(planned, pending)  # a parent is new in this plan: it cannot exist yet
        if entry.parent_field:
            candidates = self._children(planned.kind, resolved[entry.parent_field], key)
        else:
            candidates = self.target.find(planned.kind, key)
            me = f"{planned.origin.system}|{planned.ref}"
            first = self.first_with_key.setdefault((planned.kind, key), me)
            if not candidates and first != me:
                # Two source records with one natural key (a task "Design" in both exports): one object.
                return PlanEntry(
                    planned,
                    "adopt",
                    same_as=first,
                    reason=f"same {KEY_WORDS.get(planned.kind)} as "
                    f"{first.replace('|', ' ')} in this plan ({describe_match(planned.kind, key)})",
                )
        if planned.kind in MANY_PER_KEY and candidates:
            taken = self._claimed(planned.kind)
            candidates = [obj for obj in candidates if int(obj["id"]) not in taken]
        if len(candidates) == 1:
            target_id = int(candidates[0]["id"])
            lookup[planned.ref] = target_id
            self.claimed.setdefault(planned.kind, set()).add(target_id)
            reason = describe_match(planned.kind, key)
            reason += " (the answer to an earlier attempt was lost)" if pending else ""
            # Harvest's own assignment on a project of ours is ours too (rollback removes it).
            parent = planned.payload.get(entry.parent_field or "")
            ours = pending or (planned.kind in ALIGN_ON_ADOPT and (planned.origin.system, parent) in self.owned)
            if ours and not pending:
                reason += " (added by Harvest to a project of ours)"
            changes = alignment(planned.kind, candidates[0], resolved)
            if changes:
                reason += f"; its {', '.join(changes)} will be set as in the source"
            return PlanEntry(
                planned, "adopt", target_id=target_id, diff=changes or None, reason=reason, ours=ours
            )
        if len(candidates) > 1:
            ids = ", ".join(str(obj["id"]) for obj in candidates[:5])
            return PlanEntry(
                planned,
                "invalid",
                reason=f"{len(candidates)} objects in the target match {planned.kind} "
                f"{describe_match(planned.kind, key).removeprefix('matched ')} (ids {ids}), refusing to guess",
            )
        return self._create(planned, pending)

    def _children(self, kind: str, parent: int, key: Hashable) -> list[dict[str, Any]]:
        entry = REGISTRY[kind]
        if nested(kind):
            return [obj for obj in self.target.children(kind, parent) if entry.target_key(obj) == key]
        # Assignments: one account-wide list (indexed by key, which names the project) beats one per project.
        return self.target.find(kind, key)

    def _claimed(self, kind: str) -> set[int]:
        taken = self.claimed.setdefault(kind, set())
        if self.ledger is not None and kind not in self._claimed_read:
            self._claimed_read.add(kind)
            taken.update(
                row.v2_id for row in self.ledger.rows(kind=kind) if row.v2_id is not None and row.state in LOADED_STATES
            )
        return taken

    def _create(self, planned: Planned, pending: bool) -> PlanEntry:
        if planned.kind == "users" and not self.create_users:
            email = planned.payload.get("email")
            return PlanEntry(
                planned,
                "invalid",
                reason=f"no user with email {email} in the target: invite them in Harvest first, "
                "or pass --create-users (Harvest emails an invitation)",
            )
        if pending:
            return PlanEntry(
                planned,
                "create",
                reason="an earlier attempt's outcome is unknown: checked again before sending",
                ours=True,
            )
        if planned.kind == "users" and planned.payload.get("is_active") is False:
            email = planned.payload.get("email")
            return PlanEntry(
                planned,
                "create",
                reason=f"left (archived in the source), with history: creating the user makes Harvest email "
                f"{email} an invitation (there is no way around it); to avoid it, map them to a user who exists "
                "(--map, [people])",
                ours=True,
            )
        return PlanEntry(planned, "create", ours=True)

    def _event(self, planned: Planned, resolved: dict[str, Any]) -> PlanEntry:
        """A state change is idempotent by the target's state: already there means nothing to send."""
        entry = REGISTRY[planned.kind]
        parent = resolved.get(entry.parent_field or "")
        if isinstance(parent, int):
            parent_kind = entry.depends_on[0]
            obj = self.target.get(parent_kind, parent)
            if obj is not None and event_applied(str(resolved.get("event_type")), obj.get("state")):
                return PlanEntry(
                    planned, "adopt", reason=f"the target {parent_kind[:-1]} is already {obj.get('state')}"
                )
        return PlanEntry(planned, "create")


def _phase(item: Planned) -> float:
    """Where an object is listed: load order of its kind; state events other than "send" after the payments."""
    entry = REGISTRY.get(item.kind)
    if entry is not None and entry.event and item.payload.get("event_type") != "send":
        return _PHASE["invoice_payments"] + 0.5
    return _PHASE.get(item.kind, float(len(_PHASE)))


def build_plan(
    planned: Iterable[Planned],
    *,
    ledger: Ledger | None,
    target: TargetIndex,
    create_users: bool = False,
    recreate_missing: bool = False,
) -> Plan:
    """Decide an action for every planned object (see the module docstring). Sends only list reads.

    Decisions follow dependency order (a dependency's action is known before its dependents'
    are decided); entries are then listed in load-phase order, source order within a phase, so
    reports are grouped and stable.
    """
    source = list(planned)
    seat = {id(item): index for index, item in enumerate(source)}
    planner = _Planner(ledger, target, create_users, recreate_missing)
    planner.in_plan = {(item.origin.system, item.ref) for item in source}
    plan = Plan()
    for item in dependency_order(source):
        entry = planner.decide(item)
        planner.outcome[(item.origin.system, item.ref)] = entry.action
        plan.entries.append(entry)
    steps = plan_steps(plan.entries, ledger=ledger, target=target)
    seat.update((id(step.planned), len(source) + index) for index, step in enumerate(steps))
    plan.entries.extend(steps)
    plan.entries.sort(key=lambda entry: (_phase(entry.planned), seat[id(entry.planned)]))
    plan.ledger_fingerprint = ledger.fingerprint() if ledger is not None else EMPTY_LEDGER_FINGERPRINT
    plan.target_fingerprint = target.fingerprint()
    return plan
