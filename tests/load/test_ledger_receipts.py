"""The ledger keeps each expense's receipt (sha256, size, file name, state): schema 3, migrated in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from migrator.load.ledger import _MIGRATIONS, Ledger

RECEIPT = {"sha256": "ab" * 32, "size": 1029, "file_name": "1304.png", "state": "done"}


def test_a_ledger_written_by_schema_2_is_migrated_in_place_and_takes_receipts(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with sqlite3.connect(path) as db:  # what the release before receipts left: schema 2, one loaded expense
        for script in _MIGRATIONS[:2]:
            db.executescript(script)
        db.execute(
            "INSERT INTO records (system, kind, source_id, v2_id, payload_hash, payload, batch, state, created_at,"
            " updated_at, origin) VALUES ('harvest-v1', 'expenses', '1304', 77, 'h', '{\"notes\": \"x\"}', 'b1',"
            " 'done', 'x', 'x', 'timesheets/expenses-2013-03.xml:52')"
        )
        db.execute("PRAGMA user_version = 2")
    with Ledger(path) as ledger:
        assert ledger.schema_version == 3
        row = ledger.get("harvest-v1", "expenses", "1304")
        assert row is not None and (row.state, row.v2_id, row.receipt) == ("done", 77, None)
        assert row.origin == "timesheets/expenses-2013-03.xml:52" and row.payload == {"notes": "x"}
        ledger.record_receipt("harvest-v1", "expenses", "1304", RECEIPT | {"state": "pending"}, batch="b2")
    with Ledger(path) as ledger:  # a crash here leaves the upload's intent
        row = ledger.get("harvest-v1", "expenses", "1304")
        assert row is not None and row.receipt == RECEIPT | {"state": "pending"} and row.state == "done"
        ledger.record_result("harvest-v1", "expenses", "1304", state="done", v2_id=77, payload=None, batch="b2",
                             receipt=RECEIPT)  # fmt: skip
    with Ledger(path) as ledger:
        row = ledger.get("harvest-v1", "expenses", "1304")
        assert row is not None and row.receipt == RECEIPT and row.payload == {"notes": "x"}
        events = ledger._db.execute("SELECT action, detail FROM events ORDER BY id").fetchall()
        assert events == [("receipt-pending", RECEIPT["sha256"]), ("done", None)]


def test_a_result_without_receipt_keeps_it_and_an_intent_replaces_it(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record_intent("freshbooks", "expenses", "71", {"a": 1}, "b1", receipt=RECEIPT | {"state": "pending"})
        ledger.record_result("freshbooks", "expenses", "71", state="done", v2_id=5, payload={"a": 1}, batch="b1",
                             receipt=RECEIPT)  # fmt: skip
        ledger.record_result("freshbooks", "expenses", "71", state="done", v2_id=5, payload={"a": 2}, batch="b1")
        assert ledger.get("freshbooks", "expenses", "71").receipt == RECEIPT  # type: ignore[union-attr]
        ledger.record_intent("freshbooks", "expenses", "71", {"a": 3}, "b2")  # created again (after a rollback)
        assert ledger.get("freshbooks", "expenses", "71").receipt is None  # type: ignore[union-attr]
