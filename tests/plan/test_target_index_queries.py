"""The target index answers every lookup through an index, never a scan of its kind.

Planning with an empty ledger against a target that already holds the account (a second folder, a
lost ledger) looks every record up by its natural key: one scan per lookup made that quadratic
(5,000 entries 6.6 s, 20,000 131 s). SQLite picked the primary key (kind, id) to avoid sorting by
id, and walked every object of the kind; the indexes now end in `id`, so the key lookup is a search.
"""

from __future__ import annotations

import pytest

from migrator import api
from migrator.load.outcomes import Phase
from migrator.plan.target_index import TargetIndex
from migrator.target import TargetSpec
from tests.conftest import REPO

# The query each lookup sends, and what its search must be narrowed by.
LOOKUPS = {
    "find": ("SELECT id, parent, body FROM objects WHERE kind = ? AND key = ? AND parent IS NULL ORDER BY id",
             "(kind=? AND key=?)"),
    "children": ("SELECT id, parent, body FROM objects WHERE kind = ? AND parent = ? ORDER BY id",
                 "(kind=? AND parent=?)"),
    "get": ("SELECT id, parent, body FROM objects WHERE kind = ? AND id = ?", "(kind=? AND id=?)"),
}  # fmt: skip


@pytest.mark.parametrize("lookup", sorted(LOOKUPS))
def test_each_lookup_searches_an_index(lookup: str) -> None:
    index = TargetIndex.offline()
    try:
        rows = [("time_entries", n, None, f"key-{n}", None, "{}") for n in range(2000)]
        index._insert(rows)
        query, narrowed_by = LOOKUPS[lookup]
        plan = " ".join(row[3] for row in index._db.execute(f"EXPLAIN QUERY PLAN {query}", ("time_entries", "k")))
    finally:
        index.close()
    # A search on the kind alone (or on a parent every account-wide object shares: NULL) walks them all.
    assert plan.startswith("SEARCH objects USING") and narrowed_by in plan, plan


def test_a_plan_reports_its_progress() -> None:
    seen: list[Phase] = []
    options = api.SourceOptions((REPO / "fixtures" / "harvest-v1",))
    with api.plan(options, target=TargetSpec("offline"), ledger_path=REPO / "no-such-ledger.sqlite",
                  progress=seen.append):  # fmt: skip
        pass
    assert seen[0] == Phase("reading and mapping the source")
    comparing = [phase for phase in seen if phase.what == "comparing with the ledger and the target"]
    assert comparing and {phase.total for phase in comparing} == {71}  # every mapped object
    assert [phase.detail for phase in comparing][:2] == ["clients", "contacts"]
