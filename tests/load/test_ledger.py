"""The ledger: intents before requests, results after, bound to one target, one run at a time."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from migrator.errors import LedgerError
from migrator.load.ledger import _MIGRATIONS, Ledger, LedgerLock, payload_hash
from tests.working_tree import child_env


def test_intent_then_result_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    payload = {"name": "Acme", "rate": Decimal("10.50")}
    with Ledger(path) as ledger:
        ledger.start_batch("b1")
        ledger.record_intent("harvest-v1", "clients", "7", payload, "b1")
    with Ledger(path) as ledger:  # a crash here leaves a pending intent
        row = ledger.get("harvest-v1", "clients", "7")
        assert row is not None and row.state == "pending" and row.v2_id is None and row.attempts == 1
        assert row.payload == payload and row.payload_hash == payload_hash(payload)
        ledger.record_result("harvest-v1", "clients", "7", state="done", v2_id=501, payload=payload, batch="b1")
    with Ledger(path) as ledger:
        row = ledger.get("harvest-v1", "clients", "7")
        assert row is not None and (row.state, row.v2_id) == ("done", 501)
        assert ledger.counts() == {"b1": {"clients": {"done": 1}}}
        assert ledger.schema_version == len(_MIGRATIONS) == 3


def test_payload_hash_ignores_key_order_and_keeps_decimals_exact() -> None:
    assert payload_hash({"a": 1, "b": Decimal("1.10")}) == payload_hash({"b": Decimal("1.10"), "a": 1})
    assert payload_hash({"b": Decimal("1.10")}) != payload_hash({"b": Decimal("1.1")})


def test_the_ledger_refuses_another_target(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.bind_target("https://api.harvestapp.com/v2", "123")
        ledger.bind_target("https://api.harvestapp.com/v2", "123")  # same target: fine
        with pytest.raises(LedgerError, match="belongs to account 123"):
            ledger.bind_target("https://api.harvestapp.com/v2", "999")


def test_a_ledger_written_by_the_previous_release_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with sqlite3.connect(path) as db:  # what a wave-1 migrator left behind: schema 1, one loaded client
        db.executescript(_MIGRATIONS[0])
        db.execute(
            "INSERT INTO records (system, kind, source_id, v2_id, batch, state, created_at, updated_at)"
            " VALUES ('harvest-v1', 'clients', '7', 501, 'b1', 'done', 'x', 'x')"
        )
        db.execute("PRAGMA user_version = 1")
    with Ledger(path) as ledger:
        assert ledger.schema_version == len(_MIGRATIONS) == 3
        row = ledger.get("harvest-v1", "clients", "7")
        assert row is not None and (row.state, row.v2_id) == ("done", 501)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(LedgerError, match="newer migrator"):
        Ledger(path)


def test_a_second_process_is_refused_while_the_lock_is_held(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    probe = textwrap.dedent(
        f"""
        from migrator.load.ledger import LedgerLock
        from migrator.errors import LedgerError
        try:
            with LedgerLock({str(path)!r}):
                print("acquired")
        except LedgerError as exc:
            print(exc)
        """
    )
    probe_args = [sys.executable, "-c", probe]
    options = {"capture_output": True, "text": True, "timeout": 60, "cwd": tmp_path, "env": child_env()}
    with LedgerLock(path):
        out = subprocess.run(probe_args, **options).stdout  # type: ignore[call-overload]
    assert "is in use by another migrator run (pid" in out
    after = subprocess.run(probe_args, **options).stdout  # type: ignore[call-overload]
    assert after.strip() == "acquired"
