"""Benchmark: does the loader keep Harvest's rate limit busy, and what does it cost in requests?

    python bench/bench_loader.py [--objects 400] [--rate 100/3] [--latency-ms 100] [--concurrency 8]

Against the built-in sandbox (its server-side limit = the client's limit, plus latency), in one run:
(a) sustained write rate / the configured limit, for our loader and for a naive sequential loop
    through the same client. Measured as Harvest counts: the number of writes in the trailing
    S-second window, averaged over the run after its first window, divided by N;
(b) requests on a no-change re-run (goal 0 at load time; planning reads each kind once);
(c) requests per migrated object (goal <= 1.05), and for a run stopped halfway then resumed.
The limiter holds each slot until S seconds after the *response* (never more than N per window
at the server, whatever the latency), so the ceiling is S / (S + latency); it is printed too.
"""

from __future__ import annotations

import argparse
import bisect
import platform
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pydantic import SecretStr  # noqa: E402
from results import report  # noqa: E402

from migrator.config import RateLimit, TargetSettings  # noqa: E402
from migrator.harvest.client import HarvestClient  # noqa: E402
from migrator.load.ledger import Ledger  # noqa: E402
from migrator.load.loader import LoadEvent, LoadResult, load  # noqa: E402
from migrator.plan.planner import build_plan  # noqa: E402
from migrator.plan.target_index import TargetIndex  # noqa: E402
from migrator.planned import MapSink, Planned  # noqa: E402
from migrator.sandbox import Sandbox  # noqa: E402
from migrator.sources.record import Origin  # noqa: E402


class Stamps(httpx.HTTPTransport):
    """The real transport, noting when each request is sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent.append((time.monotonic(), request.method, request.url.path))
        return super().handle_request(request)

    def writes(self) -> list[float]:
        return sorted(at for at, method, _ in self.sent if method != "GET")

    def reads(self) -> Counter[str]:
        return Counter(path.removeprefix("/v2/") for _, method, path in self.sent if method == "GET")


def utilisation(stamps: list[float], rate: RateLimit, samples: int = 2000) -> float:
    """Mean number of writes in the trailing window (after the first window) / the limit."""
    first, last = stamps[0] + rate.seconds, stamps[-1]
    if last <= first:
        raise SystemExit("the run is shorter than one window: use more --objects")
    total = 0
    for step in range(samples):
        moment = first + (last - first) * step / (samples - 1)
        total += bisect.bisect_right(stamps, moment) - bisect.bisect_right(stamps, moment - rate.seconds)
    return total / samples / rate.requests


def planned(objects: int) -> list[Planned]:
    """Independent records (clients and tasks): nothing orders them, so only the limit does."""
    sink = MapSink()
    for number in range(objects):
        kind, name = ("clients", "Bench client") if number % 2 else ("tasks", "Bench task")
        sink.emit(kind, str(number), {"name": f"{name} {number}"}, Origin("bench", kind, str(number), "bench", None))
    return sink.planned


def client_for(sandbox: Sandbox, rate: RateLimit, transport: httpx.BaseTransport | None = None) -> HarvestClient:
    settings = TargetSettings(sandbox.url, SecretStr(sandbox.token), sandbox.account_id, rate=rate)
    return HarvestClient(settings, transport=transport)


def run(sandbox: Sandbox, ledger: Path, items: list[Planned], rate: RateLimit, concurrency: int,
        stop_after: int | None = None) -> tuple[LoadResult, Stamps]:  # fmt: skip
    """One `migrator run` as a new process would do it: fresh client and target index, same ledger."""
    stamps = Stamps()
    stop = threading.Event()

    def progress(event: LoadEvent) -> None:
        if stop_after is not None and event.done >= stop_after:
            stop.set()

    with client_for(sandbox, rate, stamps) as client, Ledger(ledger) as book:
        book.bind_target(sandbox.url, sandbox.account_id)
        book.start_batch("bench")
        target = TargetIndex(client)
        target.check_access()
        plan = build_plan(items, ledger=book, target=target)
        result = load(plan, client=client, ledger=book, batch="bench", concurrency=concurrency, target=target,
                      progress=progress, stop=stop)  # fmt: skip
    return result, stamps


def naive(sandbox: Sandbox, rate: RateLimit, count: int) -> list[float]:
    """One POST after another through the same kind of client and limiter."""
    stamps = Stamps()
    with client_for(sandbox, rate, stamps) as client:
        for number in range(count):
            client.post("/clients", {"name": f"Sequential {number}"})
    return stamps.writes()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--objects", type=int, default=400)
    parser.add_argument("--rate", default="100/3")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    rate = RateLimit.parse(args.rate)
    items = planned(args.objects)
    limit = (rate.requests, rate.seconds)
    ceiling = rate.seconds / (rate.seconds + args.latency_ms / 1000)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}; "
          f"limit {rate} ({rate.requests / rate.seconds:.1f}/s), latency {args.latency_ms} ms, "
          f"{args.objects} objects, concurrency {args.concurrency}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        with Sandbox(rate=limit, latency_ms=args.latency_ms) as sandbox:
            first, stamps = run(sandbox, Path(tmp, "a.sqlite"), items, rate, args.concurrency)
            ours = utilisation(stamps.writes(), rate)
            second, again = run(sandbox, Path(tmp, "a.sqlite"), items, rate, args.concurrency)
            throttled = sandbox.stats()["rate_limited"]
        with Sandbox(rate=limit, latency_ms=args.latency_ms) as sandbox:
            slow = utilisation(naive(sandbox, rate, min(90, args.objects)), rate)
        with Sandbox(rate=limit, latency_ms=args.latency_ms) as sandbox:
            half, _ = run(sandbox, Path(tmp, "c.sqlite"), items, rate, args.concurrency, stop_after=args.objects // 2)
            # A new process cannot know the server's window: resuming within S seconds of the stop would
            # spend its first requests on 429s (safe, but not what this figure measures).
            time.sleep(rate.seconds)
            throttled_before = sandbox.stats()["rate_limited"]
            resumed, rest = run(sandbox, Path(tmp, "c.sqlite"), items, rate, args.concurrency)
            resume_throttled = sandbox.stats()["rate_limited"] - throttled_before
    created = sum(first.counts.get(kind, {}).get("done", 0) for kind in first.counts)
    left = sum(resumed.counts.get(kind, {}).get("done", 0) for kind in resumed.counts)
    rows = [
        ("(a) sustained write rate / limit", f"{ours:.3f}", f"{slow:.3f}", f">= 0.95 (ceiling {ceiling:.3f})"),
        ("(b) requests on a no-change re-run", str(second.requests), "", "0"),
        ("(c) requests per migrated object", f"{first.requests / created:.3f}", "", "<= 1.05"),
        ("    after a stop, resume: per object", f"{resumed.requests / max(left, 1):.3f}", "", "<= 1.05"),
    ]
    print(f"\n{'figure':<40} {'ours':>8} {'naive':>8}   goal")
    for name, value, other, goal in rows:
        print(f"{name:<40} {value:>8} {other:>8}   {goal}")
    print(f"\nre-run planning reads: {sum(again.reads().values())} ({dict(again.reads())})")
    print(
        f"resume: {resumed.requests} writes for the {left} objects left after stopping at {half.counts}; "
        f"planning reads {sum(rest.reads().values())} ({dict(rest.reads())})"
    )
    print(f"429s from the sandbox: {throttled} in (a)-(b), {resume_throttled} in the resume; "
          f"speed-up over the naive loop: {ours / slow:.1f}x")  # fmt: skip
    ok = ours >= 0.95 and second.requests == 0 and first.requests / created <= 1.05 and throttled == 0
    ok = ok and resumed.requests / max(left, 1) <= 1.05
    print("verdict:", "all goals met" if ok else "GOAL MISSED")
    shape = f"{rate}, {args.latency_ms} ms latency, {args.objects} objects"
    report(f"loader: write rate / rate limit ({shape})", ours=f"{ours:.3f}, {throttled} x 429",
           baseline=f"sequential loop {slow:.3f}", ratio=f"{ours / slow:.1f}x", goal=">= 0.95, 0 x 429",
           met=ours >= 0.95 and throttled == 0)  # fmt: skip
    report("loader: requests on a no-change re-run", ours=f"{second.requests} writes",
           baseline=f"{sum(again.reads().values())} list reads to plan", ratio="-", goal="0 writes",
           met=second.requests == 0)  # fmt: skip
    report("loader: requests per migrated object", ours=f"{first.requests / created:.3f}",
           baseline=f"after stop + resume: {resumed.requests / max(left, 1):.3f}", ratio="-", goal="<= 1.05",
           met=first.requests / created <= 1.05 and resumed.requests / max(left, 1) <= 1.05)  # fmt: skip
    return 0  # the verdict is in the output; a non-zero exit means the benchmark could not run


if __name__ == "__main__":
    raise SystemExit(main())
