"""Saved plans: `plan --save-plan F` writes what was planned and fingerprints of everything it read;
`run --plan F` applies exactly that plan and refuses when the source, the ledger or the target
changed since (what the bookkeeper signed off is what runs)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from migrator import jsonio
from migrator.errors import PlanError
from migrator.sources.export import iter_files

FORMAT = 3  # 3: the options the plan was made with
# How each option reads on the command line, for "made with --create-users; this run has none".
_FLAGS = {
    "create_users": "--create-users",
    "recreate_missing": "--recreate-missing",
    "prune": "--prune",
    "include_deleted": "--include-deleted",
    "system": "--from",
    "map": "--map",
}


def source_fingerprint(paths: Iterable[Path]) -> str:
    """A hash of every input file's name and bytes (receipt files included)."""
    digest = hashlib.sha256()
    for path in iter_files(paths, receipts=True):
        digest.update(str(path).encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def actions_fingerprint(plan: Any) -> str:
    """A hash of every entry's record and action, in load order (streamed)."""
    digest = hashlib.sha256()
    for entry in plan.entries:
        planned = entry.planned
        digest.update(f"{planned.origin.system}|{planned.kind}|{planned.source_id}|{entry.action}\n".encode())
    return digest.hexdigest()


def save(path: Path, report: Any, sources: Iterable[Path]) -> None:
    """Write the plan's fingerprints and summary (the full plan is `plan --format json`'s report)."""
    document = {
        "format_version": FORMAT,
        "fingerprints": {
            "source": source_fingerprint(sources),
            "ledger": report.plan.ledger_fingerprint,
            "target": report.plan.target_fingerprint,
            "actions": actions_fingerprint(report.plan),
        },
        "options": report.options,
        "summary": report.summary(),
    }
    path.write_text(jsonio.dumps(document, indent=1) + "\n", encoding="utf-8")


def check(path: Path, report: Any, sources: Iterable[Path]) -> None:
    """Refuse (PlanError) unless the plan just built is the one saved in `path`."""
    try:
        saved = jsonio.loads(path.read_text(encoding="utf-8"))
        fingerprints = saved["fingerprints"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlanError(f"cannot read saved plan {path}: {exc}") from exc
    if saved.get("format_version") != FORMAT:
        raise PlanError(f"saved plan {path} has format {saved.get('format_version')!r}; make a new one")
    _check_options(path, saved.get("options") or {}, report.options)
    stale = []
    if fingerprints["source"] != source_fingerprint(sources):
        stale.append("the source files")
    if fingerprints["ledger"] != report.plan.ledger_fingerprint:
        stale.append("the ledger")
    if fingerprints["target"] != report.plan.target_fingerprint or fingerprints["actions"] != actions_fingerprint(
        report.plan
    ):
        stale.append("the target")
    if stale:
        raise PlanError(
            f"saved plan {path} is stale: {' and '.join(stale)} changed since it was made; "
            "run `migrator plan --save-plan` again and review it"
        )


def _shown(name: str, value: Any) -> str:
    flag = _FLAGS.get(name, name)
    if value in (None, False):
        return f"no {flag}"
    if value is True:
        return flag
    return f"{flag} {value}" if name != "map" else f"{flag} (a map file with other contents)"


def _check_options(path: Path, saved: dict[str, Any], now: dict[str, Any]) -> None:
    """Refuse a run whose options differ from the plan's, naming each option (nothing else changed)."""
    differ = [name for name in sorted(set(saved) | set(now)) if saved.get(name) != now.get(name)]
    if not differ:
        return
    said = "; ".join(f"the plan has {_shown(n, saved.get(n))}, this run {_shown(n, now.get(n))}" for n in differ)
    raise PlanError(
        f"saved plan {path} was made with other options ({said}): run with the plan's options, "
        "or make a new plan with `migrator plan --save-plan`"
    )
