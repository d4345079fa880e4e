"""Progress of the steps before a load: reading, mapping, comparing with the ledger and the target.

A plan of a large account takes minutes (reading and mapping a million entries, then deciding
each against the ledger and the target): a silent terminal for that long looks like a hang. The
library reports `Phase` events through a callback; `PhasePrinter` shows them on stderr — one
updating status line on a terminal, a plain line per tenth of the work otherwise, so CI logs and
pipes stay readable. stdout is left to the report itself. Off a terminal nothing is printed for a
plan of fewer than 10,000 records: a small plan's stderr stays as it was (one line, for an error),
however busy the machine.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.status import Status

from migrator.load.outcomes import Phase
from migrator.report.terminal import color_enabled

LOGGED_FROM = 10_000  # off a terminal, progress of work at least this large (records)
LIVE_AFTER_SECONDS = 1.0  # on a terminal, the status line appears after this long


class PhasePrinter:
    """Shows `Phase` events on stderr; use as a context manager around the work."""

    def __init__(self) -> None:
        self.console = Console(stderr=True, no_color=not color_enabled(sys.stderr))
        self._status: Status | None = None
        self._last: tuple[str, int] | None = None
        self._started = time.monotonic()
        # A live status line moves the cursor: only on a terminal that takes colour and control codes.
        self.live = self.console.is_terminal and color_enabled(sys.stderr)

    def __enter__(self) -> PhasePrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Clear the status line (before the report is printed); later phases start a new one."""
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __call__(self, phase: Phase) -> None:
        elapsed = time.monotonic() - self._started
        if self.live:
            if elapsed < LIVE_AFTER_SECONDS:
                return  # a quick plan shows nothing at all
            if self._status is None:
                self._status = Status(str(phase), console=self.console)
                self._status.start()
            else:
                self._status.update(str(phase))
            return
        # Off a terminal (a log, a pipe): only for large work, a line per tenth of it. Decided by size,
        # not by time, so what a small run writes to stderr never depends on how busy the machine is.
        if not phase.total or phase.total < LOGGED_FROM:
            return
        tenth = phase.done * 10 // phase.total if phase.total else 0
        if self._last is None or self._last[0] != phase.what or (phase.total and self._last[1] != tenth):
            self._last = (phase.what, tenth)
            self.console.print(str(phase), highlight=False)
