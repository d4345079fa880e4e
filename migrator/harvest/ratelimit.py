"""One client-side rate limiter shared by every request of a client (Harvest: 100 per 15 s).

Why a slot is held until S seconds after the *response*: Harvest counts a request when it
arrives, which is somewhere between our send and its response. Releasing the slot only at
response + S guarantees that no S-second window at the server ever sees more than N of our
requests, whatever the latency, so the run never earns a 429 from its own pace. With 100 ms of
latency on a 15 s window that costs under 1 % of the budget.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class LimiterStats:
    granted: int = 0
    waited_seconds: float = 0.0


class SlidingWindowLimiter:
    """At most `requests` requests per sliding `seconds` window, counted from send to response + window."""

    def __init__(
        self,
        requests: int,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests < 1 or seconds <= 0:
            raise ValueError("a rate limit needs at least 1 request per positive window")
        self.requests = requests
        self.seconds = seconds
        self._clock = clock
        self._releases: list[float] = []  # min-heap: when each finished request frees its slot
        self._in_flight = 0
        self._cond = threading.Condition()
        self.stats = LimiterStats()

    def _expire(self, now: float) -> None:
        while self._releases and self._releases[0] <= now:
            heapq.heappop(self._releases)

    def acquire(self) -> None:
        """Block until a slot is free, then take it."""
        started = self._clock()
        with self._cond:
            while True:
                now = self._clock()
                self._expire(now)
                if self._in_flight + len(self._releases) < self.requests:
                    self._in_flight += 1
                    self.stats.granted += 1
                    self.stats.waited_seconds += now - started
                    return
                # Either a finished request frees its slot at a known time, or we wait for one to finish.
                timeout = self._releases[0] - now if self._releases else None
                self._cond.wait(timeout=timeout)

    def release(self) -> None:
        """Give the slot back: it becomes free again one window after now (the response time)."""
        with self._cond:
            self._in_flight -= 1
            heapq.heappush(self._releases, self._clock() + self.seconds)
            self._cond.notify_all()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """`with limiter.slot(): send()` — hold a slot for the duration of one request."""
        self.acquire()
        try:
            yield
        finally:
            self.release()
