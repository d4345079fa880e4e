"""Progress and the closing summary of `migrator export`."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from migrator.kinds import kind_index
from migrator.report.terminal import color_enabled

SHOWN = 10  # missing receipts and notices listed before "… and N more"
PLAIN_EVERY = 5.0  # seconds between two plain progress lines (not a terminal)


def _kinds(records: dict[str, int], limit: int | None = None) -> str:
    ordered = sorted(((kind, n) for kind, n in records.items() if n), key=lambda item: kind_index(item[0]))
    shown = ordered if limit is None else ordered[:limit]
    text = ", ".join(f"{kind} {n:,}" for kind, n in shown)
    return text + (", …" if limit is not None and len(ordered) > limit else "")


class ExportProgressPrinter:
    """Requests and records per kind on stderr: a live line on a terminal, a plain line every few
    seconds otherwise (CI logs and pipes stay readable). Safe to call from the crawl's threads."""

    def __init__(self) -> None:
        self.console = Console(stderr=True, no_color=not color_enabled(sys.stderr))
        self._lock = threading.Lock()
        self._live: Progress | None = None
        self._task: Any = None
        self._last_plain = 0.0

    def __enter__(self) -> ExportProgressPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._live is not None:
                self._live.stop()
                self._live = None

    def update(self, progress: Any) -> None:
        records = dict(progress.records)
        line = f"{progress.requests:,} requests"
        if progress.replayed:
            line += f", {progress.replayed:,} answered by earlier runs"
        line += f" | {sum(records.values()):,} records"
        with self._lock:
            if not self.console.is_terminal:
                now = time.monotonic()
                if progress.done or now - self._last_plain >= PLAIN_EVERY:
                    self._last_plain = now
                    self.console.print(
                        f"progress: {line} ({_kinds(records) or 'none yet'})", highlight=False, soft_wrap=True
                    )
                return
            if self._live is None:
                self._live = Progress(
                    SpinnerColumn(),
                    TextColumn("exporting {task.fields[line]}"),
                    TimeElapsedColumn(),
                    console=self.console,
                )
                self._live.start()
                self._task = self._live.add_task("export", total=None, line="")
            self._live.update(self._task, line=f"{line}  {_kinds(records, 4)}")


def render_export_summary(report: Any) -> str:
    """What OUT holds and what this run did, in a few lines; the missing receipts and notices."""
    lines: list[str] = []
    for kind, count in sorted(report.records.items(), key=lambda item: kind_index(item[0])):
        lines.append(f"  {kind:<26} {count:>9,}")
    receipts = f"{report.receipts_saved:,} receipts ({report.receipts_bytes:,} bytes)"
    if report.receipts_missing:
        receipts += f", {len(report.receipts_missing):,} the API could not give"
    if getattr(report, "receipts_none", 0):
        receipts += f"; {report.receipts_none:,} expenses have none"
    lines.append(f"  {'receipts':<26} {receipts}")
    for missing in report.receipts_missing[:SHOWN]:
        lines.append(f"    receipt of expense {missing['expense']}: {missing['why']}")
    if len(report.receipts_missing) > SHOWN:
        lines.append(f"    … and {len(report.receipts_missing) - SHOWN} more (export.json lists every one)")
    for notice in report.notices[:SHOWN]:
        lines.append(f"  note: {notice}")
    if len(report.notices) > SHOWN:
        lines.append(f"  … and {len(report.notices) - SHOWN} more notes (export.json lists every one)")
    if report.removed:
        lines.append(f"  removed {len(report.removed):,} files of the earlier export the account no longer has")
    sent = f"{report.requests:,} requests"
    if report.retries:
        sent += f" ({report.retries:,} retries"
        sent += f", {report.waits:,} waits for Retry-After, {report.waited_seconds:.1f} s)" if report.waits else ")"
    if report.replayed:
        sent += f", {report.replayed:,} answered by earlier runs"
    verb = "Resumed and finished" if report.resumed and report.replayed else "Finished"
    lines.append("")
    lines.append(
        f"{verb} exporting {report.account or report.source} as {report.user} into {report.out}: "
        f"{report.record_total:,} records in {report.files:,} files ({report.bytes:,} bytes); "
        f"{sent} in {report.seconds:.1f} s."
    )
    lines.append(f"Next: migrator plan {report.out}")
    return "\n".join(lines) + "\n"
