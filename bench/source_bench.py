"""The harness both source benchmarks share: generate an export, race two contenders, print figures.

Each contender runs in a fresh interpreter, so its `ru_maxrss` is its own peak memory and neither
warms the other's caches. `ours` is the real pipeline (`read_exports` + `map_all`: hardened
streaming parse -> staging -> typed records -> validated v2 payloads, counted and dropped);
`baseline` is what the issues measure against: `xml.etree.ElementTree.parse` of the whole file,
a dict per record and the same field conversions. Speed is records/s of ours ÷ records/s of the
baseline, measured in the same run, so the figure means the same on a fast or a slow machine.
`--stages` also times each stage of our pipeline in-process (CPU time, best of 3), to show where
the time goes.

The speed ratio is a figure, no longer a goal: issue #12 retired the "≥ 2× a whole-file
ElementTree parse" targets (parsing is a few percent of a plan and ~0.01 % of a load at Harvest's
rate; what users wait for is `bench_scale.py`'s plan and run). The memory goal stays.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from results import report

REPO = Path(__file__).resolve().parent.parent
TARGET_RSS_MB = 150.0


@dataclass(frozen=True)
class SourceBench:
    """One benchmark: how to write its export and how each contender reads it."""

    name: str  # e.g. "harvest-v1"
    unit: str  # e.g. "day entries"
    file_name: str
    resource: str  # the staged resource the generated records land in
    generate: Callable[[Path, int], None]
    baseline: Callable[[Path], int]


def run_ours(path: Path) -> int:
    """The real pipeline on one file; returns the number of v2 objects planned."""
    sys.path.insert(0, str(REPO))
    from migrator.mappings import map_all
    from migrator.planned import MapContext, MapSink
    from migrator.sources import read_exports

    count = 0

    def planned(_item: object) -> None:
        nonlocal count
        count += 1

    exports = read_exports([path])
    try:
        map_all(exports, MapSink(on_planned=planned, on_lossy=lambda _note: None), MapContext())
    finally:
        for export in exports:
            export.close()
    return count


def _child(bench: SourceBench, mode: str, path: Path) -> None:
    start = time.perf_counter()
    records = run_ours(path) if mode == "ours" else bench.baseline(path)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"records": records, "seconds": seconds, "peak_mb": peak_mb}))


def _measure(script: str, mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, script, "--child", mode, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def stages(bench: SourceBench, path: Path) -> list[tuple[str, float]]:
    """CPU seconds of each stage of our pipeline (best of 3), records streamed as in the real run."""
    sys.path.insert(0, str(REPO))
    from migrator.mappings import map_all
    from migrator.planned import MapContext, MapSink
    from migrator.sources.export import SourceExport, _readers
    from migrator.sources.gcmode import bulk_gc
    from migrator.sources.staging import StagingStore

    reader = next(reader for reader in _readers() if reader.system == bench.name)

    def best(work: Callable[[], object]) -> float:
        runs = []
        for _ in range(3):
            with bulk_gc():
                start = time.process_time()
                work()
                runs.append(time.process_time() - start)
        return min(runs)

    def staged() -> StagingStore:
        store = StagingStore()
        reader.read(path, store.add, lambda _warning: None)
        store.settle()
        return store

    store = staged()
    export = SourceExport(bench.name, reader, store)
    typer = export.typer(bench.resource)

    def rows() -> None:
        for _row in store.rows(bench.resource):
            pass

    def typed() -> None:
        for record_id, _parent, _detail, _updated, file, line, fields in store.rows(bench.resource):
            typer(record_id, fields, file, line)

    def mapped() -> None:
        map_all([export], MapSink(on_planned=lambda _p: None, on_lossy=lambda _n: None), MapContext())

    read = best(lambda: reader.read(path, lambda _record: None, lambda _warning: None))
    timed = [
        ("read: parse + flatten (reader, xmlsafe)", read),
        ("stage: add + settle (staging)", best(lambda: staged().close()) - read),
        ("rows: read back (staging)", best(rows)),
        ("type: fields -> record (typer, coerce)", best(typed) - best(rows)),
        ("map: record -> validated payload (mappings)", best(mapped) - best(typed)),
    ]
    store.close()
    return timed


def main(script: str, bench: SourceBench) -> int:
    """Generate, race both contenders, print the figures and a `RESULT` line for `bench/run.py`."""
    parser = argparse.ArgumentParser(description=f"read + map {bench.unit} vs a whole-file ElementTree parse")
    parser.add_argument("--records", type=int, default=1_000_000, help=f"{bench.unit} to generate (default 1,000,000)")
    parser.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stages", action="store_true", help="also time each stage of our pipeline")
    args = parser.parse_args()
    if args.child:
        _child(bench, args.child, args.file)
        return 0
    with tempfile.TemporaryDirectory(prefix=f"bench-{bench.name}-") as tmp:
        path = Path(tmp) / bench.file_name
        start = time.perf_counter()
        bench.generate(path, args.records)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.records:,} {bench.unit} ({size_mb:,.1f} MB) in {time.perf_counter() - start:.1f}s")
        ours, base = _measure(script, "ours", path), _measure(script, "baseline", path)
        if args.stages:
            timed = stages(bench, path)
            total = sum(seconds for _name, seconds in timed)
            print("stages (CPU time, best of 3, in-process):")
            for name, seconds in timed:
                print(f"  {name:44} {seconds / args.records * 1e6:6.2f} us/record {seconds / total:5.0%}")
    for name, figures in (("ours", ours), ("baseline", base)):
        rate = figures["records"] / figures["seconds"]
        print(
            f"{name:9} {figures['records']:>10,.0f} records {figures['seconds']:8.2f} s {rate:>10,.0f} records/s "
            f"peak {figures['peak_mb']:8.1f} MB"
        )
    speed = (ours["records"] / ours["seconds"]) / (base["records"] / base["seconds"])
    memory_ok = ours["peak_mb"] < TARGET_RSS_MB
    print(f"memory: our peak {ours['peak_mb']:.1f} MB (target < {TARGET_RSS_MB:.0f} MB): {_verdict(memory_ok)}; "
          f"baseline/ours {base['peak_mb'] / ours['peak_mb']:.1f}x")  # fmt: skip
    print(f"speed:  ours/baseline {speed:.2f}x (a figure)")
    report(
        f"{bench.name}: read + map {args.records:,} {bench.unit}",
        ours=f"{ours['records'] / ours['seconds']:,.0f} rec/s, peak {ours['peak_mb']:.0f} MB",
        baseline=f"{base['records'] / base['seconds']:,.0f} rec/s, peak {base['peak_mb']:.0f} MB",
        ratio=f"speed {speed:.2f}x, memory {base['peak_mb'] / ours['peak_mb']:.1f}x less",
        goal=f"< {TARGET_RSS_MB:.0f} MB (speed: a figure)",
        met=memory_ok,
    )
    return 0


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"
