"""The planner: compare mapped source objects with the ledger and the target, decide an action each.

Actions (docs/INTERFACE.md): `create`; `update` (with a field diff); `unchanged` (zero requests at load
time); `adopt` (the target already has this object, found by natural key: take it over instead of
duplicating it); `invalid` (cannot be loaded, with the reason, including "depends on invalid
clients 7"); `skipped` (deliberately not loaded, e.g. deleted in the target by hand).

Planning streams: the plan store is read one lane at a time (`lanes.py`: dependencies first), the
ledger is asked for a batch of rows at a time, each kind's target list is read once into the
target index, and each decision is written back as it is made. What stays in memory is bounded by
the objects some record refers to (clients, projects, people, tasks, invoices…), never by the time
entries and expenses. Planning sends list reads only.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from migrator import jsonio
from migrator.kinds import REGISTRY
from migrator.load import receipts
from migrator.load.archive import for_load
from migrator.load.identity import IdMap
from migrator.load.invoices import event_applied
from migrator.load.ledger import EMPTY_LEDGER_FINGERPRINT, LOADED_STATES, Ledger, LedgerRow, payload_hash
from migrator.load.outcomes import Phase
from migrator.plan.lanes import LANES, lane_of
from migrator.plan.planstore import PlanEntry, PlanStore
from migrator.plan.steps import Steps
from migrator.plan.target_index import TargetIndex, key_text
from migrator.planned import Planned, PlannedRecord, Ref


@dataclass
class Plan:
    """Every planned object with its action (in the plan store), plus what a saved plan must match."""

    store: PlanStore
    ids: IdMap  # the session's id map: what planning learnt, the loader goes on from
    ledger_fingerprint: str = ""
    target_fingerprint: str = ""

    @property
    def entries(self) -> Iterator[PlanEntry]:
        """Every entry, in load order (a fresh stream each time)."""
        return self.store.entries()

    def summary(self) -> dict[str, dict[str, int]]:
        """{kind: {action: n}} for every kind and every action, zeros included."""
        return self.store.summary()

    def close(self) -> None:
        self.store.close()


def as_stored(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` as the ledger gives it back (JSON: dates become strings, whole decimals ints)."""
    return jsonio.loads(jsonio.dumps(payload))  # type: ignore[no-any-return]


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, list[Any]]:
    """Top-level fields whose value changed: {field: [old, new]}, compared as stored.

    Why as stored: the ledger keeps JSON, so a `date` read back is a string; comparing it with
    the mapped `date` would call every date field changed and PATCH it for nothing.
    """
    return changed_fields(as_stored(old or {}), as_stored(new))


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """`diff` of two payloads already as stored (a ledger row's, `Encoded.stored`)."""
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
    """For an adopted object Harvest may have made itself (an assignment): {field: [target, source]} to set."""
    entry = REGISTRY[kind]
    if not entry.align_on_adopt or entry.update_model is None:
        return {}
    wanted = for_load(kind, payload)  # an archived assignment is kept active until the batch's end
    fields = entry.update_model.model_fields
    return {name: [obj.get(name), value] for name, value in drift(obj, wanted, fields).items()}


def describe_match(kind: str, key: Hashable) -> str:
    """`matched by name 'acme'`: how an adopted object was recognised."""
    parts = key if isinstance(key, tuple) else (key,)
    shown = " / ".join(repr(part[1] if isinstance(part, tuple) and len(part) == 2 else part) for part in parts)
    return f"matched by {REGISTRY[kind].key_words} {shown}"


def _holds(value: Any, texts: set[str]) -> bool:
    """True when `value` (a natural key: nested tuples) holds one of `texts`."""
    if isinstance(value, str):
        return value in texts
    if isinstance(value, (tuple, list)):
        return any(_holds(item, texts) for item in value)
    return False


def _unresolved(kind: str, resolved: dict[str, Any]) -> set[str]:
    """The references a resolved payload still holds in its reference fields (their records are new)."""
    return set(REGISTRY[kind].refs(resolved))


@dataclass
class _Decided:
    """What the planner keeps of a decided object some other record may refer to."""

    action: str
    ours: bool


class _Planner:
    def __init__(
        self,
        store: PlanStore,
        ledger: Ledger | None,
        target: TargetIndex,
        create_users: bool,
        recreate_missing: bool,
        overrides: Any = None,
        progress: Callable[[Phase], None] | None = None,
        ids: IdMap | None = None,
    ) -> None:
        self.store = store
        self.progress = progress
        self._decided = 0
        self.overrides = overrides  # the `--map` file: a person it names is adopted, never invited
        self.ledger = ledger
        self.target = target
        self.create_users = create_users
        self.recreate_missing = recreate_missing
        self.ids = ids if ids is not None else IdMap(ledger)
        self.decided: dict[tuple[str, str], _Decided] = {}  # (system, ref) -> decision, kinds not leaf
        self.first_with_key: dict[tuple[str, str], str] = {}  # (kind, natural key) -> "system|ref", kinds not leaf
        self.claimed: dict[str, set[int]] = {}  # many-per-key kind -> v2 ids owned by ledger rows or adoptions
        self._claimed_read: set[str] = set()  # kinds whose ledger rows were added to `claimed`
        self.steps = Steps()
        self._empty: dict[str, bool] = {}  # account-wide kind -> the target holds none

    # --- the walk --------------------------------------------------------------------------------

    def run(self) -> None:
        total = self.store.count() if self.progress is not None else 0
        for lane in LANES:
            if REGISTRY[lane.kind].step:
                continue
            self.store.decide(self._counted(self._decide_lane(lane.index, lane.kind), lane.kind, total))
        self._plan_steps()

    def _counted(self, rows: Iterator[tuple[Any, ...]], kind: str, total: int) -> Iterator[tuple[Any, ...]]:
        """`rows`, reporting progress every 1,000 decisions (a plan of a million records takes minutes)."""
        if self.progress is None:
            yield from rows
            return
        what, detail = "comparing with the ledger and the target", kind.replace("_", " ")
        self.progress(Phase(what, self._decided, total, detail))
        for row in rows:
            self._decided += 1
            if self._decided % 1000 == 0:
                self.progress(Phase(what, self._decided, total, detail))
            yield row

    def _decide_lane(self, lane: int, kind: str) -> Iterator[tuple[Any, ...]]:
        event = REGISTRY[kind].event
        for batch in self._batches(kind):
            rows = self._ledger_rows(kind, batch)
            for seq, planned in batch:
                if event and lane_of(kind, planned.payload) != lane:
                    continue
                entry = self.decide(planned, rows.get((planned.system, planned.source_id)))
                yield self._row(seq, lane, entry)

    def _batches(self, kind: str) -> Iterator[list[tuple[int, PlannedRecord]]]:
        batch: list[tuple[int, PlannedRecord]] = []
        for seq_and_planned in self.store.planned_with_seq(kind):
            batch.append(seq_and_planned)
            if len(batch) >= 1000:
                yield batch
                batch = []
        if batch:
            yield batch

    def _ledger_rows(self, kind: str, batch: list[tuple[int, PlannedRecord]]) -> dict[tuple[str, str], LedgerRow]:
        if self.ledger is None:
            return {}
        by_system: dict[str, list[str]] = {}
        for _seq, planned in batch:
            by_system.setdefault(planned.system, []).append(planned.source_id)
        found: dict[tuple[str, str], LedgerRow] = {}
        for system, source_ids in by_system.items():
            for row in self.ledger.get_many(system, kind, source_ids):
                found[(system, row.source_id)] = row
        return found

    @staticmethod
    def _row(seq: int, lane: int, entry: PlanEntry) -> tuple[Any, ...]:
        diff_text = jsonio.dumps(entry.diff) if entry.diff else None
        return (seq, lane, entry.action, entry.target_id, diff_text, entry.reason, entry.same_as, int(entry.ours))

    # --- one object ------------------------------------------------------------------------------

    def decide(self, planned: PlannedRecord, row: LedgerRow | None) -> PlanEntry:
        entry = self._decide(planned, row)
        if planned.status == "ok" and planned.reason:  # why the mapping or the map file planned it so
            entry.reason = f"{entry.reason}; {planned.reason}" if entry.reason else planned.reason
        kind = REGISTRY[planned.kind]
        system = planned.system
        if not kind.leaf:  # nothing refers to a time entry or an expense: keep nothing of them
            self.decided[(system, planned.ref)] = _Decided(entry.action, entry.ours)
            if entry.target_id is not None and entry.action in ("unchanged", "update", "adopt"):
                self.ids.set(system, planned.ref, entry.target_id)
        self.steps.note(entry)
        return entry

    def _decide(self, planned: PlannedRecord, row: LedgerRow | None) -> PlanEntry:
        if planned.status != "ok":
            return PlanEntry(planned, "invalid" if planned.status == "invalid" else "skipped", reason=planned.reason)
        system = planned.system
        for dependency in planned.depends_on():
            problem = self._dependency_problem(system, dependency)
            if problem is not None:
                # What depends on a record deliberately left out is left out too; on a broken one, broken.
                action = "skipped" if problem.startswith("depends on skipped") else "invalid"
                return PlanEntry(planned, action, reason=problem)
        entry = REGISTRY[planned.kind]
        if row is not None and row.state in LOADED_STATES and (row.v2_id is not None or entry.event):
            return self._loaded(planned, row)
        return self._new(planned, row)

    def _dependency_problem(self, system: str, dependency: str) -> str | None:
        decided = self.decided.get((system, dependency))
        if decided is not None and decided.action not in ("invalid", "skipped"):
            return None
        parsed = Ref.parse(dependency)
        kind, source_id = parsed if parsed else ("?", dependency)
        if decided is not None:
            return f"depends on {decided.action} {kind} {source_id}"
        # Lanes put every dependency before its dependents: not decided means not in the source.
        if self.ids.get(system, dependency) is None:
            return f"depends on {kind} {source_id}, which is neither in the source nor loaded before"
        return None

    def _resolved(self, planned: PlannedRecord) -> dict[str, Any]:
        return self.ids.resolve(planned.system, planned.kind, planned.payload)

    def _loaded(self, planned: PlannedRecord, row: LedgerRow) -> PlanEntry:
        """The ledger says this record is in the target: unchanged, update, or deleted by hand."""
        entry = REGISTRY[planned.kind]
        ours = row.state != "adopted"
        if row.v2_id is not None:
            self.ids.set(planned.system, planned.ref, row.v2_id)
            if self.target.exists(planned.kind, row.v2_id) is False:
                if self.recreate_missing:
                    self.ids.forget(planned.system, planned.ref)
                    reason = f"deleted in the target since batch {row.batch}; created again"
                    return PlanEntry(planned, "create", reason=reason, ours=True)
                return PlanEntry(
                    planned,
                    "skipped",
                    target_id=row.v2_id,
                    reason=f"deleted in the target since batch {row.batch}; pass --recreate-missing to create it again",
                )
        resolved = self._resolved(planned)
        # An expense's receipt that is new, changed, refused before or in doubt is one PATCH (receipts.py).
        upload = REGISTRY[planned.kind].receipts and receipts.needs_upload(planned.receipt, row.receipt)
        # Refs still unresolved mean a dependency is re-created in this plan: nothing to compare yet.
        if _unresolved(planned.kind, resolved) or (payload_hash(resolved) == row.payload_hash and not upload):
            return PlanEntry(planned, "unchanged", target_id=row.v2_id, ours=ours)
        changes = diff(row.payload, resolved)
        if upload:
            changes["receipt"] = [receipts.describe(row.receipt), receipts.describe(planned.receipt)]
            if row.receipt is not None and row.receipt.get("state") == "pending":
                reason = "an earlier upload of its receipt has an unknown outcome: checked before sending"
                return PlanEntry(planned, "update", target_id=row.v2_id, diff=changes, reason=reason, ours=ours)
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

    def _target_empty(self, kind: str) -> bool:
        if kind not in self._empty:
            self._empty[kind] = not self.target.online or self.target.count(kind) == 0
        return self._empty[kind]

    def _new(self, planned: PlannedRecord, row: LedgerRow | None) -> PlanEntry:
        """Not in the target as far as the ledger knows: adopt a match, or create."""
        entry = REGISTRY[planned.kind]
        system = planned.system
        pending = row is not None and row.state == "pending"
        if entry.event:
            return self._event(planned)
        if pending and row is not None and row.v2_id is not None and self.target.exists(planned.kind, row.v2_id):
            # Created by an earlier run that stopped before its follow-up (a project's automatic
            # assignments) was settled: ours, finished now.
            self.ids.set(system, planned.ref, row.v2_id)
            return PlanEntry(
                planned,
                "adopt",
                target_id=row.v2_id,
                reason=f"created by batch {row.batch}, which stopped before finishing it: finished now",
                ours=True,
            )
        if entry.leaf and not pending and self._target_empty(planned.kind):
            return self._create(planned, pending)  # the bulk of a first load: nothing to look up
        resolved = self._resolved(planned)
        key = entry.payload_key(resolved)
        if key is None or _holds(key, _unresolved(planned.kind, resolved)):
            return self._create(planned, pending)  # a parent is new in this plan: it cannot exist yet
        if entry.parent_field:
            candidates = self._children(planned.kind, resolved[entry.parent_field], key)
        else:
            candidates = [] if self._target_empty(planned.kind) else self.target.find(planned.kind, key)
            if not entry.leaf:
                me = f"{system}|{planned.ref}"
                first = self.first_with_key.setdefault((planned.kind, key_text(key)), me)
                if not candidates and first != me:
                    # Two source records with one natural key (a task "Design" in both exports): one object,
                    # ours when the other record's is (the loader decides it again from the ledger).
                    first_system, _, first_ref = first.partition("|")
                    other = self.decided.get((first_system, first_ref))
                    return PlanEntry(
                        planned,
                        "adopt",
                        same_as=first,
                        reason=f"same {entry.key_words} as {first.replace('|', ' ')} in this plan "
                        f"({describe_match(planned.kind, key)})",
                        ours=other is not None and other.ours,
                    )
        if entry.many_per_key and candidates:
            taken = self._claimed(planned.kind)
            candidates = [obj for obj in candidates if int(obj["id"]) not in taken]
        if len(candidates) == 1:
            return self._adopt(planned, resolved, candidates[0], key, pending)
        if len(candidates) > 1:
            ids = ", ".join(str(obj["id"]) for obj in candidates[:5])
            return PlanEntry(
                planned,
                "invalid",
                reason=f"{len(candidates)} objects in the target match {planned.kind} "
                f"{describe_match(planned.kind, key).removeprefix('matched ')} (ids {ids}), refusing to guess",
            )
        return self._create(planned, pending)

    def _adopt(
        self, planned: PlannedRecord, resolved: dict[str, Any], obj: dict[str, Any], key: Hashable, pending: bool
    ) -> PlanEntry:
        entry = REGISTRY[planned.kind]
        system = planned.system
        target_id = int(obj["id"])
        self.ids.set(system, planned.ref, target_id)
        self.claimed.setdefault(planned.kind, set()).add(target_id)
        reason = describe_match(planned.kind, key)
        reason += " (the answer to an earlier attempt was lost)" if pending else ""
        # Harvest's own assignment on a project of ours is ours too (rollback removes it).
        parent = planned.payload.get(entry.parent_field or "")
        parent_decided = self.decided.get((system, str(parent)))
        ours = pending or (entry.align_on_adopt and parent_decided is not None and parent_decided.ours)
        if ours and not pending:
            reason += " (added by Harvest to a project of ours)"
        changes = alignment(planned.kind, obj, resolved)
        if changes:
            reason += f"; its {', '.join(changes)} will be set as in the source"
        wanted = receipts.sendable(planned.receipt) if entry.receipts else None
        if wanted is not None:
            held = obj.get("receipt")
            if not held:
                changes["receipt"] = [None, receipts.describe(wanted)]
                reason += "; its receipt will be attached"
            elif not receipts.matches(held, wanted):
                reason += f"; it keeps its own receipt ({held.get('file_name')}), not the source's"
        return PlanEntry(planned, "adopt", target_id=target_id, diff=changes or None, reason=reason, ours=ours)

    def _children(self, kind: str, parent: Any, key: Hashable) -> list[dict[str, Any]]:
        entry = REGISTRY[kind]
        if entry.nested:
            return [obj for obj in self.target.children(kind, parent) if entry.target_key(obj) == key]
        # Assignments: one account-wide list (indexed by key, which names the project) beats one per project.
        return self.target.find(kind, key)

    def _claimed(self, kind: str) -> set[int]:
        taken = self.claimed.setdefault(kind, set())
        if self.ledger is not None and kind not in self._claimed_read:
            self._claimed_read.add(kind)
            taken.update(self.ledger.v2_ids(kind))
        return taken

    def _create(self, planned: PlannedRecord, pending: bool) -> PlanEntry:
        entry = REGISTRY[planned.kind]
        if entry.invites and self.overrides is not None and self.overrides.names_person(planned):
            email = planned.payload.get("email")
            return PlanEntry(
                planned,
                "invalid",
                reason=f"the map file names {email} for this person, but the target has no user with that email: "
                "invite them in Harvest first (migrator never invites a person the map names)",
            )
        if entry.invites and not self.create_users:
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
        if entry.invites and planned.payload.get("is_active") is False:
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

    def _event(self, planned: PlannedRecord) -> PlanEntry:
        """A state change is idempotent by the target's state: already there means nothing to send."""
        entry = REGISTRY[planned.kind]
        parent = self.ids.resolve(planned.system, planned.kind, planned.payload).get(entry.parent_field or "")
        if isinstance(parent, int) and entry.event_of:
            obj = self.target.get(entry.event_of, parent)
            if obj is not None and event_applied(str(planned.payload.get("event_type")), obj.get("state")):
                return PlanEntry(
                    planned, "adopt", reason=f"the target {entry.event_of[:-1]} is already {obj.get('state')}"
                )
        return PlanEntry(planned, "create")

    # --- history first, archive last -------------------------------------------------------------

    def _plan_steps(self) -> None:
        steps = self.steps.plan(ledger=self.ledger, target=self.target)
        rows = [self._row(self.store.add(step.planned), lane_of(step.planned.kind, step.planned.payload), step)
                for step in steps]  # fmt: skip
        self.store.flush()
        self.store.decide(rows)


def build_plan(
    planned: PlanStore | Iterable[Planned],
    *,
    ledger: Ledger | None,
    target: TargetIndex,
    create_users: bool = False,
    recreate_missing: bool = False,
    overrides: Any = None,
    progress: Callable[[Phase], None] | None = None,
    ids: IdMap | None = None,
) -> Plan:
    """Decide an action for every planned object (see the module docstring). Sends only list reads.

    `planned` is a plan store that mappings wrote into, or planned objects (stored first);
    `progress` hears how far the decisions got; `ids` is the session's id map (a new one by default),
    which the plan carries to the loader.
    """
    if isinstance(planned, PlanStore):
        store = planned
    else:
        store = PlanStore()
        for item in planned:
            store.add(item)
    ids = ids if ids is not None else IdMap(ledger)
    _Planner(store, ledger, target, create_users, recreate_missing, overrides, progress, ids).run()
    return Plan(
        store,
        ids,
        ledger_fingerprint=ledger.fingerprint() if ledger is not None else EMPTY_LEDGER_FINGERPRINT,
        target_fingerprint=target.fingerprint(),
    )
