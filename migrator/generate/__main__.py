"""`python -m migrator.generate SYSTEM OUT_DIR --entries N --seed S [--json]`: write a realistic export."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from migrator.errors import MigratorError
from migrator.generate import MIN_ENTRIES, SYSTEMS, generate
from migrator.generate.receipts import LARGE_RECEIPT


@click.command(
    name="python -m migrator.generate",
    epilog="Example: python -m migrator.generate freshbooks /tmp/fb-300 --entries 300 --seed 0 && "
    "migrator plan /tmp/fb-300 --offline --create-users",
)
@click.argument("system", type=click.Choice(SYSTEMS))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--entries",
    type=click.IntRange(min=MIN_ENTRIES),
    default=300,
    show_default=True,
    help="Time entries; everything else (people, projects, invoices…) scales from it.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--json", "as_json", is_flag=True, help="Print the expected result as JSON (decimal strings).")
@click.option(
    "--large-receipt-kb",
    type=click.IntRange(min=0),
    default=LARGE_RECEIPT // 1024,
    show_default=True,
    help="Size of the one large receipt file (a PDF) in receipts/; 0 for none.",
)
def command(system: str, out_dir: Path, entries: int, seed: int, as_json: bool, large_receipt_kb: int) -> None:
    """Write a SYSTEM (harvest-v1 or freshbooks) export into OUT_DIR (new or empty), carrying every
    trap of a ten-year-old account, and print what a correct migration of it must produce."""
    started = time.process_time()
    expected = generate(system, out_dir, entries=entries, seed=seed, large_receipt=large_receipt_kb * 1024)
    files = [path for path in out_dir.rglob("*") if path.is_file()]
    size = sum(path.stat().st_size for path in files)
    seconds = time.process_time() - started
    if as_json:
        document = {"out_dir": str(out_dir), "files": len(files), "bytes": size} | expected.as_dict()
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    click.echo(f"Wrote {len(files):,} files ({size / 1e6:,.1f} MB) to {out_dir} in {seconds:.1f} s of CPU.")
    click.echo(expected.summary())


def main() -> None:
    """Exit codes as docs/INTERFACE.md wants them: 0 written, 1 for any error, usage errors included."""
    try:
        command.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1)
    except MigratorError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
