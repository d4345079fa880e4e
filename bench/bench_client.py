"""Benchmark: how much of Harvest's rate budget the client uses, and how many 429s it earns.

    python bench/bench_client.py                      # 100 requests / 3 s, 100 ms latency, 8 threads
    python bench/bench_client.py --rate 100/15 --windows 2

Each contender gets its own sandbox (same rate limit, same latency) and issues `GET /users/me` for
`--windows` windows. The score is the share of the budget the *server* admitted inside those
windows: admitted requests sent before `start + windows x S`, divided by `windows x N` (a sliding
window can never admit more than N in each of those disjoint windows, so 1.00 is the ceiling).

- ours: one `HarvestClient` shared by `--threads` threads (shared sliding-window limiter);
- naive sequential: one plain httpx loop, one request at a time (the budget mostly sits idle);
- naive concurrent: the same threads with plain httpx and no limiter, sleeping `Retry-After` on
  each 429 (uses the budget, but by way of 429s).

Targets: ours uses at least 90 % of the budget with zero 429s. Exit code 0 when met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import report  # noqa: E402

from migrator import USER_AGENT  # noqa: E402
from migrator.config import RateLimit, TargetSettings  # noqa: E402
from migrator.harvest.client import HarvestClient  # noqa: E402
from migrator.sandbox import Sandbox  # noqa: E402

TARGET_SHARE = 0.90


class RecordingTransport(httpx.HTTPTransport):
    """Notes when each request was sent and what status came back (the sandbox counts totals only)."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[tuple[float, int]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent_at = time.monotonic()
        response = super().handle_request(request)
        with self._lock:
            self.sends.append((sent_at, response.status_code))
        return response


Worker = Callable[[float], None]  # sends requests until the deadline (a time.monotonic() value)
Session = Callable[[Sandbox, httpx.HTTPTransport], AbstractContextManager[Worker]]


@dataclass
class Result:
    name: str
    share: float  # admitted inside the windows / (windows x N)
    rate: float  # admitted requests per second over the whole run
    limit_rate: float
    throttled: int  # 429s the sandbox answered
    seconds: float


def measure(name: str, rate: RateLimit, latency_ms: int, windows: int, threads: int, session: Session) -> Result:
    """Run the session's worker on `threads` threads against a fresh sandbox, for `windows` windows."""
    with Sandbox(rate=(rate.requests, rate.seconds), latency_ms=latency_ms) as sandbox:
        transport = RecordingTransport()
        with session(sandbox, transport) as work:
            started = time.monotonic()
            deadline = started + windows * rate.seconds
            workers = [threading.Thread(target=work, args=(deadline,)) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            elapsed = time.monotonic() - started
        stats = sandbox.stats()
    admitted = sum(1 for sent_at, status in transport.sends if sent_at < deadline and status != 429)
    return Result(
        name=name,
        share=admitted / (windows * rate.requests),
        rate=(stats["requests"] - stats["rate_limited"]) / elapsed,
        limit_rate=rate.requests / rate.seconds,
        throttled=stats["rate_limited"],
        seconds=elapsed,
    )


def ours(rate: RateLimit) -> Session:
    """One HarvestClient (so one limiter) shared by every thread."""

    @contextmanager
    def session(sandbox: Sandbox, transport: httpx.HTTPTransport) -> Iterator[Worker]:
        settings = TargetSettings(sandbox.url, SecretStr(sandbox.token), sandbox.account_id, rate=rate)
        with HarvestClient(settings, transport=transport) as client:

            def work(deadline: float) -> None:
                while time.monotonic() < deadline:
                    client.me()

            yield work
            waited = client.limiter.stats.waited_seconds / max(client.limiter.stats.granted, 1)
            print(
                f"  ours: {client.stats.requests} requests, {client.stats.rate_limited} 429s, "
                f"limiter wait {waited * 1000:.0f} ms per request on average"
            )

    return session


@contextmanager
def naive(sandbox: Sandbox, transport: httpx.HTTPTransport) -> Iterator[Worker]:
    """Plain httpx, no limiter; a 429 makes that thread sleep Retry-After and go on."""
    headers = {
        "Authorization": f"Bearer {sandbox.token}",
        "Harvest-Account-Id": sandbox.account_id,
        "User-Agent": USER_AGENT,
    }
    with httpx.Client(transport=transport, headers=headers) as http:

        def work(deadline: float) -> None:
            while time.monotonic() < deadline:
                response = http.get(f"{sandbox.url}/users/me")
                if response.status_code == 429:
                    time.sleep(float(response.headers.get("Retry-After", "15")))

        yield work


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=RateLimit.parse, default=RateLimit(100, 3.0), help="N/S, default 100/3")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--skip-naive-concurrent", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"limit {args.rate} ({args.rate.requests / args.rate.seconds:.1f} req/s), latency {args.latency_ms} ms, "
        f"{args.threads} threads, {args.windows} windows"
    )
    shape = (args.rate, args.latency_ms, args.windows)
    results = [
        measure("ours (shared limiter)", *shape, args.threads, ours(args.rate)),
        measure("naive sequential", *shape, 1, naive),
    ]
    if not args.skip_naive_concurrent:
        results.append(measure("naive concurrent (no limiter)", *shape, args.threads, naive))
    print(f"{'contender':32} {'budget used':>11} {'rate/limit':>10} {'429s':>5} {'seconds':>8}")
    for result in results:
        print(
            f"{result.name:32} {result.share:>11.2f} {result.rate / result.limit_rate:>10.2f} "
            f"{result.throttled:>5} {result.seconds:>8.1f}"
        )
    best, sequential = results[0], results[1]
    met = best.share >= TARGET_SHARE and best.throttled == 0
    print(f"target: ours >= {TARGET_SHARE:.2f} of the budget with 0 429s: {'met' if met else 'NOT met'}")
    others = ", ".join(f"{result.name}: {result.share:.2f}, {result.throttled} x 429" for result in results[1:])
    report(
        f"client: {args.threads} threads sharing one limiter ({args.rate}, {args.latency_ms} ms latency)",
        ours=f"{best.share:.2f} of the limit, {best.throttled} x 429",
        baseline=others,
        ratio=f"{best.share / max(sequential.share, 1e-9):.1f}x the sequential rate",
        goal=f">= {TARGET_SHARE:.2f}, 0 x 429",
        met=met,
    )
    return 0  # the verdict is in the output; a non-zero exit means the benchmark could not run


if __name__ == "__main__":
    raise SystemExit(main())
