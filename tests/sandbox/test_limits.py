"""The sandbox as a hostile target: rate limit, seeded faults, latency, concurrency, and its state file."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from migrator.sandbox import Sandbox
from migrator.sandbox.store import Store
from tests.sandbox.helpers import Api

MakeSandbox = Callable[..., Sandbox]


def test_rate_limit_answers_429_with_retry_after_and_processes_nothing(make_sandbox: MakeSandbox) -> None:
    api = Api(make_sandbox(rate=(3, 1.0)))
    answers = [api.call("POST", "/clients", {"name": f"c{i}"}) for i in range(4)]
    assert [r.status_code for r in answers] == [201, 201, 201, 429]
    throttled = answers[-1]
    assert throttled.headers["Retry-After"] == "1" and throttled.json()["message"]
    assert api.sandbox.stats()["objects"]["clients"] == 3  # the throttled POST was not applied
    time.sleep(int(throttled.headers["Retry-After"]) + 0.05)
    assert api.call("POST", "/clients", {"name": "c3"}).status_code == 201  # honouring Retry-After is enough
    stats = api.sandbox.stats()
    assert (stats["requests"], stats["rate_limited"], stats["objects"]["clients"]) == (5, 1, 4)


def test_retry_after_is_the_time_until_a_slot_frees(make_sandbox: MakeSandbox) -> None:
    api = Api(make_sandbox(rate=(2, 5.0)))
    api.get("/users/me")
    time.sleep(1.2)
    api.get("/users/me")
    assert api.call("GET", "/users/me").headers["Retry-After"] == "4"  # the first slot frees ~3.8 s from now


def test_no_rate_limit_when_rate_is_none(api: Api) -> None:
    assert {api.call("GET", "/users/me").status_code for _ in range(150)} == {200}
    assert api.sandbox.stats()["rate_limited"] == 0


@pytest.mark.parametrize(
    ("fault", "committed", "outcome"),
    [
        pytest.param("error_500", False, 500, id="error_500"),
        pytest.param("commit_502", True, 502, id="commit_502"),
        pytest.param("commit_drop", True, httpx.RemoteProtocolError, id="commit_drop"),
        pytest.param("stall", True, httpx.ReadTimeout, id="stall"),
    ],
)
def test_each_fault_kind_commits_or_not(
    make_sandbox: MakeSandbox, fault: str, committed: bool, outcome: int | type[Exception]
) -> None:
    sandbox = make_sandbox(fault_rate=1.0, fault_kinds=(fault,), stall_seconds=1.0)
    api = Api(sandbox, timeout=0.3)
    if isinstance(outcome, int):
        response = api.call("POST", "/clients", {"name": "Acme"})
        assert response.status_code == outcome and response.json()["message"]
    else:
        with pytest.raises(outcome):
            api.call("POST", "/clients", {"name": "Acme"})
    stats = sandbox.stats()
    assert stats["objects"]["clients"] == (1 if committed else 0)
    assert stats["faults_injected"] == 1
    assert httpx.get(sandbox.url.removesuffix("/v2") + "/__sandbox/stats").status_code == 200  # never faulted
    assert sandbox.stats()["faults_injected"] == 1


def test_a_stall_answers_late_with_the_real_outcome(make_sandbox: MakeSandbox) -> None:
    api = Api(make_sandbox(fault_rate=1.0, fault_kinds=("stall",), stall_seconds=0.5), timeout=5)
    started = time.monotonic()
    assert api.call("POST", "/clients", {"name": "Acme"}).status_code == 201
    assert time.monotonic() - started >= 0.5


def test_faults_are_seeded(make_sandbox: MakeSandbox) -> None:
    def pattern(seed: int) -> list[int]:
        api = Api(make_sandbox(fault_rate=0.5, fault_kinds=("error_500", "commit_502"), fault_seed=seed))
        return [api.call("GET", "/users/me").status_code for _ in range(20)]

    first = pattern(7)
    assert first == pattern(7) and {200, 500, 502} == set(first)
    assert first != pattern(8)


def test_fault_rate_and_latency_can_change_while_serving(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fault_kinds=("error_500",))
    api = Api(sandbox)
    assert api.call("GET", "/users/me").status_code == 200
    sandbox.set_fault_rate(1.0)
    assert api.call("GET", "/users/me").status_code == 500
    sandbox.set_fault_rate(0.0)
    assert api.call("GET", "/users/me").status_code == 200
    assert sandbox.stats()["faults_injected"] == 1
    with pytest.raises(ValueError, match="between 0 and 1"):
        sandbox.set_fault_rate(1.5)
    sandbox.set_latency(300)
    started = time.monotonic()
    api.get("/users/me")
    assert time.monotonic() - started >= 0.3
    sandbox.set_latency(0)
    started = time.monotonic()
    api.get("/users/me")
    assert time.monotonic() - started < 0.25


def test_unknown_fault_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="fault kinds"):
        Sandbox(fault_kinds=("explode",))


def test_concurrent_writes_get_unique_ids_and_none_is_lost(api: Api) -> None:
    def make(index: int) -> int:
        caller = Api(api.sandbox)
        try:
            return int(caller.post("/clients", {"name": f"client {index}"})["id"])
        finally:
            caller.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(make, range(40)))
    assert len(set(ids)) == 40 and api.sandbox.stats()["objects"]["clients"] == 40


def _saved(state: Path, kind: str) -> list[dict[str, Any]]:
    """What the state file holds, read as the next process would: through a connection of its own."""
    store = Store(state_path=state)
    try:
        return store.all(kind)
    finally:
        store.close()


def test_state_file_continues_the_account_in_a_new_sandbox(tmp_path: Path) -> None:
    state = tmp_path / "account.sqlite"
    with Sandbox(rate=None, state_path=state, timestamp_timers=True) as first:
        api = Api(first)
        client = api.post("/clients", {"name": "Kept"})
        api.post("/users", {"first_name": "In", "last_name": "Vited", "email": "in@example.com"})
        invoice = api.post(
            "/invoices",
            {
                "client_id": client["id"],
                "line_items": [{"kind": "Service", "unit_price": Decimal("10.10"), "quantity": Decimal("3")}],
            },
        )
        api.close()
    assert [c["name"] for c in _saved(state, "clients")] == ["Kept"]
    assert [p.name for p in tmp_path.iterdir()] == ["account.sqlite"]  # no -wal or -shm file left behind
    with Sandbox(rate=None, state_path=state) as second:
        api = Api(second)
        assert second.objects("clients") == [client]
        assert api.get(f"/invoices/{invoice['id']}") == invoice and invoice["amount"] == Decimal("30.30")
        assert second.stats()["emails_sent"] == 1
        assert api.get("/company")["wants_timestamp_timers"] is True  # the account's setting, kept
        newer = api.post("/clients", {"name": "Next"})
        assert newer["id"] > invoice["id"]
        assert "already been taken" in api.refused("POST", "/clients", {"name": "kept"})
        api.close()


def test_a_dropped_answer_was_already_saved(tmp_path: Path) -> None:
    state = tmp_path / "account.sqlite"
    with Sandbox(rate=None, state_path=state, fault_rate=1.0, fault_kinds=("commit_drop",)) as sandbox:
        with pytest.raises(httpx.RemoteProtocolError):
            Api(sandbox).call("POST", "/clients", {"name": "Saved"})
        assert [c["name"] for c in _saved(state, "clients")] == ["Saved"]  # read by another connection


def test_a_client_that_vanishes_mid_connection_is_not_a_server_error(
    make_sandbox: MakeSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    """A killed or timed-out client resets its connection: normal for a test target, so no traceback."""
    sandbox = make_sandbox()
    host, port = sandbox.url.removeprefix("http://").removesuffix("/v2").split(":")
    for _ in range(3):
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(b"GET /__sandbox/stats HTTP/1.1\r\nHost: x\r\n\r\n")
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")  # the server now waits for the next request
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
    # One more request on a fresh connection: answered only after the server got past the resets.
    assert httpx.get(sandbox.url.removesuffix("/v2") + "/__sandbox/stats").status_code == 200
    time.sleep(0.2)  # the handler threads of the reset connections finish on their own
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err
