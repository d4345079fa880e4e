"""The loader against the real sandbox: exactly once, resumable, zero requests on a re-run."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator import api
from migrator.load.ledger import Ledger, LedgerLock
from migrator.sandbox import Sandbox
from tests.accounts import (
    EXPECTED,
    FB,
    SOURCES,
    assert_exactly_one_object_per_record,
    fault_spec,
    run,
    run_through_faults,
    seed_people,
)
from tests.checks import assert_ledger_matches_target, harvest, snapshot, target_spec


def test_full_migration_then_a_rerun_sends_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    first = run(sandbox, ledger)
    assert first.exit_code == 0, first.result.rejected + first.result.blocked
    assert sandbox.stats()["objects"] == EXPECTED
    assert sandbox.stats()["emails_sent"] == 6  # the six users, created because create_users=True
    assert_ledger_matches_target(sandbox, ledger)
    before = sandbox.stats()["requests"]
    second = run(sandbox, ledger)
    # A re-run reads the target once per kind to check nothing was deleted by hand, and writes nothing.
    assert second.result.requests == 0
    assert second.result.counts["time_entries"] == {"unchanged": 21}
    assert sandbox.stats()["objects"] == EXPECTED
    assert sandbox.stats()["requests"] - before < 30
    assert api.verify(SOURCES, target=target_spec(sandbox), ledger_path=ledger).ok


def test_existing_users_are_adopted_and_nobody_is_emailed(sandbox: Sandbox, tmp_path: Path) -> None:
    seed_people(sandbox)
    report = api.run(SOURCES, batch="b", target=target_spec(sandbox), ledger_path=tmp_path / "l.sqlite")
    assert report.exit_code == 0
    assert report.result.counts["users"] == {"adopted": 6}
    assert sandbox.stats()["emails_sent"] == 0


def test_a_source_edit_becomes_one_patch_with_only_the_changed_field(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    source = tmp_path / "src"
    source.mkdir()
    original = (FB / "work" / "tasks.xml").read_text()
    (source / "tasks.xml").write_text(original)
    options = api.SourceOptions((source,))
    assert run(sandbox, ledger, options=options).exit_code == 0
    (source / "tasks.xml").write_text(original.replace("<name>Build</name>", "<name>Build &amp; ship</name>"))
    plan = api.plan(options, target=target_spec(sandbox), ledger_path=ledger)
    updates = [e for e in plan.plan.entries if e.action == "update"]
    assert [(e.planned.source_id, e.diff) for e in updates] == [("32", {"name": ["Build", "Build & ship"]})]
    report = run(sandbox, ledger, options=options)
    assert report.result.requests == 1
    assert {t["name"] for t in sandbox.objects("tasks")} >= {"Build & ship"}


def test_a_rejected_record_blocks_its_dependents_and_the_rest_goes_on(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    # Occupy invoice number FB-0103 so Harvest refuses the migrated invoice (422 "already been taken").
    store = sandbox.store
    with store.lock:
        store._insert("clients", {"name": "Squatter", "is_active": True, "currency": "USD"})
    squatter = next(c for c in sandbox.objects("clients") if c["name"] == "Squatter")
    harvest(sandbox).post("/invoices", {"client_id": squatter["id"], "number": "FB-0103"})
    report = run(sandbox, ledger, options=api.SourceOptions((FB,)))
    assert report.exit_code == 3
    assert any("invoices 103" in line and "already been taken" in line for line in report.result.rejected)
    assert any(line.startswith("invoice_messages 103:send") for line in report.result.blocked)
    with Ledger(ledger) as opened:
        assert opened.get("freshbooks", "invoices", "103").state == "rejected"  # type: ignore[union-attr]
        assert opened.get("freshbooks", "invoices", "101").state == "done"  # type: ignore[union-attr]


@pytest.mark.parametrize("fault", ["error_500", "commit_502", "commit_drop", "stall"])
def test_every_fault_kind_ends_with_exactly_one_object_per_record(fault: str, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    with Sandbox(rate=None, fault_rate=0.3, fault_kinds=(fault,), fault_seed=7, stall_seconds=0.6) as sandbox:
        before = snapshot(sandbox)
        run_through_faults(sandbox, ledger)
        sandbox.set_fault_rate(0.0)
        spec = fault_spec(sandbox)
        report = api.run(SOURCES, batch="f", target=spec, ledger_path=ledger, create_users=True, concurrency=4)
        assert report.exit_code == 0, report.result.rejected + report.result.blocked + report.result.unknown
        assert sandbox.stats()["faults_injected"] > 0
        assert_exactly_one_object_per_record(sandbox, ledger, before)


def test_a_pending_intent_is_reconciled_not_duplicated(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger_path = tmp_path / "l.sqlite"
    options = api.SourceOptions((FB / "clients",))

    # A crash after the POST reached Harvest but before the v2 id was recorded:
    with Ledger(ledger_path) as ledger:
        ledger.bind_target(sandbox.url, sandbox.account_id)
        ledger.record_intent("freshbooks", "clients", "13", {"name": "Ortiz Builders"}, "b")
    harvest(sandbox).post("/clients", {"name": "Ortiz Builders", "address": "x", "currency": "USD"})
    # ... and one whose POST never arrived:
    with Ledger(ledger_path) as ledger:
        ledger.record_intent("freshbooks", "clients", "11", {"name": "Café Lumière & Fils"}, "b")
    report = run(sandbox, ledger_path, batch="b", options=options)
    assert report.exit_code == 0
    names = sorted(c["name"] for c in sandbox.objects("clients"))
    assert names.count("Ortiz Builders") == 1 and names.count("Café Lumière & Fils") == 1
    with Ledger(ledger_path) as ledger:
        assert ledger.get("freshbooks", "clients", "13").state in ("done", "adopted")  # type: ignore[union-attr]


def test_an_object_deleted_by_hand_is_reported_then_recreated_on_request(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    options = api.SourceOptions((FB / "work" / "tasks.xml",))
    run(sandbox, ledger, options=options)

    admin = next(t for t in sandbox.objects("tasks") if t["name"] == "Admin")
    harvest(sandbox).delete(f"/tasks/{admin['id']}")
    plan = api.plan(options, target=target_spec(sandbox), ledger_path=ledger)
    (entry,) = [e for e in plan.plan.entries if e.planned.source_id == "33"]
    assert entry.action == "skipped" and "deleted in the target" in (entry.reason or "")
    report = api.run(options, batch="b1", target=target_spec(sandbox), ledger_path=ledger, recreate_missing=True)
    assert report.exit_code == 0
    assert [t["name"] for t in sandbox.objects("tasks")].count("Admin") == 1


def test_a_second_run_on_a_locked_ledger_is_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    from migrator.errors import LedgerError

    ledger = tmp_path / "l.sqlite"
    with LedgerLock(ledger), pytest.raises(LedgerError, match="in use by another migrator run"):
        run(sandbox, ledger)
    assert sandbox.stats()["requests"] == 0
