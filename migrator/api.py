"""The library API: everything the command line does, callable from Python.

    from migrator import api
    report = api.plan(api.SourceOptions(paths=(Path("fixtures/harvest-v1"),)), target=TargetSpec("offline"))
    print(report.summary())

Each function takes frozen option objects built by the caller (the CLI builds them from flags and
the environment) and returns a report object the renderers in `migrator.report` turn into text,
JSON or markdown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mappings import map_all
from migrator.errors import ConfigError
from migrator.kinds import ACTIONS, PLAN_KINDS
from migrator.load.ledger import Ledger, LedgerLock
from migrator.mapping import Lossy, MapContext, MapSink
from migrator.sources import SourceExport, read_exports
from migrator.target import OpenTarget, TargetSpec, open_target


@dataclass(frozen=True)
class SourceOptions:
    """Which export files to read and how."""

    paths: tuple[Path, ...]
    system: str | None = None
    keep_going: bool = False
    include_deleted: bool = False


@dataclass
class PlanReport:
    """A dry run: what would happen to every source record, and everything lost on the way."""

    source: dict[str, Any]
    plan: Any  # migrator.load.planner.Plan
    lossy: list[Lossy] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    offline: bool = False

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
        return any(totals[action] for action in ("create", "update", "adopt"))

    def exit_code(self, keep_going: bool) -> int:
        """CONTRACT: 0 nothing to do, 2 changes planned, 1 error (errors are reported, not fatal, with --keep-going)."""
        if self.errors and not keep_going:
            return 1
        return 2 if self.has_changes() else 0


def read_and_map(options: SourceOptions, ctx: MapContext) -> tuple[list[SourceExport], MapSink]:
    """Read every export and map it to planned v2 objects (the caller closes the exports)."""
    exports = read_exports(list(options.paths), system=options.system, keep_going=options.keep_going)
    sink = MapSink()
    try:
        map_all(exports, sink, ctx)
    except BaseException:
        for export in exports:
            export.close()
        raise
    # Reports list lossy notes by kind in dependency order (the order mappings visit them may differ).
    rank = {kind: index for index, kind in enumerate(PLAN_KINDS)}
    sink.lossy_notes.sort(key=lambda note: rank.get(note.kind, len(rank)))
    return exports, sink


def _source_summary(exports: list[SourceExport]) -> dict[str, Any]:
    systems = sorted({export.system for export in exports})
    return {
        "system": "+".join(systems),
        "files": sum(len(export.files) for export in exports),
        "records": sum(export.record_count for export in exports),
    }


def _open_ledger_if_present(path: Path) -> Ledger | None:
    # Planning writes nothing: a ledger that does not exist yet is simply empty.
    return Ledger(path) if path.exists() else None


def plan(
    options: SourceOptions,
    *,
    target: TargetSpec,
    ledger_path: Path = Path("migrator-ledger.sqlite"),
    create_users: bool = False,
    recreate_missing: bool = False,
) -> PlanReport:
    """Read, map and compare with the ledger and (unless offline) the live target. Sends no writes."""
    from migrator.harvest.client import HarvestClient
    from migrator.load.planner import build_plan
    from migrator.load.target import TargetIndex

    ledger = _open_ledger_if_present(ledger_path)
    opened: OpenTarget | None = None
    client = None
    try:
        if target.mode == "offline":
            index = TargetIndex.offline()
        else:
            opened = open_target(target, ledger_path)
            if ledger is not None:
                _check_binding(ledger, opened)
            client = HarvestClient(opened.settings)
            index = TargetIndex(client)
        ctx = MapContext(timestamp_timers=index.timestamp_timers, include_deleted=options.include_deleted)
        exports, sink = read_and_map(options, ctx)
        try:
            built = build_plan(
                sink.planned, ledger=ledger, target=index, create_users=create_users, recreate_missing=recreate_missing
            )
            return PlanReport(
                source=_source_summary(exports),
                plan=built,
                lossy=sink.lossy_notes,
                errors=_errors(exports, sink),
                warnings=[w.as_dict() for export in exports for w in export.warnings],
                offline=target.mode == "offline",
            )
        finally:
            for export in exports:
                export.close()
    finally:
        if client is not None:
            client.close()
        if opened is not None:
            opened.close()
        if ledger is not None:
            ledger.close()


def _errors(exports: list[SourceExport], sink: MapSink) -> list[dict[str, Any]]:
    errors = [error.as_dict() for export in exports for error in export.errors]
    return errors + sink.errors


def _check_binding(ledger: Ledger, opened: OpenTarget) -> None:
    bound = ledger.target()
    if bound and bound != (opened.identity, opened.settings.account_id):
        raise ConfigError(
            f"ledger {ledger.path} belongs to account {bound[1]} at {bound[0]}, not to the chosen target; "
            "use another --ledger for another target"
        )


@dataclass
class RunReport:
    """The outcome of `run`: the plan it applied and what the loader did."""

    plan: PlanReport
    result: Any  # migrator.load.loader.LoadResult
    batch: str
    resumed: bool

    @property
    def exit_code(self) -> int:
        return int(self.result.exit_code)


def run(
    options: SourceOptions,
    *,
    batch: str,
    target: TargetSpec,
    ledger_path: Path = Path("migrator-ledger.sqlite"),
    create_users: bool = False,
    recreate_missing: bool = False,
    concurrency: int = 8,
    progress: Callable[[Any], None] | None = None,
    on_plan: Callable[[PlanReport], None] | None = None,
    saved_plan: Path | None = None,
) -> RunReport:
    """Load the source into the target as batch `batch`, resuming it if it exists."""
    from migrator.harvest.client import HarvestClient
    from migrator.load.loader import load
    from migrator.load.planner import build_plan
    from migrator.load.target import TargetIndex

    if target.mode == "offline":
        raise ConfigError("run needs a target: --target URL, HARVEST_* variables, or --sandbox")
    with LedgerLock(ledger_path), Ledger(ledger_path) as ledger, open_target(target, ledger_path) as opened:
        ledger.bind_target(opened.identity, opened.settings.account_id)
        with HarvestClient(opened.settings) as client:
            index = TargetIndex(client)
            index.check_access()
            ctx = MapContext(timestamp_timers=index.timestamp_timers, include_deleted=options.include_deleted)
            exports, sink = read_and_map(options, ctx)
            try:
                built = build_plan(
                    sink.planned,
                    ledger=ledger,
                    target=index,
                    create_users=create_users,
                    recreate_missing=recreate_missing,
                )
                report = PlanReport(
                    source=_source_summary(exports),
                    plan=built,
                    lossy=sink.lossy_notes,
                    errors=_errors(exports, sink),
                    warnings=[w.as_dict() for export in exports for w in export.warnings],
                )
            finally:
                for export in exports:
                    export.close()
            if report.errors and not options.keep_going:
                first = report.errors[0]
                raise ConfigError(f"{first['message']} (fix the source, or pass --keep-going to load the rest)")
            if saved_plan is not None:
                from migrator.load.saved_plan import check

                check(saved_plan, report, options.paths)
            if on_plan is not None:
                on_plan(report)
            resumed = ledger.start_batch(batch)
            result = load(
                built,
                client=client,
                ledger=ledger,
                batch=batch,
                concurrency=concurrency,
                progress=progress,
                target=index,
            )
            ledger.finish_batch(batch, "done" if result.exit_code == 0 else "finished-with-rejections")
            return RunReport(report, result, batch, resumed)


def status(ledger_path: Path = Path("migrator-ledger.sqlite")) -> dict[str, Any]:
    """Batches, per-kind counts per state, and pending intents."""
    if not ledger_path.exists():
        raise ConfigError(f"no ledger at {ledger_path}: nothing has been run yet (or pass --ledger)")
    with Ledger(ledger_path) as ledger:
        counts = ledger.counts()
        pending = [
            {"batch": row.batch, "kind": row.kind, "source_id": row.source_id, "system": row.system}
            for row in ledger.rows(state="pending")
        ]
        bound = ledger.target()
        return {
            "ledger": str(ledger_path),
            "target": {"url": bound[0], "account_id": bound[1]} if bound else None,
            "batches": [batch | {"kinds": counts.get(batch["name"], {})} for batch in ledger.batches()],
            "pending": pending,
        }


def verify(
    options: SourceOptions,
    *,
    target: TargetSpec,
    ledger_path: Path = Path("migrator-ledger.sqlite"),
) -> Any:
    """Re-read the target and compare it with the source through the ledger (a `VerifyReport`)."""
    from migrator.harvest.client import HarvestClient
    from migrator.load.target import TargetIndex
    from migrator.load.verify import verify as compare

    if target.mode == "offline":
        raise ConfigError("verify needs a target: --target URL, HARVEST_* variables, or --sandbox")
    if not ledger_path.exists():
        raise ConfigError(f"no ledger at {ledger_path}: run `migrator run` first (or pass --ledger)")
    with Ledger(ledger_path) as ledger, open_target(target, ledger_path) as opened:
        _check_binding(ledger, opened)
        with HarvestClient(opened.settings) as client:
            index = TargetIndex(client)
            ctx = MapContext(timestamp_timers=index.timestamp_timers, include_deleted=options.include_deleted)
            exports, sink = read_and_map(options, ctx)
            try:
                return compare(sink.planned, ledger=ledger, client=client, lossy=sink.lossy_notes)
            finally:
                for export in exports:
                    export.close()


def rollback(*, batch: str, target: TargetSpec, ledger_path: Path = Path("migrator-ledger.sqlite")) -> Any:
    """Remove what batch `batch` created (a `RollbackResult`); adopted objects are never touched."""
    from migrator.harvest.client import HarvestClient
    from migrator.load.rollback import rollback as undo

    if not ledger_path.exists():
        raise ConfigError(f"no ledger at {ledger_path}: nothing to roll back (or pass --ledger)")
    with LedgerLock(ledger_path), Ledger(ledger_path) as ledger:
        if not ledger.has_batch(batch):
            known = ", ".join(b["name"] for b in ledger.batches()) or "none"
            raise ConfigError(f"unknown batch {batch!r} in {ledger_path} (batches: {known})")
        with open_target(target, ledger_path) as opened:
            _check_binding(ledger, opened)
            with HarvestClient(opened.settings) as client:
                result = undo(client=client, ledger=ledger, batch=batch)
                ledger.finish_batch(batch, "rolled-back")
                return result
