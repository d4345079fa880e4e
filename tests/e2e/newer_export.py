"""A newer export of a generated account, for a cut-over: one assignment back on its project, one off it.

The cut-over batch runs over a copy of the export where two assignments changed state in the source,
as they do between the history batch and the day of the cut-over:

- one the first batch left inactive is active again (FreshBooks: the person is back on the
  project's staff list; Harvest v1: the assignment is no longer deactivated);
- one the first batch left active, with history on it, is inactive now (FreshBooks: the person
  is off the staff list, only their history names them; Harvest v1: deactivated).

Both are chosen from what the target holds after the first batch (an active project and an active
person or task, so that Harvest lets the assignment change), and found in the source through the ledger.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.generate.expected import assignment_name
from migrator.load.ledger import Ledger

# FreshBooks: a person is listed on, or taken off, a project's staff list (user assignments).
# Harvest v1: an assignment of either kind is deactivated or not.
KINDS = {"freshbooks": ("user_assignments",), "harvest-v1": ("task_assignments", "user_assignments")}
MEMBER = {"task_assignments": "task", "user_assignments": "user"}


@dataclass(frozen=True)
class Flip:
    """One assignment whose state the newer export changes."""

    kind: str
    source_id: str  # its ledger source id (FreshBooks "project:staff", Harvest v1 the assignment id)
    name: str  # how `Expected.inactive` names it: "project name / task name or e-mail"
    active: bool  # its state in the newer export


def choose(system: str, target: dict[str, list[dict[str, Any]]], ledger: Path) -> tuple[Flip, Flip]:
    """(one to put back, one to take off), from the target after the first batch."""
    active = {(kind, obj["id"]) for kind in ("projects", "users", "tasks") for obj in target[kind] if obj["is_active"]}
    emails = {user["id"]: user["email"] for user in target["users"]}
    logged = Counter(
        (e["project"]["id"], member, e[member]["id"]) for e in target["time_entries"] for member in MEMBER.values()
    )
    with Ledger(ledger) as opened:
        source_ids = {(row.kind, row.v2_id): row.source_id for kind in KINDS[system] for row in opened.rows(kind=kind)}
    back = off = None
    for kind in KINDS[system]:
        member = MEMBER[kind]
        by_name = sorted(target[kind], key=lambda o: (o["project"]["name"], o[member]["name"]))  # ids vary by run
        for obj in by_name:
            project, other = obj["project"], obj[member]
            if ("projects", project["id"]) not in active or (f"{member}s", other["id"]) not in active:
                continue
            shown = emails[other["id"]] if member == "user" else other["name"]
            flip = Flip(
                kind, source_ids[(kind, obj["id"])], assignment_name(project["name"], shown), not obj["is_active"]
            )
            if back is None and not obj["is_active"]:
                back = flip
            elif off is None and obj["is_active"] and logged[(project["id"], member, other["id"])]:
                off = flip
    assert back is not None and off is not None, "the account has no assignment a cut-over could change"
    return back, off


def write(system: str, export: Path, newer: Path, flips: tuple[Flip, ...]) -> None:
    """Copy `export` to `newer`, with each flip's assignment in its new state."""
    shutil.copytree(export, newer)
    for flip in flips:
        if system == "freshbooks":
            _staff_list(newer, flip)
        else:
            _deactivated(newer, flip)


def _staff_list(export: Path, flip: Flip) -> None:
    project_id, staff_id = flip.source_id.split(":")
    entry = f"<staff><staff_id>{staff_id}</staff_id></staff>"
    for path in sorted((export / "work").glob("project.list-p*.xml")):
        text = path.read_text(encoding="utf-8")
        found = re.search(rf"<project><project_id>0*{project_id}</project_id>.*?</project>", text, re.S)
        if found is None:
            continue
        project = found.group(0)
        staff = re.search(r"</tasks><staff>((?:<staff>.*?</staff>)*)</staff>", project)
        assert staff is not None, project
        members = staff.group(1)
        changed = members + entry if flip.active else members.replace(entry, "")
        assert changed != members, f"{flip} changes nothing in {path.name}"
        edited = project.replace(f"</tasks><staff>{members}</staff>", f"</tasks><staff>{changed}</staff>")
        if not flip.active:  # the deprecated sibling repeats the first listed person
            edited = edited.replace(f'<staff_id deprecated="true">{staff_id}</staff_id>', "")
        path.write_text(text.replace(project, edited), encoding="utf-8")
        return
    raise AssertionError(f"project {project_id} is in no project list of {export}")


def _deactivated(export: Path, flip: Flip) -> None:
    element = flip.kind.replace("_", "-")[:-1]  # task-assignment
    for path in sorted((export / "projects").glob(f"*/{flip.kind}.xml")):
        text = path.read_text(encoding="utf-8")
        found = re.search(rf"<{element}>\s*<id type=\"integer\">{flip.source_id}</id>.*?</{element}>", text, re.S)
        if found is None:
            continue
        record = found.group(0)
        was = f'<deactivated type="boolean">{str(flip.active).lower()}</deactivated>'
        assert was in record, record
        now = f'<deactivated type="boolean">{str(not flip.active).lower()}</deactivated>'
        path.write_text(text.replace(record, record.replace(was, now)), encoding="utf-8")
        return
    raise AssertionError(f"{flip.kind} {flip.source_id} is in no file of {export}")
