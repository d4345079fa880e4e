"""Rules for projects and their user and task assignments."""

from __future__ import annotations

from migrator.sandbox.store import KindRules, Raw, SandboxError, Store

_PROJECT_DEFAULTS = {
    "is_active": True,
    "is_fixed_fee": False,
    "budget_is_monthly": False,
    "notify_when_over_budget": False,
    "show_budget_to_all": False,
    "cost_budget_include_expenses": False,
}


def _assign_user(store: Store, project_id: int, user: Raw, data: Raw) -> Raw:
    # Harvest's default: project managers are the users who manage anyway (administrators, managers).
    manager = bool({"administrator", "manager"} & set(user.get("access_roles") or []))
    defaults = {"is_active": True, "is_project_manager": manager, "use_default_rates": True}
    return store.insert("user_assignments", defaults | data | {"project_id": project_id, "user_id": user["id"]})


def _assign_task(store: Store, project_id: int, task: Raw, data: Raw) -> Raw:
    defaults = {"is_active": True, "billable": False}
    return store.insert("task_assignments", defaults | data | {"project_id": project_id, "task_id": task["id"]})


def create_project(store: Store, data: Raw) -> Raw:
    """A project; like Harvest, it starts with the default tasks and the "all future projects" users."""
    store.ref("clients", data["client_id"], "client_id")
    project = store.insert("projects", _PROJECT_DEFAULTS | data)
    for task in store.find("tasks", is_default=True, is_active=True):
        _assign_task(store, project["id"], task, {"billable": bool(task.get("billable_by_default", True))})
    for user in store.find("users", has_access_to_all_future_projects=True, is_active=True):
        _assign_user(store, project["id"], user, {})
    return project


def update_project(store: Store, raw: Raw, data: Raw) -> None:
    if "client_id" in data:
        store.ref("clients", data["client_id"], "client_id")
    raw.update(data)


def delete_project(store: Store, raw: Raw) -> None:
    """As in Harvest, deleting a project deletes its time entries and expenses (invoices survive)."""
    for kind in ("time_entries", "expenses", "user_assignments", "task_assignments"):
        for obj in store.find(kind, project_id=raw["id"]):
            store.remove(kind, obj["id"])


def create_user_assignment(store: Store, data: Raw) -> Raw:
    user = store.ref("users", data["user_id"], "user_id")
    if store.exists("user_assignments", project_id=data["project_id"], user_id=user["id"]):
        raise SandboxError(422, "User has already been assigned to this project")
    return _assign_user(store, data["project_id"], user, data)


def create_task_assignment(store: Store, data: Raw) -> Raw:
    task = store.ref("tasks", data["task_id"], "task_id")
    if store.exists("task_assignments", project_id=data["project_id"], task_id=task["id"]):
        raise SandboxError(422, "Task has already been assigned to this project")
    return _assign_task(store, data["project_id"], task, data)


def delete_user_assignment(store: Store, raw: Raw) -> None:
    match = {"project_id": raw["project_id"], "user_id": raw["user_id"]}
    if store.exists("time_entries", **match) or store.exists("expenses", **match):
        raise SandboxError(422, "User assignment has time entries or expenses and can't be deleted")


def delete_task_assignment(store: Store, raw: Raw) -> None:
    if store.exists("time_entries", project_id=raw["project_id"], task_id=raw["task_id"]):
        raise SandboxError(422, "Task assignment has time entries and can't be deleted")


RULES: dict[str, KindRules] = {
    "projects": KindRules(create=create_project, update=update_project, delete=delete_project),
    "user_assignments": KindRules(
        create=create_user_assignment, delete=delete_user_assignment, parent=("projects", "project_id")
    ),
    "task_assignments": KindRules(
        create=create_task_assignment, delete=delete_task_assignment, parent=("projects", "project_id")
    ),
}
