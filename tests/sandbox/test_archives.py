"""Archived things take no history, in the sandbox as in Harvest (research harvest-v2.md §8, §3.8).

No time or expense is created on, or moved onto, an archived project, client, task, expense category
or person, nor without an active assignment; an entry locked by an archived project, client, task or
person cannot be deleted; an archived person's name and email stay. Reactivating lifts each refusal,
and archiving *after* the history exists is how a migration finishes, so it must keep working.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests import openapi
from tests.sandbox.helpers import Api

Ids = dict[str, int]
Place = dict[str, str]  # "project" / "task" / "category" -> a key of `places`

HOME: Place = {"project": "home", "task": "dev", "category": "travel"}
AWAY: Place = {"project": "away", "task": "dev", "category": "travel"}
_FIELD = {"project": "project_id", "task": "task_id", "category": "expense_category_id"}

# thing -> (the path that archives and reactivates it, the place a request logs to)
THINGS: dict[str, tuple[str, Place]] = {
    "project": ("/projects/{away}", AWAY),
    "client": ("/clients/{beta}", AWAY),  # `away` belongs to the client `beta`, itself active
    "task": ("/tasks/{design}", HOME | {"task": "design"}),
    "expense_category": ("/expense_categories/{lodging}", HOME | {"category": "lodging"}),
    "user": ("/users/{lou}", AWAY),  # every request logs for Lou; a move takes Lou's entry elsewhere
    "user_assignment": ("/projects/{away}/user_assignments/{lou_on_away}", AWAY),
    "task_assignment": ("/projects/{away}/task_assignments/{dev_on_away}", AWAY),
}

PROJECT, CLIENT, TASK = "Project is archived", "Client is archived", "Task is archived"
CATEGORY, USER = "Expense category is archived", "User is archived"
NO_USER, NO_TASK = "User is not assigned to this project", "Task is not assigned to this project"
ALLOWED = (200, None)

# (thing, operation, expected status, expected message); `move-*` PATCHes an entry from HOME onto the
# thing's place, `delete-*` deletes an entry logged at that place before the thing was archived.
CASES = [
    pytest.param("project", "create-time", 422, PROJECT, id="project-create-time"),
    pytest.param("project", "create-expense", 422, PROJECT, id="project-create-expense"),
    pytest.param("project", "move-time", 422, PROJECT, id="project-move-time"),
    pytest.param("project", "move-expense", 422, PROJECT, id="project-move-expense"),
    pytest.param("project", "delete-time", 422, PROJECT, id="project-delete-time"),
    pytest.param("project", "delete-expense", 422, PROJECT, id="project-delete-expense"),
    pytest.param("client", "create-time", 422, CLIENT, id="client-create-time"),
    pytest.param("client", "create-expense", 422, CLIENT, id="client-create-expense"),
    pytest.param("client", "move-time", 422, CLIENT, id="client-move-time"),
    pytest.param("client", "move-expense", 422, CLIENT, id="client-move-expense"),
    pytest.param("client", "delete-time", 422, CLIENT, id="client-delete-time"),
    pytest.param("client", "delete-expense", 422, CLIENT, id="client-delete-expense"),
    pytest.param("task", "create-time", 422, TASK, id="task-create-time"),
    pytest.param("task", "move-time", 422, TASK, id="task-move-time"),
    pytest.param("task", "delete-time", 422, TASK, id="task-delete-time"),
    pytest.param("expense_category", "create-expense", 422, CATEGORY, id="category-create-expense"),
    pytest.param("expense_category", "move-expense", 422, CATEGORY, id="category-move-expense"),
    pytest.param("expense_category", "delete-expense", *ALLOWED, id="category-delete-expense-allowed"),
    pytest.param("user", "create-time", 422, USER, id="user-create-time"),
    pytest.param("user", "create-expense", 422, USER, id="user-create-expense"),
    pytest.param("user", "move-time", 422, USER, id="user-move-time"),
    pytest.param("user", "move-expense", 422, USER, id="user-move-expense"),
    pytest.param("user", "delete-time", 422, USER, id="user-delete-time"),
    pytest.param("user", "delete-expense", 422, USER, id="user-delete-expense"),
    pytest.param("user_assignment", "create-time", 422, NO_USER, id="user-assignment-create-time"),
    pytest.param("user_assignment", "create-expense", 422, NO_USER, id="user-assignment-create-expense"),
    pytest.param("user_assignment", "move-time", 422, NO_USER, id="user-assignment-move-time"),
    pytest.param("user_assignment", "move-expense", 422, NO_USER, id="user-assignment-move-expense"),
    pytest.param("user_assignment", "delete-time", *ALLOWED, id="user-assignment-delete-time-allowed"),
    pytest.param("user_assignment", "delete-expense", *ALLOWED, id="user-assignment-delete-expense-allowed"),
    pytest.param("task_assignment", "create-time", 422, NO_TASK, id="task-assignment-create-time"),
    pytest.param("task_assignment", "move-time", 422, NO_TASK, id="task-assignment-move-time"),
    pytest.param("task_assignment", "delete-time", *ALLOWED, id="task-assignment-delete-time-allowed"),
]


@pytest.fixture()
def places(api: Api) -> Ids:
    """Two places Lou (a member) may log to: `home` (client Acme) and `away` (client Beta), each with
    the tasks Development and Design assigned; expense categories Travel and Lodging."""
    ids: Ids = {}
    ids["acme"] = api.post("/clients", {"name": "Acme"})["id"]
    ids["beta"] = api.post("/clients", {"name": "Beta"})["id"]
    ids["dev"] = api.post("/tasks", {"name": "Development"})["id"]
    ids["design"] = api.post("/tasks", {"name": "Design"})["id"]
    ids["travel"] = api.post("/expense_categories", {"name": "Travel"})["id"]
    ids["lodging"] = api.post("/expense_categories", {"name": "Lodging"})["id"]
    ids["lou"] = api.sandbox.seed_user("Lou", "Logger", "lou@example.com")["id"]
    for key, client in (("home", "acme"), ("away", "beta")):
        body = {"client_id": ids[client], "name": key, "is_billable": True, "bill_by": "Project", "budget_by": "none"}
        project = ids[key] = api.post("/projects", body)["id"]
        ids[f"lou_on_{key}"] = api.post(f"/projects/{project}/user_assignments", {"user_id": ids["lou"]})["id"]
        for task in ("dev", "design"):
            path = f"/projects/{project}/task_assignments"
            ids[f"{task}_on_{key}"] = api.post(path, {"task_id": ids[task], "billable": True})["id"]
    return ids


def _body(ids: Ids, kind: str, place: Place) -> dict[str, Any]:
    """A valid time entry (1.5 h) or expense (10.00) by Lou at `place`."""
    body: dict[str, Any] = {"user_id": ids["lou"], "project_id": ids[place["project"]], "spent_date": "2021-03-04"}
    if kind == "time_entries":
        return body | {"task_id": ids[place["task"]], "hours": Decimal("1.5")}
    return body | {"expense_category_id": ids[place["category"]], "total_cost": Decimal("10")}


def _move(ids: Ids, kind: str, place: Place) -> dict[str, Any]:
    """The PATCH body that takes an entry from HOME to `place` (only what differs)."""
    names = ("project", "task") if kind == "time_entries" else ("project", "category")
    return {_FIELD[name]: ids[place[name]] for name in names if place[name] != HOME[name]}


def _request(api: Api, ids: Ids, kind: str, action: str, place: Place) -> tuple[str, str, dict[str, Any] | None]:
    """The request under test; for a move or a delete, its entry is logged now (before any archive)."""
    if action == "create":
        return "POST", f"/{kind}", _body(ids, kind, place)
    if action == "move":
        entry = api.post(f"/{kind}", _body(ids, kind, HOME))
        return "PATCH", f"/{kind}/{entry['id']}", _move(ids, kind, place)
    entry = api.post(f"/{kind}", _body(ids, kind, place))
    return "DELETE", f"/{kind}/{entry['id']}", None


def _where(entry: dict[str, Any], kind: str) -> tuple[int, int]:
    second = entry["task"]["id"] if kind == "time_entries" else entry["expense_category"]["id"]
    return entry["project"]["id"], second


def _message(response: Any) -> str | None:
    return response.json()["message"] if response.content else None


@pytest.mark.parametrize(("thing", "operation", "status", "message"), CASES)
def test_archived_things_take_no_history(
    api: Api, places: Ids, thing: str, operation: str, status: int, message: str | None
) -> None:
    path, place = THINGS[thing]
    action, what = operation.split("-")
    kind = "time_entries" if what == "time" else "expenses"
    expected_place = (places[place["project"]], places[place["task" if what == "time" else "category"]])
    method, url, body = _request(api, places, kind, action, place)
    api.patch(path.format(**places), {"is_active": False})
    before = api.sandbox.objects(kind)

    response = api.call(method, url, body)
    assert (response.status_code, _message(response)) == (status, message)
    if status == 422:
        assert api.sandbox.objects(kind) == before  # a refusal changes nothing
        api.patch(path.format(**places), {"is_active": True})
        response = api.call(method, url, body)
        assert response.is_success, response.text

    if action == "delete":
        assert api.refused("GET", url, status=404)
    else:
        answer = response.json()
        assert _where(answer, kind) == _where(api.get(f"/{kind}/{answer['id']}"), kind) == expected_place


def test_archiving_after_the_history_exists_keeps_the_history(api: Api, places: Ids) -> None:
    """Create active, log time and expenses, archive last: every archive works and the entries stay."""
    entry = api.post("/time_entries", _body(places, "time_entries", AWAY | {"task": "design"}))
    expense = api.post("/expenses", _body(places, "expenses", AWAY | {"category": "lodging"}))
    for path in (
        "/projects/{away}/user_assignments/{lou_on_away}",
        "/projects/{away}/task_assignments/{design_on_away}",
        "/projects/{away}",
        "/clients/{beta}",
        "/tasks/{design}",
        "/expense_categories/{lodging}",
        "/users/{lou}",
    ):
        assert api.patch(path.format(**places), {"is_active": False})["is_active"] is False
    kept = ("id", "spent_date", "user", "project", "client", "notes", "billable", "is_billed")
    for made, kind, amount in ((entry, "time_entries", "hours"), (expense, "expenses", "total_cost")):
        now = api.get(f"/{kind}/{made['id']}")
        assert [now[key] for key in (*kept, amount)] == [made[key] for key in (*kept, amount)]
    assert [e["id"] for e in api.get("/time_entries", project_id=places["away"])["time_entries"]] == [entry["id"]]
    for path, key, name in (
        ("/projects", "projects", "away"),
        ("/clients", "clients", "Beta"),
        ("/tasks", "tasks", "Design"),
        ("/expense_categories", "expense_categories", "Lodging"),
        ("/users", "users", "Lou"),
    ):
        archived = api.get(path, is_active="false")[key]
        assert [obj.get("name", obj.get("first_name")) for obj in archived] == [name]


def test_a_locked_entry_is_still_edited_in_place(api: Api, places: Ids) -> None:
    """Harvest's administrators may edit the notes and hours of an entry locked by an archive."""
    entry = api.post("/time_entries", _body(places, "time_entries", AWAY))
    expense = api.post("/expenses", _body(places, "expenses", AWAY))
    api.patch(f"/projects/{places['away']}", {"is_active": False})
    edited = api.patch(f"/time_entries/{entry['id']}", {"hours": Decimal("2"), "notes": "fixed"})
    assert (edited["hours"], edited["notes"]) == (Decimal("2"), "fixed")
    # Naming the current project again is no move.
    again = api.patch(f"/time_entries/{entry['id']}", {"project_id": places["away"], "notes": "again"})
    assert again["notes"] == "again"
    assert api.patch(f"/expenses/{expense['id']}", {"total_cost": Decimal("12")})["total_cost"] == Decimal("12")
    assert api.refused("DELETE", f"/time_entries/{entry['id']}") == PROJECT
    assert api.refused("DELETE", f"/expenses/{expense['id']}") == PROJECT


def test_archived_things_are_created_listed_and_deleted_without_history(api: Api) -> None:
    client = api.post("/clients", {"name": "Old", "is_active": False})
    body = {"client_id": client["id"], "name": "Old", "is_billable": False, "bill_by": "none", "budget_by": "none"}
    project = api.post("/projects", body | {"is_active": False})
    task = api.post("/tasks", {"name": "Old task", "is_active": False})
    category = api.post("/expense_categories", {"name": "Old category", "is_active": False})
    user = api.post(
        "/users", {"first_name": "Old", "last_name": "Timer", "email": "old@example.com", "is_active": False}
    )
    user_assignment = api.post(f"/projects/{project['id']}/user_assignments", {"user_id": 1, "is_active": False})
    task_assignment = api.post(
        f"/projects/{project['id']}/task_assignments", {"task_id": task["id"], "is_active": False}
    )
    made = [client, project, task, category, user, user_assignment, task_assignment]
    assert [obj["is_active"] for obj in made] == [False] * 7
    assert api.get("/projects", is_active="false")["projects"] == [project]
    assert api.get("/projects", is_active="true")["projects"] == []
    for path in (
        f"/projects/{project['id']}/user_assignments/{user_assignment['id']}",
        f"/projects/{project['id']}/task_assignments/{task_assignment['id']}",
        f"/projects/{project['id']}",
        f"/clients/{client['id']}",
        f"/tasks/{task['id']}",
        f"/expense_categories/{category['id']}",
        f"/users/{user['id']}",
    ):
        api.ok("DELETE", path)
        assert api.refused("GET", path, status=404)


def test_deleting_an_archived_project_still_deletes_its_history(api: Api, places: Ids) -> None:
    api.post("/time_entries", _body(places, "time_entries", AWAY))
    api.post("/expenses", _body(places, "expenses", AWAY))
    api.patch(f"/projects/{places['away']}", {"is_active": False})
    api.ok("DELETE", f"/projects/{places['away']}")
    assert api.sandbox.stats()["objects"]["time_entries"] == api.sandbox.stats()["objects"]["expenses"] == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        pytest.param("first_name", "Louise", "First name can't be updated if the user is inactive", id="first-name"),
        pytest.param("last_name", "Lane", "Last name can't be updated if the user is inactive", id="last-name"),
        pytest.param("email", "louise@example.com", "Email can't be updated if the user is inactive", id="email"),
    ],
)
def test_an_archived_user_keeps_name_and_email(api: Api, places: Ids, field: str, value: str, message: str) -> None:
    user = f"/users/{places['lou']}"
    api.patch(user, {"is_active": False})
    assert api.refused("PATCH", user, {field: value}) == message
    # Archiving in the same PATCH is refused too: the user must be active once the PATCH applies.
    api.patch(user, {"is_active": True})
    assert api.refused("PATCH", user, {field: value, "is_active": False}) == message
    assert api.get(user)["is_active"] is True
    api.patch(user, {"is_active": False})
    assert api.get(user)[field] != value
    # Reactivating lifts it, also in the same PATCH as the change.
    changed = api.patch(user, {field: value, "is_active": True})
    assert (changed[field], changed["is_active"]) == (value, True)


def test_an_archived_user_takes_other_changes(api: Api, places: Ids) -> None:
    user = f"/users/{places['lou']}"
    api.patch(user, {"is_active": False})
    same = {"first_name": "Lou", "last_name": "Logger", "email": "lou@example.com"}  # unchanged values pass
    changed = api.patch(user, same | {"timezone": "UTC", "roles": ["Design"]})
    assert (changed["timezone"], changed["roles"], changed["is_active"]) == ("UTC", ["Design"], False)


# path of an archivable thing in `places` -> the spec's path template
_TEMPLATES = {
    "/users/{lou}": "/users/{userId}",
    "/projects/{away}/user_assignments/{lou_on_away}": "/projects/{projectId}/user_assignments/{userAssignmentId}",
    "/projects/{away}/task_assignments/{dev_on_away}": "/projects/{projectId}/task_assignments/{taskAssignmentId}",
    "/projects/{away}": "/projects/{projectId}",
    "/clients/{beta}": "/clients/{clientId}",
    "/tasks/{dev}": "/tasks/{taskId}",
    "/expense_categories/{travel}": "/expense_categories/{expenseCategoryId}",
}


def test_answers_around_archives_match_the_spec(api: Api, places: Ids) -> None:
    entry = api.post("/time_entries", _body(places, "time_entries", AWAY))
    expense = api.post("/expenses", _body(places, "expenses", AWAY))
    answers = [
        (api.patch(path.format(**places), {"is_active": False}), template) for path, template in _TEMPLATES.items()
    ]
    # Entries locked by those archives, edited in place.
    answers.append((api.patch(f"/time_entries/{entry['id']}", {"notes": "n"}), "/time_entries/{timeEntryId}"))
    answers.append((api.patch(f"/expenses/{expense['id']}", {"notes": "n"}), "/expenses/{expenseId}"))
    for answer, template in answers:
        errors = openapi.validate(answer, openapi.response_schema("PATCH", template, 200), forbid_unknown=True)
        assert not errors, f"{template}: {errors}"
