"""Parse an invoice's `csv-line-items`: v1's only representation of invoice lines (research §3.12).

Real bodies start right after the tag and end with a newline; the docs indent every line and wrap
the text in blank lines. Descriptions may be quoted, hold commas, doubled quotes and newlines, and
`project_id` is often empty (a trailing comma). So: dedent outside quoted fields, then a real CSV
parser, then per-column coercion. A bad row names the invoice and the row (1 = first item).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from migrator.errors import SourceError
from migrator.sources.coerce import to_bool, to_decimal, to_id

COLUMNS = ("kind", "description", "quantity", "unit_price", "amount", "taxed", "taxed2", "project_id")
REQUIRED = ("kind", "unit_price")


@dataclass(frozen=True, slots=True)
class LineItem:
    """One typed csv row. `amount` is v1's own (rounded) figure, kept to check v2's arithmetic."""

    row: int
    kind: str
    description: str | None
    quantity: Decimal | None
    unit_price: Decimal
    amount: Decimal | None
    taxed: bool
    taxed2: bool
    project_id: str | None


def parse_line_items(
    text: str | None,
    *,
    invoice_id: str,
    file: str | None = None,
    line: int | None = None,
) -> list[LineItem]:
    """The typed line items of one invoice; `SourceError` (with invoice id and row) on a bad row.

    `None` or blank text means the body carried no line items (a list summary): an empty list.
    """

    def fail(message: str) -> SourceError:
        return SourceError(
            message, file=file, line=line, resource="invoices", record_id=invoice_id, field="csv_line_items"
        )

    if text is None or not text.strip():
        return []
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(_dedent(text)), strict=True):
            if any(cell.strip() for cell in row):
                rows.append(row)
    except csv.Error as exc:
        # The header is row 0, so the row being read when the parser gave up is len(rows).
        raise fail(f"row {len(rows)} is not valid CSV ({exc})") from exc
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise fail(f"the header row {','.join(rows[0])!r} lacks {', '.join(repr(m) for m in missing)}")
    index = {name: header.index(name) for name in COLUMNS if name in header}
    return [_item(number, row, index, len(header), fail) for number, row in enumerate(rows[1:], start=1)]


def _item(
    number: int,
    row: list[str],
    index: dict[str, int],
    width: int,
    fail: Callable[[str], SourceError],
) -> LineItem:
    if len(row) > width and any(cell.strip() for cell in row[width:]):
        raise fail(f"row {number} has {len(row)} fields, the header has {width}")
    if len(row) < width:
        raise fail(f"row {number} has {len(row)} fields, the header has {width}")

    def cell(name: str) -> str | None:
        position = index.get(name)
        return row[position] if position is not None else None

    def typed(name: str, convert: Callable[[Any], Any], what: str) -> Any:
        raw = cell(name)
        try:
            return convert(raw)
        except ValueError:
            raise fail(f"row {number} {name!r} is not {what}: {raw!r}") from None

    kind = (cell("kind") or "").strip()
    if not kind:
        raise fail(f"row {number} 'kind' is empty (it names the invoice item category)")
    unit_price = typed("unit_price", to_decimal, "a decimal")
    if unit_price is None:
        raise fail(f"row {number} 'unit_price' is empty")
    description = cell("description")
    return LineItem(
        row=number,
        kind=kind,
        description=description if description and description.strip() else None,
        quantity=typed("quantity", to_decimal, "a decimal"),
        unit_price=unit_price,
        amount=typed("amount", to_decimal, "a decimal"),
        taxed=bool(typed("taxed", to_bool, "true or false")),
        taxed2=bool(typed("taxed2", to_bool, "true or false")),
        project_id=typed("project_id", to_id, "a project id"),
    )


def _dedent(text: str) -> str:
    """Strip the docs' indentation and blank wrapper lines, but never inside a quoted field."""
    out: list[str] = []
    in_quote = False
    for raw in text.split("\n"):
        line = raw
        if not in_quote:
            line = line.lstrip()
        quotes = line.count('"')  # a doubled "" toggles twice: the state only flips on real quotes
        ends_quoted = in_quote != (quotes % 2 == 1)
        if not ends_quoted:
            line = line.rstrip()
        if in_quote or line:
            out.append(line)
        in_quote = ends_quoted
    return "\n".join(out) + "\n"
