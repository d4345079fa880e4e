"""The loader against the real sandbox over HTTP: exactly once, resumable, zero requests on a re-run."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from migrator import jsonio
from migrator.config import RateLimit
from migrator.errors import AuthError, LedgerError, TargetUnreachableError, TransientError
from migrator.load.ledger import Ledger, LedgerLock
from migrator.load.loader import LoadEvent, load
from migrator.load.planner import build_plan
from migrator.load.target_index import TargetIndex
from migrator.planned import Planned
from migrator.sandbox import Sandbox
from tests.load.conftest import (
    ADA,
    SYSTEM,
    Recorder,
    assert_target_matches_plan,
    harvest,
    migrate,
    reconciliations,
    snapshot,
    world,
)


@pytest.fixture()
def seeded(sandbox: Sandbox) -> Sandbox:
    """The shared sandbox with Ada invited long ago: the plan adopts her, nobody is emailed."""
    sandbox.seed_user(*ADA)
    return sandbox


def states(ledger_path: Path) -> dict[str, str]:
    with Ledger(ledger_path) as ledger:
        return {f"{row.kind} {row.source_id}": row.state for row in ledger.rows()}


def find(sandbox: Sandbox, kind: str, **fields: object) -> dict[str, Any]:
    (found,) = [obj for obj in sandbox.objects(kind) if all(obj.get(k) == v for k, v in fields.items())]
    return found


def test_a_full_load_creates_exactly_the_plan_and_emails_nobody(seeded: Sandbox, tmp_path: Path) -> None:
    before, planned = snapshot(seeded), world()
    events: list[LoadEvent] = []
    run = migrate(seeded, tmp_path / "l.sqlite", planned, progress=events.append)
    assert run.result.exit_code == 0, run.result.problems
    assert run.result.counts["users"] == {"adopted": 1}
    assert run.result.counts["time_entries"] == {"done": 4}
    assert_target_matches_plan(seeded, tmp_path / "l.sqlite", planned, before)
    assert seeded.stats()["emails_sent"] == 0
    assert find(seeded, "invoices", number="INV-10")["state"] == "closed"
    assert find(seeded, "invoices", number="INV-11")["state"] == "draft"
    assert find(seeded, "estimates", number="EST-20")["state"] == "accepted"
    # One POST per created object; planning read each kind's list once.
    creates = sum(entry.action == "create" for entry in run.plan.entries)
    assert run.result.requests == creates == len(planned) - 1
    assert (events[-1].done, events[-1].total) == (len(planned), len(planned))
    assert events[-1].kinds["time_entries"] == (4, 4)
    assert [e.done for e in events] == sorted(e.done for e in events)


def test_a_second_load_sends_no_request_and_changes_nothing(seeded: Sandbox, tmp_path: Path) -> None:
    ledger, planned = tmp_path / "l.sqlite", world()
    migrate(seeded, ledger, planned)
    objects = seeded.stats()["objects"]
    again = migrate(seeded, ledger, planned)
    assert again.result.requests == 0 and again.result.exit_code == 0
    assert {state for counts in again.result.counts.values() for state in counts} == {"unchanged"}
    assert set(again.client.stats.by_method) == {"GET"}  # the planner's list reads, nothing else
    assert seeded.stats()["objects"] == objects


def _edited(planned: list[Planned], ref: str, **changes: object) -> list[Planned]:
    for item in planned:
        if item.ref == ref:
            item.payload = item.payload | changes
    return planned


def test_a_source_edit_is_one_patch_of_the_changed_field_only(seeded: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    migrate(seeded, ledger, world())
    recorder = Recorder()
    edited = _edited(world(), "@time_entries:2", notes="entry 2, reworded")
    run = migrate(seeded, ledger, edited, client=harvest(seeded, transport=recorder))
    (entry,) = [e for e in run.plan.entries if e.action == "update"]
    assert entry.diff == {"notes": ["entry 2", "entry 2, reworded"]}
    assert recorder.writes() == [("PATCH", f"/time_entries/{entry.target_id}", {"notes": "entry 2, reworded"})]
    assert find(seeded, "time_entries", id=entry.target_id)["notes"] == "entry 2, reworded"
    assert states(ledger)["time_entries 2"] == "done"
    assert migrate(seeded, ledger, edited).result.requests == 0  # the new hash is recorded


def test_an_invoice_line_edit_replaces_the_line_instead_of_adding_one(seeded: Sandbox, tmp_path: Path) -> None:
    ledger, planned = tmp_path / "l.sqlite", world()
    migrate(seeded, ledger, planned)
    line = dict(next(i for i in planned if i.ref == "@invoices:11").payload["line_items"][0])
    edited = _edited(world(), "@invoices:11", line_items=[line | {"unit_price": 35}])
    assert migrate(seeded, ledger, edited).result.exit_code == 0
    invoice = find(seeded, "invoices", number="INV-11")
    assert [(item["kind"], item["unit_price"]) for item in invoice["line_items"]] == [("Product", 35)]


def test_a_422_rejects_one_record_blocks_its_dependents_and_the_rest_goes_on(seeded: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    run = migrate(seeded, ledger, world(line_kind="Nope"))
    assert run.result.exit_code == 3
    message = "Line items kind 'Nope' is not an existing invoice item category"
    assert run.result.rejected == [f"invoices 10 (hand/invoices.xml:3): {message}"]
    cause = f"blocked by rejected invoices 10: {message}"
    assert sorted(run.result.blocked) == sorted(
        f"{kind} {source_id} (hand/{kind}.xml:3): {cause}"
        for kind, source_id in [
            ("invoice_messages", "10:send"),
            ("invoice_payments", "100"),
            ("invoice_messages", "10:close"),
        ]
    )
    after = states(ledger)
    assert after["invoices 10"] == "rejected" and after["invoice_payments 100"] == "blocked"
    assert after["invoices 11"] == after["estimate_messages 20:accept"] == after["time_entries 4"] == "done"
    with Ledger(ledger) as opened:
        assert opened.get(SYSTEM, "invoices", "10").last_error == message  # type: ignore[union-attr]
    # Fixed in the source, the next run loads what is missing, and only that.
    fixed = migrate(seeded, ledger, world())
    assert fixed.result.exit_code == 0 and fixed.result.requests == 4
    assert find(seeded, "invoices", number="INV-10")["state"] == "closed"


def test_a_crash_after_the_post_is_found_and_one_before_it_is_created_once(seeded: Sandbox, tmp_path: Path) -> None:
    ledger_path, client = tmp_path / "l.sqlite", harvest(seeded)
    before, planned = snapshot(seeded), world()
    # Two intents from a killed run: Acme's POST reached Harvest, Globex's never left.
    with Ledger(ledger_path) as ledger:
        ledger.bind_target(seeded.url, seeded.account_id)
        ledger.record_intent(SYSTEM, "clients", "1", {"name": "Acme"}, "b1")
        ledger.record_intent(SYSTEM, "clients", "2", {"name": "Globex"}, "b1")
    acme = client.post("/clients", {"name": "Acme", "currency": "USD", "address": "1 Road"})
    run = migrate(seeded, ledger_path, planned)
    assert run.result.exit_code == 0
    assert_target_matches_plan(seeded, ledger_path, planned, before)
    with Ledger(ledger_path) as ledger:
        row = ledger.get(SYSTEM, "clients", "1")
        # Found after a POST of ours whose answer was lost: ours (`done`), so a rollback removes it.
        assert row is not None and (row.state, row.v2_id) == ("done", acme["id"])
        assert ledger.get(SYSTEM, "clients", "2").state == "done"  # type: ignore[union-attr]


def test_a_time_entry_left_pending_is_found_by_its_external_reference(seeded: Sandbox, tmp_path: Path) -> None:
    ledger_path = tmp_path / "l.sqlite"
    migrate(seeded, ledger_path, world(time_entries=3))
    with Ledger(ledger_path) as ledger:
        ids = {f"@{r.kind}:{r.source_id}": r.v2_id for r in ledger.rows()}
        body = {
            "project_id": ids["@projects:1"],
            "task_id": ids["@tasks:1"],
            "user_id": ids["@users:1"],
            "spent_date": "2021-03-05",
            "hours": 5,
            "notes": "entry 4",
            "external_reference": {"id": "hand:time_entry:4", "group_id": "hand"},
        }
        ledger.record_intent(SYSTEM, "time_entries", "4", body, "b1")
    harvest(seeded).post("/time_entries", body)  # ...and the process died before recording the id
    recorder = Recorder()
    run = migrate(seeded, ledger_path, world(), client=harvest(seeded, transport=recorder))
    assert run.result.exit_code == 0 and recorder.writes() == []
    assert len([t for t in seeded.objects("time_entries") if t["notes"] == "entry 4"]) == 1
    assert states(ledger_path)["time_entries 4"] == "done"  # our lost POST made it: ours


def test_a_state_event_answered_422_although_it_happened_is_not_sent_again(seeded: Sandbox, tmp_path: Path) -> None:
    class LyingHarvest(Recorder):
        """Harvest's known bug: the send event is applied, the answer is a 422."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            if request.method == "POST" and request.url.path.endswith("/messages") and b'"send"' in request.content:
                body = jsonio.dumps({"message": "Event type can't be send unless invoice is a draft"}).encode()
                return httpx.Response(422, content=body, headers={"Content-Type": "application/json"})
            return response

    recorder = LyingHarvest()
    planned = world()
    run = migrate(seeded, tmp_path / "l.sqlite", planned, client=harvest(seeded, transport=recorder))
    assert run.result.exit_code == 0, run.result.problems
    sends = [w for w in recorder.writes() if w[1].endswith("/messages") and w[2]["event_type"] == "send"]
    assert len(sends) == 2  # the invoice's and the estimate's, each once
    assert states(tmp_path / "l.sqlite")["invoice_messages 10:send"] == "adopted"
    assert find(seeded, "invoices", number="INV-10")["state"] == "closed"


def test_an_object_deleted_by_hand_is_skipped_then_recreated_on_request(seeded: Sandbox, tmp_path: Path) -> None:
    ledger, planned, before = tmp_path / "l.sqlite", world(), snapshot(seeded)
    migrate(seeded, ledger, planned)
    jane = find(seeded, "contacts", first_name="Jane")
    harvest(seeded).delete(f"/contacts/{jane['id']}")
    kept = migrate(seeded, ledger, planned)
    (entry,) = [e for e in kept.plan.entries if e.planned.ref == "@contacts:1"]
    assert entry.action == "skipped"
    assert entry.reason == "deleted in the target since batch b1; pass --recreate-missing to create it again"
    assert kept.result.requests == 0
    again = migrate(seeded, ledger, planned, recreate_missing=True)
    assert again.result.exit_code == 0 and again.result.requests == 1
    assert_target_matches_plan(seeded, ledger, planned, before)


def test_an_assignment_harvest_made_itself_takes_the_source_settings(sandbox: Sandbox, tmp_path: Path) -> None:
    # Harvest assigns an "all future projects" user to every new project, with default rates.
    sandbox.seed_user(*ADA, has_access_to_all_future_projects=True)
    before, planned = snapshot(sandbox), world()
    run = migrate(sandbox, tmp_path / "l.sqlite", planned)
    # Taken over without a POST, and ours: it exists because we created its project.
    assert run.result.exit_code == 0 and run.result.counts["user_assignments"] == {"done": 1}
    assert states(tmp_path / "l.sqlite")["user_assignments 1"] == "done"
    (assignment,) = sandbox.objects("user_assignments")
    assert (assignment["use_default_rates"], assignment["hourly_rate"]) == (False, 120)
    assert_target_matches_plan(sandbox, tmp_path / "l.sqlite", planned, before)
    assert migrate(sandbox, tmp_path / "l.sqlite", planned).result.requests == 0


def test_a_second_run_on_a_locked_ledger_is_refused(seeded: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    with LedgerLock(ledger), pytest.raises(LedgerError, match="is in use by another migrator run .pid \\d+.; wait"):
        migrate(seeded, ledger, world())
    assert seeded.stats()["requests"] == 0


def test_429_storms_still_load_exactly_once(tmp_path: Path) -> None:
    with Sandbox(rate=(8, 0.4)) as tiny:  # the server's limit is far below what the client allows itself
        tiny.seed_user(*ADA)
        before, planned = snapshot(tiny), world(time_entries=12)
        run = migrate(tiny, tmp_path / "l.sqlite", planned, concurrency=8)
        assert run.result.exit_code == 0, run.result.problems
        assert tiny.stats()["rate_limited"] > 0 and run.client.stats.rate_limited > 0
        assert_target_matches_plan(tiny, tmp_path / "l.sqlite", planned, before)


def test_a_stop_ends_the_run_after_the_requests_in_flight_and_a_rerun_finishes(seeded: Sandbox, tmp_path: Path) -> None:
    ledger, planned, before = tmp_path / "l.sqlite", world(time_entries=12), snapshot(seeded)
    stop = threading.Event()

    def progress(event: LoadEvent) -> None:
        if event.done >= 10:
            stop.set()  # what Ctrl-C does in the CLI

    first = migrate(seeded, ledger, planned, stop=stop, progress=progress, concurrency=2)
    assert first.result.stopped and first.result.exit_code == 1
    waiting = sum(counts.get("waiting", 0) for counts in first.result.counts.values())
    assert waiting > 0 and not first.result.problems
    assert "pending" not in states(ledger).values()  # each request in flight was settled and recorded
    second = migrate(seeded, ledger, planned)
    assert second.result.exit_code == 0
    assert second.result.requests == waiting
    assert_target_matches_plan(seeded, ledger, planned, before)


def test_an_unreachable_target_stops_cleanly_and_a_resume_finishes(seeded: Sandbox, tmp_path: Path) -> None:
    class Network(httpx.HTTPTransport):
        """The real transport, until the cable is pulled: then every connection is refused."""

        unplugged = False

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if self.unplugged:
                raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
            return super().handle_request(request)

    ledger, planned, before = tmp_path / "l.sqlite", world(time_entries=12), snapshot(seeded)
    network = Network()

    def pull_the_plug(event: LoadEvent) -> None:
        if event.done >= 8:
            network.unplugged = True

    client = harvest(seeded, transport=network, max_retries=2)
    with pytest.raises(TargetUnreachableError):
        migrate(seeded, ledger, planned, client=client, progress=pull_the_plug, concurrency=2)
    left = list(states(ledger).values())
    assert left.count("done") + left.count("adopted") >= 8 and set(left) <= {"done", "adopted", "pending"}
    assert left.count("pending") <= 2  # at most the requests in flight when the target went away
    run = migrate(seeded, ledger, planned)
    assert run.result.exit_code == 0, run.result.problems
    assert_target_matches_plan(seeded, ledger, planned, before)


def test_a_bad_token_stops_the_run_at_once_and_a_resume_finishes(seeded: Sandbox, tmp_path: Path) -> None:
    ledger_path, planned, before = tmp_path / "l.sqlite", world(), snapshot(seeded)
    good, bad = harvest(seeded), harvest(seeded, token="revoked")  # revoked between planning and loading
    with Ledger(ledger_path) as ledger:
        ledger.bind_target(seeded.url, seeded.account_id)
        plan = build_plan(planned, ledger=ledger, target=TargetIndex(good))
        with pytest.raises(AuthError):
            load(plan, client=bad, ledger=ledger, batch="b1", concurrency=4)
    assert bad.stats.requests <= 4  # the requests already in flight, no other
    assert set(states(ledger_path).values()) <= {"pending", "adopted"}  # adoptions cost no request
    assert migrate(seeded, ledger_path, planned).result.exit_code == 0
    assert_target_matches_plan(seeded, ledger_path, planned, before)


@pytest.mark.parametrize("fault", ["error_500", "commit_502", "commit_drop", "stall"])
def test_every_fault_kind_ends_with_one_object_per_record(fault: str, tmp_path: Path) -> None:
    ledger, planned = tmp_path / "l.sqlite", world(time_entries=16)
    with Sandbox(rate=None, fault_rate=0.3, fault_kinds=(fault,), fault_seed=11, stall_seconds=0.5) as faulty:
        faulty.seed_user(*ADA)
        before = snapshot(faulty)
        for _attempt in range(8):
            client = harvest(faulty, timeout=0.3, rate=RateLimit(1000, 1.0))
            try:
                if migrate(faulty, ledger, planned, client=client).result.exit_code == 0:
                    break
            except (TargetUnreachableError, TransientError):  # a fault may stop a run: the next one resumes
                continue
        else:
            pytest.fail("8 runs did not finish the load")
        assert faulty.stats()["faults_injected"] > 0
        if fault != "error_500":  # the others apply the request and lose the answer: found, not re-sent
            assert reconciliations(ledger) > 0
        faulty.set_fault_rate(0.0)
        assert_target_matches_plan(faulty, ledger, planned, before)
        assert faulty.stats()["emails_sent"] == 0
        assert migrate(faulty, ledger, planned).result.requests == 0


def test_text_that_looks_like_a_reference_is_sent_as_written(seeded: Sandbox, tmp_path: Path) -> None:
    # References live in the fields a kind declares as references. A note "@ana: please review" (a
    # mention) used to block its time entry ("reference @ana: please review has no v2 id"), and text
    # equal to another record's reference was replaced by that record's v2 id.
    planned = world()
    entry = next(p for p in planned if p.kind == "time_entries")
    entry.payload["notes"] = "@ana: please review"
    acme = next(p for p in planned if p.kind == "clients" and p.source_id == "1")
    acme.payload["address"] = "@clients:2"
    run = migrate(seeded, tmp_path / "l.sqlite", planned)
    assert run.result.exit_code == 0, run.result.problems
    assert find(seeded, "time_entries", notes="@ana: please review")["project"]["name"] == "Website"
    assert find(seeded, "clients", name="Acme")["address"] == "@clients:2"
    again = migrate(seeded, tmp_path / "l.sqlite", planned)
    assert again.result.requests == 0
    assert {entry.action for entry in again.plan.entries} <= {"unchanged", "adopt"}
