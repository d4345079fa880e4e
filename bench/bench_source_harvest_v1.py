"""Benchmark: read + map a big Harvest v1 day-entry export, against a naive ElementTree baseline.

    python bench/bench_source_harvest_v1.py --records 200000

Writes a `<day-entries>` export of N records to a temp file (streamed, so the generator itself
stays small), then runs each contender in its own subprocess so `ru_maxrss` is that contender's
peak alone:

- ours: `read_exports` (hardened streaming parse -> RawRecord -> SQLite staging) + `map_export`
  (typed record -> v2 time-entry payload, validated), payloads counted and discarded;
- baseline: `xml.etree.ElementTree.parse` of the whole file, a dict per element, and the same
  Decimal/date/int conversions of the fields a time entry needs.

Targets: our peak RSS < 150 MB, and ours at least 2x the baseline's records/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TARGET_RSS_MB = 150.0
TARGET_SPEEDUP = 2.0

_ENTRY = """  <day-entry>
    <adjustment-record type="boolean">false</adjustment-record>
    <created-at type="datetime">2013-{m:02d}-{d:02d}T{h:02d}:15:45Z</created-at>
    <hours type="decimal">{hours}</hours>
    <id type="integer">{id}</id>
    <is-billed type="boolean">{billed}</is-billed>
    <is-closed type="boolean">false</is-closed>
    <notes>{notes}</notes>
    <project-id type="integer">{project}</project-id>
    <spent-at type="date">2013-{m:02d}-{d:02d}</spent-at>
    <task-id type="integer">{task}</task-id>
    <timer-started-at type="datetime" nil="true"></timer-started-at>
    <updated-at type="datetime">2013-{m:02d}-{d:02d}T{h:02d}:15:45Z</updated-at>
    <user-id type="integer">{user}</user-id>
  </day-entry>
"""
_NOTES = ("Templates", "Client call &amp; follow-up", "Bugfix: menu on mobile", "", "Code review\nand notes")


def generate(path: Path, records: int, seed: int = 7) -> None:
    """Write a v1 report export of `records` day entries to `path`, one chunk at a time."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<day-entries type="array">\n')
        chunk: list[str] = []
        for index in range(records):
            chunk.append(
                _ENTRY.format(
                    id=50_000_000 + index,
                    m=1 + index % 12,
                    d=1 + index % 28,
                    h=index % 24,
                    hours=f"{rng.randint(0, 800) / 100:.2f}",
                    billed="true" if index % 50 == 0 else "false",
                    notes=_NOTES[index % len(_NOTES)],
                    project=900 + index % 40,
                    task=800 + index % 12,
                    user=700 + index % 25,
                )
            )
            if len(chunk) == 10_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
        out.write("</day-entries>\n")


def run_ours(path: Path) -> int:
    """read_exports + map_export; every planned time entry is counted, then dropped."""
    sys.path.insert(0, str(REPO))
    import migrator.sources.export as export_module
    from mappings import map_all
    from migrator.mapping import MapContext, MapSink
    from migrator.sources.harvest_v1.reader import HarvestV1Reader

    try:
        export_module._readers()
    except ImportError:  # the FreshBooks reader is not there yet: read with ours alone
        export_module._readers = lambda: [HarvestV1Reader()]  # type: ignore[assignment]
    counted = {"planned": 0, "lossy": 0}

    def planned(item: object) -> None:
        counted["planned"] += 1

    def lossy(item: object) -> None:
        counted["lossy"] += 1

    (export,) = export_module.read_exports([path])
    try:
        map_all([export], MapSink(on_planned=planned, on_lossy=lossy), MapContext())
    finally:
        export.close()
    return counted["planned"]


def run_baseline(path: Path) -> int:
    """ElementTree.parse of the whole file, a dict per element, the same field conversions."""
    import datetime as dt
    import xml.etree.ElementTree as ET
    from decimal import Decimal

    root = ET.parse(path).getroot()
    count = 0
    for elem in root:
        raw: dict[str, Any] = {child.tag: (None if child.get("nil") == "true" else child.text) for child in elem}
        entry = {
            "id": int(raw["id"]),
            "user_id": int(raw["user-id"]),
            "project_id": int(raw["project-id"]),
            "task_id": int(raw["task-id"]),
            "spent_date": dt.date.fromisoformat(raw["spent-at"]),
            "hours": Decimal(raw["hours"]),
            "notes": raw.get("notes"),
            "created_at": dt.datetime.fromisoformat(raw["created-at"].replace("Z", "+00:00")),
        }
        count += 1 if entry else 0
    return count


def stages(path: Path) -> list[tuple[str, str, float]]:
    """Time each stage of our hot path on its own (best of 3): where the time goes, and whose code it is.

    The garbage collector is paused while timing: stages here hold all records in lists, which the
    streaming pipeline never does, and collector passes over those lists would be charged to them.
    """
    import gc

    sys.path.insert(0, str(REPO))
    from mappings.harvest_v1 import map_export
    from migrator.harvest.models import CREATE_MODELS
    from migrator.mapping import MapContext, MapSink
    from migrator.sources.export import SourceExport
    from migrator.sources.harvest_v1.reader import HarvestV1Reader
    from migrator.sources.harvest_v1.records import DayEntry
    from migrator.sources.record import RawRecord, SourceRecord, type_record
    from migrator.sources.staging import StagingStore
    from migrator.sources.xmlsafe import XmlStream, release

    def best(work: Callable[[], object]) -> float:
        runs = []
        for _ in range(3):
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            work()
            runs.append(time.perf_counter() - start)
            gc.enable()
        return min(runs)

    def parse_only() -> None:
        for event, elem, depth in XmlStream(path).events():
            if event == "end" and depth == 1:
                release(elem)

    reader = HarvestV1Reader()

    def read() -> list[RawRecord]:
        out: list[RawRecord] = []

        def keep(record: RawRecord) -> None:
            out.append(record)

        reader.read(path, keep, lambda warning: None)
        return out

    raws = read()

    def stage() -> StagingStore:
        store = StagingStore()
        for raw in raws:
            store.add(raw)
        store.seal()
        return store

    store = stage()
    staged = list(store.iter("day_entries"))
    typed = [type_record(DayEntry, raw, "harvest-v1") for raw in staged]

    class PreTyped(SourceExport):
        """Hands the mapping already-typed records, so only mapping and emit are timed."""

        def typed(self, resource: str) -> Iterator[SourceRecord]:  # type: ignore[override]
            return iter(typed if resource == "day_entries" else [])

        def get(self, resource: str, record_id: str) -> SourceRecord | None:
            return None

    payloads: list[dict[str, object]] = []

    def map_all() -> None:
        payloads.clear()
        sink = MapSink(on_planned=lambda planned: payloads.append(planned.payload), on_lossy=lambda note: None)
        map_export(PreTyped("harvest-v1", reader, store), sink, MapContext())

    model = CREATE_MODELS["time_entries"]

    def read_and_drop() -> None:  # as in the pipeline: each record is handed on, not accumulated
        reader.read(path, lambda record: None, lambda warning: None)

    parse = best(parse_only)
    timed = {
        "parse": parse,
        "read": best(read_and_drop) - parse,
        "stage": best(lambda: stage().close()),
        "iter": best(lambda: list(store.iter("day_entries"))),
        "typed": best(lambda: [type_record(DayEntry, raw, "harvest-v1") for raw in staged]),
        "map": best(map_all),
    }
    timed["emit"] = best(lambda: [model.model_validate(payload).body() for payload in payloads])
    store.close()
    return [
        ("xmlsafe.XmlStream events + release", "shared xmlsafe.py", timed["parse"]),
        ("reader: flatten + RawRecord", "harvest_v1/reader.py, fields.py", timed["read"]),
        ("StagingStore.add (json, digest, INSERT)", "shared staging.py", timed["stage"]),
        ("StagingStore.iter (SELECT, json.loads)", "shared staging.py", timed["iter"]),
        ("type_record (pydantic + coerce validators)", "shared record.py, coerce.py", timed["typed"]),
        ("mapping: payload dict + lossy notes", "mappings/harvest_v1/time.py", timed["map"] - timed["emit"]),
        ("MapSink.emit (TimeEntryCreate validation)", "shared mapping.py, models.py", timed["emit"]),
    ]


def child(mode: str, path: Path) -> None:
    """Run one contender in this process and print its figures as JSON."""
    start = time.perf_counter()
    records = run_ours(path) if mode == "ours" else run_baseline(path)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"records": records, "seconds": seconds, "peak_mb": peak_mb}))


def measure(mode: str, path: Path) -> dict[str, float]:
    """Run `mode` in a fresh interpreter (clean peak memory) and return its figures."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    """Generate, measure both contenders, print the figures and whether the targets are met."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000, help="day entries to generate (default 1,000,000)")
    parser.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--skip-baseline", action="store_true", help="measure ours only")
    parser.add_argument("--stages", action="store_true", help="also time each stage of our hot path")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-v1-") as tmp:
        path = Path(tmp) / "day-entries.xml"
        start = time.perf_counter()
        generate(path, args.records)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.records:,} day entries ({size_mb:,.1f} MB) in {time.perf_counter() - start:.1f}s")
        ours = measure("ours", path)
        rows = [("ours", ours)]
        if not args.skip_baseline:
            rows.append(("baseline", measure("baseline", path)))
        if args.stages:
            timed = stages(path)
            total = sum(seconds for _name, _owner, seconds in timed)
            print("stage breakdown (best of 3, in-process):")
            for name, owner, seconds in timed:
                per = seconds / args.records * 1e6
                print(f"  {name:44} {seconds:7.2f} s {per:6.1f} us/record {seconds / total:5.0%}  [{owner}]")
    for name, figures in rows:
        rate = figures["records"] / figures["seconds"]
        print(
            f"{name:9} {figures['records']:>10,} records  {figures['seconds']:8.2f} s  "
            f"{rate:>10,.0f} records/s  peak {figures['peak_mb']:8.1f} MB"
        )
    memory_ok = ours["peak_mb"] < TARGET_RSS_MB
    print(f"memory: our peak {ours['peak_mb']:.1f} MB, target < {TARGET_RSS_MB:.0f} MB: {_verdict(memory_ok)}")
    speed_ok = True
    if len(rows) == 2:
        base = rows[1][1]
        speed = (ours["records"] / ours["seconds"]) / (base["records"] / base["seconds"])
        memory = base["peak_mb"] / ours["peak_mb"]
        speed_ok = speed >= TARGET_SPEEDUP
        print(f"speed:  ours/baseline {speed:.2f}x, target >= {TARGET_SPEEDUP}x: {_verdict(speed_ok)}")
        print(f"memory ratio baseline/ours {memory:.1f}x")
    ok = memory_ok and speed_ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
