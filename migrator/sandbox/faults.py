"""Seeded fault injection: the failures a loader must survive without duplicating anything.

Each admitted /v2 request fails with probability `rate`; the kind is drawn uniformly from `kinds`:

- `error_500`: answer 500 WITHOUT applying the request (a plain, safe-to-retry server error);
- `commit_502`: apply it, then answer 502 (the client cannot know it was applied);
- `commit_drop`: apply it, then close the connection without any answer;
- `stall`: apply it, then wait `stall_seconds` before answering (past a client's read timeout).

The three last ones are "outcome unknown" for a POST: only reconciliation can tell.
"""

from __future__ import annotations

import random
import threading

FAULT_KINDS: tuple[str, ...] = ("error_500", "commit_502", "commit_drop", "stall")


class FaultInjector:
    """Decides, per request, whether and how it fails. Deterministic for a given seed and request order."""

    def __init__(
        self,
        rate: float = 0.0,
        kinds: tuple[str, ...] = FAULT_KINDS,
        seed: int = 0,
        *,
        known: tuple[str, ...] = FAULT_KINDS,
    ) -> None:
        # `known`: the fault kinds the server using this injector implements (the legacy sandboxes have their own).
        unknown = sorted(set(kinds) - set(known))
        if unknown or not kinds:
            raise ValueError(f"fault kinds must be a non-empty subset of {known}, got {kinds!r}")
        self.kinds = tuple(kinds)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.injected = 0
        self.rate = 0.0
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        """Change the share of failing requests (0 turns faults off, 1 fails every request)."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {rate}")
        with self._lock:
            self.rate = rate

    def choose(self) -> str | None:
        """The fault for this request, or None. Counted in `injected` when one is chosen."""
        with self._lock:
            if self.rate <= 0 or self._random.random() >= self.rate:
                return None
            self.injected += 1
            return self._random.choice(self.kinds)
