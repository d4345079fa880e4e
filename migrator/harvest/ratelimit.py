"""One client-side rate limiter shared by every request of a client (Harvest: 100 per 15 s).

Why a slot is held from *send* until S seconds after the *response*: Harvest counts a request
when it arrives, and we cannot see that moment; we only know it lies somewhere between our send
and its response. If every slot stays taken until response + S, then for any S-second window at
the server, every request that arrived inside it still held its slot at the window's end, so at
most N of them can have arrived there, whatever the latency and however it varies. Counting from
the send instead (a plain token bucket) lets a slow request that arrives late overlap the next
window, and the run earns 429s from its own pace. The price is one latency per window: with
100 ms of latency on a 15 s window, under 1 % of the budget.

The clock and the sleep are injected, so unit tests simulate hours of waiting in microseconds.
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
    """What the limiter did: requests it let through, and the time callers spent waiting for it."""

    granted: int = 0
    waited_seconds: float = 0.0
    pauses: int = 0


class SlidingWindowLimiter:
    """At most `requests` requests in any sliding window of `seconds` seconds, as the server sees them.

    Thread-safe: one limiter is shared by all the threads of a client. Use it as
    `with limiter.slot(): send()`, or call `acquire()` before sending and `release(end_time)`
    when the response has arrived.
    """

    def __init__(
        self,
        requests: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests < 1 or seconds <= 0:
            raise ValueError(f"a rate limit needs at least 1 request per positive window, got {requests}/{seconds}")
        self.requests = requests
        self.seconds = seconds
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._in_flight = 0  # sent, response not yet arrived: their release time is unknown
        self._frees: list[float] = []  # min-heap: when each finished request gives its slot back
        self._paused_until = float("-inf")
        self.stats = LimiterStats()

    def acquire(self) -> float:
        """Block until a slot is free and take it; return the seconds spent waiting."""
        started = self._clock()
        while True:
            with self._cond:
                now = self._clock()
                while self._frees and self._frees[0] <= now:
                    heapq.heappop(self._frees)
                if now < self._paused_until:
                    delay = self._paused_until - now
                elif self._in_flight + len(self._frees) < self.requests:
                    self._in_flight += 1
                    waited = now - started
                    self.stats.granted += 1
                    self.stats.waited_seconds += waited
                    return waited
                elif self._frees:
                    delay = self._frees[0] - now
                else:
                    # Every slot is held by a request still in flight: only a release can free one,
                    # and release() notifies. No timeout, so a fake clock never needs real time.
                    self._cond.wait()
                    continue
            # Sleep outside the lock: other threads must still be able to release.
            self._sleep(delay)

    def release(self, end_time: float | None = None) -> None:
        """Give a slot back; it is free again `seconds` after `end_time` (default: now, the response time)."""
        with self._cond:
            if self._in_flight <= 0:
                raise RuntimeError("release() without a matching acquire()")
            end = self._clock() if end_time is None else end_time
            self._in_flight -= 1
            heapq.heappush(self._frees, end + self.seconds)
            self._cond.notify_all()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """`with limiter.slot(): send()`: hold one slot from the send until a window after the response.

        The slot is released even when the request raised: it may still have reached the server.
        """
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def pause(self, seconds: float) -> None:
        """Grant nothing for `seconds` from now (after a 429, so the other threads stop hammering too)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self.stats.pauses += 1
