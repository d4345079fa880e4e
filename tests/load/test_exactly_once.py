"""The loader against the real sandbox: exactly once, resumable, zero requests on a re-run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrator import api
from migrator.config import RateLimit
from migrator.errors import HarvestError
from migrator.kinds import KINDS, REGISTRY
from migrator.load.ledger import Ledger, LedgerLock
from migrator.load.loader import LoadEvent
from migrator.planned import MapContext, Planned
from migrator.sandbox import Sandbox
from migrator.target import TargetSpec
from tests.conftest import REPO
from tests.load.conftest import assert_target_matches_plan, snapshot

V1 = REPO / "fixtures" / "harvest-v1"
FB = REPO / "fixtures" / "freshbooks"
SOURCES = api.SourceOptions((V1, FB))
# v2 objects after loading both fixture accounts into an empty sandbox. The sandbox seeds its owner and
# two item categories of each kind. Both exports have a task "Design" and an expense category
# "Travel": one v2 object each (names are unique in Harvest). Harvest itself adds the v1 default task
# and the v1 "all future projects" user to every new project; the loader removes those the source
# project does not have, so each project ends with exactly the source's assignments.
EXPECTED = {
    "clients": 7,
    "contacts": 7,
    "users": 7,
    "tasks": 6,
    "expense_categories": 5,
    "invoice_item_categories": 4,
    "estimate_item_categories": 2,
    "projects": 8,
    "user_assignments": 15,
    "task_assignments": 13,
    "time_entries": 21,
    "expenses": 7,
    "estimates": 2,
    "estimate_messages": 3,
    "invoices": 9,
    "invoice_payments": 6,
    "invoice_messages": 8,
}


# The people of both fixture accounts, as they would already exist in a real target account.
PEOPLE = (
    ("Ada", "Lindqvist", "ada@northwind.example"),
    ("Ben", "Okafor", "ben@northwind.example"),
    ("Cleo", "Baptiste", "cleo@freelance.example"),
    ("Nora", "Quist", "nora@quiststudio.example"),
    ("Omar", "Haddad", "omar@quiststudio.example"),
    ("Priya", "Raman", "priya@quiststudio.example"),
)


def seed_people(sandbox: Sandbox) -> None:
    """Invite the fixture people into the target beforehand (no email counted): a run adopts them."""
    for first, last, email in PEOPLE:
        sandbox.seed_user(first, last, email)


def planned_records(options: api.SourceOptions = SOURCES) -> list[Planned]:
    """Every planned v2 record of `options`, as mapped by the real sources and mappings."""
    exports, sink = api.read_and_map(options, MapContext())
    for export in exports:
        export.close()
    return sink.planned


def _spec(sandbox: Sandbox, rate: str = "1000/1") -> TargetSpec:
    env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
    return TargetSpec.from_options(target=sandbox.url, sandbox=False, rate=rate, env=env)


def run(
    sandbox: Sandbox, ledger: Path, batch: str = "b1", options: api.SourceOptions = SOURCES, **kwargs: Any
) -> api.RunReport:
    return api.run(
        options, batch=batch, target=_spec(sandbox), ledger_path=ledger, create_users=True, concurrency=4, **kwargs
    )


def assert_ledger_matches_target(sandbox: Sandbox, ledger_path: Path) -> None:
    """Every done/adopted row points at an existing object with the same natural key; no duplicates."""
    with Ledger(ledger_path) as ledger:
        rows = [row for row in ledger.rows() if row.state in ("done", "adopted") and row.v2_id is not None]
    objects = {kind: {obj["id"]: obj for obj in sandbox.objects(kind)} for kind in KINDS}
    for row in rows:
        if REGISTRY[row.kind].step:
            assert row.v2_id in objects[row.source_id.partition(":")[0]], f"{row.kind} {row.source_id}: no object"
            continue
        assert row.v2_id in objects[row.kind], f"{row.kind} {row.source_id} -> {row.v2_id} missing in the target"
    for kind in KINDS:
        entry = REGISTRY[kind]
        if entry.event or entry.parent_field:
            continue
        keys = [entry.target_key(obj) for obj in objects[kind].values()]
        assert len(keys) == len(set(keys)), f"duplicate {kind} in the target"


def fault_spec(sandbox: Sandbox) -> TargetSpec:
    """A client for a faulty sandbox: a generous budget, a short timeout (shorter than a stall), quick backoff."""
    env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
    # With Harvest's 100/15 the tests would mostly wait for the client's own limiter.
    return TargetSpec("url", url=sandbox.url, env=env, rate=RateLimit(1000, 1.0), timeout=0.4, backoff_max=0.2)


def run_through_faults(
    sandbox: Sandbox,
    ledger: Path,
    *,
    tries: int = 6,
    create_users: bool = True,
    progress: Callable[[LoadEvent], None] | None = None,
) -> api.RunReport | None:
    """Run the full migration against the sandbox as it is (faults on) until a run exits 0.

    Returns that run's report, or None if `tries` runs did not get there. A fault may stop a run
    (a read that failed every retry, say): the next run resumes it, as a user would.
    """
    for _attempt in range(tries):
        try:
            report = api.run(
                SOURCES,
                batch="f",
                target=fault_spec(sandbox),
                ledger_path=ledger,
                create_users=create_users,
                concurrency=4,
                progress=progress,
            )
        except HarvestError:
            continue
        if report.exit_code == 0:
            return report
    return None


def assert_exactly_one_object_per_record(sandbox: Sandbox, ledger: Path, before: dict[str, set[int]]) -> None:
    """The whole fixture migration is in the target exactly once, and the ledger says so."""
    assert sandbox.stats()["objects"] == EXPECTED
    assert_ledger_matches_target(sandbox, ledger)
    assert_target_matches_plan(sandbox, ledger, planned_records(), before)


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
    assert api.verify(SOURCES, target=_spec(sandbox), ledger_path=ledger).ok


def test_existing_users_are_adopted_and_nobody_is_emailed(sandbox: Sandbox, tmp_path: Path) -> None:
    seed_people(sandbox)
    report = api.run(SOURCES, batch="b", target=_spec(sandbox), ledger_path=tmp_path / "l.sqlite")
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
    plan = api.plan(options, target=_spec(sandbox), ledger_path=ledger)
    updates = [e for e in plan.plan.entries if e.action == "update"]
    assert [(e.planned.source_id, e.diff) for e in updates] == [("32", {"name": ["Build", "Build & ship"]})]
    report = run(sandbox, ledger, options=options)
    assert report.result.requests == 1
    assert {t["name"] for t in sandbox.objects("tasks")} >= {"Build & ship"}


def test_a_rejected_record_blocks_its_dependents_and_the_rest_goes_on(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    # Occupy invoice number FB-0103 so Harvest refuses the migrated invoice (422 "already been taken").
    client = sandbox.store
    with client.lock:
        client._insert("clients", {"name": "Squatter", "is_active": True, "currency": "USD"})
    from tests.conftest import client_for

    harvest = client_for(sandbox)
    squatter = next(c for c in sandbox.objects("clients") if c["name"] == "Squatter")
    harvest.post("/invoices", {"client_id": squatter["id"], "number": "FB-0103"})
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
    from tests.conftest import client_for

    # A crash after the POST reached Harvest but before the v2 id was recorded:
    with Ledger(ledger_path) as ledger:
        ledger.bind_target(sandbox.url, sandbox.account_id)
        ledger.record_intent("freshbooks", "clients", "13", {"name": "Ortiz Builders"}, "b")
    client_for(sandbox).post("/clients", {"name": "Ortiz Builders", "address": "x", "currency": "USD"})
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
    from tests.conftest import client_for

    admin = next(t for t in sandbox.objects("tasks") if t["name"] == "Admin")
    client_for(sandbox).delete(f"/tasks/{admin['id']}")
    plan = api.plan(options, target=_spec(sandbox), ledger_path=ledger)
    (entry,) = [e for e in plan.plan.entries if e.planned.source_id == "33"]
    assert entry.action == "skipped" and "deleted in the target" in (entry.reason or "")
    report = api.run(options, batch="b1", target=_spec(sandbox), ledger_path=ledger, recreate_missing=True)
    assert report.exit_code == 0
    assert [t["name"] for t in sandbox.objects("tasks")].count("Admin") == 1


def test_a_second_run_on_a_locked_ledger_is_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    from migrator.errors import LedgerError

    ledger = tmp_path / "l.sqlite"
    with LedgerLock(ledger), pytest.raises(LedgerError, match="in use by another migrator run"):
        run(sandbox, ledger)
    assert sandbox.stats()["requests"] == 0
