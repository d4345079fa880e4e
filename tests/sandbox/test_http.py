"""The sandbox's HTTP face: headers and auth, routes, keep-alive, the instrument endpoints, company."""

from __future__ import annotations

import http.client
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from migrator.kinds import KINDS
from tests.sandbox.helpers import USER_AGENT, Api
from tests.working_tree import child_env


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({"User-Agent": ""}, 400, id="no-user-agent"),
        pytest.param({"Authorization": ""}, 401, id="no-token"),
        pytest.param({"Authorization": "Bearer wrong-token-xyz"}, 401, id="wrong-token"),
        pytest.param({"Authorization": "sandbox-token"}, 401, id="not-bearer"),
        pytest.param({"Harvest-Account-Id": "999"}, 401, id="wrong-account"),
        pytest.param({"Harvest-Account-Id": ""}, 401, id="no-account"),
    ],
)
def test_headers_are_checked_and_the_token_never_echoed(api: Api, headers: dict[str, str], status: int) -> None:
    response = api.http.get(f"{api.sandbox.url}/clients", headers=api.headers | headers)
    assert response.status_code == status
    body = response.json()
    if status == 401:
        assert body["error"] == "invalid_token" and body["error_description"]
    else:
        assert "User-Agent" in body["message"]
    assert "wrong-token-xyz" not in response.text and api.sandbox.token not in response.text


def test_good_headers_list_clients(api: Api) -> None:
    assert api.get("/clients")["clients"] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/nothing", id="unknown-collection"),
        pytest.param("GET", "/clients/abc", id="non-numeric-id"),
        pytest.param("GET", "/clients/424242", id="missing-object"),
        pytest.param("GET", "/projects/424242/user_assignments", id="missing-parent"),
        pytest.param("POST", "/user_assignments", id="account-wide-assignments-are-read-only"),
        pytest.param("PUT", "/clients", id="no-put"),
        pytest.param("PATCH", "/invoices/424242/payments/1", id="payments-cannot-change"),
    ],
)
def test_unknown_routes_and_objects_are_404(api: Api, method: str, path: str) -> None:
    assert api.refused(method, path, {} if method in ("POST", "PATCH", "PUT") else None, status=404)


def test_a_body_that_is_not_json_is_400(api: Api) -> None:
    response = api.http.post(f"{api.sandbox.url}/clients", content=b"{nope", headers=api.headers)
    assert response.status_code == 400 and "JSON" in response.json()["message"]


def test_keep_alive_serves_many_requests_on_one_connection(api: Api) -> None:
    host, port = api.sandbox.url.removeprefix("http://").removesuffix("/v2").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    local_ports = set()
    try:
        for method, path, body in [("GET", "/users/me", None), ("POST", "/clients", b"{}"), ("GET", "/nope", None)] * 2:
            connection.request(method, f"/v2{path}", body=body, headers=api.headers)
            response = connection.getresponse()
            response.read()
            assert response.status in (200, 404, 422) and not response.will_close
            assert connection.sock is not None
            local_ports.add(connection.sock.getsockname()[1])
    finally:
        connection.close()
    assert len(local_ports) == 1  # six answers, 2xx and 4xx alike, over one TCP connection


def test_me_is_the_administrator_owner(api: Api) -> None:
    me = api.get("/users/me")
    assert me["id"] == 1 and me["access_roles"] == ["administrator"] and me["is_active"] is True


def test_company_reports_the_time_tracking_mode(make_sandbox: object) -> None:
    for timestamps in (False, True):
        sandbox = make_sandbox(timestamp_timers=timestamps)  # type: ignore[operator]
        company = Api(sandbox).get("/company")
        assert company["wants_timestamp_timers"] is timestamps
        assert company["base_uri"].startswith("http://127.0.0.1:")
        assert company["currency_code_display"] and company["name"] and company["weekly_capacity"] == 126000


def test_company_patch_flips_the_mode(api: Api) -> None:
    assert api.patch("/company", {"wants_timestamp_timers": True})["wants_timestamp_timers"] is True
    assert api.get("/company")["wants_timestamp_timers"] is True
    assert "Wants timestamp timers" in api.refused("PATCH", "/company", {"wants_timestamp_timers": "yes"})


def test_stats_and_objects_need_no_auth_and_list_every_kind(api: Api) -> None:
    api.post("/clients", {"name": "Acme"})
    root = api.sandbox.url.removesuffix("/v2")
    stats = httpx.get(f"{root}/__sandbox/stats").json()
    assert set(stats) == {"requests", "rate_limited", "faults_injected", "emails_sent", "objects", "receipt_uploads"}
    assert list(stats["objects"]) == list(KINDS)
    assert stats["requests"] == 1 and stats["objects"]["clients"] == 1
    assert stats["objects"]["users"] == 1  # the owner
    assert stats["objects"]["invoice_item_categories"] == stats["objects"]["estimate_item_categories"] == 2
    assert stats == api.sandbox.stats()
    objects = httpx.get(f"{root}/__sandbox/objects").json()
    assert list(objects) == list(KINDS)
    assert [c["name"] for c in objects["clients"]] == ["Acme"] == [c["name"] for c in api.sandbox.objects("clients")]
    assert sorted(c["name"] for c in objects["invoice_item_categories"]) == ["Product", "Service"]


def test_serve_prints_the_address_first_and_stops_on_sigterm(tmp_path: Path) -> None:
    code = "from migrator.sandbox import serve; serve(port=0, rate=None)"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=child_env(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        second = process.stdout.readline().strip()
        assert first.startswith("Harvest v2 sandbox listening on http://127.0.0.1:") and first.endswith("/v2")
        assert "sandbox-token" in second and "1000001" in second
        url = first.removeprefix("Harvest v2 sandbox listening on ")
        headers = {"Authorization": "Bearer sandbox-token", "Harvest-Account-Id": "1000001", "User-Agent": USER_AGENT}
        assert httpx.get(f"{url}/users/me", headers=headers).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0
