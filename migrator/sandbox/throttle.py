"""The server-side rate limit: at most N requests in any sliding window of S seconds (Harvest: 100/15)."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable


class RateWindow:
    """Admits a request if fewer than N were admitted in the last S seconds, else says how long to wait.

    Only *admitted* requests are remembered. A throttled request is not processed (as with Harvest,
    so retrying it cannot duplicate anything) and does not push the window further: `Retry-After`
    then really is the time until a slot frees, and a client that honours it is admitted.
    """

    def __init__(self, rate: tuple[int, float] | None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate is not None and (rate[0] < 1 or rate[1] <= 0):
            raise ValueError(f"rate must be (requests >= 1, seconds > 0), got {rate!r}")
        self.rate = rate
        self._clock = clock
        self._arrivals: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def admit(self) -> float | None:
        """None if the request may proceed, else the seconds until the oldest admitted one leaves the window."""
        if self.rate is None:
            return None
        limit, window = self.rate
        with self._lock:
            now = self._clock()
            while self._arrivals and self._arrivals[0] <= now - window:
                self._arrivals.popleft()
            if len(self._arrivals) >= limit:
                return self._arrivals[0] + window - now
            self._arrivals.append(now)
            return None
