"""Run every benchmark and print its figures: `python bench/run.py [--quick]`.

Each benchmark measures its own baseline in the same run and prints ratios, so figures from
different machines compare. `--quick` uses smaller sizes (a smoke run, not the published figures).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args()
    records = "50000" if args.quick else "1000000"
    benches = [
        ("loader: rate limit, re-run, requests/object", ["bench_loader.py"]),
        ("Harvest v1 source: read + map vs ElementTree", ["bench_source_harvest_v1.py", "--records", records]),
        ("FreshBooks source: read + map vs ElementTree", ["bench_source_freshbooks.py", "--records", records]),
    ]
    print(f"# migrator benchmarks — {platform.machine()}, {platform.system()}, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    failed = 0
    for title, command in benches:
        print(f"\n## {title}\n", flush=True)
        done = subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]], text=True)
        failed += done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
