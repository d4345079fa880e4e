"""Generate a FreshBooks export: `build` (the account and its traps), `write` (the files), `expect` (the result)."""

from __future__ import annotations

import random
from pathlib import Path

from migrator.generate.expected import Expected, ExpectedBuilder
from migrator.generate.freshbooks.build import build
from migrator.generate.freshbooks.expect import SYSTEM, expect_account, expect_assignments
from migrator.generate.freshbooks.write import write_account, write_entries, write_expenses
from migrator.generate.receipts import LARGE_RECEIPT, ReceiptWriter
from migrator.generate.scale import Scale
from migrator.generate.timeline import Timeline
from migrator.generate.xmlout import Folder


def generate_freshbooks(out_dir: Path, *, entries: int, seed: int, large_receipt: int = LARGE_RECEIPT) -> Expected:
    """Write a FreshBooks account of `entries` time entries into `out_dir`; what v2 must hold after."""
    scale = Scale.of(entries)
    timeline = Timeline()
    account = build(random.Random(f"{SYSTEM}:{seed}:account"), scale, timeline)
    expected = ExpectedBuilder(SYSTEM, entries, seed)
    expect_account(account, expected)
    folder = Folder(out_dir)
    write_account(folder, account)
    used = write_entries(folder, account, timeline, random.Random(f"{SYSTEM}:{seed}:entries"), entries, expected)
    receipts = ReceiptWriter(out_dir, random.Random(f"{SYSTEM}:{seed}:receipts"), expected, SYSTEM, large=large_receipt)
    spent = write_expenses(
        folder, account, timeline, random.Random(f"{SYSTEM}:{seed}:expenses"), scale.expenses, expected, receipts
    )
    expect_assignments(account, used, spent, expected)  # the history names the assignments it implies
    return expected.freeze()
