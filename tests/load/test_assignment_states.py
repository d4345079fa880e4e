"""Assignments that end inactive: loaded active, archived last, verified with their state, cut over.

FreshBooks lists a project's tasks and staff as they are today. The fixture account has four pairs
its history names but its projects do not list (Priya on Café website and on Ortiz booking site,
Omar on Tanaka app, the task Design on Ortiz booking site); these tests add a fifth that only an
expense implies (Omar's licence on Internal tooling). Each must end inactive in the target, every
listed assignment active, against the real sandbox (which refuses history on an inactive assignment).
Harvest v1 states its deactivated assignments: `verify` holds both systems' to their state.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from migrator import api
from migrator.load.ledger import Ledger
from migrator.report.plan_markdown import render_plan_markdown
from migrator.report.plan_text import render_plan_text
from migrator.sandbox import Sandbox
from migrator.sandbox.store import OWNER
from tests.conftest import client_for
from tests.load.test_exactly_once import FB, V1, _spec, run

PRIYA_ON_CAFE = ("user_assignments", "Café website", "Priya Raman")
IMPLIED = {
    PRIYA_ON_CAFE,
    ("user_assignments", "Tanaka app", "Omar Haddad"),
    ("user_assignments", "Ortiz booking site", "Priya Raman"),
    ("user_assignments", "Internal tooling", "Omar Haddad"),  # an expense only
    ("task_assignments", "Ortiz booking site", "Design"),
}
LISTED_41 = "<staff><staff><staff_id>1</staff_id></staff><staff><staff_id>2</staff_id></staff></staff>"
OMARS_LICENCE = (
    "    <expense><expense_id>73</expense_id><staff_id>2</staff_id><category_id>63</category_id>"
    "<project_id>43</project_id><client_id/><amount>12.50</amount><vendor/><date>2014-03-10</date>"
    "<notes>Linter licence</notes><status>0</status><folder>active</folder></expense>\n"
)


PRIYAS_LATER_ENTRY = (
    "    <time_entry><time_entry_id>509</time_entry_id><staff_id>3</staff_id><project_id>41</project_id>"
    "<task_id>32</task_id><hours>2.00</hours><date>2014-03-12</date><notes>Late fixes</notes>"
    "<billed>0</billed></time_entry>\n"
)


def export(tmp_path: Path, name: str, *, priya_listed_on_cafe: bool = False, priya_later: bool = False) -> Path:
    """The fixture account plus Omar's expense; with Priya on Café website's staff list, or with one
    more entry of hers there (entered after the first batch), if asked."""
    folder = tmp_path / name
    shutil.copytree(FB, folder)
    expenses = folder / "work" / "expenses.xml"
    text = expenses.read_text(encoding="utf-8").replace('total="2"', 'total="3"')
    expenses.write_text(text.replace("  </expenses>", OMARS_LICENCE + "  </expenses>"), encoding="utf-8")
    if priya_later:  # a ninth entry, on the last page (3 per page): every page says 9 in all
        for page in sorted((folder / "work").glob("time_entries-*.xml")):
            text = page.read_text(encoding="utf-8").replace('total="8"', 'total="9"')
            if page.name == "time_entries-3.xml":
                text = text.replace("  </time_entries>", PRIYAS_LATER_ENTRY + "  </time_entries>")
            page.write_text(text, encoding="utf-8")
    if priya_listed_on_cafe:  # she is back on the project (a newer export)
        projects = folder / "work" / "projects.xml"
        listed = LISTED_41.replace("</staff></staff>", "</staff><staff><staff_id>3</staff_id></staff></staff>")
        text = projects.read_text(encoding="utf-8")
        assert LISTED_41 in text
        projects.write_text(text.replace(LISTED_41, listed), encoding="utf-8")
    return folder


def assignments(sandbox: Sandbox) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(kind, project name, user or task name) -> the assignment as the API shows it."""
    found = {}
    for kind, member in (("user_assignments", "user"), ("task_assignments", "task")):
        for obj in sandbox.objects(kind):
            found[(kind, obj["project"]["name"], obj[member]["name"])] = obj
    return found


def inactive(sandbox: Sandbox) -> set[tuple[str, str, str]]:
    return {key for key, obj in assignments(sandbox).items() if obj["is_active"] is False}


def test_an_assignment_only_the_history_implies_loads_active_and_ends_archived(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    ledger, options = tmp_path / "l.sqlite", api.SourceOptions((export(tmp_path, "fb"),))
    plan = api.plan(options, target=_spec(sandbox), ledger_path=ledger, create_users=True)
    entries = {(e.planned.kind, e.planned.source_id): e for e in plan.plan.entries}

    # Planned as what it is: found where its history is, never on the project's line.
    priya = entries[("user_assignments", "41:3")]
    assert (Path(priya.planned.origin.file).name, priya.planned.origin.line) == ("time_entries-2.xml", 6)
    assert priya.reason == "implied by 1 time entry, not on the project in FreshBooks"
    assert priya.planned.payload["is_active"] is False
    licence = entries[("user_assignments", "43:2")]
    assert (Path(licence.planned.origin.file).name, licence.planned.origin.line) == ("expenses.xml", 6)
    assert licence.reason == "implied by 1 expense, not on the project in FreshBooks"
    design = entries[("task_assignments", "44:31")]
    assert (Path(design.planned.origin.file).name, design.reason) == (
        "time_entries-3.xml",
        "implied by 1 time entry, not on the project in FreshBooks",
    )
    listed = entries[("user_assignments", "41:1")]
    assert (Path(listed.planned.origin.file).name, listed.reason, listed.planned.payload["is_active"]) == (
        "projects.xml",
        None,
        True,
    )
    archives = {e.planned.source_id: e.reason for e in plan.plan.entries if e.planned.kind == "archives"}
    implied_steps = {"user_assignments:41:3", "user_assignments:42:2", "user_assignments:44:3",
                     "user_assignments:43:2", "task_assignments:44:31"}  # fmt: skip
    assert set(archives) == implied_steps | {"clients:13", "projects:44"}
    assert archives["user_assignments:43:2"] == (
        "not active on the project in the source: created active, archived after its history loads"
    )

    report = run(sandbox, ledger, options=options)
    assert report.exit_code == 0, report.result.problems
    assert inactive(sandbox) == IMPLIED
    assert len(assignments(sandbox)) == 15  # 10 listed (active) and the 5 implied
    omar = next(u for u in sandbox.objects("users") if u["email"] == "omar@quiststudio.example")
    licences = [e for e in sandbox.objects("expenses") if e["user"]["id"] == omar["id"]]
    assert [(e["project"]["name"], e["total_cost"]) for e in licences] == [("Internal tooling", 12.5)]
    priyas = [e for e in sandbox.objects("time_entries") if e["user"]["name"] == "Priya Raman"]
    assert sorted(e["project"]["name"] for e in priyas) == ["Café website", "Ortiz booking site", "Tanaka app"]

    assert api.verify(options, target=_spec(sandbox), ledger_path=ledger).ok
    assert run(sandbox, ledger, options=options).result.requests == 0
    api.rollback(batch="b1", target=_spec(sandbox), ledger_path=ledger)
    left = {
        kind: len(objs)
        for kind in ("clients", "projects", "tasks", "user_assignments", "task_assignments", "time_entries", "expenses")
        if (objs := sandbox.objects(kind))
    }
    assert left == {}
    assert [u["email"] for u in sandbox.objects("users")] == [OWNER["email"]]


def test_verify_names_an_assignment_in_the_wrong_state(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger, options = tmp_path / "l.sqlite", api.SourceOptions((export(tmp_path, "fb"),))
    assert run(sandbox, ledger, options=options).exit_code == 0
    held = assignments(sandbox)
    client = client_for(sandbox)
    reopened, closed = held[PRIYA_ON_CAFE], held[("task_assignments", "Café website", "Design")]
    client.patch(f"/projects/{reopened['project']['id']}/user_assignments/{reopened['id']}", {"is_active": True})
    client.patch(f"/projects/{closed['project']['id']}/task_assignments/{closed['id']}", {"is_active": False})

    report = api.verify(options, target=_spec(sandbox), ledger_path=ledger)
    found = [
        (d["kind"], d["source"], d["target_id"], d["field"], d["source_value"], d["target_value"])
        for d in report.differences
    ]
    assert sorted(found) == [
        ("task_assignments", "freshbooks:task_assignments:41:31", closed["id"], "is_active", "active", "archived"),
        ("user_assignments", "freshbooks:user_assignments:41:3", reopened["id"], "is_active", "archived", "active"),
    ]  # each once: the set check and the archived-state check do not both report it
    assert report.exit_code() == 2


def test_verify_holds_a_harvest_v1_assignment_to_its_deactivated_state(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger, options = tmp_path / "l.sqlite", api.SourceOptions((V1,))
    assert run(sandbox, ledger, options=options).exit_code == 0
    held = assignments(sandbox)
    deactivated = held[("task_assignments", "Website Redesign", "Project Management")]  # v1 task assignment 1003
    assert deactivated["is_active"] is False
    client = client_for(sandbox)
    client.patch(f"/projects/{deactivated['project']['id']}/task_assignments/{deactivated['id']}", {"is_active": True})
    report = api.verify(options, target=_spec(sandbox), ledger_path=ledger)
    assert [
        (d["source"], d["target_id"], d["field"], d["source_value"], d["target_value"]) for d in report.differences
    ] == [("harvest-v1:task_assignments:1003", deactivated["id"], "is_active", "archived", "active")]


def test_a_cut_over_puts_back_on_the_project_whoever_its_staff_list_names_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """History first (Priya not on Café website's list), then a newer export that lists her again."""
    ledger = tmp_path / "l.sqlite"
    history = api.SourceOptions((export(tmp_path, "june"),))
    cutover = api.SourceOptions((export(tmp_path, "cutover", priya_listed_on_cafe=True),))
    assert run(sandbox, ledger, batch="history", options=history).exit_code == 0
    assert PRIYA_ON_CAFE in inactive(sandbox)

    plan = api.plan(cutover, target=_spec(sandbox), ledger_path=ledger, create_users=True)
    changed = [(e.planned.kind, e.planned.source_id, e.action, e.diff) for e in plan.plan.entries
               if e.action not in ("unchanged", "skipped")]  # fmt: skip
    assert changed == [("user_assignments", "41:3", "update", {"is_active": [False, True]})]  # no archive step
    report = run(sandbox, ledger, batch="cutover", options=cutover)
    assert report.exit_code == 0, report.result.problems
    assert inactive(sandbox) == IMPLIED - {PRIYA_ON_CAFE}
    assert api.verify(cutover, target=_spec(sandbox), ledger_path=ledger).ok
    assert run(sandbox, ledger, batch="cutover", options=cutover).result.requests == 0

    # A later export where she is off the list again: archived again, though a batch archived it before.
    assert run(sandbox, ledger, batch="later", options=history).exit_code == 0
    assert inactive(sandbox) == IMPLIED
    assert api.verify(history, target=_spec(sandbox), ledger_path=ledger).ok


def test_a_cut_over_archives_whoever_left_a_staff_list_since_the_first_batch(sandbox: Sandbox, tmp_path: Path) -> None:
    """The opposite order: listed (active) in the first batch, only history in the newer export."""
    ledger = tmp_path / "l.sqlite"
    history = api.SourceOptions((export(tmp_path, "june", priya_listed_on_cafe=True),))
    cutover = api.SourceOptions((export(tmp_path, "cutover"),))
    assert run(sandbox, ledger, batch="history", options=history).exit_code == 0
    assert inactive(sandbox) == IMPLIED - {PRIYA_ON_CAFE}

    plan = api.plan(cutover, target=_spec(sandbox), ledger_path=ledger, create_users=True)
    changed = {(e.planned.kind, e.planned.source_id, e.action, e.reason) for e in plan.plan.entries
               if e.action not in ("unchanged", "skipped")}  # fmt: skip
    assert changed == {
        ("user_assignments", "41:3", "update", "implied by 1 time entry, not on the project in FreshBooks"),
        ("archives", "user_assignments:41:3", "create", "not active on the project in the source"),
    }
    # The reports say why, for the people who sign off.
    shown = click.unstyle(render_plan_text(plan))
    assert "~ is_active: true -> false\n        implied by 1 time entry, not on the project in FreshBooks" in shown
    assert "| is_active: true → false (implied by 1 time entry, not on the project in FreshBooks) |" in (
        render_plan_markdown(plan)
    )
    report = run(sandbox, ledger, batch="cutover", options=cutover)
    assert report.exit_code == 0, report.result.problems
    assert inactive(sandbox) == IMPLIED
    assert api.verify(cutover, target=_spec(sandbox), ledger_path=ledger).ok
    assert run(sandbox, ledger, batch="cutover", options=cutover).result.requests == 0


def test_new_history_on_an_implied_assignment_reopens_it_for_the_load_and_archives_it_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    ledger = tmp_path / "l.sqlite"
    history = api.SourceOptions((export(tmp_path, "june"),))
    cutover = api.SourceOptions((export(tmp_path, "cutover", priya_later=True),))
    assert run(sandbox, ledger, batch="history", options=history).exit_code == 0
    plan = api.plan(cutover, target=_spec(sandbox), ledger_path=ledger, create_users=True)
    changed = {(e.planned.kind, e.planned.source_id, e.action) for e in plan.plan.entries
               if e.action not in ("unchanged", "skipped")}  # fmt: skip
    assert changed == {
        ("reactivations", "user_assignments:41:3", "create"),
        ("time_entries", "509", "create"),
        ("archives", "user_assignments:41:3", "create"),
    }
    report = run(sandbox, ledger, batch="cutover", options=cutover)
    assert report.exit_code == 0, report.result.problems
    assert inactive(sandbox) == IMPLIED
    hers = [e["hours"] for e in sandbox.objects("time_entries") if e["user"]["name"] == "Priya Raman"
            and e["project"]["name"] == "Café website"]  # fmt: skip
    assert sorted(hers) == [0, 2.0]
    assert api.verify(cutover, target=_spec(sandbox), ledger_path=ledger).ok


def test_an_implied_assignment_reactivated_by_hand_is_left_active(sandbox: Sandbox, tmp_path: Path) -> None:
    """Someone put Priya back on Café website in Harvest: a later batch does not archive her again."""
    ledger, options = tmp_path / "l.sqlite", api.SourceOptions((export(tmp_path, "fb"),))
    assert run(sandbox, ledger, options=options).exit_code == 0
    priya = assignments(sandbox)[PRIYA_ON_CAFE]
    client_for(sandbox).patch(f"/projects/{priya['project']['id']}/user_assignments/{priya['id']}", {"is_active": True})
    plan = api.plan(options, target=_spec(sandbox), ledger_path=ledger, create_users=True)
    step = next(
        e for e in plan.plan.entries if e.planned.kind == "archives" and e.planned.source_id == "user_assignments:41:3"
    )
    assert step.action == "skipped"
    assert step.reason == (
        "not active on the project in the source and archived by batch b1, but active in the target again "
        "(reactivated by hand): left as it is"
    )
    assert run(sandbox, ledger, batch="b2", options=options).result.requests == 0
    assert inactive(sandbox) == IMPLIED - {PRIYA_ON_CAFE}
    with Ledger(ledger) as opened:
        assert opened.get("freshbooks", "archives", "user_assignments:41:3").state == "done"  # type: ignore[union-attr]
