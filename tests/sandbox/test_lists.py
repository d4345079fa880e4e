"""Collections: create, read, update, delete, Harvest's page wrapper with absolute links, and filters."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from tests.sandbox.helpers import Api, base_world, time_entry


def test_create_get_patch_delete_one_client(api: Api) -> None:
    made = api.post("/clients", {"name": "Acme", "currency": "EUR", "address": "1 Road\nTown"})
    assert made["id"] > 0 and made["currency"] == "EUR" and made["is_active"] is True
    assert made["created_at"].endswith("Z") and made["statement_key"]
    assert api.get(f"/clients/{made['id']}") == made
    changed = api.patch(f"/clients/{made['id']}", {"name": "Acme Ltd", "address": None})
    assert (changed["name"], changed["address"], changed["currency"]) == ("Acme Ltd", None, "EUR")
    assert api.ok("DELETE", f"/clients/{made['id']}") is None
    assert api.refused("GET", f"/clients/{made['id']}", status=404)


def test_unknown_fields_are_ignored_not_stored(api: Api) -> None:
    made = api.post("/clients", {"name": "Acme", "statement_key": "mine", "colour": "red"})
    assert "colour" not in made and made["statement_key"] != "mine"


def test_three_pages_followed_through_links_next(api: Api) -> None:
    for name in "abcde":
        api.post("/clients", {"name": name})
    page = api.get("/clients", per_page=2)
    seen, pages = [], []
    while True:
        pages.append(page)
        seen += [client["name"] for client in page["clients"]]
        if page["links"]["next"] is None:
            break
        page = api.get(page["links"]["next"])
    assert len(pages) == 3 and sorted(seen) == list("abcde") and len(set(seen)) == 5
    first, last = pages[0], pages[-1]
    assert (first["page"], first["total_pages"], first["total_entries"], first["per_page"]) == (1, 3, 5, 2)
    assert (first["next_page"], first["previous_page"], last["next_page"], last["previous_page"]) == (2, None, None, 2)
    assert first["links"]["first"].startswith(api.sandbox.url + "/clients?")
    assert last["links"]["last"] == first["links"]["last"] and first["links"]["previous"] is None
    assert seen == ["e", "d", "c", "b", "a"]  # newest first, as Harvest lists


def test_per_page_defaults_to_2000_and_more_is_422(api: Api) -> None:
    assert api.get("/clients")["per_page"] == 2000
    assert "per_page" in api.refused("GET", "/clients?per_page=2001")
    assert "per_page" in api.refused("GET", "/clients?per_page=0")


def test_links_keep_the_filters(api: Api) -> None:
    for name in "abc":
        api.post("/clients", {"name": name, "is_active": False})
    page = api.get("/clients", is_active="false", per_page=1)
    assert "is_active=false" in page["links"]["next"] and page["total_entries"] == 3


def test_filters(api: Api) -> None:
    world = base_world(api)
    other_client = api.post("/clients", {"name": "Other", "is_active": False})
    api.post("/contacts", {"client_id": world["client"], "first_name": "Ann"})
    api.post("/contacts", {"client_id": other_client["id"], "first_name": "Bob"})
    entry = api.post("/time_entries", time_entry(world, external_reference={"id": "v1:day_entry:7"}))
    api.post("/time_entries", time_entry(world, external_reference={"id": "v1:day_entry:8"}))
    api.post(
        "/expenses",
        {
            "project_id": world["project"],
            "expense_category_id": world["category"],
            "spent_date": "2021-03-05",
            "total_cost": Decimal("12.50"),
        },
    )

    def names(path: str, key: str, field: str, **params: object) -> list[str]:
        return sorted(str(obj[field]) for obj in api.get(path, **params)[key])

    assert names("/contacts", "contacts", "first_name", client_id=world["client"]) == ["Ann"]
    assert names("/clients", "clients", "name", is_active="false") == ["Other"]
    assert names("/clients", "clients", "name", is_active="true") == ["Acme"]
    found = api.get("/time_entries", external_reference_id="v1:day_entry:7")["time_entries"]
    assert [obj["id"] for obj in found] == [entry["id"]]
    assert len(api.get("/time_entries", project_id=world["project"], user_id=1)["time_entries"]) == 2
    assert api.get("/time_entries", user_id=999)["time_entries"] == []
    assert len(api.get("/expenses", project_id=world["project"])["expenses"]) == 1
    assert api.get("/expenses", user_id=999)["expenses"] == []
    assert names("/projects", "projects", "name", client_id=world["client"]) == ["Site"]
    assert api.get("/projects", client_id=other_client["id"])["projects"] == []
    assert "client_id" in api.refused("GET", "/projects?client_id=abc")


def test_updated_since(api: Api) -> None:
    api.post("/clients", {"name": "Old"})
    time.sleep(1.1)  # Harvest timestamps have whole seconds
    new = api.post("/clients", {"name": "New"})
    assert [c["name"] for c in api.get("/clients", updated_since=new["created_at"])["clients"]] == ["New"]
    assert len(api.get("/clients", updated_since="2000-01-01T00:00:00Z")["clients"]) == 2
    assert "Updated since" in api.refused("GET", "/clients?updated_since=yesterday")


def test_assignments_nested_and_account_wide(api: Api) -> None:
    world = base_world(api)
    project = world["project"]
    nested = api.get(f"/projects/{project}/user_assignments")["user_assignments"]
    assert [(a["project"]["id"], a["user"]["id"]) for a in nested] == [(project, 1)]
    assert api.get("/user_assignments")["user_assignments"] == nested
    tasks = api.get("/task_assignments")["task_assignments"]
    assert [(a["project"]["id"], a["task"]["id"], a["billable"]) for a in tasks] == [(project, world["task"], True)]
    one = api.get(f"/projects/{project}/task_assignments/{tasks[0]['id']}")
    assert one == tasks[0]
    assert api.patch(f"/projects/{project}/task_assignments/{one['id']}", {"billable": False})["billable"] is False
    other = api.post(
        "/projects",
        {"client_id": world["client"], "name": "Other", "is_billable": False, "bill_by": "none", "budget_by": "none"},
    )
    assert api.refused("GET", f"/projects/{other['id']}/task_assignments/{one['id']}", status=404)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        pytest.param("tasks", {"name": "Design", "is_default": True}, id="tasks"),
        pytest.param(
            "expense_categories",
            {"name": "Mileage", "unit_name": "mile", "unit_price": Decimal("0.5")},
            id="expense_categories",
        ),
        pytest.param("invoice_item_categories", {"name": "Hosting"}, id="invoice_item_categories"),
        pytest.param("estimate_item_categories", {"name": "Hosting"}, id="estimate_item_categories"),
        pytest.param("users", {"first_name": "Ada", "last_name": "L", "email": "ada@example.com"}, id="users"),
    ],
)
def test_simple_kinds_round_trip(api: Api, kind: str, body: dict[str, object]) -> None:
    made = api.post(f"/{kind}", body)
    assert {key: made[key] for key in body} == body
    assert api.get(f"/{kind}/{made['id']}") == made
    assert made in api.get(f"/{kind}")[kind]
