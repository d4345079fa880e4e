"""Benchmark: read + map a big FreshBooks Classic time-entry export, against a naive ElementTree baseline.

    python bench/bench_source_freshbooks.py --records 1000000

Writes one `time_entry.list` response of N records (a single page, streamed to disk), then runs
each contender in its own subprocess so `ru_maxrss` is that contender's peak alone:

- ours: `read_exports` (hardened streaming parse -> RawRecord -> SQLite staging) + `map_all`
  (typed record -> v2 time-entry payload, validated), payloads counted and discarded;
- baseline: `xml.etree.ElementTree.parse` of the whole file, a dict per element, and the same
  Decimal/date/int conversions of the fields a time entry needs.

Targets (issue #4): our peak RSS < 150 MB, and ours at least 2x the baseline's records/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_RSS_MB = 150.0
TARGET_SPEEDUP = 2.0
_ENTRY = (
    "    <time_entry><time_entry_id>{id:011d}</time_entry_id><staff_id>{staff}</staff_id>"
    "<project_id>{project}</project_id><task_id>{task}</task_id><hours>{hours}</hours>"
    "<date>2014-{m:02d}-{d:02d}</date><notes>Entry {id} &amp; notes</notes><billed>{billed}</billed></time_entry>\n"
)


def generate(path: Path, records: int, seed: int = 11) -> None:
    chance = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n<response xmlns="http://www.freshbooks.com/api/" '
            f'status="ok">\n  <time_entries page="1" per_page="{records}" pages="1" total="{records}">\n'
        )
        for index in range(1, records + 1):
            out.write(
                _ENTRY.format(
                    id=index,
                    staff=chance.randint(1, 9),
                    project=chance.randint(1, 40),
                    task=chance.randint(1, 12),
                    hours=f"{chance.randint(0, 800) / 100:.2f}",
                    m=chance.randint(1, 12),
                    d=chance.randint(1, 28),
                    billed=chance.randint(0, 1),
                )
            )
        out.write("  </time_entries>\n</response>\n")


def run_ours(path: Path) -> int:
    sys.path.insert(0, str(REPO))
    from mappings import map_all
    from migrator.mapping import MapContext, MapSink
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


def run_baseline(path: Path) -> int:
    import xml.etree.ElementTree as ET  # noqa: N817 - the baseline's usual spelling

    tree = ET.parse(path)
    count = 0
    for elem in tree.getroot().iter():
        if elem.tag.rsplit("}", 1)[-1] != "time_entry":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: child.text for child in elem}
        payload = {
            "id": int(fields["time_entry_id"]),
            "user_id": int(fields["staff_id"]),
            "project_id": int(fields["project_id"]),
            "task_id": int(fields["task_id"]),
            "hours": Decimal(fields["hours"]),
            "spent_date": dt.date.fromisoformat(fields["date"]),
            "notes": fields["notes"],
            "billed": fields["billed"] == "1",
        }
        count += bool(payload)
    return count


def child(mode: str, path: Path) -> None:
    start = time.perf_counter()
    records = run_ours(path) if mode == "ours" else run_baseline(path)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "seconds": seconds, "peak_mb": peak_mb}))


def measure(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-fb-") as tmp:
        path = Path(tmp) / "time_entry.list.xml"
        generate(path, args.records)
        print(f"generated {args.records:,} FreshBooks time entries ({path.stat().st_size / 1e6:,.1f} MB)")
        ours, baseline = measure("ours", path), measure("baseline", path)
    for name, figures in (("ours", ours), ("baseline", baseline)):
        print(
            f"{name:9} {figures['records']:>10,} records  {figures['seconds']:8.2f} s  "
            f"{figures['records'] / figures['seconds']:>10,.0f} records/s  peak {figures['peak_mb']:8.1f} MB"
        )
    speedup = (ours["records"] / ours["seconds"]) / (baseline["records"] / baseline["seconds"])
    print(
        f"memory: our peak {ours['peak_mb']:.1f} MB, target < {TARGET_RSS_MB:.0f} MB: "
        f"{'met' if ours['peak_mb'] < TARGET_RSS_MB else 'MISSED'}; "
        f"baseline/ours {baseline['peak_mb'] / ours['peak_mb']:.1f}x"
    )
    print(
        f"speed:  ours/baseline {speedup:.2f}x, target >= {TARGET_SPEEDUP:.1f}x: "
        f"{'met' if speedup >= TARGET_SPEEDUP else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
