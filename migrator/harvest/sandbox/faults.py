"""Seeded fault injection: the failures a loader must survive without duplicating anything."""

from __future__ import annotations

import random
import threading

# error_500: answer 500 WITHOUT applying the request.
# commit_502: apply it, then answer 502 (the client cannot know it was applied).
# commit_drop: apply it, then close the connection without any answer.
# stall: apply it, then wait `stall_seconds` before answering (past a client's timeout).
FAULT_KINDS = ("error_500", "commit_502", "commit_drop", "stall")


class FaultInjector:
    """Decides, per request, whether and how it fails. Deterministic for a given seed."""

    def __init__(self, rate: float = 0.0, kinds: tuple[str, ...] = FAULT_KINDS, seed: int = 0) -> None:
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self.rate = rate
        self.kinds = tuple(kinds)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.injected = 0

    def choose(self) -> str | None:
        with self._lock:
            if self.rate <= 0 or self._random.random() >= self.rate:
                return None
            self.injected += 1
            return self._random.choice(self.kinds)
