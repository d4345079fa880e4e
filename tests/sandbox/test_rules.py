"""What the sandbox does by itself, as Harvest does: hours as given, assignments, deletions and cascades."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from migrator.sandbox import Sandbox
from tests.sandbox.helpers import Api, base_world, expense_body, time_entry

World = dict[str, int]


def test_time_entry_is_stored_as_given(api: Api, world: World) -> None:
    body = time_entry(
        world,
        hours=Decimal("1.333"),
        notes="n",
        external_reference={"id": "harvest-v1:day_entry:1", "group_id": "g", "permalink": "https://old.example/day/1"},
    )
    made = api.post("/time_entries", body)
    assert made["hours"] == Decimal("1.333") and '"hours": 1.333' in api.call("GET", f"/time_entries/{made['id']}").text
    assert (made["is_running"], made["billable"], made["spent_date"], made["notes"]) == (False, True, "2021-03-04", "n")
    assert made["external_reference"]["service"] == "old.example"
    assert made["user"] == {"id": 1, "name": "Sandbox Owner"} and made["client"]["id"] == world["client"]
    assert made["user_assignment"]["user"]["id"] == 1 and made["task_assignment"]["task"]["id"] == world["task"]
    patched = api.patch(f"/time_entries/{made['id']}", {"hours": Decimal("2"), "notes": None})
    assert (patched["hours"], patched["notes"]) == (2, None)
    assert "running timer" in api.refused("PATCH", f"/time_entries/{made['id']}", {"hours": None})


def test_an_inactive_assignment_cannot_take_time(api: Api, world: World) -> None:
    assignment = api.get(f"/projects/{world['project']}/user_assignments")["user_assignments"][0]
    api.patch(f"/projects/{world['project']}/user_assignments/{assignment['id']}", {"is_active": False})
    assert "User is not assigned" in api.refused("POST", "/time_entries", time_entry(world))


def test_timestamp_accounts_need_start_and_end(make_sandbox: Callable[..., Sandbox]) -> None:
    api = Api(make_sandbox(timestamp_timers=True))
    world = base_world(api)
    body = time_entry(world, hours=None)
    assert "running timer" in api.refused("POST", "/time_entries", body | {"hours": Decimal(1)})
    assert "running timer" in api.refused("POST", "/time_entries", body | {"started_time": "8:00am"})
    assert "after started" in api.refused(
        "POST", "/time_entries", body | {"started_time": "9:00am", "ended_time": "8:00am"}
    )
    made = api.post("/time_entries", body | {"started_time": "8:00am", "ended_time": "9:30am"})
    assert (made["hours"], made["started_time"], made["is_running"]) == (Decimal("1.5"), "8:00am", False)
    assert api.post("/time_entries", body | {"started_time": "13:00", "ended_time": "13:20"})["hours"] == Decimal(
        "0.33"
    )


def test_expense_units_take_the_category_price(api: Api, world: World) -> None:
    mileage = api.post("/expense_categories", {"name": "Mileage", "unit_name": "mile", "unit_price": Decimal("0.58")})
    made = api.post("/expenses", expense_body(world, expense_category_id=mileage["id"], units=10, total_cost=None))
    assert made["total_cost"] == Decimal("5.80") and made["units"] == 10 and made["billable"] is True
    # The spec types the nested unit_price as a string.
    assert made["expense_category"] == {
        "id": mileage["id"],
        "name": "Mileage",
        "unit_price": "0.58",
        "unit_name": "mile",
    }


DELETE_CASES = [
    pytest.param("/clients/{client}", "Client has projects", id="client-with-projects"),
    pytest.param("/tasks/{task}", "Task has time entries", id="task-with-time"),
    pytest.param("/users/1", "owner", id="account-owner"),
    pytest.param("/users/{logger}", "User has time entries", id="user-with-time"),
    pytest.param(
        "/projects/{project}/user_assignments/{user_assignment}", "has time entries", id="user-assignment-with-time"
    ),
    pytest.param(
        "/projects/{project}/task_assignments/{task_assignment}", "has time entries", id="task-assignment-with-time"
    ),
    pytest.param("/expense_categories/{category}", "has expenses", id="category-with-expenses"),
]


@pytest.mark.parametrize(("path", "message"), DELETE_CASES)
def test_delete_is_refused_where_harvest_refuses(api: Api, world: World, path: str, message: str) -> None:
    logger = api.sandbox.seed_user("Lou", "Logger", "lou@example.com")["id"]
    project = world["project"]
    world["user_assignment"] = api.post(f"/projects/{project}/user_assignments", {"user_id": logger})["id"]
    world["task_assignment"] = api.get(f"/projects/{project}/task_assignments")["task_assignments"][0]["id"]
    world["logger"] = logger
    api.post("/time_entries", time_entry(world, user_id=logger))
    api.post("/expenses", expense_body(world, user_id=logger))
    before = api.sandbox.stats()["objects"]
    assert message in api.refused("DELETE", path.format(**world))
    assert api.sandbox.stats()["objects"] == before


def test_deleting_a_project_deletes_its_time_and_expenses(api: Api, world: World) -> None:
    api.post("/time_entries", time_entry(world))
    api.post("/expenses", expense_body(world))
    api.ok("DELETE", f"/projects/{world['project']}")
    objects = api.sandbox.stats()["objects"]
    assert objects["time_entries"] == objects["expenses"] == objects["projects"] == 0
    assert objects["user_assignments"] == objects["task_assignments"] == 0
    api.ok("DELETE", f"/tasks/{world['task']}")  # nothing refers to it any more
    api.ok("DELETE", f"/invoices/{world['invoice']}")
    api.ok("DELETE", f"/estimates/{world['estimate']}")
    api.post("/contacts", {"client_id": world["client"], "first_name": "Ann"})
    api.ok("DELETE", f"/clients/{world['client']}")
    assert api.sandbox.stats()["objects"]["contacts"] == 0  # a client's contacts go with it


def test_new_projects_get_default_tasks_and_all_future_project_users(api: Api) -> None:
    api.post("/tasks", {"name": "Meetings", "is_default": True, "billable_by_default": False})
    api.post("/tasks", {"name": "Old default", "is_default": True, "is_active": False})
    api.post("/tasks", {"name": "Optional"})
    everyone = api.post(
        "/users",
        {"first_name": "Eve", "last_name": "R", "email": "eve@example.com", "has_access_to_all_future_projects": True},
    )
    client = api.post("/clients", {"name": "Acme"})
    project = api.post(
        "/projects",
        {"client_id": client["id"], "name": "New", "is_billable": True, "bill_by": "Tasks", "budget_by": "none"},
    )
    tasks = api.get(f"/projects/{project['id']}/task_assignments")["task_assignments"]
    users = api.get(f"/projects/{project['id']}/user_assignments")["user_assignments"]
    assert [(a["task"]["name"], a["billable"]) for a in tasks] == [("Meetings", False)]
    assert [(a["user"]["id"], a["is_project_manager"]) for a in users] == [(everyone["id"], False)]
    assert "already been assigned" in api.refused(
        "POST", f"/projects/{project['id']}/user_assignments", {"user_id": everyone["id"]}
    )
