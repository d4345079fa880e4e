"""The store under the sandbox: a write and a lookup cost the same in a large account as in a small one.

Structural, not timed: the statements a request runs are counted (the same number with 50 or with
3,000 time entries) and each one's query plan is read (an index or the primary key, never a scan of
the objects); the state file is one SQLite file written in place, never rewritten whole. Then what
the store promises its callers: transactions, paging in SQL, the state file between processes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from migrator.errors import ConfigError
from migrator.sandbox import operations
from migrator.sandbox.listing import page_of
from migrator.sandbox.render import render
from migrator.sandbox.store import SandboxError, Store

BASE = "http://127.0.0.1/v2/time_entries"


def _world(store: Store) -> dict[str, int]:
    client = operations.create(store, "clients", {"name": "Acme"})
    project = operations.create(
        store,
        "projects",
        {"client_id": client["id"], "name": "Site", "is_billable": True, "bill_by": "Project", "budget_by": "none"},
    )
    task = operations.create(store, "tasks", {"name": "Development"})
    operations.create(store, "user_assignments", {"user_id": 1}, project["id"])
    operations.create(store, "task_assignments", {"task_id": task["id"]}, project["id"])
    return {"client": client["id"], "project": project["id"], "task": task["id"]}


def _entry(world: dict[str, int], number: int) -> dict[str, Any]:
    day = 1 + number % 28
    return {
        "project_id": world["project"],
        "task_id": world["task"],
        "spent_date": f"2021-03-{day:02d}",
        "hours": Decimal("1.25"),
        "external_reference": {"id": f"v1:day_entry:{number}"},
    }


def _add_entries(store: Store, world: dict[str, int], numbers: range) -> None:
    for number in numbers:
        operations.create(store, "time_entries", _entry(world, number))


def _requests(store: Store, world: dict[str, int], number: int) -> None:
    """What a migration asks of the sandbox for one time entry, as the server runs it (one session each)."""
    with store.session():
        made = operations.create(store, "time_entries", _entry(world, number))
        render(store, "time_entries", made)
    with store.session():
        render(store, "time_entries", store.get("time_entries", made["id"]))
    with store.session():
        page_of(store, "time_entries", {"external_reference_id": f"v1:day_entry:{number}"}, BASE, None)
    with store.session():
        page_of(store, "time_entries", {"project_id": str(world["project"]), "per_page": "10"}, BASE, None)
    with store.session():
        page_of(store, "time_entries", {"per_page": "10"}, BASE, None)
    with store.session():
        render(store, "time_entries", operations.update(store, "time_entries", made["id"], {"notes": "n"}))
    with store.session():
        operations.delete(store, "time_entries", made["id"])


def _statements(state: Path, world: dict[str, int], number: int) -> list[str]:
    """The SQL statements of `_requests`, by a store just opened on the file (nothing cached yet)."""
    store = Store(state_path=state)
    ran: list[str] = []
    store.trace(ran.append)
    _requests(store, world, number)
    store.trace(None)
    store.close()
    return ran


@pytest.fixture()
def state(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "account.sqlite"


def test_a_request_runs_the_same_statements_in_a_large_account(state: Path) -> None:
    store = Store(state_path=state)
    world = _world(store)
    _add_entries(store, world, range(50))
    store.close()
    small = _statements(state, world, 10_001)
    store = Store(state_path=state)
    _add_entries(store, world, range(50, 3_050))
    store.close()
    large = _statements(state, world, 10_002)

    def shape(sql: str) -> str:  # the statement without its values
        return re.sub(r"'[^']*'|\b\d+\b", "?", sql)

    assert [shape(sql) for sql in large] == [shape(sql) for sql in small]
    assert len(large) < 80  # seven requests; the old store had no statements but rewrote the whole file


def test_no_statement_scans_the_objects(state: Path) -> None:
    store = Store(state_path=state)
    world = _world(store)
    _add_entries(store, world, range(200))
    store.close()
    ran = _statements(state, world, 10_001)
    store = Store(state_path=state)
    plans = {}
    for sql in ran:
        if sql.split()[0].upper() in ("SELECT", "UPDATE", "DELETE", "INSERT"):
            plan = [row[3] for row in store._db.execute(f"EXPLAIN QUERY PLAN {sql}")]
            plans[sql] = plan
    store.close()
    # The list-order index walked from one end with LIMIT is fine ("SEARCH objects USING INDEX
    # objects_order (kind=?)"); a scan of the table is not, nor a page found by walking the whole
    # kind when a filter names an indexed column.
    scans = {sql: plan for sql, plan in plans.items() if any(step.startswith("SCAN objects") for step in plan)}
    assert scans == {}
    filtered = {sql: plan for sql, plan in plans.items() if "reference = " in sql or "project_id = " in sql}
    assert filtered and all("objects_order" not in " ".join(plan) for plan in filtered.values()), filtered


def test_the_state_file_is_written_in_place_not_rewritten(state: Path) -> None:
    store = Store(state_path=state)
    world = _world(store)
    inode = state.stat().st_ino
    _add_entries(store, world, range(300))
    assert state.stat().st_ino == inode  # the old store replaced the file (a new inode) after every change
    store.close()
    assert state.stat().st_ino == inode and sorted(p.name for p in state.parent.iterdir()) == ["account.sqlite"]


def test_a_transaction_that_raises_leaves_nothing(state: Path) -> None:
    store = Store(state_path=state)
    before = (store.counts(), store.next_id, store.emails_sent)
    with pytest.raises(SandboxError), store.transaction():
        store.insert("clients", {"name": "Half"})
        store.emails_sent += 1
        raise SandboxError(422, "refused after a write")
    assert store.find("clients") == [] and (store.counts(), store.next_id, store.emails_sent) == before
    store.close()
    reopened = Store(state_path=state)
    assert reopened.find("clients") == [] and (reopened.counts(), reopened.next_id, reopened.emails_sent) == before
    reopened.close()


def test_a_commit_is_seen_by_another_connection_and_the_account_continues(state: Path) -> None:
    first = Store(state_path=state, timestamp_timers=True)
    operations.create(first, "users", {"first_name": "In", "last_name": "Vited", "email": "in@example.com"})
    made = operations.create(first, "clients", {"name": "Kept", "currency": "EUR"})
    other = Store(state_path=state)  # as the next process would, while the first is still open
    assert other.get("clients", made["id"])["name"] == "Kept"
    assert (other.next_id, other.emails_sent, other.timestamp_timers) == (first.next_id, 1, True)
    assert other.counts() == first.counts()
    newer = operations.create(other, "clients", {"name": "Next"})  # the shared counter, read at the write
    assert newer["id"] == made["id"] + 1
    assert "already been taken" in _refusal(lambda: operations.create(first, "clients", {"name": " next "}))
    assert first.counts()["clients"] == 2 and first.next_id == newer["id"] + 1
    other.close()
    first.close()


def _refusal(call: Any) -> str:
    with pytest.raises(SandboxError) as refused:
        call()
    return refused.value.message


def test_a_state_file_that_is_not_one_is_refused_in_one_line(tmp_path: Path) -> None:
    old = tmp_path / "ledger.sqlite.sandbox.json"
    old.write_text('{"version": 1, "next_id": 6, "objects": {}}')
    with pytest.raises(ConfigError, match=r"ledger\.sqlite\.sandbox\.json: not a sandbox state file"):
        Store(state_path=old)


def test_find_looks_up_indexed_columns_only() -> None:
    store = Store()
    with pytest.raises(ValueError, match="not an indexed column"):
        store.find("time_entries", notes="anything")


def test_pages_follow_a_cursor_in_harvests_order() -> None:
    store = Store()
    world = _world(store)
    _add_entries(store, world, range(25))
    expected = sorted(store.find("time_entries"), key=lambda raw: (raw["spent_date"], raw["id"]), reverse=True)
    for params in ({}, {"project_id": str(world["project"])}, {"user_id": "1", "from": "2021-03-01"}):
        seen, numbers = [], []
        page = page_of(store, "time_entries", params | {"per_page": "4"}, BASE, None)
        while True:
            seen += [entry["id"] for entry in page["time_entries"]]
            numbers.append(page["page"])
            assert page["total_entries"] == 25 and page["total_pages"] == 7
            following = page["links"]["next"]
            if following is None:
                break
            query = dict(parse_qsl(urlsplit(following).query))
            assert "cursor" in query and "page" not in query
            page = page_of(store, "time_entries", query, BASE, None)
        assert seen == [raw["id"] for raw in expected], params
        assert numbers == [1, 2, 3, 4, 5, 6, 7]
    by_number = page_of(store, "time_entries", {"per_page": "4", "page": "3"}, BASE, None)
    assert [entry["id"] for entry in by_number["time_entries"]] == [raw["id"] for raw in expected[8:12]]
    with pytest.raises(SandboxError, match="cursor is invalid"):
        page_of(store, "time_entries", {"cursor": "not-a-cursor"}, BASE, None)
