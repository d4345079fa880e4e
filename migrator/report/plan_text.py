"""`plan --format text`: a terraform-style view, grouped by kind in dependency order."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import click

from migrator.kinds import PLAN_KINDS, STEPS, describe

SYMBOLS = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "adopt": ("=", "cyan"),
    "unchanged": (".", None),
    "invalid": ("x", "red"),
    "skipped": ("-", "magenta"),
}
MAX_LINES_PER_KIND = 25


def _line(entry: Any) -> str:
    planned = entry.planned
    symbol, colour = SYMBOLS[entry.action]
    label = describe(planned.kind, planned.payload)
    where = planned.origin.where()
    text = f"  {symbol} {entry.action:<9} {planned.source_id:<18} {label[:48]:<48} {where}"
    styled = click.style(text, fg=colour) if colour else text
    details = []
    if entry.diff:
        for name, (old, new) in entry.diff.items():
            details.append(f"        ~ {name}: {old!r} -> {new!r}")
    if entry.reason and (entry.action in ("adopt", "invalid", "skipped", "create") or planned.kind in STEPS):
        details.append(f"        {entry.reason}")
    return "\n".join([styled, *details])


def _where(item: dict[str, Any]) -> str:
    if not item.get("file"):
        return ""
    return f"{item['file']}:{item['line']}: " if item.get("line") is not None else f"{item['file']}: "


def render_plan_text(report: Any) -> str:
    """The human plan: per-kind sections, a legend, lossy and error counts, and a one-line summary."""
    lines: list[str] = []
    source = report.source
    target = "offline (the target is assumed empty)" if report.offline else "live target and ledger"
    lines.append(
        f"Source: {source['system']} — {source['files']} files, {source['records']} records; compared with {target}."
    )
    lines.append("Legend: + create  ~ update  = adopt (already in the target)  . unchanged  x invalid  - skipped")
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for entry in report.plan.entries:
        by_kind[entry.planned.kind].append(entry)
    for kind in PLAN_KINDS:
        entries = by_kind.get(kind, [])
        if not entries:
            continue
        counts = report.summary()[kind]
        shown = [entry for entry in entries if entry.action != "unchanged"]
        header = ", ".join(f"{count} {action}" for action, count in counts.items() if count)
        lines.append("")
        lines.append(click.style(f"{kind} ({header})", bold=True))
        for entry in shown[:MAX_LINES_PER_KIND]:
            lines.append(_line(entry))
        if len(shown) > MAX_LINES_PER_KIND:
            lines.append(f"  … and {len(shown) - MAX_LINES_PER_KIND} more (see --format json)")
        if counts["unchanged"]:
            lines.append(f"  . {counts['unchanged']} unchanged")
    if report.errors:
        lines.append("")
        lines.append(click.style(f"Errors ({len(report.errors)}):", fg="red", bold=True))
        lines.extend(f"  {error['message']}" for error in report.errors[:50])
    if report.warnings:
        lines.append("")
        lines.append(f"Warnings ({len(report.warnings)}):")
        lines.extend(f"  {_where(w)}{w['message']}" for w in report.warnings[:20])
    lossy = report.store.lossy_count()
    if lossy:
        lines.append("")
        lines.append(
            f"Lossy: {lossy} notes on {', '.join(report.store.lossy_kinds())} — values Harvest v2 has no place for "
            "or that had to change (listed in --format json / markdown)."
        )
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
