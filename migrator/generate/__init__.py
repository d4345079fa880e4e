"""Realistic source accounts at any size, with what a correct migration of each must produce.

    from migrator.generate import generate, Expected
    expected = generate("harvest-v1", Path("out"), entries=300, seed=0)

`generate` writes a Harvest v1 or FreshBooks Classic export shaped like a real account after ten
years of use — every trap that broke our loader is present at least once, more as the account
grows — and returns `Expected`: the counts, assignments, archived objects, hours and money the
target must hold afterwards. `Expected` is computed from the generator's own model by the rules
the mappings document, never by calling them, so tests can hold the real pipeline to it.

Time entries are streamed (never held in memory) and the files are byte-identical for a seed.
Command line: `python -m migrator.generate SYSTEM OUT_DIR --entries N --seed S [--json]`.
"""

from __future__ import annotations

from pathlib import Path

from migrator.errors import ConfigError
from migrator.generate.expected import COUNTED_KINDS, Expected, LossyAmount
from migrator.generate.receipts import LARGE_RECEIPT
from migrator.generate.scale import MIN_ENTRIES, Scale
from migrator.systems import NAMES
from migrator.systems import system as source_system

SYSTEMS = NAMES  # every source system has a generator (`migrator.systems`)

__all__ = ["COUNTED_KINDS", "MIN_ENTRIES", "SYSTEMS", "Expected", "LossyAmount", "Scale", "generate"]


def generate(
    system: str, out_dir: Path, *, entries: int = 300, seed: int = 0, large_receipt: int = LARGE_RECEIPT
) -> Expected:
    """Write an export of `system` ("harvest-v1" or "freshbooks") with `entries` time entries into
    `out_dir` (created; it must be empty), and return what a correct migration must produce.

    Some expenses get receipt files in `out_dir/receipts` (small PNG, PDF and JPEG files, and one PDF
    of `large_receipt` bytes); `Expected.receipts` says which.

    Raises `ConfigError` for an unknown system, too few entries or a folder that is not empty.
    """
    declared = source_system(system)  # a ConfigError naming the known systems
    if entries < MIN_ENTRIES:
        raise ConfigError(f"--entries must be at least {MIN_ENTRIES}: fewer cannot carry every trap")
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ConfigError(f"{out_dir} is not an empty folder: generate into a new one (old files would mix in)")
    out_dir.mkdir(parents=True, exist_ok=True)
    expected: Expected = declared.load_generator()(out_dir, entries=entries, seed=seed, large_receipt=large_receipt)
    return expected
