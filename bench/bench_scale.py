"""Benchmark (issue #12): plan and run whole accounts at 10⁴, 10⁵ and 10⁶ time entries, both systems.

    python bench/bench_scale.py [--systems harvest-v1,freshbooks] [--plan 10000,100000,1000000]
                                [--run 5000,50000,100000] [--keep DIR]

For each source system and size, an account shaped like a real one is generated
(`migrator.generate`, the same traps as the end-to-end tests), then, each in its own process so
the operating system measures its peak memory (`wait4`'s `ru_maxrss`):

- **baseline**: a bare `lxml.etree.iterparse(path, tag=<the record element names>)` of every
  file of the export, each record cleared as it ends and the records before it detached: the
  fastest honest read of the same bytes (it does nothing with them), measured in the same run;
- **plan**: `migrator plan DIR --offline --format json --output F --create-users`, the dry run a
  user makes first: reading, merging, typing, mapping to validated payloads, deciding, and the
  JSON report of every change. Reported as seconds, peak MB and a multiple of the baseline;
- **run** (for the `--run` sizes): a sandbox in its own process with its rate limit lifted
  (`migrator sandbox --rate 100000/1 --state …`), `migrator run DIR --target URL --batch b`
  (peak MB of the migrator process alone), then a plan against that target and ledger, the same
  plan with an empty ledger (run from another folder: every record matched by key in the target),
  then the same run again, which must send 0 requests, timed against that plan.

The plan's ratio is of CPU seconds (`wait4`'s `ru_utime + ru_stime` of each process): on a shared
machine other processes stretch wall time far more than CPU time. Wall seconds are printed beside.

Goals: plan of 10⁶ entries under 300 MB (its speed against the baseline is a figure: the old goal
of 5× is retired, a plan of 10⁶ entries takes minutes beside a load of ~42 hours at Harvest's limit);
run under 300 MB at any size, 50,000 entries within 10 MB of 5,000 (issue #20: the id map keeps no
leaf's id); the no-change re-run and the plan with an empty ledger at most 1.5× the plan's time.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(REPO))
from results import report  # noqa: E402

from migrator.generate import generate  # noqa: E402
from migrator.sandbox.process import SandboxProcess  # noqa: E402

# The fastest honest read of the same bytes: libxml2 hands Python only the record elements
# (`tag=`, as the product's own list scan asks for), each is cleared when it ends and the records
# before it are detached, so the tree never grows. It does nothing with what it reads.
_ITERPARSE = """
import sys
from pathlib import Path
from lxml import etree
tags = sys.argv[2].split(",")
count = 0
for path in sorted(Path(sys.argv[1]).rglob("*.xml")):
    for _event, element in etree.iterparse(str(path), events=("end",), tag=tags):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
print(count)
"""


def record_tags(system: str) -> str:
    """The record element names of `system`, as the product's readers declare them, for `tag=`.

    `{*}` matches any namespace or none, as the product's list scan does (FreshBooks bodies carry one).
    """
    if system == "harvest-v1":
        from migrator.sources.harvest_v1.reader import RECORD_NAMES

        names = {name.replace("_", "-") for names in RECORD_NAMES.values() for name in names}
    else:
        from migrator.sources.freshbooks.reader import LISTS

        names = {record for record, _resource in LISTS.values()}
    return ",".join(sorted(f"{{*}}{name}" for name in names))


def measure(args: list[str], *, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a command in its own process: (wall seconds, peak RSS MB of that process, its stdout)."""
    wall, _cpu, peak, text = measure_cpu(args, env=env)
    return wall, peak, text


def measure_cpu(args: list[str], *, env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Run a command in its own process: (wall seconds, CPU seconds, peak RSS MB, stdout), the CPU
    time and the peak as the OS accounted them to that process (`wait4`)."""
    # The child imports this working tree, whatever is installed: the repository first on its path.
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), child_env.get("PYTHONPATH"))))
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=child_env, cwd=REPO, text=True)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if process.returncode not in (0, 2, 3):
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}):\n{text[-3000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


def migrator(*args: str) -> list[str]:
    return [sys.executable, "-m", "migrator", *args]


def plan_figures(system: str, entries: int, export: Path, work: Path) -> float:
    base_s, base_cpu, base_mb, _ = measure_cpu([sys.executable, "-c", _ITERPARSE, str(export), record_tags(system)])
    output, ledger = str(work / "plan.json"), str(work / "none.sqlite")
    options = ("--offline", "--format", "json", "--create-users", "--output", output, "--ledger", ledger)
    plan_s, plan_cpu, plan_mb, _ = measure_cpu(migrator("plan", str(export), *options))
    # The ratio is of CPU seconds: on a shared machine other processes stretch wall time, hardly CPU
    # time (both are single-process reads of the same files). Wall seconds are shown beside it.
    ratio = plan_cpu / base_cpu
    print(f"{system} {entries:>9,} entries: plan {plan_cpu:7.1f} s CPU ({plan_s:.1f} s wall), peak {plan_mb:6.0f} MB | "
          f"bare iterparse {base_cpu:6.2f} s CPU ({base_s:.2f} s wall), {base_mb:4.0f} MB | {ratio:.1f}×",
          flush=True)  # fmt: skip
    big = entries >= 1_000_000
    report(
        f"plan, {system}, {entries:,} time entries (`--offline --format json`)",
        ours=f"{plan_cpu:.1f} s CPU ({plan_s:.1f} s wall), peak {plan_mb:.0f} MB",
        baseline=f"bare lxml iterparse (`tag=`, cleared): {base_cpu:.2f} s CPU, {base_mb:.0f} MB",
        ratio=f"{ratio:.1f}× CPU",
        goal="< 300 MB (speed: a figure)" if big else "a figure",
        met=plan_mb < 300 if big else True,
    )
    return plan_mb


def run_figures(system: str, entries: int, export: Path, work: Path) -> float:
    sandbox = SandboxProcess(work / "sandbox.state")  # its rate limit lifted
    env = sandbox.env()
    ledger = str(work / "ledger.sqlite")
    target = ("--target", sandbox.url, "--ledger", ledger, "--rate", "100000/1")
    try:
        run_s, run_mb, out = measure(
            migrator("run", str(export), *target, "--batch", "b", "--create-users", "--concurrency", "8"), env=env
        )
        requests = _requests(out)
        plan_s, _mb, _ = measure(migrator("plan", str(export), *target, "--format", "json",
                                          "--output", str(work / "replan.json")), env=env)  # fmt: skip
        # The same plan from another folder: an empty ledger, every record matched in the target by key.
        fresh = ("--target", sandbox.url, "--ledger", str(work / "fresh.sqlite"), "--rate", "100000/1")
        fresh_s, fresh_mb, _ = measure(migrator("plan", str(export), *fresh, "--format", "json", "--create-users",
                                                "--output", str(work / "fresh.json")), env=env)  # fmt: skip
        again_s, again_mb, again = measure(
            migrator("run", str(export), *target, "--batch", "b", "--create-users"), env=env
        )
    finally:
        sandbox.close()
    rerun = _requests(again)
    print(f"{system} {entries:>9,} entries: run {run_s:7.1f} s ({requests:,} requests), peak {run_mb:.0f} MB | "
          f"plan again {plan_s:.1f} s | no-change run {again_s:.1f} s, {rerun} requests, peak {again_mb:.0f} MB",
          flush=True)  # fmt: skip
    report(
        f"run, {system}, {entries:,} time entries (sandbox in its own process, limit lifted)",
        ours=f"{run_s:.1f} s, {requests:,} requests, peak {run_mb:.0f} MB",
        baseline="–",
        ratio="–",
        goal="< 300 MB",
        met=run_mb < 300,
    )
    report(
        f"plan with an empty ledger against the loaded target, {system}, {entries:,} time entries",
        ours=f"{fresh_s:.1f} s, peak {fresh_mb:.0f} MB",
        baseline=f"a plan with the ledger: {plan_s:.1f} s",
        ratio=f"{fresh_s / plan_s:.2f}×",
        goal="≤ 1.5× (linear: every key found through an index)",
        met=fresh_s <= 1.5 * plan_s,
    )
    report(
        f"no-change re-run, {system}, {entries:,} time entries",
        ours=f"{again_s:.1f} s, {rerun} requests",
        baseline=f"a plan of the same: {plan_s:.1f} s",
        ratio=f"{again_s / plan_s:.2f}×",
        goal="0 requests, ≤ 1.5×",
        met=rerun == 0 and again_s <= 1.5 * plan_s,
    )
    return run_mb


def _requests(out: str) -> int:
    found = re.search(r"; ([\d,]+) requests in ", out)
    if not found:
        raise SystemExit(f"no run summary in:\n{out[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--systems", default="harvest-v1,freshbooks")
    parser.add_argument("--plan", default="10000,100000,1000000", help="sizes to plan (time entries)")
    parser.add_argument("--run", default="5000,50000,100000", help="sizes to load into the sandbox")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it (reused if present)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        for system in args.systems.split(","):
            run_peaks: dict[int, float] = {}
            sizes = sorted({int(n) for n in (args.plan + "," + args.run).split(",") if n})
            for entries in sizes:
                export = root / f"{system}-{entries}"
                if not export.exists():
                    generate(system, export, entries=entries, seed=0)
                work = Path(tempfile.mkdtemp(prefix="work-", dir=root))
                if str(entries) in args.plan.split(","):
                    plan_figures(system, entries, export, work)
                if str(entries) in args.run.split(","):
                    run_peaks[entries] = run_figures(system, entries, export, work)
                shutil.rmtree(work, ignore_errors=True)
            if 5000 in run_peaks and 50000 in run_peaks:
                growth = run_peaks[50000] - run_peaks[5000]
                report(
                    f"run memory growth, {system}, 5,000 → 50,000 time entries",
                    ours=f"+{growth:.0f} MB ({run_peaks[5000]:.0f} → {run_peaks[50000]:.0f} MB)",
                    baseline="–",
                    ratio="–",
                    goal="≤ 10 MB",
                    met=growth <= 10,
                )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
