"""The loader: apply a plan to Harvest v2 exactly once, concurrently, lane by lane.

Per object to create:
1. a `pending` intent is committed to the ledger BEFORE the POST (its own transaction);
2. the v2 id is committed right after the answer (`done`);
3. when the outcome is unknown (timeout, 5xx, dropped connection, or a crash between 1 and 2,
   found as a pending row by the next run), the object is looked up in the target first
   (`reconcile.py`): one match is ours (`adopted`), none means POST again, several means stop
   that record and report it. Nothing is ever sent twice blindly.

Updates PATCH the changed fields only (idempotent); adoptions cost no request. A 422 rejects one
record with Harvest's message and blocks its dependents; the rest goes on. A bad token stops the
run at once, an unreachable target cleanly: the ledger stays consistent and a rerun resumes.

The work streams from the plan store one lane at a time (`lanes.py`): a lane opens once the lanes
it depends on have settled, several open lanes feed one bounded pool of workers, and nothing but
the requests in flight, the ids of objects others refer to and the failures is held in memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from migrator.errors import (
    AuthError,
    HarvestError,
    LedgerError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    TargetUnreachableError,
    TransientError,
)
from migrator.harvest.multipart import ReceiptChangedError, ReceiptUpload
from migrator.harvest.receipts import refused_receipt
from migrator.kinds import REGISTRY
from migrator.load import receipts
from migrator.load.archive import for_load, object_kind, step_path
from migrator.load.assignments import ASSIGNMENT_KINDS, describe_removed, other_id, settle_new_project
from migrator.load.identity import IdMap
from migrator.load.invoices import guard_no_email, line_item_changes
from migrator.load.lanes import LANES
from migrator.load.ledger import KEEP_RECEIPT, LOADED_STATES, Ledger, LedgerRow
from migrator.load.outcomes import LoadEvent, LoadResult, Outcome, Problem, Tally
from migrator.load.planner import Plan, alignment, diff
from migrator.load.planstore import PlanEntry
from migrator.load.receipts import ReceiptUploads
from migrator.load.reconcile import CannotTell, Reconciler
from migrator.load.target_index import TargetIndex
from migrator.planned import parse_ref

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # POSTs of one record in one run, each after a reconciliation found nothing
_FATAL = (AuthError, TargetUnreachableError, LedgerError)
_DOCUMENTS = ("invoices", "estimates")  # their line_items need Harvest's line ids to be updated


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
        stop: threading.Event | None,
        target: TargetIndex | None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.plan = plan
        self.client = client
        self.ledger = ledger
        self.batch = batch
        self.concurrency = concurrency
        self.progress = progress
        self.stop = stop or threading.Event()
        self.target = target or TargetIndex(client)
        self.reconciler = Reconciler(client, self.target, ledger)
        self.receipts = ReceiptUploads(client, ledger, batch, self._log)
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._halt = threading.Event()  # set on a fatal error: no worker starts another request
        self.ids = IdMap(ledger)
        for system, kind, source_id, v2_id in plan.store.known_ids():
            if not REGISTRY[kind].leaf:
                self.ids.set(system, f"@{kind}:{source_id}", v2_id)
        # (system, ref) -> why a record others may depend on is not in the target (this run's failures)
        self.failed: dict[tuple[str, str], str] = {}
        # (system, project ref) -> assignment kind -> refs of the tasks/users the source assigns to it
        self.wanted: dict[tuple[str, str], dict[str, set[str]]] = {}
        for kind, other_name in ASSIGNMENT_KINDS.items():
            for entry in plan.store.entries(kind=kind):
                planned = entry.planned
                if entry.action not in ("invalid", "skipped"):
                    other = planned.payload.get(f"{other_name}_id")
                    project = (planned.origin.system, str(planned.payload.get("project_id")))
                    self.wanted.setdefault(project, {}).setdefault(kind, set()).add(str(other))
        # (kind, project v2 id, task/user v2 id) -> an assignment Harvest added to a new project that
        # the source has too: its planned record takes it over without a request.
        self.kept: dict[tuple[str, int, int], dict[str, Any]] = {}
        self.unknown = 0  # records of this run whose outcome is still unknown (scheduling thread only)

    def halted(self) -> bool:
        return self._halt.is_set() or self.stop.is_set()

    # --- references ----------------------------------------------------------------------------

    def _resolve(self, entry: PlanEntry) -> dict[str, Any]:
        """The payload with every ref replaced by its v2 id, read at send time (KeyError if one has none)."""
        planned = entry.planned
        return self.ids.resolve(planned.origin.system, planned.kind, planned.payload, strict=True)

    def _blocked_by(self, entry: PlanEntry) -> str | None:
        """Why a dependency of this record (payload or `after`) is not in the target, if one failed in this run."""
        system = entry.planned.origin.system
        for dependency in entry.planned.depends_on():
            cause = self.failed.get((system, dependency))
            if cause is not None:
                return cause
        return None

    @staticmethod
    def _key(entry: PlanEntry) -> tuple[str, str, str]:
        """The record's ledger key: (system, kind, source_id)."""
        return entry.planned.origin.system, entry.planned.kind, entry.planned.source_id

    def _row(self, entry: PlanEntry) -> LedgerRow | None:
        return self.ledger.get(*self._key(entry))

    def _record(
        self,
        entry: PlanEntry,
        state: str,
        *,
        v2_id: int | None,
        payload: dict[str, Any] | None,
        error: str | None = None,
        receipt: Any = KEEP_RECEIPT,
    ) -> None:
        """Commit a record's outcome (its own transaction) and remember its v2 id for dependents;
        `receipt`: an expense's receipt state, in the same transaction."""
        if state == "blocked" and (row := self._row(entry)) is not None and row.state == "pending":
            return  # a pending intent must survive being blocked: the next run reconciles it
        self.ledger.record_result(
            *self._key(entry),
            state=state,
            v2_id=v2_id,
            payload=payload,
            batch=self.batch,
            error=error,
            origin=entry.planned.origin.where(),
            receipt=receipt,
        )
        if v2_id is not None and state in LOADED_STATES:
            self.ids.set(entry.planned.origin.system, entry.planned.ref, v2_id)
            self.reconciler.claim(entry.planned.kind, v2_id)

    def _log(self, entry: PlanEntry, action: str, v2_id: int | None, detail: str) -> None:
        system, kind, source_id = self._key(entry)
        log.info("%s:%s:%s %s (v2 %s): %s", system, kind, source_id, action, v2_id, detail)
        self.ledger.log(self.batch, action, system=system, kind=kind, source_id=source_id, v2_id=v2_id, detail=detail)

    # --- one record ----------------------------------------------------------------------------

    def execute(self, entry: PlanEntry) -> Outcome:
        """Apply one plan entry; runs on a worker thread."""
        if self.halted():
            return Outcome("waiting")
        cause = self._blocked_by(entry)
        try:
            resolved = self._resolve(entry)
        except KeyError as missing:
            cause = cause or f"reference {missing.args[0]} has no v2 id"
        if cause is not None:
            self._record(entry, "blocked", v2_id=None, payload=None, error=cause)
            return Outcome("blocked", message=cause)
        if REGISTRY[entry.planned.kind].step:
            return self._step(entry, resolved)
        if entry.action == "adopt":
            return self._adopt(entry, resolved)
        if entry.action == "update":
            return self._update(entry, resolved)
        return self._create(entry, resolved)

    def _adopt(self, entry: PlanEntry, resolved: dict[str, Any]) -> Outcome:
        """Take over an existing object: zero requests (an assignment: one PATCH if its settings differ)."""
        target_id, ours = entry.target_id, entry.ours
        if entry.same_as is not None:
            system, _, ref = entry.same_as.partition("|")
            target_id = self.ids.get(system, ref)
            if target_id is None:
                message = f"{ref.lstrip('@').replace(':', ' ')} ({system}) was not loaded"
                self._record(entry, "blocked", v2_id=None, payload=None, error=message)
                return Outcome("blocked", message=message)
            # One object for two source records: ours when the other record's batch created it.
            parsed = parse_ref(ref)
            other = self.ledger.get(system, *parsed) if parsed else None
            ours = other is not None and other.state == "done"
        row = self._row(entry)
        if row is not None and row.state == "pending":
            self._log(entry, "reconciled", target_id, entry.reason or "found in the target")
            if entry.planned.kind == "projects" and target_id is not None:
                problem = self._settle_project(entry, target_id)  # ours: its automatic assignments may remain
                if problem is not None:
                    return problem
        expense = entry.planned.kind == receipts.KIND and target_id is not None
        obj = self.target.get(receipts.KIND, target_id) if expense and target_id is not None else None
        return self._take_over(entry, resolved, target_id, entry.diff or {}, ours=ours, obj=obj)

    def _update(self, entry: PlanEntry, resolved: dict[str, Any]) -> Outcome:
        """PATCH only the fields that changed since the ledger's copy; the row keeps its state."""
        planned = entry.planned
        registry = REGISTRY[planned.kind]
        row = self._row(entry)
        state = row.state if row is not None and row.state in LOADED_STATES else "done"
        old = (row.payload if row is not None else None) or {}
        allowed = set(registry.update_model.model_fields if registry.update_model else ()) - {registry.parent_field}
        # A field dropped from the source is sent as null: a PATCH leaves alone what it does not name.
        body = {key: resolved.get(key) for key in diff(old, resolved) if key in allowed}
        if body.get("is_active") is False:
            del body["is_active"]  # archived by the batch's `archives` step, once its history is in
        path = registry.item_path(resolved, int(entry.target_id or 0))
        note: str | None = None
        try:
            if "line_items" in body and planned.kind in _DOCUMENTS:
                current = self.client.get(path).get("line_items") or []
                body["line_items"] = line_item_changes(current, body["line_items"] or [])
            if self.receipts.due(entry, row, path):
                # One multipart PATCH: the changed fields and the receipt file together.
                held = row.receipt if row is not None else None
                note, settled = self.receipts.upload(entry, int(entry.target_id or 0), body, held)
                if settled == "pending":
                    return Outcome("pending", entry.target_id, note, available=True)
                if settled == "rejected" and body:
                    self.client.patch(path, body)  # the receipt was refused, and the fields with it
            elif body:
                self.client.patch(path, body)
        except RejectedError as exc:
            # Keep the row as it was (state, old payload): the object is still there, unchanged,
            # and the next plan proposes the update again.
            self._record(entry, state, v2_id=entry.target_id, payload=None, error=exc.message)
            return Outcome("rejected", entry.target_id, exc.message, available=not isinstance(exc, NotFoundError))
        except TransientError as exc:
            message = f"update not confirmed ({exc.message}); it is planned again on the next run"
            return Outcome("pending", entry.target_id, message, available=True)
        self._record(entry, state, v2_id=entry.target_id, payload=resolved)
        return Outcome("updated", entry.target_id, available=True, receipt=note)

    def _create(self, entry: PlanEntry, resolved: dict[str, Any]) -> Outcome:
        planned = entry.planned
        registry = REGISTRY[planned.kind]
        row = self._row(entry)
        if row is not None and row.state == "pending":
            # An earlier run's POST may have arrived: any read through this run's index is newer.
            found = self._reconcile(entry, resolved, since=self.target.created)
            if found is not None:
                return found
        if planned.kind in ASSIGNMENT_KINDS:
            other = resolved.get(f"{ASSIGNMENT_KINDS[planned.kind]}_id")
            existing = self.kept.pop((planned.kind, resolved.get("project_id"), other), None)  # type: ignore[arg-type]
            if existing is not None:  # Harvest assigned it to the new project itself
                self._log(entry, "adopted-automatic", int(existing["id"]), "assigned by Harvest to the new project")
                changes = alignment(planned.kind, existing, resolved)
                return self._take_over(entry, resolved, int(existing["id"]), changes, ours=True)
        try:
            outgoing = for_load(planned.kind, {k: v for k, v in resolved.items() if k != registry.parent_field})
            body = guard_no_email(planned.kind, outgoing)
        except RejectedError as exc:
            self._record(entry, "rejected", v2_id=None, payload=None, error=exc.message)
            return Outcome("rejected", message=exc.message)
        path = registry.path_for(resolved)
        last = ""
        # An expense's receipt goes in its create request (multipart); one refused before sending does not.
        planned_receipt = planned.receipt if planned.kind == receipts.KIND else None
        wanted = receipts.sendable(planned_receipt)
        note = planned_receipt.get("refused") if planned_receipt else None
        sent_sha: str | None = None
        for attempt in range(MAX_ATTEMPTS):
            if attempt and self.halted():
                break  # the intent stays pending; the next run reconciles it
            intent = receipts.record(wanted, "pending") if wanted else None
            self.ledger.record_intent(*self._key(entry), resolved, self.batch, origin=entry.planned.origin.where(),
                                      receipt=intent)  # fmt: skip
            sent = time.monotonic()
            try:
                if wanted is not None:
                    response, sent_sha = self.client.upload("POST", path, body, ReceiptUpload.planned(wanted))
                else:
                    response = self.client.post(path, body)
            except ReceiptChangedError as exc:
                wanted, note = None, exc.message  # not sent, or cut short (the target keeps no part of it)
                continue
            except RateLimitedError as exc:
                last = exc.message  # every try was throttled, so none was processed: sending again is safe
                continue
            except TransientError as exc:
                found = self._reconcile(entry, resolved, since=sent)
                if found is not None:
                    return found
                last = exc.message
                continue
            except RejectedError as exc:
                if wanted is not None and refused_receipt(exc):
                    wanted, note = None, f"Harvest refused it: {exc.message}"
                    continue  # the request was refused whole: the expense is created without its receipt
                return self._rejected(entry, resolved, exc, since=sent)
            v2_id = int(response["id"]) if isinstance(response, dict) and "id" in response else None
            if isinstance(response, dict) and v2_id is not None:
                self.target.add(planned.kind, response, resolved.get(registry.parent_field or ""))
            if planned.kind == "projects" and v2_id is not None:
                # Created, but not finished until Harvest's own assignments are settled (see assignments.py).
                self._record(entry, "pending", v2_id=v2_id, payload=resolved)
                problem = self._settle_project(entry, v2_id)
                if problem is not None:
                    return problem
            if wanted is not None:
                held: Any = receipts.record(wanted, "done", sha256=sent_sha or wanted["sha256"])
            elif planned_receipt is not None:
                held = receipts.record(planned_receipt, "rejected", error=note)
            else:
                held = KEEP_RECEIPT
            self._record(entry, "done", v2_id=v2_id, payload=resolved, receipt=held)
            return Outcome("done", v2_id, available=True, receipt=note)
        if self.halted():
            return Outcome("pending", message="stopped before its outcome was known; the next run checks the target")
        message = f"outcome still unknown after {MAX_ATTEMPTS} attempts ({last}); it stays pending for the next run"
        return Outcome("pending", message=message)

    def _reconcile(self, entry: PlanEntry, resolved: dict[str, Any], *, since: float) -> Outcome | None:
        """After an unknown outcome: the outcome if the target settles it, None if the object is absent."""
        try:
            found = self.reconciler.find(entry.planned, resolved, since=since)
        except CannotTell as exc:
            self._record(entry, "rejected", v2_id=None, payload=None, error=str(exc))
            return Outcome("rejected", message=str(exc))
        except TransientError as exc:
            return Outcome("pending", message=f"could not check the target ({exc.message}); it stays pending")
        if found is None:
            return None
        self._log(entry, "reconciled", found.v2_id, found.how)
        if entry.planned.kind == "projects" and found.v2_id is not None:
            problem = self._settle_project(entry, found.v2_id)
            if problem is not None:
                return problem
        # Harvest may have made it itself (see `ALIGN_ON_ADOPT`), e.g. when our POST got its 422 "already
        # assigned" but the answer was lost: any adoption takes the source's settings.
        changes = alignment(entry.planned.kind, found.obj, resolved) if found.obj else {}
        # Found after a POST of ours whose answer was lost: our POST made it.
        return self._take_over(entry, resolved, found.v2_id, changes, ours=True, obj=found.obj)

    def _rejected(self, entry: PlanEntry, resolved: dict[str, Any], exc: RejectedError, *, since: float) -> Outcome:
        """Harvest said no. Check the target once before believing it.

        Events: Harvest sometimes answers 422 although the transition happened, so the parent's
        state decides. Objects: "has already been taken/assigned" means it exists (Harvest adds
        default tasks and all-future-projects users to a new project itself): adopt it.
        """
        try:
            found = self.reconciler.find(entry.planned, resolved, since=since)
        except (CannotTell, RejectedError, TransientError):
            found = None
        if found is None:
            self._record(entry, "rejected", v2_id=None, payload=None, error=exc.message)
            return Outcome("rejected", message=exc.message)
        self._log(entry, "reconciled", found.v2_id, f"after {exc.status}: {exc.message}; {found.how}")
        changes = alignment(entry.planned.kind, found.obj, resolved) if found.obj else {}
        return self._take_over(entry, resolved, found.v2_id, changes, ours=self._on_our_project(entry), obj=found.obj)

    def _on_our_project(self, entry: PlanEntry) -> bool:
        """Is this an assignment on a project of ours (so Harvest's own assignment there is ours too)?"""
        parsed = parse_ref(entry.planned.payload.get("project_id"))
        if entry.planned.kind not in ASSIGNMENT_KINDS or parsed is None:
            return False
        row = self.ledger.get(entry.planned.origin.system, *parsed)
        return row is not None and row.state in ("done", "pending")

    def _take_over(
        self,
        entry: PlanEntry,
        resolved: dict[str, Any],
        v2_id: int | None,
        changes: dict[str, list[Any]],
        *,
        ours: bool = False,
        obj: dict[str, Any] | None = None,
    ) -> Outcome:
        """Record an adoption; first set the source's settings on it where the planner asks (assignments).

        `ours`: the object was made by us (a POST whose answer was lost, Harvest's own assignment on a
        project we created): recorded `done`, so rollback removes it; else `adopted`, never touched.
        An expense then gets its receipt, unless `obj` (the expense as the target shows it) holds it.
        """
        state = "done" if ours else "adopted"
        changes = {name: change for name, change in changes.items() if name != "receipt"}
        if changes and v2_id is not None:
            try:
                body = {name: resolved[name] for name in changes}
                self.client.patch(REGISTRY[entry.planned.kind].item_path(resolved, v2_id), body)
            except (RejectedError, TransientError) as exc:
                # Stored without those fields, so the next plan proposes them as an update.
                unset = {name: value for name, value in resolved.items() if name not in changes}
                self._record(entry, state, v2_id=v2_id, payload=unset, error=exc.message)
                message = f"adopted, but its {', '.join(changes)} could not be set: {exc.message}"
                return Outcome("rejected", v2_id, message, available=True)
        self._record(entry, state, v2_id=v2_id, payload=resolved)
        # The ledger's word, everywhere (run, status, rollback): `done` is ours, whoever's POST made it.
        outcome = Outcome(state, v2_id, available=True)
        if entry.planned.kind == receipts.KIND and v2_id is not None:
            note, settled = self.receipts.settle(entry, v2_id, obj, ours=ours)
            if note is not None:
                return Outcome(outcome.state, v2_id, available=True, receipt=note, receipt_state=settled)
        return outcome

    # --- Harvest's own assignments and archived states -------------------------------------------

    def _settle_project(self, entry: PlanEntry, project_id: int) -> Outcome | None:
        """Make a new project's assignments the source's (see assignments.py); an Outcome if that failed."""
        system = entry.planned.origin.system
        wanted: dict[str, set[int]] = {}
        for kind, refs in self.wanted.get((system, entry.planned.ref), {}).items():
            ids = (self._v2_id(system, ref) for ref in refs)
            wanted[kind] = {v2 for v2 in ids if v2 is not None}
        # Only read what Harvest may have added (no default task, nobody on all future projects: nothing).
        kinds = [kind for kind in ASSIGNMENT_KINDS if self.target.may_auto_assign(kind)]
        try:
            settled = settle_new_project(self.client, project_id, wanted, kinds)
        except (RejectedError, TransientError) as exc:
            message = (
                f"created as v2 {project_id}, but Harvest's automatic assignments could not be settled "
                f"({exc.message}); the next run finishes it"
            )
            return Outcome("pending", project_id, message)
        for kind, obj in settled.kept:
            self.kept[(kind, project_id, other_id(kind, obj) or 0)] = obj
        for kind, obj in settled.removed:
            detail = f"project {entry.planned.source_id} (v2 {project_id}): {describe_removed(kind, obj)}"
            self.ledger.log(
                self.batch, "removed-automatic", system=system, kind=kind, v2_id=int(obj["id"]), detail=detail
            )
        return None

    def _v2_id(self, system: str, ref: str) -> int | None:
        return self.ids.get(system, ref)

    def _step(self, entry: PlanEntry, resolved: dict[str, Any]) -> Outcome:
        """A reactivation or an archive: one PATCH of `is_active` on an object that exists."""
        planned = entry.planned
        system, source_id = planned.origin.system, planned.source_id
        v2_id = int(resolved["object"])
        if planned.kind == "archives" and self.unknown:
            # History first: records whose outcome is unknown are sent again by the next run, which
            # could not log them on an archived object. Archives run once nothing is in doubt.
            return Outcome("pending", v2_id, f"archived by the next run, once {self.unknown} record(s) in doubt are in")
        path = step_path(object_kind(planned), resolved)
        try:
            if planned.kind == "reactivations":
                # Write-ahead: whatever happens next, this object must end archived again.
                restore = {"object": planned.payload["object"], "is_active": False}
                self.ledger.record_intent(system, "archives", source_id, restore, self.batch)
            self.client.patch(path, {"is_active": bool(resolved["is_active"])})
        except RejectedError as exc:
            self._record(entry, "rejected", v2_id=v2_id, payload=None, error=exc.message)
            return Outcome("rejected", v2_id, exc.message)
        except TransientError as exc:
            return Outcome("pending", v2_id, f"not confirmed ({exc.message}); it is planned again on the next run")
        self.target.patch_local(object_kind(planned), v2_id, {"is_active": bool(resolved["is_active"])})
        self._record(entry, "done", v2_id=v2_id, payload=resolved)
        return Outcome("done", v2_id, available=True)

    # --- the run -------------------------------------------------------------------------------

    def _not_loadable(self, result: LoadResult) -> None:
        """Records the plan cannot load are problems of this run (its exit code says so) and rows of the
        ledger (`status --rejected` lists them); a record now skipped on purpose loses such a row."""
        invalid: list[tuple[str, str, str, str, str | None]] = []
        for entry in self.plan.store.entries(actions=("invalid",)):
            planned = entry.planned
            why, where = entry.reason or "invalid", planned.origin.where()
            invalid.append((planned.system, planned.kind, planned.source_id, why, where))
            result.problems.append(Problem("invalid", planned.kind, planned.source_id, where, why, planned.system))
            if len(invalid) >= 1000:
                self.ledger.note_invalid(invalid, batch=self.batch)
                invalid = []
        if invalid:
            self.ledger.note_invalid(invalid, batch=self.batch)
        skipped = ((e.planned.system, e.planned.kind, e.planned.source_id)
                   for e in self.plan.store.entries(actions=("skipped",)))  # fmt: skip
        self.ledger.forget_not_loaded(skipped)

    def run(self) -> LoadResult:
        result = LoadResult()
        requests_before = self.client.stats.requests
        self._not_loadable(result)
        tally = Tally()
        for kind, actions in self.plan.summary().items():
            for action, count in actions.items():
                if action in ("create", "update", "adopt"):
                    tally.expect(kind, count)
                elif count:
                    tally.count(kind, action, work=False, n=count)
        fatal: list[BaseException] = []
        lanes = _Lanes(self.plan)

        def finished(entry: PlanEntry, future: Future[Outcome]) -> None:
            try:
                outcome = future.result()
            except _FATAL as exc:
                fatal.append(exc)
                self._halt.set()  # no worker starts another request; those in flight finish
                return
            except HarvestError as exc:  # an answer no rule covers: report it, go on
                self._record(entry, "rejected", v2_id=None, payload=None, error=str(exc))
                outcome = Outcome("rejected", message=str(exc))
            self._settle(entry, outcome, tally, result)

        try:
            lanes.drive(self.execute, finished, concurrency=self.concurrency, halted=self.halted)
        except BaseException:
            self._halt.set()  # Ctrl-C: workers finish their request in flight and start no other
            raise
        if fatal:
            raise fatal[0]
        result.stopped = self.stop.is_set() and lanes.unfinished
        if result.stopped:
            for kind, left in lanes.left().items():
                tally.count(kind, "waiting", n=left)
        result.counts = tally.as_dict()
        result.requests = self.client.stats.requests - requests_before
        result.elapsed = time.monotonic() - self.started
        return result

    def _settle(self, entry: PlanEntry, outcome: Outcome, tally: Tally, result: LoadResult) -> None:
        """Account for one finished record (scheduling thread): counts, problems, failures, progress."""
        planned = entry.planned
        if outcome.state == "waiting":
            return  # stopped before it started: it stays where it was
        if outcome.state == "pending":
            self.unknown += 1
        tally.count(planned.kind, outcome.state)
        if outcome.state in ("rejected", "blocked", "pending"):
            where = planned.origin.where()
            problem = Problem(
                outcome.state, planned.kind, planned.source_id, where, outcome.message or "", planned.system
            )
            result.problems.append(problem)
        if outcome.receipt is not None:
            file = (planned.receipt or {}).get("file") or "its receipt"
            message = f"receipt {file}: {outcome.receipt}"
            result.problems.append(
                Problem(outcome.receipt_state, planned.kind, planned.source_id, planned.origin.where(), message,
                        planned.system)
            )  # fmt: skip
        if not outcome.available and not REGISTRY[planned.kind].leaf:
            # What depends on it is blocked when its turn comes (a pending one only for this run).
            cause = f"blocked by {outcome.state} {planned.kind} {planned.source_id}: {outcome.message}"
            self.failed[(planned.origin.system, planned.ref)] = cause
        if self.progress is not None:
            self.progress(tally.event(planned.kind, planned.source_id, outcome.state))


class _Lanes:
    """The scheduler: opens lanes as the lanes they depend on settle, feeds a bounded pool from them.

    Same-key adoptions (a second source record taking over the object a first one creates) come
    last in their lane and wait until the rest of the lane has settled.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.settled: set[int] = set()
        self.open: dict[int, Iterator[PlanEntry]] = {}
        self.next: dict[int, PlanEntry | None] = {}
        self.running: dict[int, int] = {}
        self.unfinished = False
        self._left: dict[str, int] = {}

    def _open_ready(self) -> None:
        for lane in LANES:
            if lane.index in self.settled or lane.index in self.open or not lane.gates <= self.settled:
                continue
            self.open[lane.index] = self.plan.store.lane_work(lane.index)
            self.next[lane.index] = next(self.open[lane.index], None)
            self.running[lane.index] = 0

    def _settle_empty(self) -> bool:
        """Close open lanes with nothing left; True if any closed (others may open)."""
        closed = [index for index in self.open if self.next[index] is None and not self.running[index]]
        for index in closed:
            del self.open[index], self.next[index], self.running[index]
            self.settled.add(index)
        return bool(closed)

    def _take(self) -> tuple[int, PlanEntry] | None:
        for index in sorted(self.open):
            entry = self.next[index]
            if entry is None or (entry.same_as is not None and self.running[index]):
                continue
            self.next[index] = next(self.open[index], None)
            return index, entry
        return None

    def drive(
        self,
        execute: Callable[[PlanEntry], Outcome],
        finished: Callable[[PlanEntry, Future[Outcome]], None],
        *,
        concurrency: int,
        halted: Callable[[], bool],
    ) -> None:
        """Run the work on `concurrency` threads; `finished` runs on this thread for each record that ends."""
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="load") as pool:
            running: dict[Future[Outcome], tuple[int, PlanEntry]] = {}
            while True:
                self._open_ready()
                while self._settle_empty():
                    self._open_ready()
                # Never more submitted than threads: a stop then leaves nothing queued behind it.
                while len(running) < concurrency and not halted():
                    taken = self._take()
                    if taken is None:
                        break
                    index, entry = taken
                    self.running[index] += 1
                    running[pool.submit(execute, entry)] = taken
                if not running:
                    self.unfinished = bool(self.open) or len(self.settled) < len(LANES)
                    return
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    index, entry = running.pop(future)
                    self.running[index] -= 1
                    finished(entry, future)

    def left(self) -> dict[str, int]:
        """Work never started, per kind (after a stop)."""
        left: dict[str, int] = {}
        for lane in LANES:
            if lane.index in self.settled:
                continue
            entries = self.plan.store.lane_work(lane.index) if lane.index not in self.open else self._rest(lane.index)
            for entry in entries:
                left[entry.planned.kind] = left.get(entry.planned.kind, 0) + 1
        return left

    def _rest(self, index: int) -> Iterator[PlanEntry]:
        entry = self.next.get(index)
        if entry is not None:
            yield entry
            yield from self.open[index]


def load(
    plan: Plan,
    *,
    client: Any,
    ledger: Ledger,
    batch: str,
    concurrency: int = 8,
    progress: Callable[[LoadEvent], None] | None = None,
    stop: threading.Event | None = None,
    target: TargetIndex | None = None,
) -> LoadResult:
    """Apply `plan` to the target as batch `batch`, exactly once per record (see the module docstring).

    `client` is a `HarvestClient`; `target` the `TargetIndex` the plan was built with (reused so
    nothing is read twice; a fresh one by default). Setting `stop` ends the run after the
    requests in flight (`LoadResult.stopped`). Raises `AuthError`, `TargetUnreachableError` or
    `LedgerError` after the requests in flight settle; the ledger is consistent and a later run
    resumes.
    """
    return Loader(
        plan,
        client=client,
        ledger=ledger,
        batch=batch,
        concurrency=concurrency,
        progress=progress,
        stop=stop,
        target=target,
    ).run()
