"""Benchmark: does the loader keep Harvest's rate limit busy, and what does it cost in requests?

    python bench/bench_loader.py [--objects 300] [--rate 100/3] [--latency-ms 100]

Against the built-in sandbox with a scaled limit and latency, in one run:
(a) sustained write rate ÷ the configured limit, for our loader and for a naive sequential loop
    (one POST after another through the same limiter);
(b) requests on a no-change re-run (goal 0);
(c) requests per migrated object (goal ≤ 1.05, plus one list read per kind).
Prints one line per figure; ratios are measured in this run, on this machine.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pydantic import SecretStr  # noqa: E402

from migrator import api  # noqa: E402
from migrator.config import RateLimit, TargetSettings  # noqa: E402
from migrator.harvest.client import HarvestClient  # noqa: E402
from migrator.harvest.sandbox import Sandbox  # noqa: E402
from migrator.target import TargetSpec  # noqa: E402


def write_export(folder: Path, objects: int) -> None:
    """A Harvest v1 export of independent records: clients and tasks (no ordering between them)."""
    half = objects // 2
    clients = "".join(f"<client><id type=\"integer\">{9000 + i}</id><name>Bench client {i}</name>"
                      "<active type=\"boolean\">true</active></client>" for i in range(half))
    tasks = "".join(f"<task><id type=\"integer\">{19000 + i}</id><name>Bench task {i}</name>"
                    "<billable-by-default type=\"boolean\">true</billable-by-default>"
                    "<deactivated type=\"boolean\">false</deactivated></task>" for i in range(objects - half))
    (folder / "clients.xml").write_text(f'<?xml version="1.0"?><clients type="array">{clients}</clients>')
    (folder / "tasks.xml").write_text(f'<?xml version="1.0"?><tasks type="array">{tasks}</tasks>')


def sequential(sandbox: Sandbox, rate: RateLimit, count: int) -> float:
    """Naive loop: one POST after another (same limiter, no concurrency). Returns requests/s."""
    client = HarvestClient(TargetSettings(sandbox.url, SecretStr(sandbox.token), sandbox.account_id, rate=rate))
    started = time.monotonic()
    for index in range(count):
        client.post("/clients", {"name": f"Sequential {index}"})
    return count / (time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=300)
    parser.add_argument("--rate", default="100/3")
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    rate = RateLimit.parse(args.rate)
    limit_per_s = rate.requests / rate.seconds
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}; "
          f"limit {rate} ({limit_per_s:.1f}/s), latency {args.latency_ms} ms, {args.objects} objects")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        folder.mkdir()
        write_export(folder, args.objects)
        ledger = Path(tmp) / "ledger.sqlite"
        with Sandbox(rate=(rate.requests, rate.seconds), latency_ms=args.latency_ms) as sandbox:
            spec = TargetSpec("url", url=sandbox.url, rate=rate,
                              env={"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id})
            options = api.SourceOptions((folder,))
            first = api.run(options, batch="bench", target=spec, ledger_path=ledger, concurrency=args.concurrency)
            writes = first.result.requests
            ours = writes / first.result.elapsed / limit_per_s
            before = sandbox.stats()["requests"]
            second = api.run(options, batch="bench", target=spec, ledger_path=ledger, concurrency=args.concurrency)
            reads = sandbox.stats()["requests"] - before
            throttled = sandbox.stats()["rate_limited"]
            naive = sequential(sandbox, rate, min(60, args.objects)) / limit_per_s
        created = sum(n for states in first.result.counts.values() for state, n in states.items()
                      if state in ("done", "adopted"))
        print(f"(a) write rate / limit: ours {ours:.3f} (goal >= 0.95), naive sequential {naive:.3f}, "
              f"speed-up {ours / naive:.1f}x; 429s from the sandbox: {throttled}")
        print(f"(b) requests on a no-change re-run: {second.result.requests} writes (goal 0); "
              f"{reads} list reads to compare with the target")
        print(f"(c) requests per migrated object: {writes / created:.3f} (goal <= 1.05) over {created} objects")
    ok = ours >= 0.95 and second.result.requests == 0 and writes / created <= 1.05 and throttled == 0
    print("verdict:", "all goals met" if ok else "GOAL MISSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
