"""`migrator verify` as text: a per-kind table, the money and hours totals, every difference."""

from __future__ import annotations

from typing import Any

import click


def render_verify(report: Any) -> str:
    lines = [f"{'kind':<26} {'source':>8} {'target':>8}"]
    for kind, counts in report.kinds.items():
        if counts["source"] or counts["target"]:
            mark = "" if counts["source"] == counts["target"] else "  ≠"
            lines.append(f"{kind:<26} {counts['source']:>8} {counts['target']:>8}{mark}")
    lines.append("")
    for name, values in report.totals.items():
        mark = "" if values["source"] == values["target"] else "  ≠"
        lines.append(f"{name:<26} {values['source']:>14} {values['target']:>14}{mark}")
    if report.differences:
        lines.append("")
        lines.append(click.style(f"Differences ({len(report.differences)}):", fg="red", bold=True))
        for diff in report.differences[:200]:
            who = f"{diff.get('kind')} {diff.get('source_id', diff.get('group', ''))}"
            target_id = f" (v2 {diff['target_id']})" if diff.get("target_id") else ""
            lines.append(f"  {who}{target_id} {diff['field']}: source {diff['source']} / target {diff['target']}")
        lines.append("")
        lines.append(click.style("Verify: the target DIFFERS from the source.", fg="red", bold=True))
    else:
        lines.append("")
        lines.append(click.style("Verify: OK — the target matches the source, to the cent.", fg="green", bold=True))
    return "\n".join(lines) + "\n"
