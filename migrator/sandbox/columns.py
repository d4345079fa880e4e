"""The SQLite layout of a sandbox account: one table of objects and one row for the account.

The `account` row holds the id counter, the settings, the emails counted and how many objects of
each kind exist (JSON), so that a write changes one small row beside its object.

Every object is one row of `objects`: its kind, its id (one counter for every kind, so the id alone
names an object), its raw body as JSON (`jsonio`: money stays an exact decimal), and a few *columns*
copied or derived from the body so that what the rules and the list filters look up is an index
seek, never a scan of the kind:

- the fields in `FIELDS`, under their own names: references (`project_id`, `user_id`, ...), the flags
  the rules ask for (`is_active`, `is_default`, `has_access_to_all_future_projects`), `number`;
- `sort_key`: the date Harvest lists a kind by, newest first (`LIST_DATE`; '' for the other kinds);
- `reference`: a time entry's `external_reference.id`;
- `name_key`, `email_key`: the name and email folded (case and surrounding spaces ignored), which
  the rules keep unique for some kinds;
- `number_value`: an invoice or estimate number that is all digits, as an integer (the next number).

Indexes are partial (`WHERE column IS NOT NULL`): a row costs an entry only in the indexes its kind
uses (a time entry: order, project, task, user, reference).

An expense's receipt file is a row of `receipts` (its bytes a BLOB, written and read in blocks);
`receipt_uploads` counts the receipts stored per expense, kept when a receipt is replaced or its
expense deleted, so a test can prove no receipt was ever uploaded twice. Both tables are created
`IF NOT EXISTS`: a state file of an older sandbox gains them when it is opened.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from migrator import jsonio

Raw = dict[str, Any]

# `jsonio.loads` with one decoder built once: building one per call costs more than a small object.
decode = json.JSONDecoder(parse_float=Decimal).decode

VERSION = 2  # of this layout; version 1 was the whole account rewritten as one JSON file

# Harvest lists newest first: time and expenses by date spent, invoices and estimates by issue date
# (then by id); the other kinds by id.
LIST_DATE = {
    "time_entries": "spent_date",
    "expenses": "spent_date",
    "invoices": "issue_date",
    "estimates": "issue_date",
}

# Body fields copied into columns of the same name (booleans as 0/1, NULL when the field is absent).
FIELDS = (
    "client_id", "project_id", "user_id", "task_id", "expense_category_id", "invoice_id", "estimate_id",
    "is_active", "is_default", "has_access_to_all_future_projects", "number",
)  # fmt: skip
_FLAGS = frozenset({"is_active", "is_default", "has_access_to_all_future_projects"})
DERIVED = ("sort_key", "reference", "name_key", "email_key", "number_value")
COLUMNS = frozenset(FIELDS + DERIVED)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS account (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    version INTEGER NOT NULL,
    next_id INTEGER NOT NULL,
    emails_sent INTEGER NOT NULL,
    timestamp_timers INTEGER NOT NULL,
    weekly_capacity INTEGER NOT NULL,
    counts TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    reference TEXT, name_key TEXT, email_key TEXT, number_value INTEGER,
    {", ".join(FIELDS)}
);
CREATE INDEX IF NOT EXISTS objects_order ON objects (kind, sort_key, id);
CREATE INDEX IF NOT EXISTS objects_project_user ON objects (kind, project_id, user_id) WHERE project_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_project_task ON objects (kind, project_id, task_id) WHERE task_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_user ON objects (kind, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_task ON objects (kind, task_id) WHERE task_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_client ON objects (kind, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_category ON objects (kind, expense_category_id)
    WHERE expense_category_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_invoice ON objects (kind, invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_estimate ON objects (kind, estimate_id) WHERE estimate_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_reference ON objects (kind, reference) WHERE reference IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_name ON objects (kind, name_key) WHERE name_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_email ON objects (kind, email_key) WHERE email_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_number ON objects (kind, number) WHERE number IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_number_value ON objects (kind, number_value) WHERE number_value IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_default ON objects (kind) WHERE is_default = 1;
CREATE INDEX IF NOT EXISTS objects_future ON objects (kind) WHERE has_access_to_all_future_projects = 1;
CREATE TABLE IF NOT EXISTS receipts (
    expense_id INTEGER PRIMARY KEY, file_name TEXT NOT NULL, content_type TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS receipt_uploads (expense_id INTEGER PRIMARY KEY, uploads INTEGER NOT NULL);
"""

_ALL = ("id", "kind", "body", *DERIVED, *FIELDS)
INSERT = f"INSERT INTO objects ({', '.join(_ALL)}) VALUES ({', '.join('?' * len(_ALL))})"
UPDATE = f"UPDATE objects SET {', '.join(f'{name} = ?' for name in _ALL[2:])} WHERE id = ? AND kind = ?"


def folded(text: Any) -> str:
    """How Harvest compares names and emails for uniqueness: case and surrounding spaces ignored."""
    return str(text).strip().casefold()


def _field(raw: Raw, name: str) -> Any:
    if name in _FLAGS:
        return int(bool(raw[name])) if name in raw else None
    value = raw.get(name)
    return str(value) if name == "number" and value is not None else value


def row(kind: str, raw: Raw) -> tuple[Any, ...]:
    """The values of `body`, the derived columns and `FIELDS`, in that order (see `INSERT`, `UPDATE`)."""
    reference = raw.get("external_reference")
    number = str(raw["number"]) if raw.get("number") is not None else ""
    return (
        jsonio.dumps(raw),
        str(raw.get(LIST_DATE.get(kind, "")) or ""),
        str(reference["id"]) if isinstance(reference, dict) and reference.get("id") is not None else None,
        folded(raw["name"]) if raw.get("name") is not None else None,
        folded(raw["email"]) if raw.get("email") is not None else None,
        int(number) if number.isascii() and number.isdigit() else None,
        *(_field(raw, name) for name in FIELDS),
    )


def condition(name: str, value: Any) -> tuple[str, tuple[Any, ...]]:
    """`name = ?` for one column of `COLUMNS` (`IS NULL` for None).

    A boolean is written into the SQL (`is_default = 1`), not bound: only then can SQLite use the
    partial indexes `WHERE is_default = 1` (a bound value is unknown when the statement is planned).
    """
    if name not in COLUMNS:
        raise ValueError(f"{name!r} is not an indexed column of the sandbox store: {sorted(COLUMNS)}")
    if value is None:
        return f"{name} IS NULL", ()
    if isinstance(value, bool):
        return f"{name} = {int(value)}", ()
    return f"{name} = ?", (value,)
