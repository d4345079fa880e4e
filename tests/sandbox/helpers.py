"""Helpers for the sandbox tests: a thin httpx caller and a minimal account to log time against.

The caller is plain httpx on purpose: these tests pin what the *server* answers (statuses, bodies,
headers), independently of how `HarvestClient` retries or raises.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from migrator import jsonio
from migrator.sandbox import Sandbox

USER_AGENT = "migrator-tests (tests@example.com)"


class Api:
    """Requests to one sandbox with Harvest's headers; bodies go through `jsonio` (Decimal, never float)."""

    def __init__(self, sandbox: Sandbox, timeout: float = 10.0) -> None:
        self.sandbox = sandbox
        self.headers = {
            "Authorization": f"Bearer {sandbox.token}",
            "Harvest-Account-Id": sandbox.account_id,
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
        }
        self.http = httpx.Client(timeout=timeout)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.sandbox.url}{path}"

    def call(
        self, method: str, path: str, body: Any = None, *, params: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        content = None if body is None else jsonio.dumps(body)
        merged = self.headers | {key.replace("_", "-"): value for key, value in headers.items()}
        return self.http.request(method, self.url(path), content=content, params=params, headers=merged)

    def ok(self, method: str, path: str, body: Any = None, *, params: dict[str, Any] | None = None) -> Any:
        """The decoded body of a 2xx answer (fails the test with Harvest's message otherwise)."""
        response = self.call(method, path, body, params=params)
        assert response.is_success, f"{method} {path} -> {response.status_code}: {response.text}"
        return jsonio.loads(response.content) if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.ok("GET", path, params=params or None)

    def post(self, path: str, body: Any) -> Any:
        return self.ok("POST", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.ok("PATCH", path, body)

    def refused(self, method: str, path: str, body: Any = None, status: int = 422) -> str:
        """Harvest's `message` of an answer that must have `status`."""
        response = self.call(method, path, body)
        assert response.status_code == status, f"{method} {path} -> {response.status_code}: {response.text}"
        return str(response.json()["message"])

    def close(self) -> None:
        self.http.close()


def base_world(api: Api) -> dict[str, int]:
    """A client, a billable project with the owner and a billable task assigned, an expense category."""
    client = api.post("/clients", {"name": "Acme"})
    project = api.post(
        "/projects",
        {"client_id": client["id"], "name": "Site", "is_billable": True, "bill_by": "Project", "budget_by": "none"},
    )
    task = api.post("/tasks", {"name": "Development"})
    category = api.post("/expense_categories", {"name": "Travel"})
    api.post(f"/projects/{project['id']}/user_assignments", {"user_id": 1})
    api.post(f"/projects/{project['id']}/task_assignments", {"task_id": task["id"], "billable": True})
    return {"client": client["id"], "project": project["id"], "task": task["id"], "category": category["id"]}


def time_entry(world: dict[str, int], **fields: Any) -> dict[str, Any]:
    """A valid duration-mode time entry body for `world`."""
    body = {"project_id": world["project"], "task_id": world["task"], "spent_date": "2021-03-04"}
    return body | {"hours": Decimal("1.5")} | fields


def expense_body(world: dict[str, int], **fields: Any) -> dict[str, Any]:
    """A valid expense body for `world` (a 10.00 travel cost)."""
    body = {"project_id": world["project"], "expense_category_id": world["category"], "spent_date": "2021-03-05"}
    return body | {"total_cost": Decimal("10")} | fields
