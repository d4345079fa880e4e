"""Progress and the end-of-run summary for `migrator run`."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from migrator.kinds import kind_index
from migrator.report.plan_text import render_plan_text
from migrator.report.terminal import color_enabled

SHOWN = 50  # problems of each kind listed in the summary (status --rejected lists all)


class ProgressPrinter:
    """A progress bar on stderr (counts and ETA); plain periodic lines when stderr is not a terminal."""

    def __init__(self) -> None:
        self.console = Console(stderr=True, no_color=not color_enabled(sys.stderr))
        self._progress: Progress | None = None
        self._task: Any = None
        self._last_line = -1

    def __enter__(self) -> ProgressPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def show_plan(self, report: Any) -> None:
        """Print the plan being applied (to stdout), before the first request."""
        click.echo(render_plan_text(report), nl=False)

    def update(self, event: Any) -> None:
        done, total = int(getattr(event, "done", 0)), int(getattr(event, "total", 0))
        if not self.console.is_terminal:
            # One line per 10 % keeps CI logs and pipes readable.
            step = max(total // 10, 1)
            if total and (done // step != self._last_line or done == total):
                self._last_line = done // step
                self.console.print(f"progress: {done}/{total} records")
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("loading"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[kind]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
            )
            self._progress.start()
            self._task = self._progress.add_task("load", total=total, kind="")
        self._progress.update(self._task, completed=done, total=total, kind=str(getattr(event, "kind", "") or ""))


def render_run_summary(report: Any) -> str:
    """Per-kind outcome table, records not loaded (rejected, blocked, outcome unknown), the one-line summary."""
    result = report.result
    lines = [""]
    counts: dict[str, dict[str, int]] = result.counts
    for kind in sorted(counts, key=kind_index):
        states = counts[kind]
        if any(states.values()):
            lines.append(f"  {kind:<26} " + ", ".join(f"{n} {state}" for state, n in states.items() if n))
    for label, problems in (
        ("rejected", list(getattr(result, "rejected", []))),
        ("blocked", list(getattr(result, "blocked", []))),
        ("outcome unknown (checked against the target on the next run)", list(getattr(result, "unknown", []))),
    ):
        lines.extend(f"  {label}: {problem}" for problem in problems[:SHOWN])
        if len(problems) > SHOWN:
            more = f"{len(problems) - SHOWN} more {label.split(' ')[0]}"
            lines.append(f"  … and {more}: `migrator status --rejected` lists every one")
    totals: dict[str, int] = {}
    for states in counts.values():
        for state, n in states.items():
            totals[state] = totals.get(state, 0) + n
    pruned = getattr(report, "pruned", None)
    if pruned is not None:
        deleted = ", ".join(f"{n} {kind}" for kind, n in pruned.deleted.items()) or "nothing"
        lines.append(f"  no longer in the source: deleted {deleted}; archived {len(pruned.archived)}; "
                     f"left {len(pruned.left)}")  # fmt: skip
        lines.extend(f"    left: {why}" for why in pruned.left[:SHOWN])
    verb = "resumed and finished" if report.resumed else "finished"
    summary = ", ".join(f"{n} {state}" for state, n in sorted(totals.items()) if n) or "nothing to do"
    lines.append("")
    lines.append(
        f"Batch {report.batch} {verb}: {summary}; {getattr(result, 'requests', '?')} requests "
        f"in {getattr(result, 'elapsed', 0):.1f} s."
    )
    return "\n".join(lines) + "\n"


def run_document(report: Any) -> dict[str, Any]:
    """`run --format json`: the batch's outcome for scripts (every record not loaded, named)."""
    result = report.result
    return {
        "batch": report.batch,
        "resumed": report.resumed,
        "exit_code": report.exit_code,
        "requests": result.requests,
        "elapsed_seconds": Decimal(f"{result.elapsed:.3f}"),  # jsonio refuses floats: an exact number
        "stopped": result.stopped,
        "counts": result.counts,
        "plan": {
            kind: {a: n for a, n in actions.items() if n}
            for kind, actions in report.plan.summary().items()
            if any(actions.values())
        },  # fmt: skip
        "problems": [problem.as_dict() for problem in result.problems],
    }
