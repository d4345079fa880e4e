"""Fixtures for the sandbox tests: fresh sandboxes on 127.0.0.1 and a caller bound to one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from migrator.sandbox import Sandbox
from tests.sandbox.helpers import Api, base_world


@pytest.fixture()
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox with no rate limit (tests about the limit build their own)."""
    with Sandbox(rate=None) as running:
        yield running


@pytest.fixture()
def api(sandbox: Sandbox) -> Iterator[Api]:
    """An httpx caller with the sandbox's token, account id and a User-Agent."""
    caller = Api(sandbox)
    yield caller
    caller.close()


@pytest.fixture()
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with chosen options; all are stopped after the test."""
    started: list[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        running = Sandbox(**({"rate": None} | options)).start()
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture()
def world(api: Api, sandbox: Sandbox) -> dict[str, int]:
    """`base_world` plus a user and a task that are NOT assigned, a draft invoice and a draft estimate."""
    ids = base_world(api)
    ids["stranger"] = sandbox.seed_user("Sam", "Stranger", "sam@example.com")["id"]
    ids["loose_task"] = api.post("/tasks", {"name": "Unassigned"})["id"]
    ids["invoice"] = api.post("/invoices", {"client_id": ids["client"], "number": "1001"})["id"]
    ids["estimate"] = api.post("/estimates", {"client_id": ids["client"], "number": "E-1"})["id"]
    api.post("/invoice_item_categories", {"name": "Hosting"})
    return ids
