"""Benchmark (issue #17): export a generated account from its legacy sandbox in its own process.

    python bench/bench_export.py [--system harvest-v1|freshbooks] [--entries 100000] [--budget 200/1]
                                 [--concurrency 8] [--keep DIR]

A `python -m migrator.generate SYSTEM` account of `--entries` time entries is served by
`migrator sandbox --system SYSTEM --rate 100000/1` (a limit the export never reaches), and
`migrator export SYSTEM OUT --rate BUDGET` runs in a process of its own, so the operating
system measures its peak memory (`wait4`'s `ru_maxrss`) apart from the sandbox's. Figures:

- the achieved request rate as a share of the budget (requests / the export's own seconds), the
  baseline being the budget itself; goal >= 0.9;
- the export's peak RSS; goal < 150 MB (flat: bodies stream to disk, the crawl keeps ids only);
- requests per record; and the sandbox's own peak RSS (it serves the account from SQLite on disk);
- a second run into the complete OUT: 0 requests, and its time.

FreshBooks pages every list at 100 records and has no flag saying which expense has a receipt, so
its requests are about one per 100 list records plus one `receipt.get` per expense.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from results import report  # noqa: E402

from migrator.config import RateLimit  # noqa: E402
from migrator.generate import generate  # noqa: E402
from migrator.sandbox.process import LegacySandboxProcess  # noqa: E402


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run a command in its own process: (wall seconds, peak RSS MB, CPU seconds, stdout)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(args, stdout=out, stderr=err, env=env, cwd=REPO, text=True)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{errors[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, text


def peak_mb(pid: int) -> float:
    """A running process's peak resident memory (Linux `VmHWM`), in MB; 0 where unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--system", choices=("harvest-v1", "freshbooks"), default="harvest-v1")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--budget", default="200/1", help="the export's --rate")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    budget = RateLimit.parse(args.budget)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        account, out = work / "account", work / "out"
        if not account.exists():
            started = time.perf_counter()
            generate(args.system, account, entries=args.entries, seed=0)
            print(f"generated {args.entries:,} entries in {time.perf_counter() - started:.1f} s", flush=True)
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        with LegacySandboxProcess(args.system, account, rate="100000/1") as sandbox:
            print(f"sandbox loaded the account in {time.perf_counter() - started:.1f} s", flush=True)
            env = sandbox.env() | {"PYTHONPATH": str(REPO)}
            command = [sys.executable, "-m", "migrator", "export", args.system, str(out), "--format", "json",
                       "--rate", args.budget, "--concurrency", str(args.concurrency)]  # fmt: skip
            wall, export_mb, cpu, text = measure(command, env)
            first = json.loads(text)
            again_wall, _mb, _cpu, again_text = measure(command, env)
            again = json.loads(again_text)
            sandbox_mb = peak_mb(sandbox.process.pid)
            served = sandbox.stats()["requests"]
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    seconds = float(first["seconds"])
    requests = int(first["requests"])
    records = sum(first["records"].values())
    rate = requests / seconds
    share = rate / (budget.requests / budget.seconds)
    per_record = requests / records
    print(
        f"export of {records:,} records: {requests:,} requests in {seconds:.1f} s ({wall:.1f} s with start-up) = "
        f"{rate:.1f} requests/s, {share:.2f} of the {args.budget} budget; {per_record:.4f} requests per record; "
        f"peak {export_mb:.0f} MB, {cpu:.1f} s of CPU (sandbox {sandbox_mb:.0f} MB, {served:,} requests served); "
        f"a second run: {again['requests']} requests in {again_wall:.1f} s",
        flush=True,
    )
    report(
        f"export, {args.system}, {args.entries:,} time entries (legacy sandbox in its own process)",
        ours=f"{rate:.0f} req/s, {requests:,} requests ({per_record:.3f} per record), peak {export_mb:.0f} MB",
        baseline=f"budget {args.budget}",
        ratio=f"{share:.2f}",
        goal=">= 0.90 of the budget, < 150 MB",
        met=share >= 0.9 and export_mb < 150,
    )
    report(
        f"export re-run into a complete OUT, {args.system}, {args.entries:,} time entries",
        ours=f"{again['requests']} requests, {again_wall:.1f} s",
        baseline=f"the export: {wall:.1f} s",
        ratio=f"{again_wall / wall:.2f}×",
        goal="0 requests",
        met=again["requests"] == 0,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
