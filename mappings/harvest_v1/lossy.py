"""How Harvest v1 mappings word their lossy notes (`migrator.lossy`): every value without a v2 place
is named, none is dropped.

Policy (one place, so every mapping module applies it the same way):
- a field with a value and no v2 place -> one note per record: `field`, why, and the value;
- bookkeeping present on every record (created_at, updated_at, cache_version) and values v2
  derives itself (totals, denormalised names, UI preferences) -> one note per kind, source id "*",
  so a report of 100,000 entries stays readable;
- a value that had to change (currency name, state, line endings) -> a note naming old and new.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from migrator.lossy import Reason, Wording

BOOKKEEPING: dict[str, Reason] = {
    "created_at": Reason("creation timestamps are set by Harvest v2 when the object is created", "cosmetic"),
    "updated_at": Reason("update timestamps are set by Harvest v2", "cosmetic"),
    "cache_version": Reason("a v1 cache counter with no meaning outside v1"),
}


def show(value: Any, limit: int = 120) -> str:
    """A value as a report shows it: decimals and dates exact, text quoted and shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Decimal, int)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


WORDING = Wording(
    no_place=lambda value, why: f"{why or 'no Harvest v2 field'}: {show(value)}",
    unknown=lambda value: f"a v1 field this migrator does not know; not migrated: {show(value)}",
    bookkeeping=BOOKKEEPING,
    worth=lambda _name, value: value is not None,
    declared_order=True,  # reports and golden files list a record's fields as v1 declares them
)
