"""`migrator verify` as text: a per-kind table, hours, money per currency, every difference."""

from __future__ import annotations

from typing import Any

import click

MAX_DIFFERENCES = 200
GROUP_FROM = 5  # as many differences alike (kind, field, target value, no note) read as one line


def _grouped(differences: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Differences in order, those alike (a rolled-back batch's 116 records) gathered in one group."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for diff in differences:
        alike = (diff["kind"], diff["field"], str(diff["target_value"])) if not diff.get("explained_by") else id(diff)
        groups.setdefault(alike if isinstance(alike, tuple) else (alike,), []).append(diff)
    return list(groups.values())


def _mark(values: dict[str, Any]) -> str:
    return "" if values["source"] == values["target"] else "  ≠"


def render_verify(report: Any) -> str:
    lines = [f"{'kind':<26} {'source':>8} {'target':>8}"]
    for kind, counts in report.kinds.items():
        if counts["source"] or counts["target"]:
            lines.append(f"{kind:<26} {counts['source']:>8} {counts['target']:>8}{_mark(counts)}")
    lines.append("")
    for name, values in report.totals.items():
        lines.append(f"{name:<26} {values['source']:>14} {values['target']:>14}{_mark(values)}")
    for currency, figures in report.money.items():
        for name, values in figures.items():
            label = f"{name} {currency}"
            lines.append(f"{label:<26} {values['source']:>14} {values['target']:>14}{_mark(values)}")
    if report.differences:
        explained = sum(1 for diff in report.differences if diff.get("explained_by"))
        lines.append("")
        for batch, count in getattr(report, "rolled_back", {}).items():
            lines.append(
                f"Batch {batch} was rolled back: the target no longer holds {count} of the source's records it had "
                f"loaded. Run `migrator run … --batch {batch}` again to load them."
            )
        header = f"Differences ({len(report.differences)}, {explained} explained by a lossy note):"
        lines.append(click.style(header, fg="red", bold=True))
        shown = 0
        for group in _grouped(report.differences):
            if shown >= MAX_DIFFERENCES:
                break
            shown += len(group)
            diff = group[0]
            if len(group) >= GROUP_FROM:
                lines.append(
                    f"  {len(group)} {diff['kind']} {diff['field']}: target {diff['target_value']} "
                    f"({', '.join(d['source'] for d in group[:3])}, …)"
                )
                continue
            for diff in group:
                target_id = f" (v2 {diff['target_id']})" if diff.get("target_id") else ""
                unit = f" {diff['currency']}" if diff.get("currency") else ""  # money never without its currency
                month = f" in {diff['month']}" if diff.get("month") else ""
                lines.append(
                    f"  {diff['source']}{month}{target_id} {diff['field']}: source {diff['source_value']}{unit} / "
                    f"target {diff['target_value']}{unit}"
                )
                if diff.get("explained_by"):
                    lines.append(f"      explained: {diff['explained_by']}")
        if len(report.differences) > shown:
            lines.append(f"  … and {len(report.differences) - shown} more (see --format json)")
        lines.append("")
        if report.explained:
            verdict = "Verify: the target differs only where a lossy note explains it (--accept-explained)."
            lines.append(click.style(verdict, fg="yellow", bold=True))
        else:
            lines.append(click.style("Verify: the target DIFFERS from the source.", fg="red", bold=True))
    else:
        lines.append("")
        lines.append(click.style("Verify: OK — the target matches the source, to the cent.", fg="green", bold=True))
    return "\n".join(lines) + "\n"
