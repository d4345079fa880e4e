"""The command line as users and scripts drive it: exact plan counts, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrator.kinds import ACTIONS, PLAN_KINDS
from tests.conftest import REPO
from tests.working_tree import child_env, working_folder

TOKEN = "pat-TOPSECRET-4711"


def migrator(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = child_env()
    return subprocess.run(
        [sys.executable, "-m", "migrator", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env | (env or {}),
        cwd=cwd or working_folder(),
    )


def summary(document: dict) -> dict[str, dict[str, int]]:  # type: ignore[type-arg]
    return {
        kind: {a: n for a, n in counts.items() if n}
        for kind, counts in document["summary"].items()
        if any(counts.values())
    }


V1_WITH_USERS = {
    "clients": {"create": 3},
    "contacts": {"create": 2},
    "users": {"create": 3},
    "tasks": {"create": 4},
    "expense_categories": {"create": 3},
    "invoice_item_categories": {"create": 2},
    "projects": {"create": 4},
    "user_assignments": {"create": 7},
    "task_assignments": {"create": 7},
    "time_entries": {"create": 13},
    "expenses": {"create": 5},
    "invoices": {"create": 5},
    "invoice_payments": {"create": 4},
    "invoice_messages": {"create": 5, "skipped": 4},
    # Client 503, user 703, task 804, category 1203, project 904 and two assignments are archived in
    # v1 and carry history: created active, archived at the end of the batch.
    "archives": {"create": 7},
}
FB_WITH_USERS = {
    "clients": {"create": 4, "skipped": 1},
    "contacts": {"create": 5},
    "users": {"create": 3},
    "tasks": {"create": 3},
    "expense_categories": {"create": 3},
    "invoice_item_categories": {"create": 2},
    "projects": {"create": 4},
    "user_assignments": {"create": 8},
    "task_assignments": {"create": 6},
    "time_entries": {"create": 8},
    "expenses": {"create": 2},
    "estimates": {"create": 2},
    "estimate_messages": {"create": 3},
    "invoices": {"create": 4},
    "invoice_payments": {"create": 2, "skipped": 1},
    "invoice_messages": {"create": 3},
    # The archived client 13 and its project 44, after their time loads; and the four assignments only
    # the history implies (not on their project in FreshBooks), after theirs.
    "archives": {"create": 6},
}
FB_LOSSY = 38


@pytest.mark.parametrize(
    ("fixture", "expected", "source", "lossy"),
    [
        pytest.param("harvest-v1", V1_WITH_USERS, {"system": "harvest-v1", "files": 36, "records": 67}, 109, id="v1"),
        pytest.param(
            "freshbooks", FB_WITH_USERS, {"system": "freshbooks", "files": 19, "records": 41}, FB_LOSSY, id="fb"
        ),
    ],
)
def test_offline_plan_json_gives_exact_counts(fixture: str, expected: dict, source: dict, lossy: int) -> None:  # type: ignore[type-arg]
    done = migrator("plan", f"fixtures/{fixture}", "--offline", "--format", "json", "--create-users")
    assert done.returncode == 2, done.stderr
    document = json.loads(done.stdout)
    assert document["source"] == source
    assert list(document["summary"]) == list(PLAN_KINDS)
    assert all(list(counts) == list(ACTIONS) for counts in document["summary"].values())
    assert summary(document) == expected
    assert len(document["lossy"]) == lossy and document["errors"] == []
    sample = next(c for c in document["changes"] if c["kind"] == "time_entries")
    assert set(sample) >= {"kind", "action", "source_id", "origin", "target_id", "payload", "diff"}
    assert sample["payload"]["project_id"].startswith("@projects:")


def test_without_create_users_people_missing_from_the_target_are_invalid_with_the_reason() -> None:
    done = migrator("plan", "fixtures/harvest-v1", "--offline", "--format", "json")
    document = json.loads(done.stdout)
    assert summary(document)["users"] == {"invalid": 3}
    assert summary(document)["time_entries"] == {"invalid": 13}
    reasons = {c["reason"] for c in document["changes"] if c["kind"] == "users"}
    assert all("invite them in Harvest first, or pass --create-users" in r for r in reasons)


def test_text_and_markdown_reports() -> None:
    text = migrator("plan", "fixtures/freshbooks", "--offline", "--create-users")
    assert text.returncode == 2
    assert "Plan: 68 to create, 0 to update, 0 to adopt, 0 unchanged, 0 invalid, 2 skipped." in text.stdout
    assert "\x1b[" not in text.stdout  # no colour when not a terminal
    markdown = migrator("plan", "fixtures/freshbooks", "--offline", "--create-users", "--format", "markdown")
    assert "| **total** | **68** | **0** | **0** | **0** | **0** | **2** |" in markdown.stdout
    assert "## Lossy mappings" in markdown.stdout and "## Hours and money per client" in markdown.stdout


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        pytest.param(
            ["plan", "fixtures/harvest-v1"],
            {},
            "set HARVEST_ACCESS_TOKEN and HARVEST_ACCOUNT_ID",
            id="missing-credentials",
        ),
        pytest.param(
            ["plan", "fixtures/harvest-v1", "--target", "http://127.0.0.1:9/v2"],
            {"HARVEST_ACCESS_TOKEN": TOKEN, "HARVEST_ACCOUNT_ID": "1"},
            "cannot reach http://127.0.0.1:9/v2",
            id="unreachable",
        ),
        pytest.param(["status", "--ledger", "nope.sqlite"], {}, "no ledger at nope.sqlite", id="empty-ledger"),
        pytest.param(
            ["plan", "fixtures/freshbooks-bad", "--offline"],
            {},
            'FreshBooks answered status="fail": code 20010: Authentication failed.',
            id="fail-body",
        ),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_1(
    args: list[str], env: dict[str, str], needle: str, tmp_path: Path
) -> None:
    done = migrator(*args, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert needle in done.stderr
    assert "Traceback" not in done.stderr and TOKEN not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_401_names_what_to_fix_without_the_token(sandbox) -> None:  # type: ignore[no-untyped-def]
    done = migrator(
        "plan",
        "fixtures/harvest-v1",
        "--target",
        sandbox.url,
        env={"HARVEST_ACCESS_TOKEN": TOKEN, "HARVEST_ACCOUNT_ID": sandbox.account_id},
    )
    assert done.returncode == 1
    assert "401" in done.stderr and "HARVEST_ACCESS_TOKEN" in done.stderr
    assert TOKEN not in done.stderr and "Traceback" not in done.stderr


def test_a_hostile_file_stops_the_plan_unless_keep_going(tmp_path: Path) -> None:
    bad = tmp_path / "export"
    bad.mkdir()
    (bad / "ok.xml").write_text((REPO / "fixtures/harvest-v1/tasks.xml").read_text())
    (bad / "evil.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<tasks><task><name>&x;</name></task></tasks>"
    )
    stopped = migrator("plan", str(bad), "--offline")
    assert stopped.returncode == 1
    assert f"{bad / 'evil.xml'}:1" in stopped.stderr and "refused" in stopped.stderr
    going = migrator("plan", str(bad), "--offline", "--keep-going", "--format", "json")
    assert going.returncode == 2
    document = json.loads(going.stdout)
    assert summary(document)["tasks"] == {"create": 4}
    assert [e["file"] for e in document["errors"]] == [str(bad / "evil.xml")]
    assert "root:" not in going.stdout


def test_run_status_verify_rollback_on_the_sandbox(tmp_path: Path) -> None:
    run = migrator(
        "run", str(REPO / "fixtures/freshbooks"), "--sandbox", "--batch", "demo", "--create-users", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert "Batch demo finished" in run.stdout
    status = migrator("status", "--format", "json", cwd=tmp_path)
    data = json.loads(status.stdout)
    assert data["batches"][0]["name"] == "demo" and data["pending"] == []
    assert data["batches"][0]["kinds"]["time_entries"] == {"done": 8}
    verify = migrator("verify", str(REPO / "fixtures/freshbooks"), "--sandbox", "--format", "json", cwd=tmp_path)
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"] is True
    assert json.loads(verify.stdout)["totals"]["hours"] == {"source": "26.00", "target": "26.00"}
    undo = migrator("rollback", "--batch", "demo", "--sandbox", cwd=tmp_path)
    assert undo.returncode == 0, undo.stderr
    from migrator.sandbox import Sandbox

    with Sandbox(rate=None, state_path=tmp_path / "migrator-ledger.sqlite.sandbox.sqlite") as after:
        left = {kind: n for kind, n in after.stats()["objects"].items() if n}
    # Exactly what an empty sandbox holds: its owner and the default item categories (adopted, never deleted).
    assert left == {"users": 1, "invoice_item_categories": 2, "estimate_item_categories": 2}
    again = migrator("rollback", "--batch", "demo", "--sandbox", cwd=tmp_path)
    assert "deleted nothing" in again.stdout
    unknown = migrator("rollback", "--batch", "nope", "--sandbox", cwd=tmp_path)
    assert unknown.returncode == 1 and "unknown batch 'nope'" in unknown.stderr


def test_a_saved_plan_is_applied_exactly_and_refused_when_stale(tmp_path: Path) -> None:
    source = tmp_path / "export"
    source.mkdir()
    (source / "tasks.xml").write_text((REPO / "fixtures/freshbooks/work/tasks.xml").read_text())
    saved = tmp_path / "plan.json"
    planned = migrator("plan", str(source), "--sandbox", "--save-plan", str(saved), cwd=tmp_path)
    assert planned.returncode == 2 and saved.exists()
    (source / "tasks.xml").write_text((source / "tasks.xml").read_text().replace("Admin", "Office"))
    stale = migrator("run", str(source), "--sandbox", "--batch", "b", "--plan", str(saved), cwd=tmp_path)
    assert stale.returncode == 1
    assert "is stale: the source files" in stale.stderr and "changed since it was made" in stale.stderr
    fresh = migrator("plan", str(source), "--sandbox", "--save-plan", str(saved), cwd=tmp_path)
    assert fresh.returncode == 2
    applied = migrator("run", str(source), "--sandbox", "--batch", "b", "--plan", str(saved), cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    again = migrator("run", str(source), "--sandbox", "--batch", "b", "--plan", str(saved), cwd=tmp_path)
    assert again.returncode == 1 and "the ledger" in again.stderr


def test_a_plan_saved_before_the_first_run_is_applied(tmp_path: Path) -> None:
    """The bookkeeper signs off the very first plan, made while no ledger exists yet: run applies it."""
    saved = tmp_path / "plan.json"
    source = str(REPO / "fixtures/freshbooks/work/tasks.xml")
    planned = migrator("plan", source, "--sandbox", "--save-plan", str(saved), cwd=tmp_path)
    assert planned.returncode == 2 and not (tmp_path / "migrator-ledger.sqlite").exists()
    applied = migrator("run", source, "--sandbox", "--batch", "b", "--plan", str(saved), cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
