"""The planner's decisions and reasons: ledger rows written by hand, an offline or a real sandbox target."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import pytest

from migrator.errors import AuthError
from migrator.kinds import ACTIONS, KINDS, PLAN_KINDS
from migrator.load.ledger import Ledger
from migrator.plan.planner import Plan, build_plan
from migrator.plan.target_index import TargetIndex
from migrator.planned import MapSink, Planned, Ref
from migrator.sandbox import Sandbox
from tests.accounts import ADA, SYSTEM, origin, world
from tests.checks import harvest


def by_ref(plan: Plan) -> dict[str, tuple[str, str | None]]:
    return {entry.planned.ref: (entry.action, entry.reason) for entry in plan.entries}


def test_offline_plan_creates_everything_except_users_nobody_invited(tmp_path: Path) -> None:
    plan = build_plan(world(), ledger=None, target=TargetIndex.offline())
    actions = by_ref(plan)
    assert actions["@users:1"] == (
        "invalid",
        "no user with email ada@example.com in the target: invite them in Harvest first, "
        "or pass --create-users (Harvest emails an invitation)",
    )
    # Everything that names the user is invalid with it, and says why.
    assert actions["@time_entries:1"] == ("invalid", "depends on invalid users 1")
    assert actions["@user_assignments:1"] == ("invalid", "depends on invalid users 1")
    assert actions["@clients:1"] == ("create", None)
    assert actions["@invoice_messages:10:close"] == ("create", None)
    summary = plan.summary()
    assert list(summary) == list(PLAN_KINDS) and all(list(counts) == list(ACTIONS) for counts in summary.values())
    assert summary["estimate_item_categories"] == dict.fromkeys(ACTIONS, 0)
    assert summary["time_entries"]["invalid"] == 4 and summary["invoices"]["create"] == 2


def test_create_users_plans_the_invitation() -> None:
    plan = build_plan(world(), ledger=None, target=TargetIndex.offline(), create_users=True)
    assert {entry.action for entry in plan.entries} == {"create"}


def test_invalid_records_make_dependents_invalid_and_skipped_ones_skip_them() -> None:
    sink = MapSink()
    sink.invalid("clients", "9", origin("clients", "9"), "field 'name': must not be empty")
    sink.skip("clients", "8", origin("clients", "8"), "deleted in the source")
    sink.emit("contacts", "1", {"client_id": str(Ref("clients", "9")), "first_name": "A"}, origin("contacts", "1"))
    sink.emit("contacts", "2", {"client_id": str(Ref("clients", "8")), "first_name": "B"}, origin("contacts", "2"))
    sink.emit("contacts", "3", {"client_id": str(Ref("clients", "404")), "first_name": "C"}, origin("contacts", "3"))
    actions = by_ref(build_plan(sink.planned, ledger=None, target=TargetIndex.offline()))
    assert actions["@clients:9"] == ("invalid", "field 'name': must not be empty")
    assert actions["@clients:8"] == ("skipped", "deleted in the source")
    assert actions["@contacts:1"] == ("invalid", "depends on invalid clients 9")
    assert actions["@contacts:2"] == ("skipped", "depends on skipped clients 8")
    assert actions["@contacts:3"] == (
        "invalid",
        "depends on clients 404, which is neither in the source nor loaded before",
    )


def _loaded(ledger: Ledger, kind: str, source_id: str, v2_id: int, payload: dict[str, object]) -> None:
    ledger.record_result(SYSTEM, kind, source_id, state="done", v2_id=v2_id, payload=payload, batch="old")


def test_ledger_rows_make_unchanged_update_with_a_field_diff_and_skipped(tmp_path: Path) -> None:
    items = world(time_entries=2)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        # As the loader stored them: refs resolved to v2 ids, then JSON (dates come back as strings).
        _loaded(ledger, "clients", "1", 501, {"name": "Acme", "currency": "USD", "address": "1 Road"})
        _loaded(ledger, "clients", "2", 502, {"name": "Globex Old", "currency": "EUR"})
        _loaded(ledger, "projects", "1", 601, {})
        _loaded(ledger, "tasks", "2", 702, {"name": "Build"})
        _loaded(ledger, "users", "1", 801, {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"})
        entry = {
            "project_id": 601,
            "task_id": 702,
            "user_id": 801,
            "spent_date": "2021-03-02",
            "hours": Decimal("1.25"),
            "notes": "old words",
            "external_reference": {"id": "hand:time_entry:1", "group_id": "hand"},
        }
        _loaded(ledger, "time_entries", "1", 901, entry)
        _loaded(ledger, "invoices", "10", 1001, {})
        _loaded(
            ledger,
            "invoice_payments",
            "100",
            1101,
            {"invoice_id": 1001, "amount": 40, "paid_date": "2021-04-15", "notes": "part", "send_thank_you": False},
        )
        plan = build_plan(items, ledger=ledger, target=TargetIndex.offline())
    entries = {entry.planned.ref: entry for entry in plan.entries}
    assert entries["@clients:1"].action == "unchanged" and entries["@clients:1"].target_id == 501
    assert (entries["@clients:2"].action, entries["@clients:2"].diff) == ("update", {"name": ["Globex Old", "Globex"]})
    # Only the notes changed: the date that comes back from the ledger as text is not a change.
    assert entries["@time_entries:1"].action == "update"
    assert entries["@time_entries:1"].diff == {"notes": ["old words", "entry 1"]}
    payment = entries["@invoice_payments:100"]
    assert payment.action == "skipped" and payment.diff == {"amount": [40, 50]}
    assert (
        payment.reason == "changed in the source (amount), but Harvest cannot update invoice payments: left as loaded"
    )
    # A new record whose dependencies are loaded resolves them through the ledger.
    assert entries["@contacts:1"].action == "create"


def test_the_plan_puts_every_dependency_before_its_dependents() -> None:
    # Lanes order the plan (and the load): a document's "send" before its payments, "close" after them.
    plan = build_plan(list(reversed(world())), ledger=None, target=TargetIndex.offline())
    ordered = [entry.planned.ref for entry in plan.entries]
    for before, after in [
        ("@invoices:10", "@invoice_messages:10:send"),
        ("@invoice_messages:10:send", "@invoice_payments:100"),
        ("@invoice_payments:100", "@invoice_messages:10:close"),
        ("@estimate_messages:20:send", "@estimate_messages:20:accept"),
    ]:
        assert ordered.index(before) < ordered.index(after)


def test_existing_target_objects_are_adopted_with_how_they_matched(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.seed_user(*ADA)
    client = harvest(sandbox)
    acme = client.post("/clients", {"name": "ACME "})  # same name, other case and spacing
    target = TargetIndex(client)
    plan = build_plan(world(), ledger=None, target=target)
    entries = {entry.planned.ref: entry for entry in plan.entries}
    assert (entries["@clients:1"].action, entries["@clients:1"].target_id) == ("adopt", acme["id"])
    assert entries["@clients:1"].reason == "matched by name 'acme'"
    assert entries["@users:1"].reason == "matched by email 'ada@example.com'"
    assert entries["@clients:2"].action == "create"
    assert plan.target_fingerprint != TargetIndex.offline().fingerprint()


def test_several_matches_are_invalid_never_guessed(sandbox: Sandbox) -> None:
    client = harvest(sandbox)
    acme = client.post("/clients", {"name": "Acme"})
    for _ in range(2):
        client.post(
            "/contacts",
            {"client_id": acme["id"], "first_name": "Jane", "last_name": "Doe", "email": "jane@acme.example"},
        )
    plan = build_plan(world(), ledger=None, target=TargetIndex(client), create_users=True)
    action, reason = by_ref(plan)["@contacts:1"]
    assert action == "invalid"
    assert reason is not None and reason.startswith("2 objects in the target match contacts by client, first and")
    assert reason.endswith("refusing to guess")


def test_a_pending_row_is_adopted_if_its_object_arrived_else_created(sandbox: Sandbox, tmp_path: Path) -> None:
    client = harvest(sandbox)
    client.post("/clients", {"name": "Acme"})
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record_intent(SYSTEM, "clients", "1", {"name": "Acme"}, "b")
        ledger.record_intent(SYSTEM, "clients", "2", {"name": "Globex"}, "b")
        actions = by_ref(build_plan(world(), ledger=ledger, target=TargetIndex(client), create_users=True))
    assert actions["@clients:1"] == ("adopt", "matched by name 'acme' (the answer to an earlier attempt was lost)")
    assert actions["@clients:2"] == (
        "create",
        "an earlier attempt's outcome is unknown: checked again before sending",
    )


def test_a_non_administrator_token_is_refused(sandbox: Sandbox) -> None:
    client = harvest(sandbox)
    client.patch("/users/1", {"access_roles": ["member"]})
    with pytest.raises(AuthError, match="owner@sandbox.example .member., who is not an administrator"):
        TargetIndex(client).check_access()


def test_planning_100000_records_reads_each_kind_once(sandbox: Sandbox) -> None:
    client = harvest(sandbox)
    sandbox.seed_user(*ADA)
    head = world(time_entries=0)
    entries = [
        Planned(
            "time_entries",
            str(n),
            {
                "project_id": str(Ref("projects", "1")),
                "task_id": str(Ref("tasks", "1")),
                "user_id": str(Ref("users", "1")),
                "spent_date": dt.date(2021, 1, 1),
                "hours": Decimal("1"),
                "external_reference": {"id": f"x:{n}"},
            },
            origin("time_entries", str(n)),
        )
        for n in range(100_000)
    ]
    started = time.monotonic()
    plan = build_plan(head + entries, ledger=None, target=TargetIndex(client))
    elapsed = time.monotonic() - started
    assert plan.summary()["time_entries"]["create"] == 100_000
    assert client.stats.requests <= len(KINDS)  # one list read per kind at most, never one per record
    assert elapsed < 60, f"planning took {elapsed:.1f} s"
