"""FreshBooks tasks and projects -> v2 tasks, projects and the assignments they imply.

bill_method: task-rate -> Tasks (each task assignment carries the project's task rate, else the
task's), staff-rate -> People, project-rate -> Project with its hourly rate, flat-rate -> a fixed
fee project. hour_budget -> budget_by project.

Decision — a project without a client: Harvest requires one, and marking the project invalid would
block every hour logged on it. The project is attached to one placeholder client named
"FreshBooks projects without a client" (source id `placeholder`), created once and named in the
lossy report, so no time is lost and the bookkeeper can reassign it in Harvest.

A project of an archived client is archived too (FreshBooks projects have no state of their own):
it is created active, receives its time, and is archived at the end of the batch.

Assignments: task assignments from the project's tasks plus every task its time entries use; user
assignments from the project's staff plus every staff member with time or an expense on it (Harvest
refuses history from unassigned people and on unassigned tasks). FreshBooks lists a project's tasks
and staff as they are today, so one the project does not list — a person who left, a task taken off
the project — exists only for its history: it is planned inactive (created active so the history
loads, archived at the end of the batch), its origin is the first record that implies it and its
reason says how many (`usage.py`).
"""

from __future__ import annotations

from decimal import Decimal

from migrator.errors import SourceError
from migrator.mappings.freshbooks.common import PLACEHOLDER_CLIENT, PLACEHOLDER_NAME, SYSTEM, notes_of
from migrator.mappings.freshbooks.usage import HistoryUsage, Implied
from migrator.planned import MapContext, MapSink, Ref
from migrator.sources.export import SourceExport
from migrator.sources.freshbooks.records import Project, Task
from migrator.sources.record import Origin

BILL_BY = {"task-rate": "Tasks", "staff-rate": "People", "project-rate": "Project", "flat-rate": "Project"}


def map_tasks(export: SourceExport, sink: MapSink, ctx: MapContext) -> dict[str, Decimal | None]:
    rates: dict[str, Decimal | None] = {}
    for task in export.typed("tasks"):
        if isinstance(task, SourceError):
            sink.invalid_source("tasks", task)
            continue
        assert isinstance(task, Task)
        rates[task.id] = task.rate
        data = {
            "name": task.name,
            "billable_by_default": task.billable if task.billable is not None else True,
            "default_hourly_rate": task.rate,
            "is_active": True,
        }
        sink.emit("tasks", task.id, data, task.origin)
        if task.description:
            notes_of(sink, "tasks").note(task.id, "description", "no v2 field on tasks", severity="data")
        notes_of(sink, "tasks").dropped(task, used={"name", "billable", "rate", "description"})
    return rates


def map_projects(
    export: SourceExport,
    sink: MapSink,
    ctx: MapContext,
    task_rates: dict[str, Decimal | None],
    usage: HistoryUsage,
    archived_clients: frozenset[str] | set[str] = frozenset(),
) -> None:
    placeholder_planned = False
    for project in export.typed("projects"):
        if isinstance(project, SourceError):
            sink.invalid_source("projects", project)
            continue
        assert isinstance(project, Project)
        client = project.client_id
        if not client:
            client = PLACEHOLDER_CLIENT
            if not placeholder_planned:
                origin = Origin(SYSTEM, "clients", PLACEHOLDER_CLIENT, project.origin.file, project.origin.line)
                sink.emit("clients", PLACEHOLDER_CLIENT, {"name": PLACEHOLDER_NAME}, origin)
                placeholder_planned = True
            notes_of(sink, "projects").note(
                project.id,
                "client_id",
                f"no client in FreshBooks: attached to the placeholder client {PLACEHOLDER_NAME!r}",
                severity="data",
            )
        method = (project.bill_method or "").lower()
        data: dict[str, object] = {
            "client_id": str(Ref("clients", client)),
            "name": project.name,
            "is_billable": True,
            "bill_by": BILL_BY.get(method, "none"),
            "budget_by": "project" if project.hour_budget else "none",
            "budget": project.hour_budget,
            "notes": project.description,
        }
        if client in archived_clients:
            # FreshBooks projects have no archived state of their own; Harvest archives a client's
            # projects with it. Loaded active with their history, archived at the end.
            data["is_active"] = False
            notes_of(sink, "projects").note(
                project.id, "is_active", f"its client {client} is archived: archived with it", severity="data"
            )
        if method == "project-rate":
            data["hourly_rate"] = project.rate
        elif method == "flat-rate":
            data.update(is_fixed_fee=True, fee=project.rate)
        elif method not in BILL_BY:
            notes_of(sink, "projects").note(
                project.id,
                "bill_method",
                f"unknown bill method {project.bill_method!r}: not billed",
                severity="data",
            )
        sink.emit("projects", project.id, data, project.origin)
        notes_of(sink, "projects").dropped(
            project, used={"name", "description", "rate", "bill_method", "client_id", "hour_budget", "tasks", "staff"}
        )
        _assignments(sink, project, usage.tasks[project.id], usage.staff[project.id], task_rates, method)


def _assignments(
    sink: MapSink,
    project: Project,
    used_tasks: dict[str, Implied],
    used_staff: dict[str, Implied],
    task_rates: dict[str, Decimal | None],
    method: str,
) -> None:
    rates = {task.task_id: task.rate for task in project.tasks or [] if task.task_id}
    for task_id in sorted(set(rates) | set(used_tasks), key=int):
        rate = rates.get(task_id) if rates.get(task_id) is not None else task_rates.get(task_id)
        data = {
            "project_id": str(Ref("projects", project.id)),
            "task_id": str(Ref("tasks", task_id)),
            "is_active": task_id in rates,
            "billable": True,
            "hourly_rate": rate if method == "task-rate" else None,
        }
        _emit(sink, "task_assignments", f"{project.id}:{task_id}", data, project, used_tasks.get(task_id))
    staff = {member.staff_id for member in project.staff or [] if member.staff_id}
    for staff_id in sorted(staff | set(used_staff), key=int):
        data = {
            "project_id": str(Ref("projects", project.id)),
            "user_id": str(Ref("users", staff_id)),
            "is_active": staff_id in staff,
        }
        _emit(sink, "user_assignments", f"{project.id}:{staff_id}", data, project, used_staff.get(staff_id))


def _emit(
    sink: MapSink, kind: str, source_id: str, data: dict[str, object], project: Project, used: Implied | None
) -> None:
    """A listed assignment comes from the project's line; an implied one from its first history record."""
    if data["is_active"] or used is None:
        sink.emit(kind, source_id, data, project.origin)
        return
    sink.emit(kind, source_id, data, used.origin, reason=used.reason())
