"""Reports for the people who sign off, through the real command line.

- `plan --lossy-csv F`: every lossy note as a row (severity, `SYSTEM:KIND:ID`, field, note, file
  relative to the source folder, line), money first, the same notes as the JSON report;
- updates in the markdown and text plans: old → new as plain values, never `Decimal('…')`;
- `run --format json` and `status --rejected`: a record Harvest refuses is listed, named, with why.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from migrator.generate import generate
from migrator.sandbox import Sandbox
from tests.checks import harvest
from tests.cli.test_plan_and_errors import migrator
from tests.conftest import REPO

SEVERITY_ORDER = ("money", "hours", "data", "cosmetic")


def test_the_lossy_csv_lists_every_note_money_first_with_its_file_and_line(tmp_path: Path) -> None:
    export, out = tmp_path / "export", tmp_path / "lossy.csv"
    generate("freshbooks", export, entries=300, seed=0)  # three tax rates on one invoice: money notes
    done = migrator("plan", str(export), "--offline", "--create-users", "--format", "json", "--lossy-csv", str(out))
    assert done.returncode == 2, done.stderr
    notes = json.loads(done.stdout)["lossy"]

    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["severity", "record", "field", "note", "file", "line"]
    body = rows[1:]
    assert len(body) == len(notes) > 0
    ranks = [SEVERITY_ORDER.index(row[0]) for row in body]
    assert ranks == sorted(ranks) and ranks[0] == 0  # money first, then hours, data, cosmetic
    money = [row for row in body if row[0] == "money"]
    assert any(row[2] == "tax" and "no pair of v2 rates holds every line's taxes" in row[3] for row in money)
    in_json = {(n["severity"], n["system"], n["kind"], n["source_id"], n["field"], n["note"]) for n in notes}
    for severity, record, field, note, file, line in body:
        system, kind, source_id = record.split(":", 2)
        assert (severity, system, kind, source_id, field, note) in in_json
        assert system == "freshbooks"
        if file:  # a note about a record names where it was read, relative to the folder given
            assert not Path(file).is_absolute() and (export / file).is_file(), file
            assert int(line) >= 1


def test_updates_show_old_and_new_as_plain_values_and_steps_name_what_they_archive(tmp_path: Path) -> None:
    source, ledger = tmp_path / "harvest-v1", tmp_path / "ledger.sqlite"
    shutil.copytree(REPO / "fixtures" / "harvest-v1", source)
    with Sandbox(rate=None, state_path=tmp_path / "state.sqlite") as sandbox:
        env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
        target = ("--target", sandbox.url, "--ledger", str(ledger), "--rate", "1000/1")
        assert migrator("run", str(source), *target, "--batch", "history", "--create-users", env=env).returncode == 0
        # After the load, both rates on project 902 changed in the source: Ben's (active) and Cleo's
        # (she left: her assignment is archived in the target, reopened for the update and put back).
        rates = source / "team" / "ua-902.xml"
        text = rates.read_text(encoding="utf-8")
        text = text.replace(">110.0</hourly-rate>", ">115.5</hourly-rate>").replace(">95.0<", ">97.5<")
        rates.write_text(text, encoding="utf-8")

        markdown = migrator("plan", str(source), *target, "--format", "markdown", env=env)
        plain_text = migrator("plan", str(source), *target, env=env)

    assert markdown.returncode == 2, markdown.stderr
    updates = markdown.stdout.split("## Updates (changed in the source since they were loaded)")[1].split("\n## ")[0]
    rows = sorted(line for line in updates.splitlines() if line.startswith("| harvest-v1:"))
    assert rows == [
        "| harvest-v1:user_assignments:1103 | Data Pipeline ← Ben Okafor | team/ua-902.xml:3 "
        "| hourly_rate: 110.0 → 115.5 |",
        "| harvest-v1:user_assignments:1104 | Data Pipeline ← Cleo Baptiste | team/ua-902.xml:13 "
        "| hourly_rate: 95.0 → 97.5 |",
    ]
    shown = plain_text.stdout
    assert "Decimal(" not in shown and "@" not in "".join(line for line in shown.splitlines() if "←" in line)
    assert "~ hourly_rate: 110.0 -> 115.5" in shown and "~ hourly_rate: 95.0 -> 97.5" in shown
    assert "reactivate for the load: Data Pipeline ← Cleo" in shown  # (the label column is cut at its width)
    assert "archive: Data Pipeline ← Cleo Baptiste" in shown and "archive: Cleo Baptiste" in shown
    assert str(source) not in shown  # warnings and errors too: paths relative to the folder given
    assert "Plan: 4 to create, 2 to update" in shown  # her and her assignment: reopen, put back


def test_a_refused_record_is_listed_by_run_json_and_status_rejected(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    with Sandbox(rate=None) as sandbox:
        # Invoice number FB-0103 already taken in the target: Harvest refuses the migrated invoice (422).
        client = harvest(sandbox)
        squatter = client.post("/clients", {"name": "Squatter", "currency": "USD"})
        client.post("/invoices", {"client_id": squatter["id"], "number": "FB-0103"})
        env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
        target = ("--target", sandbox.url, "--ledger", str(ledger), "--rate", "1000/1")
        fixture = str(REPO / "fixtures" / "freshbooks")
        run = migrator("run", fixture, *target, "--batch", "b", "--create-users", "--format", "json", env=env)

    assert run.returncode == 3, run.stderr
    document = json.loads(run.stdout)
    assert document["batch"] == "b" and document["exit_code"] == 3
    rejected = [p for p in document["problems"] if p["state"] == "rejected"]
    assert [p["record"] for p in rejected] == ["freshbooks:invoices:103"]
    assert "already been taken" in rejected[0]["message"]
    blocked = {p["record"] for p in document["problems"] if p["state"] == "blocked"}
    assert blocked and all(record.startswith("freshbooks:invoice") for record in blocked)

    status = migrator("status", "--ledger", str(ledger), "--rejected", "--format", "json")
    assert status.returncode == 0, status.stderr
    not_loaded = json.loads(status.stdout)["not_loaded"]
    assert {(n["record"], n["state"]) for n in not_loaded} == {("freshbooks:invoices:103", "rejected")} | {
        (record, "blocked") for record in blocked
    }
    assert all(n["batch"] == "b" and n["why"] for n in not_loaded)
    text = migrator("status", "--ledger", str(ledger), "--rejected")
    assert "freshbooks:invoices:103" in text.stdout and "already been taken" in text.stdout
