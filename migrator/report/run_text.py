"""Progress and the end-of-run summary for `migrator run`."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from migrator.kinds import kind_index
from migrator.report.plan_text import render_plan_text


class ProgressPrinter:
    """A progress bar on stderr (counts and ETA); plain periodic lines when stderr is not a terminal."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
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
    for problem in list(getattr(result, "rejected", []))[:50]:
        lines.append(f"  rejected: {problem}")
    for problem in list(getattr(result, "blocked", []))[:50]:
        lines.append(f"  blocked: {problem}")
    for problem in list(getattr(result, "unknown", []))[:50]:
        lines.append(f"  outcome unknown (checked against the target on the next run): {problem}")
    totals: dict[str, int] = {}
    for states in counts.values():
        for state, n in states.items():
            totals[state] = totals.get(state, 0) + n
    verb = "resumed and finished" if report.resumed else "finished"
    summary = ", ".join(f"{n} {state}" for state, n in sorted(totals.items()) if n) or "nothing to do"
    lines.append("")
    lines.append(
        f"Batch {report.batch} {verb}: {summary}; {getattr(result, 'requests', '?')} requests "
        f"in {getattr(result, 'elapsed', 0):.1f} s."
    )
    return "\n".join(lines) + "\n"
