"""Harvest v1 projects and their user and task assignments -> v2 `projects`, `*_assignments`.

`bill-by` arrives as `Project`, `Tasks`, `People`, `none` or `None` and `budget-by` sometimes
capitalised (research §6.17): both are case-normalised, and a changed spelling is noted. A v1
per-project user rate lives on the user assignment, so an assignment with a rate turns off v2's
`use_default_rates`.
"""

from __future__ import annotations

from typing import Any

from migrator.lossy import KindNotes, Reason
from migrator.mappings.harvest_v1.context import V1Mapping
from migrator.planned import Ref
from migrator.sources.harvest_v1.records import Project, TaskAssignment, UserAssignment

BILL_BY = {"project": "Project", "tasks": "Tasks", "people": "People", "none": "none"}
BUDGET_BY = ("project", "project_cost", "task", "task_fees", "person", "none")
PROJECT_USED = {
    "client_id",
    "name",
    "code",
    "active",
    "billable",
    "bill_by",
    "hourly_rate",
    "budget_by",
    "budget",
    "cost_budget",
    "cost_budget_include_expenses",
    "notify_when_over_budget",
    "over_budget_notification_percentage",
    "show_budget_to_all",
    "starts_on",
    "ends_on",
    "notes",
    "is_fixed_fee",
    "fee",
}
PROJECT_ONCE: dict[str, str | Reason] = {
    "hint_earliest_record_at": Reason("v1 date hints are recomputed by Harvest from the migrated entries", "cosmetic"),
    "hint_latest_record_at": Reason("v1 date hints are recomputed by Harvest from the migrated entries", "cosmetic"),
    "active_task_assignments_count": "a v1 counter; v2 counts the migrated assignments itself",
    "active_user_assignments_count": "a v1 counter; v2 counts the migrated assignments itself",
}
PROJECT_WHY = {
    "estimate": "v2 projects have no estimate",
    "estimate_by": "v2 projects have no estimate",
    "over_budget_notified_at": "v2 sets the over-budget notification date itself",
    "fees": "a v1 field marked 'for future use'",
    "basecamp_id": "the Basecamp link has no Harvest v2 field",
    "highrise_deal_id": "the Highrise link has no Harvest v2 field",
}


def _vocabulary(value: str | None, table: dict[str, str], field: str, notes: KindNotes, source_id: str) -> str | None:
    """Case-normalise a v1 enumeration; a changed spelling is noted, an unknown one sent as is."""
    if value is None:
        return None
    normal = table.get(value.strip().lower(), value)
    if normal != value:
        notes.note(source_id, field, f"{value!r} sent as {normal!r} (v2 spelling)", severity="cosmetic")
    return normal


def map_projects(m: V1Mapping) -> None:
    """Plan one v2 project per v1 project."""
    notes = m.notes("projects")
    budget_by = {name: name for name in BUDGET_BY}
    for project in m.records("projects", "projects", Project):
        fixed_fee = project.is_fixed_fee
        if fixed_fee is None and project.fee is not None:
            # [D16]: `fee` is "only present for fixed fee projects".
            fixed_fee = True
            notes.note(
                project.id,
                "is_fixed_fee",
                "absent in v1 but a fee is set: sent as a fixed-fee project",
                severity="data",
            )
        data: dict[str, Any] = {
            "client_id": str(Ref("clients", project.client_id)) if project.client_id else None,
            "name": project.name,
            "code": project.code,
            "is_active": project.active,
            "is_billable": project.billable,
            "bill_by": _vocabulary(project.bill_by, BILL_BY, "bill_by", notes, project.id),
            "budget_by": _vocabulary(project.budget_by, budget_by, "budget_by", notes, project.id),
            "hourly_rate": project.hourly_rate,
            "budget": project.budget,
            "cost_budget": project.cost_budget,
            "cost_budget_include_expenses": project.cost_budget_include_expenses,
            "notify_when_over_budget": project.notify_when_over_budget,
            "over_budget_notification_percentage": project.over_budget_notification_percentage,
            "show_budget_to_all": project.show_budget_to_all,
            "is_fixed_fee": fixed_fee,
            "fee": project.fee,
            "notes": project.notes,
            "starts_on": project.starts_on,
            "ends_on": project.ends_on,
        }
        notes.dropped(project, used=PROJECT_USED, once=PROJECT_ONCE, why=PROJECT_WHY)
        m.sink.emit("projects", project.id, data, project.origin)


def _active(deactivated: bool | None) -> bool | None:
    return None if deactivated is None else not deactivated


def map_user_assignments(m: V1Mapping) -> None:
    """Plan one v2 user assignment per v1 assignment, with its per-project rate."""
    notes = m.notes("user_assignments")
    for assignment in m.records("user_assignments", "user_assignments", UserAssignment):
        data: dict[str, Any] = {
            "project_id": str(Ref("projects", assignment.project_id)) if assignment.project_id else None,
            "user_id": str(Ref("users", assignment.user_id)) if assignment.user_id else None,
            "is_active": _active(assignment.deactivated),
            "is_project_manager": assignment.is_project_manager,
            "use_default_rates": False if assignment.hourly_rate is not None else None,
            "hourly_rate": assignment.hourly_rate,
            "budget": assignment.budget,
        }
        used = {"project_id", "user_id", "deactivated", "is_project_manager", "hourly_rate", "budget"}
        notes.dropped(assignment, used=used, why={"estimate": "v2 assignments have no estimate"})
        m.sink.emit("user_assignments", assignment.id, data, assignment.origin)


def map_task_assignments(m: V1Mapping) -> None:
    """Plan one v2 task assignment per v1 assignment."""
    notes = m.notes("task_assignments")
    for assignment in m.records("task_assignments", "task_assignments", TaskAssignment):
        data: dict[str, Any] = {
            "project_id": str(Ref("projects", assignment.project_id)) if assignment.project_id else None,
            "task_id": str(Ref("tasks", assignment.task_id)) if assignment.task_id else None,
            "is_active": _active(assignment.deactivated),
            "billable": assignment.billable,
            "hourly_rate": assignment.hourly_rate,
            "budget": assignment.budget,
        }
        used = {"project_id", "task_id", "deactivated", "billable", "hourly_rate", "budget"}
        notes.dropped(assignment, used=used, why={"estimate": "v2 assignments have no estimate"})
        m.sink.emit("task_assignments", assignment.id, data, assignment.origin)
