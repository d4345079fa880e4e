"""Benchmark (issue #7): `migrator plan` on an account with 100,000 records, end to end.

    python bench/bench_plan.py [--records 100000]

Builds an account from our Harvest v1 fixture plus N generated day entries on its projects, tasks
and people, then runs the real command a user runs — `migrator plan DIR --offline --format json
--output plan.json --create-users`, in its own process — and reports its wall time and peak memory.
In the same run, on the same day-entry file: the naive baseline of the source benchmark
(`ElementTree.parse` of the whole file and the field conversions), so the figure is a ratio that
means the same on any machine. The plan does much more than the baseline — merge, typing,
validated payloads, comparison with the ledger, the JSON report of every change — so the ratio
says what a whole dry run costs against merely parsing the file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from results import report  # noqa: E402

_ENTRY = """  <day-entry>
    <created-at type="datetime">2013-03-{d:02d}T10:00:00Z</created-at>
    <hours type="decimal">{hours}</hours>
    <id type="integer">{id}</id>
    <notes>Bulk entry {id}</notes>
    <project-id type="integer">{project}</project-id>
    <spent-at type="date">2013-03-{d:02d}</spent-at>
    <task-id type="integer">{task}</task-id>
    <updated-at type="datetime">2013-03-{d:02d}T10:00:00Z</updated-at>
    <user-id type="integer">{user}</user-id>
  </day-entry>
"""


def build_account(folder: Path, records: int) -> Path:
    """The v1 fixture account plus `records` day entries on (project, task, user) triples it already uses."""
    shutil.copytree(REPO / "fixtures" / "harvest-v1", folder)
    fixture = (folder / "timesheets" / "entries-p1.xml").read_text(encoding="utf-8")
    triples = sorted(
        set(
            re.findall(
                r"<project-id[^>]*>(\d+)</project-id>.*?<task-id[^>]*>(\d+)</task-id>.*?<user-id[^>]*>(\d+)</user-id>",
                fixture,
                flags=re.S,
            )
        )
    )
    bulk = folder / "timesheets" / "bulk-entries.xml"
    with bulk.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<day-entries type="array">\n')
        for index in range(records):
            project, task, user = triples[index % len(triples)]
            out.write(
                _ENTRY.format(
                    id=80_000_000 + index, d=1 + index % 28, hours=f"{index % 800 / 100:.2f}",
                    project=project, task=task, user=user,
                )
            )  # fmt: skip
        out.write("</day-entries>\n")
    return bulk


def run_plan(folder: Path, output: Path) -> tuple[float, float, int]:
    """Wall seconds, peak MB and exit code of the real `migrator plan` command."""
    command = [sys.executable, "-m", "migrator", "plan", str(folder), "--offline", "--format", "json",
               "--output", str(output), "--create-users", "--ledger", str(folder / "none.sqlite")]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(command, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def run_naive(path: Path) -> tuple[float, float]:
    """The source benchmark's naive baseline on `path`, in its own process: seconds and peak MB."""
    out = subprocess.run(
        [sys.executable, __file__, "--naive", str(path)], check=True, capture_output=True, text=True
    )
    seconds, peak = json.loads(out.stdout)
    return float(seconds), float(peak)


def _naive_child(path: Path) -> None:
    import resource

    from bench_source_harvest_v1 import run_baseline

    start = time.perf_counter()
    run_baseline(path)
    print(json.dumps([time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="generated day entries (default 100,000)")
    parser.add_argument("--naive", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        _naive_child(args.naive)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
        folder = Path(tmp) / "account"
        bulk = build_account(folder, args.records)
        output = Path(tmp) / "plan.json"
        seconds, peak, code = run_plan(folder, output)
        document = json.loads(output.read_text(encoding="utf-8"))
        naive_seconds, naive_peak = run_naive(bulk)
    planned = document["source"]["records"]
    creates = sum(counts["create"] for counts in document["summary"].values())
    print(f"plan: {planned:,} source records -> {creates:,} creates, exit {code}, "
          f"{seconds:.2f} s ({planned / seconds:,.0f} records/s), peak {peak:.0f} MB, "
          f"report {len(document['changes']):,} changes")  # fmt: skip
    print(f"naive baseline (ElementTree parse + conversions of the day-entry file alone): "
          f"{naive_seconds:.2f} s, peak {naive_peak:.0f} MB")  # fmt: skip
    ratio = naive_seconds / seconds
    print(f"whole plan time vs merely parsing the file naively: {ratio:.2f}x")
    report(
        f"plan: `migrator plan --offline --format json`, {planned:,} records",
        ours=f"{seconds:.1f} s ({planned / seconds:,.0f} rec/s), peak {peak:.0f} MB",
        baseline=f"naive parse alone {naive_seconds:.1f} s, peak {naive_peak:.0f} MB",
        ratio=f"{ratio:.2f}x the naive parse's speed",
        goal="a figure (no target set)",
        met=code == 2,
    )
    return 0 if code == 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
