"""Generate a Harvest v1 export: `build` (the account and its traps), `write` (the files), `expect` (the result)."""

from __future__ import annotations

import random
from pathlib import Path

from migrator.generate.expected import Expected, ExpectedBuilder
from migrator.generate.harvest_v1.build import build
from migrator.generate.harvest_v1.expect import SYSTEM, expect_account
from migrator.generate.harvest_v1.write import write_account, write_entries, write_expenses
from migrator.generate.receipts import LARGE_RECEIPT, ReceiptWriter
from migrator.generate.scale import Scale
from migrator.generate.timeline import Timeline
from migrator.generate.xmlout import Folder


def generate_harvest_v1(out_dir: Path, *, entries: int, seed: int, large_receipt: int = LARGE_RECEIPT) -> Expected:
    """Write a Harvest v1 account of `entries` day entries into `out_dir`; what v2 must hold after."""
    scale = Scale.of(entries)
    timeline = Timeline()
    # One random stream per part, so the size of one part never shifts the contents of another.
    account = build(random.Random(f"{SYSTEM}:{seed}:account"), scale, timeline)
    expected = ExpectedBuilder(SYSTEM, entries, seed)
    expect_account(account, expected)
    folder = Folder(out_dir)
    write_account(folder, account)
    write_entries(folder, account, timeline, random.Random(f"{SYSTEM}:{seed}:entries"), entries, expected)
    receipts = ReceiptWriter(out_dir, random.Random(f"{SYSTEM}:{seed}:receipts"), expected, SYSTEM, large=large_receipt)
    write_expenses(
        folder, account, timeline, random.Random(f"{SYSTEM}:{seed}:expenses"), scale.expenses, expected, receipts
    )
    return expected.freeze()
