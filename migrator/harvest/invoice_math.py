"""Harvest's invoice arithmetic, as the mappings, `verify` and the reports compute it.

The sandbox has its own, written apart from this one (`migrator/sandbox/money.py`), so that it can
catch a mistake here; `tests/sandbox/test_money_agrees.py` holds the two equal.

subtotal = Σ round(quantity × unit_price); the discount is a percentage of the subtotal; each tax is
a percentage of the taxed lines after the discount; every amount is rounded to the cent, half up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Wide enough that no product of two source amounts (each below 10**15 with at most 20 decimal
# places, see `sources.coerce`) is ever rounded before its cents are: sums stay exact.
EXACT = Context(prec=80, rounding=ROUND_HALF_UP)


def cents(value: Decimal) -> Decimal:
    """Round to the cent, half up (how invoices are printed)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=EXACT)


def _dec(value: Any, default: str = "0") -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(default)


@dataclass(frozen=True)
class InvoiceTotals:
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    tax2_amount: Decimal
    amount: Decimal


def invoice_totals(
    line_items: Iterable[Mapping[str, Any]], *, tax: Any = None, tax2: Any = None, discount: Any = None
) -> InvoiceTotals:
    """Totals of an invoice or estimate from its line items and percentages."""
    with localcontext(EXACT):
        return _totals(line_items, tax=tax, tax2=tax2, discount=discount)


def _totals(line_items: Iterable[Mapping[str, Any]], *, tax: Any, tax2: Any, discount: Any) -> InvoiceTotals:
    subtotal = Decimal(0)
    taxed = Decimal(0)
    taxed2 = Decimal(0)
    for line in line_items:
        amount = cents(_dec(line.get("quantity"), "1") * _dec(line.get("unit_price")))
        subtotal += amount
        if line.get("taxed"):
            taxed += amount
        if line.get("taxed2"):
            taxed2 += amount
    keep = Decimal(1) - _dec(discount) / HUNDRED
    discount_amount = cents(subtotal * _dec(discount) / HUNDRED)
    tax_amount = cents(taxed * keep * _dec(tax) / HUNDRED)
    tax2_amount = cents(taxed2 * keep * _dec(tax2) / HUNDRED)
    amount = subtotal - discount_amount + tax_amount + tax2_amount
    return InvoiceTotals(cents(subtotal), discount_amount, tax_amount, tax2_amount, cents(amount))
