"""Run every benchmark and print one table of their figures: `python bench/run.py [--quick]`.

Each benchmark measures its own baseline in the same run and prints ratios, so figures from
different machines compare. Their detailed output streams as they run; the table at the end
collects each one's `RESULT` lines (see `results.py`) and is what the README quotes.
`--quick` uses small sizes: a smoke run, not the published figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _machine() -> str:
    cores = os.cpu_count() or 0
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = 0.0
    return (
        f"{platform.machine()}, {cores} cores, {memory:.0f} GiB, {platform.system()}, "
        f"{platform.python_implementation()} {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args()
    records = "50000" if args.quick else "1000000"
    loader = ["--objects", "120"] if args.quick else []
    scale = ["--plan", "10000", "--run", "2000"] if args.quick else []
    benches = [
        ["bench_loader.py", *loader],
        ["bench_client.py", "--windows", "1" if args.quick else "3"],
        ["bench_source_harvest_v1.py", "--records", records],
        ["bench_source_freshbooks.py", "--records", records],
        ["bench_sandbox.py", *(["--objects", "10000", "--rounds", "50"] if args.quick else [])],
        ["bench_receipts.py", *(["--mb", "10"] if args.quick else [])],
        ["bench_scale.py", *scale],
        ["bench_export.py", *(["--entries", "10000"] if args.quick else [])],
        ["bench_export.py", "--system", "freshbooks", *(["--entries", "10000"] if args.quick else [])],
        ["bench_reports.py", *(["--verify", "500,2000", "--plan", "5000"] if args.quick else [])],
    ]
    print(f"# migrator benchmarks — {_machine()}", flush=True)
    rows: list[dict[str, object]] = []
    failed = 0
    for command in benches:
        print(f"\n## {' '.join(command)}\n", flush=True)
        process = subprocess.Popen(
            [sys.executable, str(HERE / command[0]), *command[1:]], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("RESULT "):
                rows.append(json.loads(line[len("RESULT ") :]))
            else:
                print(line, end="", flush=True)
        failed += process.wait() != 0
    print(f"\n## Summary — {_machine()}\n")
    print("| benchmark | ours | baseline (same run) | ratio | goal | |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        verdict = "met" if row["met"] else "**not met**"
        print(f"| {row['bench']} | {row['ours']} | {row['baseline']} | {row['ratio']} | {row['goal']} | {verdict} |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
