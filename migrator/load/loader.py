"""The loader: apply a plan to Harvest v2 exactly once, concurrently, in dependency order.

For every object to create:
1. a `pending` intent is committed to the ledger BEFORE the POST (its own transaction);
2. the v2 id is committed right after the response (`done`);
3. if the outcome is unknown (timeout, 5xx, dropped connection — or a crash between 1 and 2, found
   as a pending row on the next run), the object is looked up in the target by its natural key
   before anything is re-sent: one match is ours (done), none means POST again, several means
   stop that record and report it. Nothing is ever sent blindly twice.

Independent objects go out concurrently through the client's one rate limiter; an object waits
for everything it references. A rejected object (422) is recorded with Harvest's message and
everything depending on it is `blocked`; the rest of the batch goes on.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from migrator.errors import (
    AuthError,
    HarvestError,
    LedgerError,
    RejectedError,
    TargetUnreachableError,
    TransientError,
)
from migrator.harvest.models import UPDATE_MODELS
from migrator.load.ledger import Ledger
from migrator.load.planner import Plan, PlanEntry, resolve
from migrator.load.registry import REGISTRY
from migrator.load.target import TargetIndex
from migrator.mapping import parse_ref

MAX_ATTEMPTS = 3
_PARENT_KINDS = {"invoice_messages": "invoices", "estimate_messages": "estimates"}
_RECONCILE_FILTERS = {
    "contacts": "client_id",
    "projects": "client_id",
    "expenses": "project_id",
    "invoices": "client_id",
    "estimates": "client_id",
}


@dataclass(frozen=True)
class LoadEvent:
    """Progress: `done` of `total` objects settled; the last one was of `kind`."""

    done: int
    total: int
    kind: str
    state: str


@dataclass
class LoadResult:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    requests: int = 0
    elapsed: float = 0.0

    @property
    def exit_code(self) -> int:
        return 3 if (self.rejected or self.blocked or self.unknown) else 0


class _Ambiguous(Exception):
    def __init__(self, count: int) -> None:
        self.count = count


def _event_done(event: str, state: str | None) -> bool:
    from migrator.load.planner import _event_done as done

    return done(event, state)


class Loader:
    """One load of one plan (see `load`)."""

    def __init__(
        self,
        plan: Plan,
        *,
        client: Any,
        ledger: Ledger,
        batch: str,
        concurrency: int,
        progress: Callable[[LoadEvent], None] | None,
        target: TargetIndex | None,
    ) -> None:
        self.plan = plan
        self.client = client
        self.ledger = ledger
        self.batch = batch
        self.concurrency = concurrency
        self.progress = progress
        self.target = target or TargetIndex(client)
        self.lock = threading.Lock()
        self.ids: dict[tuple[str, str], int] = {}
        self.result = LoadResult()
        self.fatal: BaseException | None = None

    # --- references ----------------------------------------------------------------------------

    def _lookup(self, system: str, payload: Any) -> dict[str, int]:
        table: dict[str, int] = {}
        stack = [payload]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, str) and (parsed := parse_ref(value)):
                with self.lock:
                    known = self.ids.get((system, value))
                if known is None:
                    row = self.ledger.get(system, parsed[0], parsed[1])
                    if row is not None and row.state in ("done", "adopted", "archived") and row.v2_id is not None:
                        known = row.v2_id
                if known is not None:
                    table[value] = known
        return table

    def _resolve(self, entry: PlanEntry) -> dict[str, Any]:
        system = entry.planned.origin.system
        return resolve(entry.planned.payload, self._lookup(system, entry.planned.payload), strict=True)

    def _record(
        self,
        entry: PlanEntry,
        state: str,
        *,
        v2_id: int | None,
        payload: dict[str, Any] | None,
        error: str | None = None,
    ) -> str:
        planned = entry.planned
        self.ledger.record_result(
            planned.origin.system,
            planned.kind,
            planned.source_id,
            state=state,
            v2_id=v2_id,
            payload=payload,
            batch=self.batch,
            error=error,
        )
        if v2_id is not None:
            with self.lock:
                self.ids[(planned.origin.system, planned.ref)] = v2_id
        return state

    # --- one object ----------------------------------------------------------------------------

    def execute(self, entry: PlanEntry) -> str:
        try:
            resolved = self._resolve(entry)
        except KeyError as missing:
            return self._record(
                entry, "blocked", v2_id=None, payload=None, error=f"reference {missing.args[0]} has no v2 id"
            )
        if entry.action == "adopt":
            target_id = entry.target_id
            if entry.same_as is not None:
                system, _, ref_text = entry.same_as.partition("|")
                with self.lock:
                    target_id = self.ids.get((system, ref_text))
                if target_id is None:
                    parsed = parse_ref(ref_text)
                    row = self.ledger.get(system, *parsed) if parsed else None
                    target_id = row.v2_id if row is not None else None
                if target_id is None:
                    return self._record(
                        entry, "blocked", v2_id=None, payload=None, error=f"{entry.same_as} was not loaded"
                    )
            return self._record(entry, "adopted", v2_id=target_id, payload=resolved)
        if entry.action == "update":
            return self._update(entry, resolved)
        return self._create(entry, resolved)

    def _update(self, entry: PlanEntry, resolved: dict[str, Any]) -> str:
        planned = entry.planned
        row = self.ledger.get(planned.origin.system, planned.kind, planned.source_id)
        registry = REGISTRY[planned.kind]
        allowed = set(UPDATE_MODELS[planned.kind].model_fields)
        old = (row.payload if row else None) or {}
        body = {k: v for k, v in resolved.items() if k in allowed and old.get(k) != v and k != registry.parent_field}
        try:
            if body:
                self.client.patch(registry.item_path(resolved, int(entry.target_id or 0)), body)
        except RejectedError as exc:
            return self._record(entry, "rejected", v2_id=entry.target_id, payload=None, error=exc.message)
        return self._record(entry, "done", v2_id=entry.target_id, payload=resolved)

    def _create(self, entry: PlanEntry, resolved: dict[str, Any]) -> str:
        planned = entry.planned
        system = planned.origin.system
        registry = REGISTRY[planned.kind]
        row = self.ledger.get(system, planned.kind, planned.source_id)
        if row is not None and row.state == "pending":
            outcome = self._reconciled(entry, resolved)
            if outcome is not None:
                return outcome
        body = {k: v for k, v in resolved.items() if k != registry.parent_field}
        for _attempt in range(MAX_ATTEMPTS):
            self.ledger.record_intent(system, planned.kind, planned.source_id, resolved, self.batch)
            try:
                response = self.client.post(registry.path_for(resolved), body)
            except TargetUnreachableError:
                raise
            except TransientError:
                # Unknown outcome (OutcomeUnknownError) or a retried failure: look before re-sending.
                outcome = self._reconciled(entry, resolved)
                if outcome is not None:
                    return outcome
                continue
            except RejectedError as exc:
                if registry.event:
                    outcome = self._reconciled(entry, resolved)
                    if outcome is not None:
                        return outcome  # Harvest sometimes answers 422 although the transition happened
                else:
                    # "Already assigned", "already taken": Harvest made it itself (a new project receives
                    # default tasks and all-future-projects users) or it was there before; take it over.
                    try:
                        existing = self._find(entry, resolved)
                    except _Ambiguous:
                        existing = None
                    if existing:
                        return self._record(entry, "adopted", v2_id=existing, payload=resolved)
                return self._record(entry, "rejected", v2_id=None, payload=None, error=exc.message)
            v2_id = int(response["id"]) if isinstance(response, dict) and "id" in response else None
            if isinstance(response, dict) and not registry.event:
                self.target.add(planned.kind, response, resolved.get(registry.parent_field or "") or None)
            return self._record(entry, "done", v2_id=v2_id, payload=resolved)
        with self.lock:
            self.result.unknown.append(
                f"{planned.kind} {planned.source_id}: outcome still unknown after "
                f"{MAX_ATTEMPTS} attempts; it stays pending and is reconciled on the next run"
            )
        return "pending"

    def _reconciled(self, entry: PlanEntry, resolved: dict[str, Any]) -> str | None:
        """Look for the object in the target: the state to record if found (or ambiguous), None if absent."""
        try:
            found = self._find(entry, resolved)
        except _Ambiguous as many:
            return self._record(
                entry,
                "rejected",
                v2_id=None,
                payload=None,
                error=f"{many.count} matching objects in the target after an unknown outcome: "
                "refusing to guess; resolve by hand, then run again",
            )
        if found is None:
            return None
        v2_id = found if found > 0 else None
        self.ledger.log(
            self.batch,
            "reconciled",
            system=entry.planned.origin.system,
            kind=entry.planned.kind,
            source_id=entry.planned.source_id,
            v2_id=v2_id,
        )
        return self._record(entry, "done", v2_id=v2_id, payload=resolved)

    def _find(self, entry: PlanEntry, resolved: dict[str, Any]) -> int | None:
        """The v2 id of our object if the target has it (0 for an event already applied)."""
        kind = entry.planned.kind
        registry = REGISTRY[kind]
        if registry.event:
            parent_kind = _PARENT_KINDS[kind]
            parent = self.client.get(f"/{parent_kind}/{resolved[registry.parent_field or '']}")
            return 0 if _event_done(str(resolved.get("event_type")), parent.get("state")) else None
        key = registry.payload_key(resolved)
        if kind == "time_entries":
            candidates = list(self.client.list("/time_entries", "time_entries", {"external_reference_id": key}))
        elif registry.parent_field:
            parent = resolved[registry.parent_field]
            candidates = (
                self.target.children(kind, parent, fresh=True)
                if kind.startswith("invoice")
                else [obj for obj in self.client.list(registry.create_path.format(**resolved), registry.list_key)]
            )
        elif kind in _RECONCILE_FILTERS and resolved.get(_RECONCILE_FILTERS[kind]) is not None:
            name = _RECONCILE_FILTERS[kind]
            candidates = list(self.client.list(registry.list_path, registry.list_key, {name: resolved[name]}))
        else:
            candidates = list(self.client.list(registry.list_path, registry.list_key))
        matches = [obj for obj in candidates if registry.target_key(obj | _parent_of(registry, resolved)) == key]
        if len(matches) > 1:
            raise _Ambiguous(len(matches))
        return int(matches[0]["id"]) if matches else None

    # --- scheduling ----------------------------------------------------------------------------

    def run(self) -> LoadResult:
        started = time.monotonic()
        requests_before = self.client.stats.requests
        entries = self.plan.entries
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        work = [e for e in entries if e.action in ("create", "update", "adopt")]
        for entry in entries:
            if entry.action in ("unchanged", "invalid", "skipped"):
                counts[entry.planned.kind][entry.action] += 1
            if entry.target_id is not None:
                self.ids[(entry.planned.origin.system, entry.planned.ref)] = entry.target_id
        by_ref = {(e.planned.origin.system, e.planned.ref): e for e in work}
        waiting: dict[int, set[tuple[str, str]]] = {}
        dependents: dict[tuple[str, str], list[PlanEntry]] = defaultdict(list)
        for entry in work:
            system = entry.planned.origin.system
            deps = {(system, ref) for ref in entry.planned.depends_on() if (system, ref) in by_ref}
            if entry.same_as is not None:
                other_system, _, other_ref = entry.same_as.partition("|")
                if (other_system, other_ref) in by_ref:
                    deps.add((other_system, other_ref))
            waiting[id(entry)] = deps
            for dep in deps:
                dependents[dep].append(entry)
        # Kind-level gates: a time entry needs its project's assignments although its payload does not
        # name them. State events are left out: their order is per record (`after`).
        gates = {k: {d for d in REGISTRY[k].depends_on if not REGISTRY[d].event} for k in REGISTRY}
        remaining: dict[str, int] = defaultdict(int)
        for entry in work:
            remaining[entry.planned.kind] += 1
        held: list[PlanEntry] = []
        ready: list[PlanEntry] = []

        def release(entry: PlanEntry) -> None:
            if all(remaining[kind] == 0 for kind in gates[entry.planned.kind]):
                ready.append(entry)
            else:
                held.append(entry)

        def settled(kind: str) -> None:
            remaining[kind] -= 1
            if remaining[kind] == 0 and held:
                waiting_now = list(held)
                held.clear()
                for entry in waiting_now:
                    release(entry)

        for entry in work:
            if not waiting[id(entry)]:
                release(entry)
        total, done = len(work), 0
        failed: set[tuple[str, str]] = set()
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="load") as pool:
            running: dict[Future[str], PlanEntry] = {}
            while ready or running:
                while ready and len(running) < self.concurrency * 2 and self.fatal is None:
                    entry = ready.pop(0)
                    running[pool.submit(self.execute, entry)] = entry
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    entry = running.pop(future)
                    key = (entry.planned.origin.system, entry.planned.ref)
                    try:
                        state = future.result()
                    except (AuthError, TargetUnreachableError, LedgerError) as fatal:
                        self.fatal = self.fatal or fatal
                        continue
                    except HarvestError as exc:
                        state = self._record(entry, "rejected", v2_id=None, payload=None, error=str(exc))
                    counts[entry.planned.kind][state] += 1
                    done += 1
                    if state in ("rejected", "blocked", "pending"):
                        failed.add(key)
                        self._note(entry, state)
                        for child in self._block_dependents(key, dependents, failed):
                            counts[child.planned.kind]["blocked"] += 1
                            done += 1
                            if child in held:
                                held.remove(child)
                            settled(child.planned.kind)
                    else:
                        for child in dependents.get(key, []):
                            pending = waiting[id(child)]
                            pending.discard(key)
                            if not pending and (child.planned.origin.system, child.planned.ref) not in failed:
                                release(child)
                    settled(entry.planned.kind)
                    if self.progress is not None:
                        self.progress(LoadEvent(done, total, entry.planned.kind, state))
        if self.fatal is not None:
            raise self.fatal
        self.result.counts = {kind: dict(states) for kind, states in counts.items()}
        self.result.requests = self.client.stats.requests - requests_before
        self.result.elapsed = time.monotonic() - started
        return self.result

    def _note(self, entry: PlanEntry, state: str) -> None:
        planned = entry.planned
        row = self.ledger.get(planned.origin.system, planned.kind, planned.source_id)
        message = f"{planned.kind} {planned.source_id} ({planned.origin.where()}): {row.last_error if row else ''}"
        if state == "rejected":
            self.result.rejected.append(message)
        elif state == "blocked":
            self.result.blocked.append(message)

    def _block_dependents(
        self, key: tuple[str, str], dependents: dict[tuple[str, str], list[PlanEntry]], failed: set[tuple[str, str]]
    ) -> list[PlanEntry]:
        blocked: list[PlanEntry] = []
        stack = [key]
        while stack:
            current = stack.pop()
            for child in dependents.get(current, []):
                child_key = (child.planned.origin.system, child.planned.ref)
                if child_key in failed:
                    continue
                failed.add(child_key)
                kind, source_id = parse_ref(current[1]) or ("", current[1])
                reason = f"blocked by {kind} {source_id}, which was not loaded"
                self._record(child, "blocked", v2_id=None, payload=None, error=reason)
                self.result.blocked.append(f"{child.planned.kind} {child.planned.source_id}: {reason}")
                blocked.append(child)
                stack.append(child_key)
        return blocked


def _parent_of(registry: Any, resolved: dict[str, Any]) -> dict[str, Any]:
    # Nested objects do not carry their parent's id: add it so target_key can compare.
    return {registry.parent_field: resolved[registry.parent_field]} if registry.parent_field else {}


def load(
    plan: Plan,
    *,
    client: Any,
    ledger: Ledger,
    batch: str,
    concurrency: int = 8,
    progress: Callable[[LoadEvent], None] | None = None,
    target: TargetIndex | None = None,
) -> LoadResult:
    """Apply `plan` as batch `batch`; see the module docstring for the exactly-once protocol."""
    return Loader(
        plan, client=client, ledger=ledger, batch=batch, concurrency=concurrency, progress=progress, target=target
    ).run()
