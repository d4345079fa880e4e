"""`plan --format markdown`: the report a bookkeeper reads before signing off a migration.

Sections: a summary table per kind, money and hours per client, invalid records with reasons,
lossy mappings grouped by kind and field (count and examples), errors and warnings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from migrator.harvest.invoice_math import cents, invoice_totals
from migrator.kinds import ACTIONS, KINDS, PLAN_KINDS, STEPS, describe
from migrator.load.orphans import planned_action
from migrator.planned import SEVERITIES, parse_ref
from migrator.report.naming import Namer, ShortPaths, plain


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _per_client(report: Any) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(client name, hours, invoiced amount, payments) for every client in the plan."""
    names: dict[str, str] = {}
    project_client: dict[str, str] = {}
    invoice_client: dict[str, str] = {}
    hours: dict[str, Decimal] = defaultdict(Decimal)
    invoiced: dict[str, Decimal] = defaultdict(Decimal)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    entries = [entry for entry in report.plan.entries if entry.action not in ("invalid", "skipped")]
    for entry in entries:
        planned = entry.planned
        if planned.kind == "clients":
            names[planned.ref] = str(planned.payload.get("name", planned.source_id))
        elif planned.kind == "projects":
            project_client[planned.ref] = str(planned.payload.get("client_id"))
        elif planned.kind == "invoices":
            client = str(planned.payload.get("client_id"))
            invoice_client[planned.ref] = client
            payload = planned.payload
            invoiced[client] += invoice_totals(
                payload.get("line_items") or [],
                tax=payload.get("tax"),
                tax2=payload.get("tax2"),
                discount=payload.get("discount"),
            ).amount
    for entry in entries:
        planned = entry.planned
        if planned.kind == "time_entries" and planned.payload.get("hours") is not None:
            client = project_client.get(str(planned.payload.get("project_id")), "(unknown)")
            hours[client] += Decimal(str(planned.payload["hours"]))
        elif planned.kind == "invoice_payments":
            client = invoice_client.get(str(planned.payload.get("invoice_id")), "(unknown)")
            paid[client] += Decimal(str(planned.payload.get("amount", 0)))
    keys = sorted(set(hours) | set(invoiced) | set(paid), key=lambda key: names.get(key, key))
    out = []
    for key in keys:
        parsed = parse_ref(key)
        label = names.get(key) or (f"client {parsed[1]}" if parsed else key)
        out.append((label, hours[key], cents(invoiced[key]), cents(paid[key])))
    return out


def render_plan_markdown(report: Any) -> str:
    """The whole report as GitHub-flavoured markdown."""
    source = report.source
    lines = [
        "# Migration plan",
        "",
        f"Source: **{source['system']}**, {source['files']} files, {source['records']} records. "
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
    clients = _per_client(report)
    if clients:
        lines += [
            "",
            "## Hours and money per client",
            "",
            "| client | hours | invoiced | payments |",
            "|---|---:|---:|---:|",
        ]
        for name, hours, invoiced, paid in clients:
            lines.append(f"| {_cell(name)} | {hours} | {invoiced} | {paid} |")
        lines.append(
            f"| **total** | **{sum((c[1] for c in clients), Decimal(0))}** | "
            f"**{sum((c[2] for c in clients), Decimal(0))}** | **{sum((c[3] for c in clients), Decimal(0))}** |"
        )
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


def _name(planned: Any) -> str:
    return f"{planned.system}:{planned.kind}:{planned.source_id}"


def _lossy_order(item: tuple[tuple[str, str, str], Any]) -> tuple[int, int, str]:
    severity, kind, field_name = item[0]
    return SEVERITIES.index(severity), KINDS.index(kind) if kind in KINDS else 99, field_name
