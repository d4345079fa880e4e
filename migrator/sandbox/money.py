"""The sandbox's money: Harvest v2's invoice, estimate, payment and expense arithmetic, written from
Harvest's documentation alone.

It shares no code with `migrator.harvest.invoice_math`, the mappings or `verify`, on purpose: the
sandbox stands in for Harvest, so a mistake in our own arithmetic must show up as a difference
(`verify`, the end-to-end tests), not be repeated on both sides. It even computes differently:
exact fractions (`fractions.Fraction`), never a decimal context, rounded once per stored amount.

**Documented** (the OpenAPI description's field texts and its example invoice; Harvest's help;
`../shared/research/harvest-v2.md` §3.10 and §8):

- a line item's `amount` is "the line item subtotal (quantity * unit_price)"; `quantity` defaults to 1;
- `discount` is a percentage ("use 10.0 for 10.0%") "subtracted from the subtotal";
- `tax` and `tax2` are percentages "applied to the subtotal, including line items and discounts",
  each on the lines flagged `taxed` / `taxed2`, and not compound: the spec's example invoice has
  lines of 200 and 100, discount 10 % → 30, tax 5 % → 13.5, tax2 2 % → 5.4, amount 288.9;
- `amount` is "the total amount for the invoice, including any discounts and taxes";
  `due_amount` is "the total amount due at this time": the amount less the payments recorded.

**Not documented, decided here** (each the reading an invoice on paper needs):

- Rounding: every amount Harvest stores is in cents, rounded half away from zero (Harvest is a
  Ruby on Rails application; Ruby's `BigDecimal#round` and `Float#round` round half away from
  zero, which is "half up" for the positive amounts invoices mostly hold, and keeps a credit line
  of -x.xx5 the mirror of +x.xx5).
- Each line's amount is rounded before the subtotal is summed (the printed lines add up to the
  printed subtotal); the discount and each tax are rounded once, from exact figures: a tax is
  taken on the taxed lines' exact discounted total, not on a rounded intermediate; `amount` is the
  sum of the rounded parts (so the printed parts add up to the printed total).
- `tax_amount` with no `tax`: the description says null, every example in the spec shows 0.0;
  the sandbox answers 0.00, as the examples do.
- A payment's amount and an expense's unit-priced `total_cost` (units × the category's unit price)
  are kept to the cent, rounded the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any


def exact(value: Any, default: int = 0) -> Fraction:
    """A JSON number (int or Decimal; None is `default`) as an exact fraction."""
    if value is None:
        return Fraction(default)
    if isinstance(value, bool):
        raise TypeError(f"{value!r} is not an amount")
    if isinstance(value, (int, Decimal)):
        return Fraction(value)
    return Fraction(str(value))


def to_cents(value: Fraction) -> Decimal:
    """`value` rounded to the cent, half away from zero, as a two-place Decimal (exact at any size)."""
    hundredths = abs(value) * 100
    whole = math.floor(hundredths + Fraction(1, 2))
    negative = value < 0 and whole != 0
    return Decimal((int(negative), tuple(int(digit) for digit in str(whole)), -2))


def line_amount(quantity: Any, unit_price: Any) -> Decimal:
    """A line item's amount: quantity (default 1) × unit price, to the cent."""
    return to_cents(exact(quantity, default=1) * exact(unit_price))


@dataclass(frozen=True)
class DocumentTotals:
    """What Harvest shows of an invoice's or estimate's arithmetic, each amount to the cent."""

    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    tax2_amount: Decimal
    amount: Decimal


def document_totals(lines: Iterable[Mapping[str, Any]], *, tax: Any, tax2: Any, discount: Any) -> DocumentTotals:
    """Totals of an invoice or estimate from its lines (each with its rounded `amount`) and its three
    percentages (None is 0 %)."""
    subtotal = taxed = taxed2 = Fraction(0)
    for line in lines:
        line_total = exact(line["amount"])
        subtotal += line_total
        if line.get("taxed"):
            taxed += line_total
        if line.get("taxed2"):
            taxed2 += line_total
    kept = 1 - exact(discount) / 100  # what the discount leaves of every line
    discount_amount = to_cents(subtotal * exact(discount) / 100)
    tax_amount = to_cents(taxed * kept * exact(tax) / 100)
    tax2_amount = to_cents(taxed2 * kept * exact(tax2) / 100)
    rounded_subtotal = to_cents(subtotal)  # already whole cents: the lines were rounded
    amount = rounded_subtotal - discount_amount + tax_amount + tax2_amount
    return DocumentTotals(rounded_subtotal, discount_amount, tax_amount, tax2_amount, amount)


def due_amount(amount: Any, payments: Iterable[Any]) -> Decimal:
    """What is still due: the amount less every payment recorded, to the cent."""
    return to_cents(exact(amount) - sum((exact(paid) for paid in payments), Fraction(0)))


def cents_of(value: Any) -> Decimal:
    """A payment's amount, or any single sum of money, kept to the cent."""
    return to_cents(exact(value))


def unit_cost(units: Any, unit_price: Any) -> Decimal:
    """An expense's `total_cost` in a unit-priced category (mileage): units × unit price, to the cent."""
    return to_cents(exact(units) * exact(unit_price))
