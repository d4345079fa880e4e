"""Benchmark (issue #19): the sign-off reports at scale.

    python bench/bench_reports.py [--verify 5000,50000] [--plan 100000] [--keep DIR]

- **verify memory**: a generated Harvest v1 account of each `--verify` size is loaded into a sandbox
  in its own process (rate limit lifted), then `migrator verify … --format html --output F` runs in
  its own process, its peak RSS measured by the OS (`wait4`). The breakdown and the field-by-field
  check ride on verify's stream, so the largest size must stay within 25 MB of the smallest.
- **plan HTML at 100,000 entries**: `migrator plan --offline --create-users --format html` of a
  generated account: seconds, peak MB, the file's size; then the time headless Chromium takes to
  open and lay out that page (and the verify page of the largest `--verify` size), against opening a
  blank page in the same browser.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from bench_scale import measure, migrator  # noqa: E402
from results import report  # noqa: E402

from migrator.generate import generate  # noqa: E402
from migrator.sandbox.process import SandboxProcess  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip


def verify_peak(entries: int, root: Path) -> tuple[float, float, Path]:
    """Load a generated account of `entries`, then verify it as HTML: (seconds, peak MB, the page)."""
    export = root / f"harvest-v1-{entries}"
    if not export.exists():
        generate("harvest-v1", export, entries=entries, seed=0)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=root))
    sandbox = SandboxProcess(work / "sandbox.state")
    env = sandbox.env()
    target = ("--target", sandbox.url, "--ledger", str(work / "ledger.sqlite"), "--rate", "100000/1")
    page = root / f"verify-{entries}.html"
    try:
        measure(migrator("run", str(export), *target, "--batch", "b", "--create-users"), env=env)
        seconds, peak, _out = measure(migrator("verify", str(export), *target, "--format", "html", "--output",
                                               str(page)), env=env)  # fmt: skip
    finally:
        sandbox.close()
    size = page.stat().st_size / 1e6
    print(f"verify {entries:>7,} entries: {seconds:6.1f} s, peak {peak:5.0f} MB, page {size:.2f} MB",
          flush=True)  # fmt: skip
    return seconds, peak, page


def open_times(pages: list[Path]) -> tuple[float, list[float]]:
    """Seconds to open and lay out a blank page, and each page, in one headless Chromium (best of 3)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()

        def best(url: str) -> float:
            times = []
            for _ in range(3):
                started = time.perf_counter()
                page.goto(url, wait_until="load")
                page.evaluate("document.body.getBoundingClientRect().height")  # force layout
                times.append(time.perf_counter() - started)
            return min(times)

        blank = best("about:blank")
        measured = [best(path.resolve().as_uri()) for path in pages]
        browser.close()
    return blank, measured


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--verify", default="5000,50000", help="sizes to load and verify (time entries)")
    parser.add_argument("--plan", type=int, default=100000, help="size of the planned account (time entries)")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        sizes = sorted(int(n) for n in args.verify.split(",") if n)
        peaks = {size: verify_peak(size, root) for size in sizes}
        small, large = sizes[0], sizes[-1]
        growth = peaks[large][1] - peaks[small][1]
        report(
            f"verify --format html memory, harvest-v1, {small:,} → {large:,} time entries",
            ours=f"+{growth:.0f} MB ({peaks[small][1]:.0f} → {peaks[large][1]:.0f} MB; {peaks[large][0]:.1f} s)",
            baseline="–",
            ratio="–",
            goal="≤ 25 MB",
            met=growth <= 25,
        )
        export = root / f"harvest-v1-{args.plan}"
        if not export.exists():
            generate("harvest-v1", export, entries=args.plan, seed=0)
        plan_page = root / f"plan-{args.plan}.html"
        seconds, peak, _out = measure(
            migrator(
                "plan",
                str(export),
                "--offline",
                "--create-users",
                "--format",
                "html",
                "--output",
                str(plan_page),
                "--ledger",
                str(root / "none.sqlite"),
            )
        )
        size = plan_page.stat().st_size / 1e6
        blank, (plan_open, verify_open) = open_times([plan_page, peaks[large][2]])
        print(f"plan html {args.plan:,} entries: {seconds:.1f} s, peak {peak:.0f} MB, {size:.2f} MB; Chromium opens "
              f"it in {plan_open:.2f} s, the {large:,}-entry verify page in {verify_open:.2f} s "
              f"(blank {blank:.2f} s)", flush=True)  # fmt: skip
        report(
            f"plan --format html, harvest-v1, {args.plan:,} time entries",
            ours=f"{seconds:.1f} s, peak {peak:.0f} MB, page {size:.2f} MB, opens in {plan_open:.2f} s",
            baseline=f"Chromium opens a blank page in {blank:.2f} s",
            ratio="–",
            goal="page < 5 MB, opens < 2 s",
            met=size < 5 and plan_open < 2,
        )
        verify_size = peaks[large][2].stat().st_size / 1e6
        report(
            f"verify --format html page, harvest-v1, {large:,} time entries",
            ours=f"page {verify_size:.2f} MB, opens in {verify_open:.2f} s",
            baseline=f"Chromium opens a blank page in {blank:.2f} s",
            ratio="–",
            goal="page < 5 MB, opens < 2 s",
            met=verify_size < 5 and verify_open < 2,
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
