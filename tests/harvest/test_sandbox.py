"""The sandbox over real HTTP: it must refuse what Harvest refuses and count what Harvest would email."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from migrator.errors import AuthError, OutcomeUnknownError, RejectedError
from migrator.harvest.sandbox import Sandbox
from tests.conftest import client_for


def _base(client: Any) -> dict[str, int]:
    c = client.post("/clients", {"name": "Acme"})
    p = client.post("/projects", {"client_id": c["id"], "name": "P", "is_billable": True, "bill_by": "Project",
                                  "budget_by": "none"})
    t = client.post("/tasks", {"name": "Dev"})
    return {"client": c["id"], "project": p["id"], "task": t["id"]}


def test_headers_are_required(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/clients"
    auth = {"Authorization": f"Bearer {sandbox.token}", "Harvest-Account-Id": sandbox.account_id}
    assert httpx.get(url, headers={**auth, "User-Agent": ""}).status_code == 400
    assert httpx.get(url, headers={"User-Agent": "t (t@t)"}).status_code == 401
    wrong = httpx.get(url, headers={**auth, "Authorization": "Bearer nope", "User-Agent": "t (t@t)"})
    assert wrong.status_code == 401 and "nope" not in wrong.text
    assert httpx.get(url, headers={**auth, "User-Agent": "t (t@t)"}).status_code == 200
    with pytest.raises(AuthError):
        client_for(sandbox, account_id="999").get("/clients")


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        pytest.param("/clients", {}, "Name can't be blank", id="required"),
        pytest.param("/clients", {"name": 5}, "Name must be a string", id="type"),
        pytest.param("/contacts", {"client_id": 999, "first_name": "A"}, "Client does not exist", id="unknown-client"),
        pytest.param("/projects", {"client_id": "@c", "name": "P", "is_billable": True, "bill_by": "Project",
                                   "budget_by": "none"}, "Client must be an integer", id="ref-not-int"),
        pytest.param("/projects", {"name": "P", "is_billable": True, "bill_by": "Hourly", "budget_by": "none",
                                   "client_id": 1}, "Bill by is not included", id="enum"),
        pytest.param("/users", {"first_name": "O", "last_name": "W", "email": "OWNER@sandbox.example"},
                     "Email has already been taken", id="duplicate-email"),
    ],
)
def test_validation_answers_422_with_harvest_message(sandbox: Sandbox, path: str, body: dict[str, Any],
                                                     message: str) -> None:
    with pytest.raises(RejectedError, match=message) as caught:
        client_for(sandbox).post(path, body)
    assert caught.value.status == 422


def test_time_needs_assignments_and_never_starts_a_timer(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    ids = _base(client)
    entry = {"project_id": ids["project"], "task_id": ids["task"], "spent_date": "2020-01-01", "hours": Decimal("2")}
    with pytest.raises(RejectedError, match="User is not assigned"):
        client.post("/time_entries", entry)
    client.post(f"/projects/{ids['project']}/user_assignments", {"user_id": 1})
    with pytest.raises(RejectedError, match="Task is not assigned"):
        client.post("/time_entries", entry)
    client.post(f"/projects/{ids['project']}/task_assignments", {"task_id": ids["task"]})
    with pytest.raises(RejectedError, match="running timer"):
        client.post("/time_entries", {k: v for k, v in entry.items() if k != "hours"})
    created = client.post("/time_entries", entry | {"external_reference": {"id": "x:1"}})
    assert created["is_running"] is False and created["hours"] == 2
    found = list(client.list("/time_entries", "time_entries", {"external_reference_id": "x:1"}))
    assert [obj["id"] for obj in found] == [created["id"]]


def test_timestamp_accounts_need_start_and_end() -> None:
    with Sandbox(rate=None, timestamp_timers=True) as sandbox:
        client = client_for(sandbox)
        ids = _base(client)
        client.post(f"/projects/{ids['project']}/user_assignments", {"user_id": 1})
        client.post(f"/projects/{ids['project']}/task_assignments", {"task_id": ids["task"]})
        body = {"project_id": ids["project"], "task_id": ids["task"], "spent_date": "2020-01-01"}
        with pytest.raises(RejectedError, match="would start a timer"):
            client.post("/time_entries", body | {"hours": Decimal(1)})
        made = client.post("/time_entries", body | {"started_time": "8:00am", "ended_time": "9:30am"})
        assert made["hours"] == Decimal("1.5")
        assert client.company()["wants_timestamp_timers"] is True


def test_invoice_states_move_only_by_events_and_payments(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    ids = _base(client)
    line = {"kind": "Service", "unit_price": Decimal("100"), "quantity": Decimal("2"), "taxed": True}
    invoice = client.post("/invoices", {"client_id": ids["client"], "number": "7", "tax": Decimal("10"),
                                        "discount": Decimal("5"), "line_items": [line]})
    assert (invoice["state"], invoice["amount"], invoice["due_amount"]) == ("draft", Decimal("209.00"), Decimal("209.00"))
    path = f"/invoices/{invoice['id']}"
    with pytest.raises(RejectedError, match="draft invoice"):
        client.post(f"{path}/payments", {"amount": Decimal("9"), "send_thank_you": False})
    with pytest.raises(RejectedError, match="Event type can't be close unless invoice is open"):
        client.post(f"{path}/messages", {"event_type": "close"})
    client.post(f"{path}/messages", {"event_type": "send"})
    client.post(f"{path}/payments", {"amount": Decimal("9"), "paid_date": "2020-01-02", "send_thank_you": False})
    assert client.get(path)["due_amount"] == Decimal("200.00")
    with pytest.raises(RejectedError, match="more than the amount due"):
        client.post(f"{path}/payments", {"amount": Decimal("500"), "send_thank_you": False})
    client.post(f"{path}/payments", {"amount": Decimal("200"), "paid_date": "2020-01-03", "send_thank_you": False})
    assert client.get(path)["state"] == "paid"
    with pytest.raises(RejectedError, match="Number has already been taken"):
        client.post("/invoices", {"client_id": ids["client"], "number": "7"})
    with pytest.raises(RejectedError, match="not an item category"):
        client.post("/invoices", {"client_id": ids["client"], "line_items": [line | {"kind": "Nope"}]})
    assert sandbox.stats()["emails_sent"] == 0


def test_emails_are_counted_where_harvest_would_send_them(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    ids = _base(client)
    client.post("/users", {"first_name": "New", "last_name": "Person", "email": "new@x.example"})
    invoice = client.post("/invoices", {"client_id": ids["client"],
                                        "line_items": [{"kind": "Service", "unit_price": Decimal("10")}]})
    client.post(f"/invoices/{invoice['id']}/messages", {"recipients": [{"email": "c@x.example"}]})
    client.post(f"/invoices/{invoice['id']}/payments", {"amount": Decimal("1")})
    assert sandbox.stats()["emails_sent"] == 3


def test_lists_page_with_links_next(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    for name in "abcde":
        client.post("/clients", {"name": name})
    first = client.get("/clients", {"per_page": 2})
    assert first["total_pages"] == 3 and first["total_entries"] == 5 and first["links"]["next"].startswith("http")
    assert sorted(c["name"] for c in client.list("/clients", "clients", {"per_page": 2})) == list("abcde")
    with pytest.raises(RejectedError, match="per_page"):
        client.get("/clients", {"per_page": 2001})


def test_rate_limit_answers_429_with_retry_after() -> None:
    with Sandbox(rate=(3, 2.0)) as sandbox:
        headers = {"Authorization": f"Bearer {sandbox.token}", "Harvest-Account-Id": sandbox.account_id,
                   "User-Agent": "t (t@t)"}
        codes = [httpx.get(f"{sandbox.url}/clients", headers=headers) for _ in range(4)]
        assert [r.status_code for r in codes] == [200, 200, 200, 429]
        assert 1 <= int(codes[-1].headers["Retry-After"]) <= 2
        assert sandbox.stats()["rate_limited"] == 1


@pytest.mark.parametrize(("fault", "committed"), [("error_500", False), ("commit_502", True),
                                                  ("commit_drop", True), ("stall", True)])
def test_each_fault_kind_commits_or_not_as_documented(fault: str, committed: bool) -> None:
    with Sandbox(rate=None, fault_rate=1.0, fault_kinds=(fault,), stall_seconds=1.5) as sandbox:
        client = client_for(sandbox, timeout=0.5, max_retries=1)
        with pytest.raises(OutcomeUnknownError):
            client.post("/clients", {"name": "Acme"})
        assert sandbox.stats()["objects"]["clients"] == (1 if committed else 0)
        assert sandbox.stats()["faults_injected"] == 1
        time.sleep(1.6 if fault == "stall" else 0)


def test_state_file_keeps_the_account_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    with Sandbox(rate=None, state_path=state) as first:
        client_for(first).post("/clients", {"name": "Kept"})
    with Sandbox(rate=None, state_path=state) as second:
        assert [c["name"] for c in second.objects("clients")] == ["Kept"]


def test_stats_endpoint_lists_every_kind(sandbox: Sandbox) -> None:
    stats = httpx.get(sandbox.url.removesuffix("/v2") + "/__sandbox/stats").json()
    from migrator.kinds import KINDS

    assert set(stats) == {"requests", "rate_limited", "faults_injected", "emails_sent", "objects"}
    assert list(stats["objects"]) == list(KINDS)
