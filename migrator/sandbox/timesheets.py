"""Rules for time entries and expenses: who may log what where, and how hours are taken.

Archived things take no history, as the package docstring lists: `_refuse_archived` guards what is
logged or moved by PATCH, `_refuse_locked` what is deleted. A PATCH that does not move an entry is
never refused for an archive (Harvest's administrators still edit the notes and hours of locked entries).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from migrator.sandbox.money import unit_cost
from migrator.sandbox.store import OWNER_ID, KindRules, Raw, SandboxError, Store

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})\s*([ap]m)?")
_MAX_HOURS = Decimal(24)


def clock_minutes(text: str) -> int | None:
    """Minutes after midnight for "8:00am", "2:59pm" or "14:59" (None when unreadable)."""
    match = _CLOCK.fullmatch(text.strip().lower())
    if not match:
        return None
    hour, minute, meridiem = int(match.group(1)), int(match.group(2)), match.group(3)
    if minute > 59 or (meridiem and not 1 <= hour <= 12) or hour > 23:
        return None
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    return hour * 60 + minute


def _refuse_archived(
    store: Store, project: Raw, user: Raw, *, task: Raw | None = None, category: Raw | None = None
) -> None:
    """A 422 naming the first archived one of: the project, its client, the task or category, the person."""
    client = store.lookup("clients", project["client_id"])
    things = (("Project", project), ("Client", client), ("Task", task), ("Expense category", category), ("User", user))
    for label, obj in things:
        if obj is not None and not obj.get("is_active", True):
            raise SandboxError(422, f"{label} is archived")


def _refuse_locked(store: Store, entry: Raw) -> None:
    """An entry locked by an archived project, client, task or person cannot be deleted.

    Harvest's API docs name the project and the task (time entries); its help lists the client and
    the person too among the records whose archiving locks an entry ("Entry Archived"). The expense
    category is not one of them, so it does not lock an expense.
    """
    project = store.get("projects", entry["project_id"])  # deleting a project deletes its entries
    task = store.get("tasks", entry["task_id"]) if "task_id" in entry else None  # expenses have none
    _refuse_archived(store, project, store.get("users", entry["user_id"]), task=task)


def _moved(raw: Raw, data: Raw, fields: tuple[str, ...]) -> bool:
    """Whether a PATCH puts the entry somewhere else (naming the current place again is no move)."""
    return any(name in data and data[name] != raw.get(name) for name in fields)


def _assignments(store: Store, project_id: int, user_id: int, task_id: int | None) -> tuple[Raw, Raw | None]:
    """The active user (and task) assignment that logging here needs, or Harvest's 422."""
    users = store.find("user_assignments", project_id=project_id, user_id=user_id, is_active=True)
    if not users:
        raise SandboxError(422, "User is not assigned to this project")
    if task_id is None:
        return users[0], None
    tasks = store.find("task_assignments", project_id=project_id, task_id=task_id, is_active=True)
    if not tasks:
        raise SandboxError(422, "Task is not assigned to this project")
    return users[0], tasks[0]


def _hours(store: Store, entry: Raw) -> None:
    """Set `hours` from the variant the account uses, refusing what would start a timer.

    Deliberate deviation from Harvest: real Harvest answers a body without `hours` (duration
    accounts) or without `ended_time` (timestamp accounts) by creating the entry with a *running
    timer*. A migration must never do that, so the sandbox refuses it with 422 and tests catch it.
    """
    if store.timestamp_timers:
        start, end = entry.get("started_time"), entry.get("ended_time")
        if not start or not end:
            raise SandboxError(
                422, "Started time and ended time can't be blank (the sandbox refuses what would start a running timer)"
            )
        begin, finish = clock_minutes(str(start)), clock_minutes(str(end))
        if begin is None or finish is None:
            raise SandboxError(422, "Started time and ended time must look like 8:00am or 14:30")
        if finish < begin:
            raise SandboxError(422, "Ended time must be after started time")
        entry["hours"] = (Decimal(finish - begin) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        if entry.get("hours") is None:
            raise SandboxError(422, "Hours can't be blank (the sandbox refuses what would start a running timer)")
        # Duration accounts keep no clock times (xendk/reaper#4: they cannot be edited there).
        entry["started_time"] = entry["ended_time"] = None
    if not Decimal(0) <= Decimal(entry["hours"]) <= _MAX_HOURS:
        raise SandboxError(422, "Hours must be between 0 and 24")


def _reference(value: Any) -> Any:
    """Harvest adds `service` (the permalink's host) to a stored external reference."""
    if not isinstance(value, dict):
        return value
    host = urlsplit(str(value.get("permalink") or "")).hostname
    return {"group_id": None, "account_id": None, "permalink": None} | value | {"service": host}


def _place_time(store: Store, entry: Raw) -> None:
    project = store.ref("projects", entry["project_id"], "project_id")
    task = store.ref("tasks", entry["task_id"], "task_id")
    user = store.ref("users", entry["user_id"], "user_id")
    _refuse_archived(store, project, user, task=task)
    user_assignment, task_assignment = _assignments(store, project["id"], entry["user_id"], entry["task_id"])
    entry["user_assignment_id"] = user_assignment["id"]
    entry["task_assignment_id"] = task_assignment["id"] if task_assignment else None
    entry["billable"] = bool(project.get("is_billable")) and bool(task_assignment and task_assignment.get("billable"))


def create_time_entry(store: Store, data: Raw) -> Raw:
    """POST /time_entries: `user_id` defaults to the token's user (the owner)."""
    entry = {"user_id": OWNER_ID} | data
    _place_time(store, entry)
    _hours(store, entry)
    entry["external_reference"] = _reference(entry.get("external_reference"))
    defaults = {"is_running": False, "is_billed": False, "is_locked": False, "approval_status": "unsubmitted"}
    return store.insert("time_entries", defaults | entry)


def update_time_entry(store: Store, raw: Raw, data: Raw) -> None:
    entry = raw | data
    if _moved(raw, data, ("project_id", "task_id")):
        _place_time(store, entry)
    _hours(store, entry)
    entry["external_reference"] = _reference(entry.get("external_reference"))
    raw.update(entry)


def delete_time_entry(store: Store, raw: Raw) -> None:
    """Harvest: "possible only if ... the project and task are not archived" (and see `_refuse_locked`)."""
    _refuse_locked(store, raw)


def _place_expense(store: Store, expense: Raw) -> None:
    project = store.ref("projects", expense["project_id"], "project_id")
    user = store.ref("users", expense["user_id"], "user_id")
    category = store.ref("expense_categories", expense["expense_category_id"], "expense_category_id")
    _refuse_archived(store, project, user, category=category)
    expense["user_assignment_id"] = _assignments(store, project["id"], expense["user_id"], None)[0]["id"]


def _cost(store: Store, expense: Raw) -> None:
    """Unit-priced categories (mileage) derive the cost from whole units, as Harvest does."""
    category = store.ref("expense_categories", expense["expense_category_id"], "expense_category_id")
    if expense.get("units") is not None and category.get("unit_price") is not None:
        expense["total_cost"] = unit_cost(expense["units"], category["unit_price"])
    if expense.get("total_cost") is None:
        raise SandboxError(422, "Total cost can't be blank")


def create_expense(store: Store, data: Raw) -> Raw:
    """POST /expenses: the user (default: the owner) must be assigned to the project."""
    expense = {"user_id": OWNER_ID} | data
    _place_expense(store, expense)
    _cost(store, expense)
    defaults = {"billable": True, "is_billed": False, "is_locked": False, "approval_status": "unsubmitted"}
    return store.insert("expenses", defaults | expense)


def update_expense(store: Store, raw: Raw, data: Raw) -> None:
    expense = raw | data
    if _moved(raw, data, ("project_id", "expense_category_id")):
        _place_expense(store, expense)
    _cost(store, expense)
    raw.update(expense)


def delete_expense(store: Store, raw: Raw) -> None:
    """Like a time entry: locked while its project, client or person is archived. Its receipt goes with it."""
    _refuse_locked(store, raw)
    store.drop_receipt(raw["id"])


RULES: dict[str, KindRules] = {
    "time_entries": KindRules(create=create_time_entry, update=update_time_entry, delete=delete_time_entry),
    "expenses": KindRules(create=create_expense, update=update_expense, delete=delete_expense),
}
