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

FORMAT = 2


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
