"""`plan --format markdown`: the report a bookkeeper reads before signing off a migration.

Sections: a summary table per kind, money and hours per client, invalid records with reasons,
lossy mappings grouped by kind and field (count and examples), errors and warnings.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from migrator.harvest.receipts import size_text
from migrator.kinds import ACTIONS, KINDS, PLAN_KINDS, STEPS, describe
from migrator.load.orphans import planned_action
from migrator.planned import SEVERITIES
from migrator.report.naming import Namer, ShortPaths, plain, plural
from migrator.report.plan_signoff import LIMIT, Cut, SignOff, collect, invitation_line


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_plan_markdown(report: Any) -> str:
    """The whole report as GitHub-flavoured markdown."""
    source = report.source
    lines = [
        "# Migration plan",
        "",
        f"Source: **{source['system']}**, {plural(source['files'], 'file')}, {plural(source['records'], 'record')}. "
        + (
            "Compared with an empty target (offline)."
            if report.offline
            else "Compared with the ledger and the live target."
        ),
        "",
        "## Summary",
        "",
        "| kind | " + " | ".join(ACTIONS) + " |",
        "|---|" + "---:|" * len(ACTIONS),
    ]
    summary = report.summary()
    for kind in PLAN_KINDS:
        if any(summary[kind].values()):
            lines.append(f"| {kind} | " + " | ".join(str(summary[kind][action]) for action in ACTIONS) + " |")
    totals = report.totals()
    lines.append("| **total** | " + " | ".join(f"**{totals[action]}**" for action in ACTIONS) + " |")
    receipts = report.store.receipts()
    if receipts:
        lines += ["", "## Receipt files", "", "| kind | to upload | bytes | already in the target | refused |",
                  "|---|---:|---:|---:|---:|"]  # fmt: skip
        for kind, counts in receipts.items():
            lines.append(
                f"| {kind} | {counts['upload']} | {size_text(counts['bytes'])} | {counts['unchanged']} | "
                f"{counts['refused']} |"
            )
    signoff = collect(report, limit=LIMIT)
    lines += _sign_off(signoff)
    if signoff.clients:
        lines += [
            "",
            "## Hours and money per client",
            "",
            "Money in each client's currency; totals per currency (amounts in different currencies are never added).",
            "",
            "| client | currency | hours | invoiced | payments |",
            "|---|---|---:|---:|---:|",
        ]
        for row in signoff.clients:
            lines.append(f"| {_cell(row.client)} | {row.currency} | {row.hours} | {row.invoiced} | {row.paid} |")
        for total in signoff.currency_totals():
            lines.append(
                f"| **total {total.currency}** | **{total.currency}** | **{total.hours}** | "
                f"**{total.invoiced} {total.currency}** | **{total.paid} {total.currency}** |"
            )
        lines.append(f"| **hours, all clients** | | **{signoff.total_hours()}** | | |")
    namer, paths = Namer(report.store), ShortPaths(report.paths)
    updates = list(report.store.entries(actions=("update",)))
    if updates:
        lines += [
            "",
            "## Updates (changed in the source since they were loaded)",
            "",
            "| record | what | where | changes |",
            "|---|---|---|---|",
        ]
        for entry in updates:
            planned = entry.planned
            changes = "; ".join(
                f"{name}: {plain(old)} → {plain(new)}" for name, (old, new) in (entry.diff or {}).items()
            )
            if entry.reason:  # why the source says so, where the mapping or the map file says it
                changes += f" ({entry.reason})"
            label = describe(planned.kind, planned.payload, namer.for_system(planned.system))
            lines.append(
                f"| {_name(planned)} | {_cell(label)} | {_cell(paths.where(planned.origin))} | {_cell(changes)} |"
            )
    invalid = list(report.store.entries(actions=("invalid",)))
    if invalid:
        lines += [
            "",
            "## Invalid records (not loaded)",
            "",
            "| record | where | reason |",
            "|---|---|---|",
        ]
        for entry in invalid:
            planned = entry.planned
            lines.append(f"| {_name(planned)} | {_cell(paths.where(planned.origin))} | {_cell(entry.reason)} |")
    steps = [e for e in report.plan.entries if e.planned.kind in STEPS and e.action in ("create", "skipped")]
    if steps:
        lines += [
            "",
            "## Archived things: history first, archive last",
            "",
            "Harvest takes no time or expenses on archived things: they receive their history while active,",
            "then are archived at the end of the batch.",
            "",
            "| step | record | where | why |",
            "|---|---|---|---|",
        ]
        for entry in steps:
            planned = entry.planned
            label = describe(planned.kind, planned.payload, namer.for_system(planned.system))
            lines.append(
                f"| {_cell(label)} | {planned.system}:{planned.source_id} | "
                f"{_cell(paths.where(planned.origin))} | {_cell(entry.reason)} |"
            )
    if report.orphans:
        lines += [
            "",
            "## Orphaned: loaded before, no longer in the source",
            "",
            "| record | v2 id | batch | last seen | action |",
            "|---|---:|---|---|---|",
        ]
        for orphan in report.orphans:
            seen = paths.show(orphan.last_seen) if orphan.last_seen else ""
            action = planned_action(orphan, report.prune)
            lines.append(f"| {orphan.record} | {orphan.v2_id} | {orphan.batch} | {_cell(seen)} | {_cell(action)} |")
    groups: dict[tuple[str, str, str], tuple[int, list[Any]]] = {}
    for note in report.iter_lossy():  # a count and three examples per severity, kind and field, streamed
        key = (note.severity, note.kind, note.field)
        count, examples = groups.get(key, (0, []))
        if len(examples) < 3:
            examples.append(note)
        groups[key] = (count + 1, examples)
    if groups:
        lines += [
            "",
            "## Lossy mappings",
            "",
            "Values Harvest v2 has no place for, or that had to change: money first, then hours, data, cosmetic.",
            "",
        ]
        lines += ["| severity | kind | field | count | examples |", "|---|---|---|---:|---|"]
        for (severity, kind, field_name), (count, notes) in sorted(groups.items(), key=_lossy_order):
            examples_text = "; ".join(f"{n.source_id}: {n.note}" for n in notes)
            lines.append(f"| {severity} | {kind} | {_cell(field_name)} | {count} | {_cell(examples_text)} |")
    if report.errors:
        lines += ["", "## Errors", ""]
        lines += [f"- {_cell(error['message'])}" for error in report.errors]
    if report.warnings:
        counted = Counter(paths.text(w["message"]) for w in report.warnings)
        lines += ["", "## Warnings", ""]
        lines += [f"- {_cell(message)}" + (f" (×{n})" if n > 1 else "") for message, n in counted.items()]
    return "\n".join(lines) + "\n"


def _sign_off(signoff: SignOff) -> list[str]:
    """What needs the reader's agreement: invitations, the people the map file names, skipped records
    and what each map-file rule changed."""
    lines: list[str] = []
    if signoff.invitations:
        count = len(signoff.invitations)
        lines += [
            "",
            "## Invitations",
            "",
            f"Harvest will email {count} {'person' if count == 1 else 'people'} an invitation when `run` creates "
            "them (the API has no way around it; to avoid one, invite the person in Harvest first or map them "
            "with `[people]` in the map file):",
            "",
        ]
        lines += [f"- {_cell(invitation_line(invitation))}" for invitation in signoff.invitations]
    if signoff.people:
        lines += ["", "## People the map file names (`[people]`)", "", "| record | person | target email | action |",
                  "|---|---|---|---|"]  # fmt: skip
        lines += [f"| {p.record} | {_cell(p.name)} | {_cell(p.email)} | {p.action} |" for p in signoff.people]
    if signoff.skipped.total:
        lines += ["", "## Skipped records (not migrated)", "", "| record | what | where | why |", "|---|---|---|---|"]
        lines += [
            f"| {s.record} | {_cell(s.label)} | {_cell(s.where)} | {_cell(s.why)} |" for s in signoff.skipped.shown
        ]
        lines += _more(signoff.skipped, "skipped records")
    if signoff.map_rules:
        lines += ["", "## What the map file changed", "", "| rule | records | examples |", "|---|---:|---|"]
        for rule, changed in sorted(signoff.map_rules.items()):
            examples = "; ".join(f"{c.record} ({c.label})" if c.label else c.record for c in changed.shown)
            lines.append(f"| {_cell(rule)} | {changed.total} | {_cell(examples)} |")
    return lines


def _more(cut: Cut, what: str) -> list[str]:
    if not cut.more:
        return []
    return ["", f"… and {cut.more} more {what}: `plan --format json` lists every one."]


def _name(planned: Any) -> str:
    return f"{planned.system}:{planned.kind}:{planned.source_id}"


def _lossy_order(item: tuple[tuple[str, str, str], Any]) -> tuple[int, int, str]:
    severity, kind, field_name = item[0]
    return SEVERITIES.index(severity), KINDS.index(kind) if kind in KINDS else 99, field_name
