"""The shared sliding-window limiter: never more than N requests in any S-second window at the server."""

from __future__ import annotations

import random
import threading
import time

import pytest

from migrator.harvest.ratelimit import SlidingWindowLimiter


class FakeClock:
    """A clock that moves only when someone sleeps; thread-safe, so many threads can share it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def limiter_with(clock: FakeClock, requests: int, seconds: float) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(requests, seconds, clock=clock, sleep=clock.sleep)


def max_overlap(spans: list[tuple[float, float]], seconds: float) -> int:
    """The most slots held at once, a slot being [send, response + seconds)."""
    return max(sum(1 for send, resp in spans if send <= at < resp + seconds) for at, _ in spans)


def max_in_window(arrivals: list[float], seconds: float) -> int:
    """The most arrivals in any window (t - seconds, t], the way the server counts."""
    ordered = sorted(arrivals)
    return max(sum(1 for other in ordered if at - seconds < other <= at) for at in ordered)


def test_grants_the_first_n_at_once() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock, 3, 10.0)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert clock.sleeps == []
    assert limiter.stats.granted == 3


def test_a_slot_frees_one_window_after_its_response_not_its_send() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock, 3, 10.0)
    for _ in range(3):
        limiter.acquire()
    for response_at in (1.0, 2.0, 3.0):  # latencies of 1, 2 and 3 seconds
        clock.now = response_at
        limiter.release()
    assert limiter.acquire() == 8.0  # asked at 3, granted at 1 + 10
    assert clock.now == 11.0
    limiter.release()
    limiter.acquire()
    assert clock.now == 12.0
    assert limiter.stats.granted == 5
    assert limiter.stats.waited_seconds == 9.0


def test_explicit_end_time_is_honoured() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock, 1, 5.0)
    limiter.acquire()
    limiter.release(end_time=2.5)
    limiter.acquire()
    assert clock.now == 7.5


def test_requests_in_flight_block_until_released() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock, 1, 4.0)
    limiter.acquire()
    granted = threading.Event()

    def wait_for_a_slot() -> None:
        limiter.acquire()
        granted.set()

    waiter = threading.Thread(target=wait_for_a_slot)
    waiter.start()
    assert not granted.wait(0.1)  # the only slot is in flight: no release time known yet
    clock.now = 1.0
    limiter.release()
    waiter.join(timeout=2)
    assert granted.is_set()
    assert clock.now == 5.0


def test_slot_is_released_even_when_the_request_raises() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock, 1, 2.0)
    with pytest.raises(ConnectionError), limiter.slot():
        raise ConnectionError("dropped")
    with limiter.slot():
        assert clock.now == 2.0  # held for a window after the failure: it may have reached the server


def test_pause_holds_every_grant() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock, 100, 15.0)
    limiter.pause(7.0)
    limiter.pause(3.0)  # a shorter pause never shortens a longer one
    limiter.acquire()
    assert clock.now == 7.0
    assert limiter.stats.pauses == 2


@pytest.mark.parametrize(
    ("requests", "seconds"),
    [pytest.param(0, 1.0, id="no-requests"), pytest.param(1, 0.0, id="empty-window")],
)
def test_rejects_an_impossible_limit(requests: int, seconds: float) -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(requests, seconds)


def test_release_without_acquire_is_a_bug() -> None:
    with pytest.raises(RuntimeError):
        SlidingWindowLimiter(1, 1.0).release()


@pytest.mark.parametrize(
    ("requests", "seconds", "seed"),
    [
        pytest.param(5, 2.0, 1, id="5-per-2s"),
        pytest.param(100, 15.0, 2, id="harvest-100-per-15s"),
        pytest.param(1, 1.0, 3, id="one-at-a-time"),
    ],
)
def test_simulated_run_with_variable_latency_never_exceeds_the_window(requests: int, seconds: float, seed: int) -> None:
    clock = FakeClock()
    limiter = limiter_with(clock, requests, seconds)
    rng = random.Random(seed)
    spans: list[tuple[float, float]] = []
    for _ in range(requests * 6):
        limiter.acquire()
        send = clock()
        clock.sleep(rng.randrange(0, 256) / 64)  # latency 0 to 4 s, in exact binary fractions
        response = clock()
        limiter.release(response)
        spans.append((send, response))
    assert max_overlap(spans, seconds) <= requests
    # The server counts a request at some moment between send and response: try both extremes.
    assert max_in_window([rng.choice(span) for span in spans], seconds) <= requests
    assert max_in_window([resp for _, resp in spans], seconds) <= requests


def test_simulated_clock_with_concurrent_threads() -> None:
    clock = FakeClock()
    limiter = limiter_with(clock, 10, 3.0)
    spans: list[tuple[float, float]] = []
    spans_lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(15):
            limiter.acquire()
            send = clock()
            clock.sleep(rng.randrange(0, 64) / 64)
            response = clock()
            limiter.release(response)
            with spans_lock:
                spans.append((send, response))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(spans) == 120
    assert max_overlap(spans, 3.0) <= 10
    assert limiter.stats.granted == 120


def test_real_threads_small_window() -> None:
    """20 requests per 0.5 s, 8 threads, 60 requests: three windows of real time, bounded well under 3 s."""
    limiter = SlidingWindowLimiter(20, 0.5)
    spans: list[tuple[float, float]] = []
    spans_lock = threading.Lock()
    count = iter(range(60))
    count_lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with count_lock:
                if next(count, None) is None:
                    return
            limiter.acquire()
            send = time.monotonic()
            time.sleep(rng.uniform(0, 0.01))
            response = time.monotonic()
            limiter.release(response)
            with spans_lock:
                spans.append((send, response))

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3)
    elapsed = time.monotonic() - started
    assert len(spans) == 60
    assert max_overlap(spans, 0.5) <= 20
    assert max_in_window([send for send, _ in spans], 0.5) <= 20
    assert 1.0 <= elapsed < 3.0  # the third batch of 20 cannot start before two windows have passed
