"""Harvest's rate limit is the account's, whoever spends it: two migrator processes share one budget.

Each client below stands for a process of its own (its own limiter, its own connection); they meet
only in the budget file. Without it, the second draws 429s from the sandbox, which keeps Harvest's
window (scaled down to 20 requests per 2 s); with it, neither does.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from migrator.config import RateLimit, TargetSettings
from migrator.harvest.client import HarvestClient
from migrator.harvest.shared_budget import SharedBudget, budget_path
from migrator.sandbox import Sandbox


@pytest.fixture(autouse=True)
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the budget file goes to this test's folder


def _client(sandbox: Sandbox, *, share: bool) -> HarvestClient:
    settings = TargetSettings(sandbox.url, SecretStr(sandbox.token), sandbox.account_id, rate=RateLimit(20, 2.0),
                              share_budget=share)  # fmt: skip
    return HarvestClient(settings)


def _spend(client: HarvestClient, n: int) -> None:
    for _ in range(n):
        client.get("/company")


@pytest.mark.parametrize("share", [False, True], ids=["each-its-own", "shared"])
def test_two_processes_back_to_back(share: bool) -> None:
    with Sandbox(rate=(20, 2.0)) as sandbox:
        first, second = _client(sandbox, share=share), _client(sandbox, share=share)
        try:
            _spend(first, 15)  # `plan`
            _spend(second, 15)  # then `run`, at once
        finally:
            first.close()
            second.close()
        throttled = sandbox.stats()["rate_limited"]
    if share:
        assert throttled == 0
    else:
        assert throttled > 0  # the control: this is the trap the shared budget closes


def test_two_processes_at_once() -> None:
    with Sandbox(rate=(20, 2.0)) as sandbox:
        clients = [_client(sandbox, share=True) for _ in range(2)]
        threads = [threading.Thread(target=_spend, args=(client, 25)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for client in clients:
            client.close()
        stats = sandbox.stats()
    assert stats["rate_limited"] == 0 and stats["requests"] == 50


def test_a_process_killed_mid_request_frees_its_slot_later(tmp_path: Path) -> None:
    now = [1000.0]
    budget = SharedBudget(tmp_path / "b.sqlite", 2, 15.0, clock=lambda: now[0])
    held, _ = budget.take()  # a process that never answers: killed after sending
    done, _ = budget.take()
    assert held is not None and done is not None
    budget.give_back(done)
    assert budget.take() == (None, 15.0)  # full: the answered one frees in 15 s
    now[0] += 15.0
    third, _ = budget.take()
    assert third is not None
    now[0] += 200.0  # the dead process's slot is forgotten after STALE_SECONDS
    assert budget.take()[0] is not None
    budget.close()


def test_the_file_is_per_account() -> None:
    one = budget_path("https://api.harvestapp.com/v2", "1")
    assert one == budget_path("https://api.harvestapp.com/v2/", "1")
    assert one != budget_path("https://api.harvestapp.com/v2", "2")
    assert one.parent == Path(tempfile.gettempdir())


def test_a_server_that_says_its_budget_is_spent_is_waited_for() -> None:
    sleeps: list[float] = []
    clock = [0.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    answers = iter([
        httpx.Response(200, json={}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4"}),
        httpx.Response(200, json={}),
    ])  # fmt: skip
    settings = TargetSettings("https://api.example.invalid/v2", SecretStr("t"), "1")
    client = HarvestClient(settings, transport=httpx.MockTransport(lambda request: next(answers)), sleep=sleep,
                           clock=lambda: clock[0])  # fmt: skip
    client.get("/company")
    client.get("/company")
    assert sleeps and sum(sleeps) >= 4.0
