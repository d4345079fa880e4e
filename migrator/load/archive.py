"""History first, archive last: the steps that let an archived thing receive its history.

Harvest refuses time and expenses on an archived client, project, task, expense category or
person, and on an inactive assignment (research harvest-v2.md §8). A source record that is
archived is therefore created active, its history is loaded, and an `archives` step archives it
once everything else in the batch has settled: a deactivated Harvest v1 assignment and a
FreshBooks assignment that only the history implies (its mapping plans it inactive) alike. An
object that already exists archived in the target — a person who left, adopted by email; a
project archived by an earlier batch — and that new history needs, is put back to active by a
`reactivations` step before anything else runs, and archived again at the end: it ends as it was.

Both are ledger rows like any other, keyed `"<kind>:<source id>"` of the object. A reactivation
first commits the object's `archives` row as a pending intent ("this object must end archived"),
then PATCHes; a `kill -9` anywhere leaves a row the next plan turns into the archive that closes
the window. Objects we created take the source's state; objects we adopted keep the target's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from migrator.kinds import ARCHIVABLE, REGISTRY
from migrator.load.ledger import Ledger
from migrator.load.target_index import TargetIndex
from migrator.planned import Planned, PlannedRecord, parse_ref

# History that names a project implies these assignments: Harvest checks them too.
_IMPLIED = {
    "time_entries": (("user_assignments", "user_id"), ("task_assignments", "task_id")),
    "expenses": (("user_assignments", "user_id"),),
}
_LOADING = ("create", "update")


def for_load(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The body to send while loading: an archived object is created (or kept) active."""
    if payload.get("is_active") is False and kind in ARCHIVABLE:
        return payload | {"is_active": True}
    return payload


def step_id(kind: str, source_id: str) -> str:
    """The ledger source id of a step on object `kind` `source_id`: `"projects:903"`."""
    return f"{kind}:{source_id}"


def step_payload(planned: Planned, is_active: bool) -> dict[str, Any]:
    """What a step sends: `is_active` for the object `planned` (and its parent, for the path)."""
    payload: dict[str, Any] = {"object": planned.ref, "is_active": is_active}
    parent = REGISTRY[planned.kind].parent_field
    if parent:
        payload[parent] = planned.payload.get(parent)
    return payload


def object_kind(step: PlannedRecord) -> str:
    """The kind of the object a step changes."""
    parsed = parse_ref(step.payload.get("object"))
    return parsed[0] if parsed else ""


def step_path(kind: str, resolved: dict[str, Any]) -> str:
    """The object's own path (`/projects/12`, `/projects/12/task_assignments/40`)."""
    return REGISTRY[kind].item_path(resolved, int(resolved["object"]))


class Touches:
    """Which archivable objects a record needs active: the ones it names, the assignments a time entry
    or expense implies (Harvest checks them too), and their parents (an assignment's project, a
    project's client: an archived client archives what is logged on its projects).

    `register` sees the archivable objects of the plan (clients, projects, people, assignments…:
    bounded by the account's size, not its history); `touched` then answers for any record.
    """

    def __init__(self) -> None:
        self._assignment: dict[tuple[str, str, Any, Any], str] = {}
        self._parents: dict[tuple[str, str], list[str]] = {}

    def register(self, planned: PlannedRecord) -> None:
        system = planned.system
        found = [planned.payload.get(name) for name in ("project_id", "client_id")]
        self._parents[(system, planned.ref)] = [ref for ref in found if parse_ref(ref)]
        if planned.kind in ("user_assignments", "task_assignments"):
            other = planned.payload.get("user_id" if planned.kind == "user_assignments" else "task_id")
            self._assignment[(system, planned.kind, planned.payload.get("project_id"), other)] = planned.ref

    def touched(self, system: str, kind: str, refs: Iterable[str]) -> set[str]:
        """The archivable objects a `kind` record depending on `refs` needs active (parents included)."""
        refs = list(refs)
        touched = {ref for ref in refs if (parse_ref(ref) or ("",))[0] in ARCHIVABLE}
        project = next((ref for ref in refs if ref.startswith("@projects:")), None)
        for assignment_kind, name in _IMPLIED.get(kind, ()):
            other = next((ref for ref in refs if ref.startswith(f"@{name[:-3]}s:")), None)
            found_ref = self._assignment.get((system, assignment_kind, project, other))
            if found_ref:
                touched.add(found_ref)
        stack = list(touched)
        while stack:
            for parent in self._parents.get((system, stack.pop()), ()):
                if parent not in touched:
                    touched.add(parent)
                    stack.append(parent)
        return touched


class Steps:
    """Collects, while the planner decides, what the `reactivations` and `archives` steps need.

    `note` sees every decision in lane order (so an assignment is known before the time entries
    that imply it, a project before its assignments); `plan` then decides the steps. It keeps the
    archivable objects and, per object, a count of the new records that need it active (`needs`)
    and of the records that need it but cannot load (`held`: its archive waits for them).
    """

    def __init__(self) -> None:
        self.objects: list[Any] = []  # PlanEntry of archivable kinds
        self.needs: Counter[tuple[str, str]] = Counter()  # (system, ref) -> new or changed records touching it
        self.held: Counter[tuple[str, str]] = Counter()  # (system, ref) -> invalid records touching it
        self.touches = Touches()
        # A million time entries share a few thousand (project, task, person) combinations: count the
        # combinations, expand them once in `plan`.
        self._combos: Counter[tuple[str, str, tuple[str, ...], bool]] = Counter()

    def note(self, entry: Any) -> None:
        planned = entry.planned
        system = planned.system
        loaded = entry.action not in ("invalid", "skipped")
        if planned.kind in ARCHIVABLE and loaded:
            self.touches.register(planned)
            if not entry.same_as:
                self.objects.append(entry)
        if REGISTRY[planned.kind].step or (entry.action not in _LOADING and entry.action != "invalid"):
            return
        waiting = entry.action == "invalid"
        if REGISTRY[planned.kind].leaf:
            self._combos[(system, planned.kind, tuple(planned.depends_on()), waiting)] += 1
            return
        touched = self.touches.touched(system, planned.kind, planned.depends_on())
        edits = entry.action == "update" and set(entry.diff or {}) - {"is_active"}
        if edits and planned.kind in ARCHIVABLE:
            # Harvest edits no archived person, nor (we assume) any archived thing.
            touched |= self.touches.touched(system, planned.kind, [planned.ref])
        self._count(system, touched, waiting=waiting)

    def _count(self, system: str, touched: set[str], times: int = 1, *, waiting: bool = False) -> None:
        counter = self.held if waiting else self.needs
        for ref in touched:
            counter[(system, ref)] += times

    def plan(self, *, ledger: Ledger | None, target: TargetIndex) -> list[Any]:
        """The step entries (PlanEntry objects) the noted decisions need."""
        for (system, kind, refs, waiting), times in self._combos.items():
            self._count(system, self.touches.touched(system, kind, refs), times, waiting=waiting)
        self._combos.clear()
        return plan_steps(self.objects, self.needs, ledger=ledger, target=target, held=self.held)


def _target_active(target: TargetIndex, kind: str, v2_id: int | None, assumed: bool) -> bool:
    if v2_id is None:
        return True  # created in this batch: created active
    obj = target.get(kind, v2_id) if target.online else None
    return assumed if obj is None else obj.get("is_active", True) is not False


def plan_steps(
    entries: list[Any],
    needs: Counter[tuple[str, str]],
    *,
    ledger: Ledger | None,
    target: TargetIndex,
    held: Counter[tuple[str, str]] | None = None,
) -> list[Any]:
    """The `reactivations` and `archives` entries for decided archivable `entries` (PlanEntry objects).

    History first: an object some record cannot load onto yet (`held`) is not archived by this
    plan — the run that loads that record could not log it on an archived object. Its archive is
    planned `invalid`, saying what it waits for; putting back an object we reactivated never waits.
    """
    held = held or Counter()
    from migrator.load.planstore import PlanEntry

    steps: list[PlanEntry] = []
    for entry in entries:
        planned = entry.planned
        system, sid = planned.system, step_id(planned.kind, planned.source_id)
        row = ledger.get(system, "archives", sid) if ledger is not None else None
        window_open = row is not None and row.state == "pending"
        source_active = planned.payload.get("is_active") is not False
        # Archived by a batch of ours, and not reactivated since by an update of ours (the source
        # said active again: a person back on a project): our last word on the object is "archived".
        archived_by_us = row is not None and row.state == "done" and not _loaded_active(entry, source_active)
        assumed = not archived_by_us and (source_active or not entry.ours)
        target_active = _target_active(target, planned.kind, entry.target_id, assumed)
        activates = entry.action == "update" and "is_active" in (entry.diff or {}) and source_active
        wanted = needs.get((system, planned.ref), 0)
        reactivate = entry.target_id is not None and not target_active and wanted > 0 and not activates
        if reactivate:
            steps.append(
                PlanEntry(
                    Planned("reactivations", sid, step_payload(planned, True), planned.origin),
                    "create",
                    target_id=entry.target_id,
                    reason=f"archived in the target: reactivated so that {wanted} record(s) can load, "
                    "and archived again at the end of the batch",
                )
            )
        final_inactive = (
            reactivate or window_open or (entry.ours and not source_active) or (not entry.ours and not target_active)
        )
        if not final_inactive or activates:
            continue
        archive = Planned("archives", sid, step_payload(planned, False), planned.origin)
        inactive = _inactive_in_source(planned.kind)
        waiting = held.get((system, planned.ref), 0)
        if waiting and not reactivate and not window_open and (entry.action == "create" or target_active):
            steps.append(
                PlanEntry(
                    archive,
                    "invalid",
                    target_id=entry.target_id,
                    reason=f"{inactive}, but {waiting} record(s) that need it active cannot load yet "
                    "(invalid): archived by the run that loads them",
                )
            )
            continue
        if entry.action == "create":
            steps.append(
                PlanEntry(archive, "create", reason=f"{inactive}: created active, archived after its history loads")
            )
        elif reactivate:
            steps.append(PlanEntry(archive, "create", target_id=entry.target_id, reason="put back as it was"))
        elif window_open:
            steps.append(
                PlanEntry(
                    archive,
                    "create",
                    target_id=entry.target_id,
                    reason=f"reactivated by batch {row.batch if row else '?'} for its history: archived again",
                )
            )
        elif target_active and not archived_by_us:
            steps.append(PlanEntry(archive, "create", target_id=entry.target_id, reason=inactive))
        elif target_active:
            steps.append(
                PlanEntry(
                    archive,
                    "skipped",
                    target_id=entry.target_id,
                    reason=f"{inactive} and archived by batch {row.batch if row else '?'}, but active in the "
                    "target again (reactivated by hand): left as it is",
                )
            )
        elif entry.ours or row is not None:
            steps.append(PlanEntry(archive, "unchanged", target_id=entry.target_id))
    return steps


def _loaded_active(entry: Any, source_active: bool) -> bool:
    """Whether the object as the ledger last recorded it (what we last loaded) is active."""
    change = (entry.diff or {}).get("is_active") if entry.action == "update" else None
    return source_active if change is None else change[0] is not False


def _inactive_in_source(kind: str) -> str:
    """Why the source wants the object inactive, in words true of both systems.

    An assignment is deactivated in Harvest v1 and, in FreshBooks, not on the project any more
    (only its history implies it): neither is "archived" there.
    """
    if kind in ("user_assignments", "task_assignments"):
        return "not active on the project in the source"
    return "archived in the source"
