"""Progress and the end-of-run summary for `migrator run`."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from migrator.kinds import kind_index
from migrator.report.naming import plural
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
    """Per-kind outcome table, records not loaded (invalid, rejected, blocked, outcome unknown), the
    one-line summary (how many were not loaded, and why), and what to do next."""
    result = report.result
    lines = [""]
    counts: dict[str, dict[str, int]] = result.counts
    for kind in sorted(counts, key=kind_index):
        states = counts[kind]
        if any(states.values()):
            lines.append(f"  {kind:<26} " + ", ".join(f"{n} {state}" for state, n in states.items() if n))
    for label, problems in (
        ("invalid", list(getattr(result, "invalid", []))),
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
    summary = ", ".join(f"{n} {state}" for state, n in sorted(totals.items()) if n) or "nothing to do"
    spent = f"{getattr(result, 'requests', '?')} requests in {getattr(result, 'elapsed', 0):.1f} s"
    lines.append("")
    problems = list(getattr(result, "problems", []))
    unread = list(getattr(getattr(report, "plan", None), "errors", None) or [])
    if unread:
        first = unread[0]
        more = f" (and {len(unread) - 1} more, listed above)" if len(unread) > 1 else ""
        lines.append(f"Not read, so not loaded (--keep-going): {first.get('message', first)}{more}")
    if problems or unread:
        what = _not_loaded(problems) if problems else f"{plural(len(unread), 'source error')}"
        lines.append(f"Batch {report.batch} finished with {what}; {summary}; {spent}.")
        fix = "what `migrator status --rejected` lists" if problems else "the files named above"
        lines.append(
            f"Next: fix {fix} (or leave it out with --map), then run the same command again: what is loaded is "
            "never sent twice."
        )
    elif getattr(result, "stopped", False):
        lines.append(f"Batch {report.batch} stopped before the end: {summary}; {spent}.")
        lines.append("Next: run the same command again to resume: what is loaded is never sent twice.")
    elif not any(n for state, n in totals.items() if state not in ("unchanged", "skipped")):
        lines.append(f"Batch {report.batch}: nothing to do, every record is already in the target ({summary}); "
                     f"{spent}.")  # fmt: skip
    else:
        verb = "resumed and finished" if report.resumed else "finished"
        lines.append(f"Batch {report.batch} {verb}: {summary}; {spent}.")
        lines.append("Next: `migrator verify` with the same sources and target compares the target with the source.")
    return "\n".join(lines) + "\n"


def _not_loaded(problems: list[Any]) -> str:
    """`33 records not loaded (33 invalid): users 701: no user with email … (and 30 that depend on it)`."""
    by_state: dict[str, int] = {}
    for problem in problems:
        by_state[problem.state] = by_state.get(problem.state, 0) + 1
    states = ", ".join(f"{n} {state}" for state, n in by_state.items())
    # The cause worth reading first: a record's own problem, not one inherited from what it depends on.
    derived = ("depends on", "blocked by", "archived in the source, but")
    roots = [problem for problem in problems if not problem.message.startswith(derived)] or problems
    first = roots[0]
    others = len(problems) - 1
    also = f" (and {others} more)" if others else ""
    count = len(problems)
    noun = "record" if count == 1 else "records"
    return f"{count} {noun} NOT loaded ({states}) — {first.record}: {_short(first.message)}{also}"


def _short(text: str, limit: int = 160) -> str:
    """At most `limit` characters, cut at a word."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


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
