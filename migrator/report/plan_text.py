"""`plan --format text`: a terraform-style view, grouped by kind in dependency order."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import click

from migrator.harvest.receipts import size_text
from migrator.kinds import PLAN_KINDS, REGISTRY, STEPS, describe
from migrator.load.orphans import planned_action
from migrator.report.naming import Namer, ShortPaths, clip, plain, plural
from migrator.report.plan_signoff import invitation_line, invitations

SYMBOLS = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "adopt": ("=", "cyan"),
    "unchanged": (".", None),
    "invalid": ("x", "red"),
    "skipped": ("-", "magenta"),
}
MAX_LINES_PER_KIND = 25
# How an adoption reads, the same words as `run` and `status` (done / adopted) and `rollback`.
OURS = "ours (made by this migration): counted as done, and rollback removes it"
THEIRS = "it existed before the migration: counted as adopted, and rollback never touches it"
MAX_PROBLEMS = 50  # errors and warnings listed in full; the rest counted
MONEY_NOTES_SHOWN = 25
INVITATIONS_SHOWN = 100


def _line(entry: Any, namer: Namer, paths: ShortPaths) -> str:
    planned = entry.planned
    symbol, colour = SYMBOLS[entry.action]
    label = describe(planned.kind, planned.payload, namer.for_system(planned.system))
    where = paths.where(planned.origin)
    text = f"  {symbol} {entry.action:<9} {planned.source_id:<18} {clip(label, 48):<48} {where}"
    styled = click.style(text, fg=colour) if colour else text
    details = []
    if entry.diff:
        for name, (old, new) in entry.diff.items():
            details.append(f"        ~ {name}: {plain(old)} -> {plain(new)}")
    if entry.reason and (entry.action in ("adopt", "invalid", "skipped", "create", "update") or planned.kind in STEPS):
        details.append(f"        {entry.reason}")
    if entry.action == "adopt" and planned.kind not in STEPS and not REGISTRY[planned.kind].event:
        details.append(f"        {OURS if entry.ours else THEIRS}")
    return "\n".join([styled, *details])


def _where(item: dict[str, Any], paths: ShortPaths) -> str:
    if not item.get("file"):
        return ""
    file = paths.show(item["file"])
    return f"{file}:{item['line']}: " if item.get("line") is not None else f"{file}: "


def render_plan_text(report: Any) -> str:
    """The human plan: per-kind sections, a legend, lossy and error counts, and a one-line summary."""
    lines: list[str] = []
    source = report.source
    target = "offline (the target is assumed empty)" if report.offline else "live target and ledger"
    lines.append(
        f"Source: {source['system']} — {plural(source['files'], 'file')}, {plural(source['records'], 'record')}; "
        f"compared with {target}."
    )
    lines.append(
        "Legend: + create  ~ update  = adopt (take over an object instead of creating one)  . unchanged  "
        "x invalid  - skipped"
    )
    namer, paths = Namer(report.store), ShortPaths(report.paths)
    # Streamed: the first lines of each kind are kept, the rest only counted.
    shown: dict[str, list[str]] = defaultdict(list)
    for entry in report.store.entries(actions=("create", "update", "adopt", "invalid", "skipped")):
        kind = entry.planned.kind
        if len(shown[kind]) < MAX_LINES_PER_KIND:
            shown[kind].append(_line(entry, namer, paths))
    summary = report.summary()
    for kind in PLAN_KINDS:
        counts = summary[kind]
        if not any(counts.values()):
            continue
        header = ", ".join(f"{count} {action}" for action, count in counts.items() if count)
        lines.append("")
        lines.append(click.style(f"{kind} ({header})", bold=True))
        lines.extend(shown.get(kind, []))
        listed = sum(n for action, n in counts.items() if action != "unchanged")
        if listed > MAX_LINES_PER_KIND:
            lines.append(f"  … and {listed - MAX_LINES_PER_KIND} more (see --format json)")
        if counts["unchanged"]:
            lines.append(f"  . {counts['unchanged']} unchanged")
    if report.orphans:
        lines.append("")
        lines.append(
            click.style(f"orphaned ({len(report.orphans)}): in the ledger, no longer in the source", bold=True)
        )
        for orphan in report.orphans[:MAX_LINES_PER_KIND]:
            seen = f", last seen {paths.show(orphan.last_seen)}" if orphan.last_seen else ""
            action = planned_action(orphan, report.prune)
            lines.append(f"  ! {orphan.record} (v2 {orphan.v2_id}, batch {orphan.batch}{seen}): {action}")
        if len(report.orphans) > MAX_LINES_PER_KIND:
            lines.append(f"  … and {len(report.orphans) - MAX_LINES_PER_KIND} more (see --format json)")
    invited = invitations(report)
    if invited:
        count = len(invited)
        lines.append("")
        whom = "this person" if count == 1 else "each of these people"
        header = f"Invitations ({count}): Harvest will email {whom} an invitation when run creates them:"
        lines.append(click.style(header, fg="yellow", bold=True))
        lines.extend(f"  @ {invitation_line(invitation)}" for invitation in invited[:INVITATIONS_SHOWN])
        if count > INVITATIONS_SHOWN:
            lines.append(f"  … and {count - INVITATIONS_SHOWN} more (see --format json)")
    errors = report.errors
    if errors:
        lines.append("")
        lines.append(click.style(f"Errors ({len(errors)}):", fg="red", bold=True))
        # Errors name the file as given on the command line, as `Error: FILE:LINE: why` does and the JSON
        # report's `errors` do: the same line a script or a person greps for in both.
        lines.extend(f"  {error['message']}" for error in errors[:MAX_PROBLEMS])
        if len(errors) > MAX_PROBLEMS:
            lines.append(f"  … and {len(errors) - MAX_PROBLEMS} more (see --format json)")
    if report.warnings:
        lines.append("")
        lines.append(f"Warnings ({len(report.warnings)}):")
        warnings = report.warnings
        lines.extend(f"  {_where(w, paths)}{paths.text(w['message'])}" for w in warnings[:MAX_PROBLEMS])
        if len(warnings) > MAX_PROBLEMS:
            lines.append(f"  … and {len(warnings) - MAX_PROBLEMS} more (see --format json)")
    severities = report.store.lossy_severities()
    if any(severities.values()):
        counted = ", ".join(f"{n} {name}" for name, n in severities.items() if n)
        lines.append("")
        lines.append(
            f"Lossy: {sum(severities.values())} notes ({counted}) on {', '.join(report.store.lossy_kinds())} — values "
            "Harvest v2 has no place for or that had to change (all in --format json / markdown, --lossy-csv)."
        )
        money = [note for note in _first(report.store.lossy(by_severity=True), severities["money"])]
        for note in money[:MONEY_NOTES_SHOWN]:
            lines.append(click.style(f"  money: {note.system}:{note.kind}:{note.source_id} {note.field}: {note.note}",
                                     fg="yellow"))  # fmt: skip
        if severities["money"] > MONEY_NOTES_SHOWN:
            lines.append(f"  … and {severities['money'] - MONEY_NOTES_SHOWN} more about money")
    lines.extend(receipt_lines(report.store.receipts()))
    totals = report.totals()
    lines.append("")
    lines.append(
        click.style(
            f"Plan: {totals['create']} to create, {totals['update']} to update, {totals['adopt']} to adopt, "
            f"{totals['unchanged']} unchanged, {totals['invalid']} invalid, {totals['skipped']} skipped.",
            bold=True,
        )
    )
    return "\n".join(lines) + "\n"


def receipt_lines(receipts: dict[str, dict[str, int]]) -> list[str]:
    """`Receipts (expenses): 3 to upload (1.8 KB), 2 already in the target, 1 refused`, a line per kind."""
    lines = []
    for kind, counts in receipts.items():
        parts = [f"{counts['upload']} to upload ({size_text(counts['bytes'])})"]
        if counts["unchanged"]:
            parts.append(f"{counts['unchanged']} already in the target")
        if counts["refused"]:
            parts.append(f"{counts['refused']} refused (over the receipt limit: see lossy notes)")
        lines += ["", f"Receipts ({kind}): {', '.join(parts)}."]
    return lines


def _first(notes: Any, count: int) -> list[Any]:
    """The first `count` notes (money comes first when sorted by severity)."""
    found: list[Any] = []
    for note in notes:
        if len(found) >= min(count, MONEY_NOTES_SHOWN):
            break
        found.append(note)
    return found
