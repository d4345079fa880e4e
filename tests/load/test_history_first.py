"""History first, archive last: archived things receive their history, then end as they should.

Against the real sandbox, which refuses time and expenses on archived projects, clients, tasks,
expense categories, people and assignments, as Harvest does.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import httpx

from migrator import api
from migrator.load.ledger import Ledger
from migrator.sandbox import Sandbox
from tests.accounts import V1, migrate, planned_records, run
from tests.checks import Recorder, is_upload, target_spec

CLEO = ("Cleo", "Baptiste", "cleo@freelance.example")  # v1 person 703: left, with history on project 902


def _find(sandbox: Sandbox, kind: str, **match: object) -> dict:  # type: ignore[type-arg]
    (found,) = [obj for obj in sandbox.objects(kind) if all(obj.get(k) == v for k, v in match.items())]
    return found


def test_an_adopted_person_who_left_is_reactivated_for_the_load_and_archived_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    ledger = tmp_path / "l.sqlite"
    options = api.SourceOptions((V1,))
    cleo = sandbox.seed_user(*CLEO, is_active=False)  # already in the target, archived: she left long ago
    plan = api.plan(options, target=target_spec(sandbox), ledger_path=ledger, create_users=True)
    steps = {
        (e.planned.kind, e.planned.source_id): e
        for e in plan.plan.entries
        if e.planned.kind in ("reactivations", "archives")
    }
    reactivation = steps[("reactivations", "users:703")]
    assert reactivation.action == "create" and reactivation.target_id == cleo["id"]
    assert "archived in the target: reactivated so that 6 record(s) can load" in (reactivation.reason or "")
    assert steps[("archives", "users:703")].reason == "put back as it was"
    report = run(sandbox, ledger, options=options)
    assert report.exit_code == 0, report.result.problems
    assert _find(sandbox, "users", id=cleo["id"])["is_active"] is False  # as it was
    hers = [e for e in sandbox.objects("time_entries") if e["user"]["id"] == cleo["id"]]
    assert sorted(Decimal(str(e["hours"])) for e in hers) == [
        Decimal("1.5"),
        Decimal("5.0"),
        Decimal("7.75"),
    ]  # none lost
    with Ledger(ledger) as opened:
        assert opened.get("harvest-v1", "users", "703").state == "adopted"  # type: ignore[union-attr]
        assert opened.get("harvest-v1", "reactivations", "users:703").state == "done"  # type: ignore[union-attr]
        assert opened.get("harvest-v1", "archives", "users:703").state == "done"  # type: ignore[union-attr]
    again = run(sandbox, ledger, options=options)
    assert again.exit_code == 0 and again.result.requests == 0
    assert api.verify(options, target=target_spec(sandbox), ledger_path=ledger).ok


def test_a_later_batch_with_new_history_on_archived_things_reopens_them_and_archives_them_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    ledger, first = tmp_path / "l.sqlite", tmp_path / "first"
    shutil.copytree(V1, first)
    (first / "archive" / "legacy-entries.xml").unlink()  # entry 2013 on archived project 904 comes later
    assert run(sandbox, ledger, batch="history", options=api.SourceOptions((first,))).exit_code == 0
    project = _find(sandbox, "projects", name="Legacy Site Retainer")
    client = _find(sandbox, "clients", id=project["client"]["id"])
    assert project["is_active"] is False and client["is_active"] is False
    # The cut-over batch: the full export, with one more entry on the archived project.
    plan = api.plan(api.SourceOptions((V1,)), target=target_spec(sandbox), ledger_path=ledger, create_users=True)
    reopened = sorted(e.planned.source_id for e in plan.plan.entries if e.planned.kind == "reactivations")
    assert reopened == ["clients:503", "projects:904", "tasks:804"]
    report = run(sandbox, ledger, batch="delta", options=api.SourceOptions((V1,)))
    assert report.exit_code == 0, report.result.problems
    assert report.result.counts["time_entries"] == {"done": 1, "unchanged": 12}
    assert _find(sandbox, "projects", id=project["id"])["is_active"] is False
    assert _find(sandbox, "clients", id=client["id"])["is_active"] is False
    assert _find(sandbox, "tasks", name="Legacy Support")["is_active"] is False
    assert api.verify(api.SourceOptions((V1,)), target=target_spec(sandbox), ledger_path=ledger).ok
    assert run(sandbox, ledger, batch="delta", options=api.SourceOptions((V1,))).result.requests == 0

    # Rolling the delta back removes its entry and leaves the archived things archived.
    result = api.rollback(batch="delta", target=target_spec(sandbox), ledger_path=ledger)
    assert result.deleted == {"time_entries": 1}
    assert not [
        e for e in sandbox.objects("time_entries") if e["project"]["id"] == project["id"] and e["hours"] == 1.25
    ]
    assert _find(sandbox, "projects", id=project["id"])["is_active"] is False
    assert _find(sandbox, "clients", id=client["id"])["is_active"] is False


class DoubtfulEntry(Recorder):
    """The entry on the archived project reaches Harvest, but neither its answer nor any check comes back."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and "external_reference_id" in str(request.url):
            raise httpx.ReadTimeout("no answer", request=request)
        response = super().handle_request(request)
        if request.method == "POST" and not is_upload(request) and b"Security patch on the old site" in request.content:
            raise httpx.ReadTimeout("no answer", request=request)
        return response


def test_an_archive_waits_while_history_is_in_doubt(sandbox: Sandbox, tmp_path: Path) -> None:
    """A record whose outcome is unknown is checked and, if absent, sent again by the next run, which
    could not log it on an archived project: the batch's archives wait until nothing is in doubt."""
    ledger, planned = tmp_path / "l.sqlite", planned_records(api.SourceOptions((V1,)))
    first = migrate(sandbox, ledger, planned, create_users=True, transport=DoubtfulEntry())
    assert first.result.exit_code == 3
    assert first.result.counts["archives"] == {"pending": 7}
    assert [p.source_id for p in first.result.problems if p.kind == "time_entries"] == ["2013"]
    project = _find(sandbox, "projects", name="Legacy Site Retainer")
    assert project["is_active"] is True  # still open for the entry in doubt
    second = migrate(sandbox, ledger, planned, create_users=True)
    assert second.result.exit_code == 0, second.result.problems
    # Found by its external reference at planning time, not sent again; ours, as our POST made it.
    assert second.result.counts["time_entries"] == {"done": 1, "unchanged": 12}  # ours: the ledger's word
    with Ledger(ledger) as opened:
        assert opened.get("harvest-v1", "time_entries", "2013").state == "done"  # type: ignore[union-attr]
    assert second.result.counts["archives"] == {"done": 7}
    assert [p for p in second.result.problems] == []
    assert _find(sandbox, "projects", id=project["id"])["is_active"] is False
    assert [e["hours"] for e in sandbox.objects("time_entries") if e["project"]["id"] == project["id"]] == [1.25]
