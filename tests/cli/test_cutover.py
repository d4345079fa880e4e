"""A two-export cut-over through the real command line: history first, then the delta on cut-over day.

Between the two exports, records were deleted in the source: a time entry, an expense, and a whole
project with its assignments and time. The plan over the newer export lists exactly those as
orphaned (with the batch that loaded them and where they were last seen); `run --prune delete`
removes exactly them, and the target then verifies against the newer export.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from migrator.sandbox import Sandbox
from tests.cli.test_plan_and_errors import migrator
from tests.conftest import REPO

GONE = {
    "harvest-v1:time_entries:2001",
    "harvest-v1:expenses:1301",
    "harvest-v1:projects:904",
    "harvest-v1:task_assignments:1007",
    "harvest-v1:user_assignments:1107",
    "harvest-v1:time_entries:2013",
    "harvest-v1:expenses:1305",
}


def _remove(folder: Path, relative: str, record: str) -> None:
    """Drop one `<day-entry>`/`<expense>` element (by its id) from an export file."""
    path = folder / relative
    text = path.read_text(encoding="utf-8")
    marker = f'<id type="integer">{record}</id>'
    at = text.index(marker)
    tag = "day-entry" if "<day-entry>" in text else "expense"
    start, end = text.rindex(f"<{tag}>", 0, at), text.index(f"</{tag}>", at) + len(f"</{tag}>")
    path.write_text(text[:start] + text[end:], encoding="utf-8")


def test_a_cut_over_lists_what_left_the_source_and_prunes_exactly_it(tmp_path: Path) -> None:
    first, second = tmp_path / "history", tmp_path / "cutover"
    shutil.copytree(REPO / "fixtures" / "harvest-v1", first)
    shutil.copytree(first, second)
    _remove(second, "timesheets/entries-p1.xml", "2001")
    _remove(second, "timesheets/expenses-2013-03.xml", "1301")
    shutil.rmtree(second / "archive")  # project 904 with its assignments, entry and expense
    ledger = tmp_path / "ledger.sqlite"
    with Sandbox(rate=None, state_path=tmp_path / "state.sqlite") as sandbox:
        env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
        target = ("--target", sandbox.url, "--ledger", str(ledger), "--rate", "1000/1")
        assert migrator("run", str(first), *target, "--batch", "history", "--create-users", env=env).returncode == 0
        before = {kind: len(sandbox.objects(kind)) for kind in ("time_entries", "expenses", "projects")}

        plan = migrator("plan", str(second), *target, "--format", "json", "--prune", "delete", env=env)
        assert plan.returncode == 2, plan.stderr
        orphaned = json.loads(plan.stdout)["orphaned"]
        assert {o["record"] for o in orphaned} == GONE
        entry = next(o for o in orphaned if o["record"] == "harvest-v1:time_entries:2001")
        assert entry["batch"] == "history" and entry["last_seen"].endswith("timesheets/entries-p1.xml:3")
        assert entry["action"] == "delete"
        text = migrator("plan", str(second), *target, env=env).stdout
        assert "orphaned (7): in the ledger, no longer in the source" in text
        assert "left (pass --prune archive|delete to act on it)" in text

        run = migrator("run", str(second), *target, "--batch", "cutover", "--prune", "delete", env=env)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr
        assert "no longer in the source: deleted" in run.stdout
        after = {kind: len(sandbox.objects(kind)) for kind in ("time_entries", "expenses", "projects")}
        assert after == {"time_entries": before["time_entries"] - 2, "expenses": before["expenses"] - 2,
                         "projects": before["projects"] - 1}  # fmt: skip
        verify = migrator("verify", str(second), *target, env=env)
        assert verify.returncode == 0, verify.stdout[-2000:]
        again = json.loads(migrator("plan", str(second), *target, "--format", "json", env=env).stdout)
        assert again["orphaned"] == []  # nothing left to report: the ledger says they are gone
