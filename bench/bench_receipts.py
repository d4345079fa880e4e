"""Benchmark (issue #18): peak memory of a run with a 50 MB receipt against the same run without.

    python bench/bench_receipts.py [--mb 50]

The Harvest v1 fixture account is copied twice: once as shipped but without receipts, once with
expense 1304's receipt replaced by a PDF of `--mb` megabytes (random bytes, incompressible). Each
copy is loaded by `migrator run` into its own sandbox, which runs in a process of its own
(`migrator sandbox --state …`), so the operating system measures the migrator process alone
(`wait4`'s `ru_maxrss`). The receipt streams from disk in 1 MiB blocks, so the two peaks must be
within 20 MB of each other; the run with the receipt must also have stored exactly its bytes.

Goal: peak RSS with the receipt - peak RSS without <= 20 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
import tempfile
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from bench_scale import measure, migrator  # noqa: E402
from results import report  # noqa: E402

from migrator.generate.receipts import write_receipt  # noqa: E402
from migrator.sandbox import ACCOUNT_ID, TOKEN  # noqa: E402
from migrator.sandbox.process import SandboxProcess  # noqa: E402

GOAL_MB = 20.0


def run_peak(export: Path, work: Path) -> tuple[float, float, str]:
    """(seconds, peak MB of `migrator run`, its output) of loading `export` into a fresh sandbox."""
    with SandboxProcess(work / "sandbox.sqlite") as sandbox:
        args = migrator("run", str(export), "--batch", "bench", "--ledger", str(work / "ledger.sqlite"),
                        "--target", sandbox.url, "--create-users", "--rate", "100000/1")  # fmt: skip
        seconds, peak, output = measure(args, env=sandbox.env())
        stored = _stored(sandbox.url, export)
    return seconds, peak, output + stored


def _stored(url: str, export: Path) -> str:
    """A line saying whether the target holds expense 1304's receipt file byte for byte."""
    path = next(iter((export / "receipts").glob("1304.*")), None)
    if path is None:
        return ""
    headers = {"Authorization": f"Bearer {TOKEN}", "Harvest-Account-Id": ACCOUNT_ID, "User-Agent": "bench"}
    expenses = httpx.get(f"{url}/expenses", headers=headers, timeout=30).json()["expenses"]
    (receipt,) = [e["receipt"] for e in expenses if "expense 1304]" in e["notes"]]
    hasher = hashlib.sha256()
    with httpx.stream("GET", receipt["url"], headers=headers, timeout=120) as response:
        for block in response.iter_bytes():
            hasher.update(block)
    with path.open("rb") as handle:
        same = hashlib.file_digest(handle, "sha256").hexdigest() == hasher.hexdigest()
    return f"\nreceipt stored byte for byte: {same}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=50, help="Size of the large receipt (MB).")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-receipts-") as tmp:
        root = Path(tmp)
        plain, large = root / "plain" / "export", root / "large" / "export"
        shutil.copytree(REPO / "fixtures" / "harvest-v1", plain)
        shutil.rmtree(plain / "receipts")
        shutil.copytree(REPO / "fixtures" / "harvest-v1", large)
        (large / "receipts" / "1304.png").unlink()
        written = write_receipt(large / "receipts", "1304.pdf", "pdf", "bench", random.Random(0),
                                size=options.mb * 1_000_000)  # fmt: skip
        without_s, without_mb, _ = run_peak(plain, plain.parent)
        with_s, with_mb, output = run_peak(large, large.parent)
    stored = "receipt stored byte for byte: True" in output
    growth = with_mb - without_mb
    print(f"run without receipts: {without_s:.1f} s, peak {without_mb:.0f} MB")
    print(f"run with a {written.size / 1e6:.0f} MB receipt: {with_s:.1f} s, peak {with_mb:.0f} MB; stored: {stored}")
    report(
        f"run memory with a {written.size / 1e6:.0f} MB receipt (harvest-v1 fixture, sandbox in its own process)",
        ours=f"peak {with_mb:.0f} MB, {with_s:.1f} s",
        baseline=f"no receipts: peak {without_mb:.0f} MB, {without_s:.1f} s",
        ratio=f"+{growth:.1f} MB",
        goal=f"<= +{GOAL_MB:.0f} MB, bytes equal",
        met=growth <= GOAL_MB and stored,
    )


if __name__ == "__main__":
    main()
