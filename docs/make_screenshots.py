"""Make the README's pictures of the two sign-off reports from the shipped fixture accounts.

    .venv/bin/python docs/make_screenshots.py [--out docs]

What it does, as a user would (the real CLI in subprocesses, against the built-in sandbox over HTTP):

1. starts a sandbox in which Ben Okafor already exists under his new address, and writes a map
   file saying who he is (`[people]`) and merging two tasks under one name (`[rename]`);
2. `migrator plan … --format html` against it: the plan the owner signs first (`plan.png`);
3. `migrator run` of both fixture accounts, then moves one time entry's date across a month
   boundary in the target (a PATCH over HTTP: the drift a time zone causes) and edits one
   expense's amount;
4. `migrator verify … --format html`: the verification, exit 2, that month, person and project
   marked (`verify.png`).

Both pages are rendered by headless Chromium (Debian's `chromium`, driven by playwright) at a
desktop width, the top of each page captured. Writes `plan.png`, `verify.png` and the two HTML
files beside them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from migrator.harvest.client import HarvestClient  # noqa: E402
from migrator.sandbox import Sandbox  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
SOURCES = ("fixtures/harvest-v1", "fixtures/freshbooks")
MAP = """[people]
"harvest-v1:users:702" = "ben.okafor@newco.example"   # Ben's address changed when he moved

[rename]
"freshbooks:tasks:32" = "Development"                  # one task list for both old accounts
"""
MOVED_ENTRY = "harvest-v1:day_entry:2001"  # 2013-03-04, Ada Lindqvist, Website Redesign, 3.5 h
MOVED_TO = "2013-02-28"
EDITED_EXPENSE = "[migrator freshbooks expense 71]"  # 38.40 EUR, G7 Taxis


def migrator(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_")} | env | {"PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "migrator", *args], capture_output=True, text=True, env=full,
                          cwd=REPO, timeout=300)  # fmt: skip


def client(sandbox: Sandbox) -> HarvestClient:
    from pydantic import SecretStr

    from migrator.config import RateLimit, TargetSettings

    settings = TargetSettings(sandbox.url, SecretStr(sandbox.token), sandbox.account_id, rate=RateLimit(1000, 1.0))
    return HarvestClient(settings)


def make_reports(out: Path, work: Path) -> tuple[Path, Path]:
    """Plan, run, change the target, verify: the two HTML reports in `out`."""
    plan_html, verify_html = out / "plan.html", out / "verify.html"
    map_file = work / "map.toml"
    map_file.write_text(MAP, encoding="utf-8")
    with Sandbox(rate=None, state_path=work / "state.sqlite") as sandbox:
        sandbox.seed_user("Ben", "Okafor", "ben.okafor@newco.example")
        env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
        target = ("--target", sandbox.url, "--ledger", str(work / "ledger.sqlite"), "--rate", "1000/1",
                  "--map", str(map_file))  # fmt: skip
        plan = migrator("plan", *SOURCES, *target, "--create-users", "--format", "html", "--output", str(plan_html),
                        env=env)  # fmt: skip
        assert plan.returncode == 2, plan.stderr
        run = migrator("run", *SOURCES, *target, "--batch", "demo", "--create-users", env=env)
        assert run.returncode == 0, run.stdout + run.stderr
        harvest = client(sandbox)
        entry = next(e for e in sandbox.objects("time_entries") if e["external_reference"]["id"] == MOVED_ENTRY)
        harvest.patch(f"/time_entries/{entry['id']}", {"spent_date": MOVED_TO})
        expense = next(e for e in sandbox.objects("expenses") if EDITED_EXPENSE in (e["notes"] or ""))
        harvest.patch(f"/expenses/{expense['id']}", {"total_cost": Decimal("45.00")})
        harvest.close()
        verify = migrator("verify", *SOURCES, *target, "--format", "html", "--output", str(verify_html), env=env)
        assert verify.returncode == 2, verify.stderr
    return plan_html, verify_html


def screenshot(pages: list[tuple[Path, Path]], *, width: int = 1100, height: int = 2400) -> None:
    """Each HTML file at `width`, its first `height` pixels at most, as PNG."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
        for html_file, png in pages:
            page.goto(html_file.resolve().as_uri())
            tall = min(int(page.evaluate("document.documentElement.scrollHeight")), height)
            page.screenshot(path=str(png), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": tall})
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as work:
        plan_html, verify_html = make_reports(args.out, Path(work))
    screenshot([(plan_html, args.out / "plan.png"), (verify_html, args.out / "verify.png")])
    print(f"wrote {args.out / 'plan.png'} and {args.out / 'verify.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
