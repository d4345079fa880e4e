"""The library API: everything the command line does, callable from Python.

    from migrator import api
    with api.plan(api.SourceOptions(paths=(Path("fixtures/harvest-v1"),)), target=TargetSpec("offline")) as report:
        print(report.summary())

Each function takes frozen option objects built by the caller (the CLI builds them from flags and
the environment) and returns a report object the renderers in `migrator.report` turn into text,
JSON or markdown. `Session` opens what a command needs once: the ledger (and its lock, to write),
the target (a real account or the built-in sandbox), the HTTP client and the target index.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from migrator.errors import ConfigError
from migrator.kinds import ACTIONS, PLAN_KINDS
from migrator.load.identity import IdMap
from migrator.load.ledger import Ledger, LedgerLock
from migrator.load.outcomes import Phase
from migrator.lossy import Lossy
from migrator.mappings import map_all
from migrator.overrides import Overrides, pilot_order, restrict
from migrator.plan.planstore import PlanStore
from migrator.planned import MapContext, MapSink, Planned
from migrator.sources import SourceExport, read_exports
from migrator.target import OpenTarget, TargetSpec, open_target

if TYPE_CHECKING:
    import httpx

DEFAULT_LEDGER = Path("migrator-ledger.sqlite")
PhaseCallback = Callable[[Phase], None]


@dataclass(frozen=True)
class SourceOptions:
    """Which export files to read and how."""

    paths: tuple[Path, ...]
    system: str | None = None
    keep_going: bool = False
    include_deleted: bool = False
    map_file: Path | None = None  # the `--map` overrides file (migrator.overrides)

    def overrides(self) -> Overrides | None:
        """The map file, read and checked (MapFileError naming the file and the key)."""
        return Overrides.load(self.map_file) if self.map_file is not None else None


@dataclass
class PlanReport:
    """A dry run: what would happen to every source record, and everything lost on the way.

    The plan lives in its plan store (on disk): close the report (or use it as a context manager)
    when done with it.
    """

    source: dict[str, Any]
    plan: Any  # migrator.plan.planner.Plan
    export_errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    offline: bool = False
    paths: tuple[Path, ...] = ()  # the sources given: reports show files relative to them
    orphans: list[Any] = field(default_factory=list)  # migrator.plan.orphans.Orphan: loaded, no longer in the source
    prune: str | None = None  # what `run --prune` would do with the orphans ("archive" / "delete")
    options: dict[str, Any] = field(default_factory=dict)  # what changes the plan (a saved plan keeps them)

    @property
    def store(self) -> PlanStore:
        return self.plan.store  # type: ignore[no-any-return]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.export_errors + self.store.errors()

    @property
    def lossy(self) -> list[Lossy]:
        """Every lossy note (a list: for a big export prefer `iter_lossy`)."""
        return list(self.store.lossy())

    def iter_lossy(self) -> Iterator[Lossy]:
        return self.store.lossy()

    def summary(self) -> dict[str, dict[str, int]]:
        summary: dict[str, dict[str, int]] = self.plan.summary()
        return {kind: {action: summary.get(kind, {}).get(action, 0) for action in ACTIONS} for kind in PLAN_KINDS}

    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys(ACTIONS, 0)
        for per_kind in self.summary().values():
            for action, count in per_kind.items():
                totals[action] += count
        return totals

    def has_changes(self) -> bool:
        totals = self.totals()
        pruning = self.prune is not None and any(orphan.ours for orphan in self.orphans)
        return pruning or any(totals[action] for action in ("create", "update", "adopt"))

    def exit_code(self, keep_going: bool) -> int:
        """CONTRACT: 0 nothing to do, 2 changes planned, 1 error (errors are reported, not fatal, with --keep-going)."""
        if self.errors and not keep_going:
            return 1
        return 2 if self.has_changes() else 0

    def close(self) -> None:
        self.plan.close()

    def __enter__(self) -> PlanReport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_and_map(
    options: SourceOptions, ctx: MapContext, *, store: PlanStore | None = None, overrides: Overrides | None = None
) -> tuple[list[SourceExport], MapSink]:
    """Read every export and map it to planned v2 objects (the caller closes the exports).

    With `store`, what the mappings produce is written there; otherwise the sink keeps lists.
    `overrides` (the `--map` file, else read from `options`) applies to each record as it is mapped;
    the records it names must be in the source.
    """
    overrides = overrides if overrides is not None else options.overrides()
    exports = read_exports(list(options.paths), system=options.system, keep_going=options.keep_going)
    sink = store.sink() if store is not None else MapSink()
    sink.overrides = overrides
    try:
        map_all(exports, sink, ctx)
        if store is not None:
            store.flush()
        if overrides is not None:
            _check_map(overrides, store, sink)
        if store is not None:
            store.skip_dependents(pilot_order())  # plan, run and verify leave out the same records
    except BaseException:
        for export in exports:
            export.close()
        raise
    # Reports list lossy notes by kind in dependency order (the order mappings visit them may differ).
    rank = {kind: index for index, kind in enumerate(PLAN_KINDS)}
    sink.lossy_notes.sort(key=lambda note: rank.get(note.kind, len(rank)))
    return exports, sink


def _check_map(overrides: Overrides, store: PlanStore | None, sink: MapSink) -> None:
    """Every record the map file names is in the source; a pilot's clients restrict the plan."""
    if store is not None:
        overrides.check_source(store.has)
        restrict(overrides, store)
        return
    names = {(item.origin.system, item.kind, item.source_id.lstrip("0")) for item in sink.planned}
    overrides.check_source(lambda system, kind, source_id: (system, kind, source_id.lstrip("0")) in names)


def _digest(path: Path | None) -> str | None:
    """A hash of a file's bytes (a map file a saved plan was made with), or None."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path is not None else None


def _source_summary(exports: list[SourceExport]) -> dict[str, Any]:
    systems = sorted({export.system for export in exports})
    return {
        "system": "+".join(systems),
        "files": sum(len(export.files) for export in exports),
        "records": sum(export.record_count for export in exports),
    }


@dataclass
class Loaded:
    """What `Session.load` did: the loader's result, whether the batch existed, what `--prune` did."""

    result: Any  # migrator.load.outcomes.LoadResult
    resumed: bool
    pruned: Any = None  # migrator.load.prune.PruneResult


class Session:
    """What one command needs, opened once and closed together: the ledger (and its lock, to write),
    the target, the HTTP client, the target index and the one id map every stage shares.

    `write`: take the ledger's lock (`run`, `rollback`); otherwise the ledger is only read (and need
    not exist yet). A ledger bound to another account is refused before any request; an unbound
    one is bound by `confirm_target`, once a request with the credentials has succeeded. An
    `offline` target opens none. `transport`: the HTTP transport under the client (httpx's seam;
    the default is the network).
    """

    def __init__(
        self,
        target: TargetSpec,
        ledger_path: Path = DEFAULT_LEDGER,
        *,
        write: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.spec = target
        self.ledger_path = ledger_path
        self.write = write
        self.transport = transport
        self.lock: LedgerLock | None = None
        self.ledger: Ledger | None = None
        self.opened: OpenTarget | None = None
        self.client: Any = None
        self.index: Any = None  # migrator.plan.target_index.TargetIndex
        self.ids: IdMap = IdMap(None)  # on the ledger once it is open

    def __enter__(self) -> Session:
        from migrator.harvest.client import HarvestClient
        from migrator.plan.target_index import TargetIndex

        try:
            if self.write:
                self.lock = LedgerLock(self.ledger_path).__enter__()
            if self.write or self.ledger_path.exists():
                self.ledger = Ledger(self.ledger_path)  # planning writes nothing: a missing ledger is empty
            self.ids = IdMap(self.ledger)
            if self.spec.mode == "offline":
                self.index = TargetIndex.offline()
                return self
            self.opened = open_target(self.spec, self.ledger_path, write=self.write)
            if self.ledger is not None:
                self.ledger.check_target(self.opened.identity, self.opened.settings.account_id)
            self.client = HarvestClient(self.opened.settings, transport=self.transport)
            self.index = TargetIndex(self.client)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def confirm_target(self) -> None:
        """Check the token is an administrator's (`GET /users/me`), then bind the ledger to this target:
        only a target that answered with these credentials binds it."""
        self.index.check_access()
        if self.write and self.ledger is not None and self.opened is not None:
            self.ledger.bind_target(self.opened.identity, self.opened.settings.account_id)

    def close(self) -> None:
        for closing in (self.index, self.client, self.opened, self.ledger):
            if closing is not None:
                closing.close()
        self.index = self.client = self.opened = self.ledger = None
        if self.lock is not None:
            self.lock.__exit__(None, None, None)
            self.lock = None

    def plan(
        self,
        options: SourceOptions,
        *,
        create_users: bool = False,
        recreate_missing: bool = False,
        prune: str | None = None,
        progress: PhaseCallback | None = None,
    ) -> PlanReport:
        """Read, map and decide (list reads only): the plan, in its own plan store, and what the ledger
        holds that the source no longer has. `progress` hears each phase and how far it got."""
        from migrator.plan.orphans import find_orphans

        tell = progress or (lambda phase: None)
        overrides = options.overrides()
        ctx = MapContext(
            timestamp_timers=self.index.timestamp_timers,
            include_deleted=options.include_deleted,
            receipt_limit=self.spec.receipt_limit,
        )
        store = PlanStore()
        try:
            tell(Phase("reading and mapping the source"))
            exports, _sink = read_and_map(options, ctx, store=store, overrides=overrides)
            try:
                built = self.decide(
                    store,
                    create_users=create_users,
                    recreate_missing=recreate_missing,
                    overrides=overrides,
                    progress=tell,
                )
                return PlanReport(
                    source=_source_summary(exports),
                    plan=built,
                    export_errors=[error.as_dict() for export in exports for error in export.errors],
                    warnings=[w.as_dict() for export in exports for w in export.warnings],
                    offline=self.spec.mode == "offline",
                    paths=options.paths,
                    orphans=find_orphans(self.ledger, store, store.systems()) if self.ledger is not None else [],
                    prune=prune,
                    options={
                        "create_users": create_users,
                        "recreate_missing": recreate_missing,
                        "prune": prune,
                        "include_deleted": options.include_deleted,
                        "system": options.system,
                        "map": _digest(options.map_file),
                    },
                )
            finally:
                for export in exports:
                    export.close()
        except BaseException:
            store.close()
            raise

    def decide(
        self,
        planned: PlanStore | Iterable[Planned],
        *,
        create_users: bool = False,
        recreate_missing: bool = False,
        overrides: Overrides | None = None,
        progress: PhaseCallback | None = None,
    ) -> Any:
        """Decide an action for every planned object against this session's ledger and target (list reads
        only): a `migrator.plan.planner.Plan` carrying this session's id map to `load`."""
        from migrator.plan.planner import build_plan

        return build_plan(
            planned,
            ledger=self.ledger,
            target=self.index,
            create_users=create_users,
            recreate_missing=recreate_missing,
            overrides=overrides,
            progress=progress,
            ids=self.ids,
        )

    def load(
        self,
        plan: Any,
        *,
        batch: str,
        concurrency: int = 8,
        progress: Callable[[Any], None] | None = None,
        stop: threading.Event | None = None,
        prune: str | None = None,
        orphans: Iterable[Any] = (),
        unread: int = 0,
    ) -> Loaded:
        """Apply `plan` as batch `batch` (resuming it if it exists), then with `prune` act on `orphans`;
        the batch ends with a status that says how (`unread`: files or records the source could not
        even give, which leave it incomplete). Needs a session that writes."""
        from migrator.load.loader import load
        from migrator.load.prune import prune as prune_orphans

        if self.ledger is None or not self.write:
            raise ConfigError("internal: loading needs a session that writes (Session(..., write=True))")
        resumed = self.ledger.start_batch(batch)
        try:
            result = load(
                plan,
                client=self.client,
                ledger=self.ledger,
                batch=batch,
                concurrency=concurrency,
                progress=progress,
                stop=stop,
                target=self.index,
            )
            pruned = None
            if prune is not None and not result.stopped:
                pruned = prune_orphans(list(orphans), client=self.client, ledger=self.ledger, batch=batch, mode=prune)
        except BaseException as exc:
            # Never left `running`: status says the batch stopped, and the same command resumes it.
            self.ledger.finish_batch(batch, "interrupted" if isinstance(exc, KeyboardInterrupt) else "stopped")
            raise
        self.ledger.finish_batch(batch, _batch_status(result) if not unread else "finished-with-records-not-loaded")
        return Loaded(result, resumed, pruned)


def plan(
    options: SourceOptions,
    *,
    target: TargetSpec,
    ledger_path: Path = DEFAULT_LEDGER,
    create_users: bool = False,
    recreate_missing: bool = False,
    prune: str | None = None,
    progress: PhaseCallback | None = None,
) -> PlanReport:
    """Read, map and compare with the ledger and (unless offline) the live target. Sends no writes.

    `prune`: show what `run --prune` would do with records the source no longer has; `progress`
    hears each phase of the work (a plan of a large account takes minutes)."""
    options.overrides()  # a bad map file is refused before anything is opened
    with Session(target, ledger_path) as session:
        return session.plan(
            options, create_users=create_users, recreate_missing=recreate_missing, prune=prune, progress=progress
        )


@dataclass
class RunReport:
    """The outcome of `run`: the plan it applied and what the loader did."""

    plan: PlanReport
    result: Any  # migrator.load.outcomes.LoadResult
    batch: str
    resumed: bool
    pruned: Any = None  # migrator.load.prune.PruneResult, with --prune
    unread: int = 0  # files or records that could not be read (--keep-going loads the rest)

    @property
    def exit_code(self) -> int:
        """CONTRACT: 0 done; 3 when anything of the source is not in the target — a record not loaded,
        or (with --keep-going) a file or record that could not even be read; 1 stopped early."""
        code = int(self.result.exit_code)
        return 3 if code == 0 and self.unread else code


def run(
    options: SourceOptions,
    *,
    batch: str,
    target: TargetSpec,
    ledger_path: Path = DEFAULT_LEDGER,
    create_users: bool = False,
    recreate_missing: bool = False,
    concurrency: int = 8,
    progress: Callable[[Any], None] | None = None,
    on_plan: Callable[[PlanReport], None] | None = None,
    saved_plan: Path | None = None,
    prune: str | None = None,
    plan_progress: PhaseCallback | None = None,
) -> RunReport:
    """Load the source into the target as batch `batch`, resuming it if it exists.

    `prune` ("archive" / "delete"): then act on what the ledger holds and the source no longer has."""
    if target.mode == "offline":
        raise ConfigError("run needs a target: --target URL, HARVEST_* variables, or --sandbox")
    options.overrides()  # a bad map file is refused before anything is opened or sent
    with Session(target, ledger_path, write=True) as session:
        assert session.ledger is not None
        session.confirm_target()
        report = session.plan(
            options, create_users=create_users, recreate_missing=recreate_missing, prune=prune, progress=plan_progress
        )
        errors = report.errors
        if errors and not options.keep_going:
            report.close()
            raise ConfigError(f"{errors[0]['message']} (fix the source, or pass --keep-going to load the rest)")
        if saved_plan is not None:
            from migrator.plan.saved_plan import check

            check(saved_plan, report, options.paths)
        if on_plan is not None:
            on_plan(report)
        try:
            loaded = session.load(
                report.plan,
                batch=batch,
                concurrency=concurrency,
                progress=progress,
                prune=prune,
                orphans=report.orphans,
                unread=len(errors),
            )
        except BaseException:
            report.close()
            raise
        return RunReport(report, loaded.result, batch, loaded.resumed, loaded.pruned, len(errors))


def _batch_status(result: Any) -> str:
    """How a batch ended, as `status` shows it."""
    if result.stopped:
        return "stopped"
    return "done" if result.exit_code == 0 else "finished-with-records-not-loaded"


def status(ledger_path: Path = DEFAULT_LEDGER, *, rejected: bool = False) -> dict[str, Any]:
    """Batches, per-kind counts per state, and pending intents; with `rejected`, every record the
    target does not hold (rejected, blocked, outcome unknown) and why."""
    if not ledger_path.exists():
        raise ConfigError(f"no ledger at {ledger_path}: nothing has been run yet (or pass --ledger)")
    with Ledger(ledger_path) as ledger:
        counts = ledger.counts()
        pending = [
            {"batch": row.batch, "kind": row.kind, "source_id": row.source_id, "system": row.system}
            for row in ledger.rows(state="pending")
        ]
        bound = ledger.target()
        document: dict[str, Any] = {
            "ledger": str(ledger_path),
            "target": {"url": bound[0], "account_id": bound[1]} if bound else None,
            "batches": [batch | {"kinds": counts.get(batch["name"], {})} for batch in ledger.batches()],
            "pending": pending,
        }
        if rejected:
            document["not_loaded"] = [
                {
                    "record": f"{row.system}:{row.kind}:{row.source_id}",
                    "state": row.state,
                    "batch": row.batch,
                    "why": row.last_error or "",
                }
                for state in ("invalid", "rejected", "blocked", "pending")
                for row in ledger.rows(state=state)
            ]
            document["not_loaded"] += [
                {
                    "record": f"{row.system}:{row.kind}:{row.source_id}",
                    "state": f"receipt {row.receipt['state']}",
                    "batch": row.batch,
                    "why": row.receipt.get("error") or "its upload's outcome is unknown: the next run checks it",
                }
                for row in ledger.receipt_rows()
                if row.receipt is not None
            ]
        return document


def verify(options: SourceOptions, *, target: TargetSpec, ledger_path: Path = DEFAULT_LEDGER) -> Any:
    """Re-read the target and compare it with the source through the ledger (a `VerifyReport`)."""
    from migrator.verify.verifier import verify as compare

    if target.mode == "offline":
        raise ConfigError("verify needs a target: --target URL, HARVEST_* variables, or --sandbox")
    if not ledger_path.exists():
        raise ConfigError(f"no ledger at {ledger_path}: run `migrator run` first (or pass --ledger)")
    options.overrides()
    with Session(target, ledger_path) as session:
        ctx = MapContext(
            timestamp_timers=session.index.timestamp_timers,
            include_deleted=options.include_deleted,
            receipt_limit=target.receipt_limit,
        )
        with PlanStore() as store:
            exports, _sink = read_and_map(options, ctx, store=store)
            for export in exports:
                export.close()
            assert session.ledger is not None  # the file exists (checked above)
            return compare(store, ledger=session.ledger, target=session.index, ids=session.ids)


def rollback(*, batch: str, target: TargetSpec, ledger_path: Path = DEFAULT_LEDGER) -> Any:
    """Remove what batch `batch` created (a `RollbackResult`); adopted objects are never touched."""
    from migrator.load.rollback import rollback as undo

    if not ledger_path.exists():
        raise ConfigError(f"no ledger at {ledger_path}: nothing to roll back (or pass --ledger)")
    with Session(target, ledger_path, write=True) as session:
        assert session.ledger is not None
        if not session.ledger.has_batch(batch):
            known = ", ".join(b["name"] for b in session.ledger.batches()) or "none"
            raise ConfigError(f"unknown batch {batch!r} in {ledger_path} (batches: {known})")
        session.confirm_target()
        result = undo(client=session.client, ledger=session.ledger, batch=batch)
        session.ledger.finish_batch(batch, "rolled-back")
        return result


def export(settings: Any, *, progress: Callable[[Any], None] | None = None) -> Any:
    """Export a live legacy account (or its system's built-in sandbox) into a folder of its API
    responses, resumably (`migrator.export`): an `ExportReport`; `MigratorError` when it cannot
    finish (what was fetched stays, and the same call resumes).

        from migrator.export import ExportSettings
        report = api.export(ExportSettings.for_sandbox("harvest-v1", Path("out")))
    """
    from migrator.export import run as run_export

    return run_export(settings, progress=progress)
