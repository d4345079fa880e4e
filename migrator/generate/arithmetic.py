"""Invoice arithmetic of both source systems and of Harvest v2, written out from their rules.

Deliberately independent of `migrator.harvest.invoice_math` and of the mappings (tests hold the
two equal), so a generated account checks them rather than echoing them:

- **Harvest** (v1 and v2 alike): each line rounded to the cent; the discount is a percentage of the
  subtotal; each tax is a percentage of its taxed lines after the discount; every amount rounded
  half up to the cent.
- **FreshBooks Classic** taxes each line: a line's taxes are percentages of its amount after the
  invoice discount, and a compound second tax (`compound_tax` 1) is taken on the line amount plus
  its first tax. Taxes are totalled per (slot, rate) and each total rounded half up, as FreshBooks
  prints one total per tax; amount = subtotal - discount + taxes.
- **What v2 receives for a FreshBooks invoice** (the rule `mappings/freshbooks/taxes.py`
  documents): a compound second tax is the plain rate tax2 x (1 + tax1/100) on its line. When one pair
  of invoice rates (tax, tax2) can carry every line's rates (each line's rates a sub-multiset of the
  pair), the document is exact; of the fitting pairs, the one keeping most lines' tax1 in `tax`, then
  fewer rates, then most lines' tax2 in `tax2`, then the higher `tax`. Otherwise the pair covering the
  largest tax amount is kept and the other rates are not applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    """Half up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def pct(value: Decimal | None) -> Decimal:
    """A percentage as a fraction (None is 0 %)."""
    return (value or Decimal(0)) / HUNDRED


@dataclass(frozen=True)
class HarvestLine:
    """One v2 (or v1) line item as Harvest's arithmetic sees it."""

    quantity: Decimal
    unit_price: Decimal
    taxed: bool = False
    taxed2: bool = False

    @property
    def amount(self) -> Decimal:
        return cents(self.quantity * self.unit_price)


@dataclass(frozen=True)
class HarvestTotals:
    """Subtotal, discount, taxes and amount of an invoice, each to the cent."""

    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    tax2_amount: Decimal
    amount: Decimal


def harvest_totals(
    lines: Iterable[HarvestLine], *, tax: Decimal | None, tax2: Decimal | None, discount: Decimal | None
) -> HarvestTotals:
    """Harvest's totals of an invoice or estimate (see the module docstring)."""
    subtotal = taxed = taxed2 = Decimal(0)
    for line in lines:
        amount = line.amount
        subtotal += amount
        taxed += amount if line.taxed else 0
        taxed2 += amount if line.taxed2 else 0
    keep = 1 - pct(discount)
    discount_amount = cents(subtotal * pct(discount))
    tax_amount = cents(taxed * keep * pct(tax))
    tax2_amount = cents(taxed2 * keep * pct(tax2))
    return HarvestTotals(
        subtotal, discount_amount, tax_amount, tax2_amount, subtotal - discount_amount + tax_amount + tax2_amount
    )


@dataclass(frozen=True)
class Tax:
    """A FreshBooks tax as copied onto a line: its name and percent."""

    name: str
    rate: Decimal


@dataclass(frozen=True)
class FreshBooksLine:
    """One FreshBooks invoice line: quantity, unit cost and the taxes copied onto it."""

    quantity: Decimal
    unit_cost: Decimal
    tax1: Tax | None = None
    tax2: Tax | None = None
    compound: bool = False

    @property
    def amount(self) -> Decimal:
        return cents(self.quantity * self.unit_cost)

    def tax(self, slot: int) -> Tax | None:
        return self.tax1 if slot == 1 else self.tax2


def freshbooks_amount(lines: Sequence[FreshBooksLine], discount: Decimal | None) -> Decimal:
    """The `<amount>` FreshBooks states for an invoice or estimate (see the module docstring)."""
    subtotal = sum((line.amount for line in lines), Decimal(0))
    keep = 1 - pct(discount)
    totals: dict[tuple[int, Decimal], Decimal] = {}
    for line in lines:
        base = line.amount * keep
        first = base * pct(line.tax1.rate) if line.tax1 else Decimal(0)
        if line.tax1:
            totals[(1, line.tax1.rate)] = totals.get((1, line.tax1.rate), Decimal(0)) + first
        if line.tax2:
            second = (base + first if line.compound else base) * pct(line.tax2.rate)
            totals[(2, line.tax2.rate)] = totals.get((2, line.tax2.rate), Decimal(0)) + second
    return subtotal - cents(subtotal * pct(discount)) + sum((cents(t) for t in totals.values()), Decimal(0))


@dataclass(frozen=True)
class V2Taxes:
    """The invoice-level rates and per-line flags v2 receives for a FreshBooks invoice."""

    tax: Decimal | None
    tax2: Decimal | None
    lines: tuple[HarvestLine, ...]


def line_rates(line: FreshBooksLine) -> tuple[Decimal | None, Decimal | None]:
    """A line's (first, second) rates, the second as a plain rate when it is compound."""
    first = line.tax1.rate if line.tax1 and line.tax1.rate else None
    second = line.tax2.rate if line.tax2 and line.tax2.rate else None
    if second is not None and line.compound and first is not None:
        second = (second * (1 + first / HUNDRED)).normalize()
    return first, second


# Ways a line can use the pair, in order of preference: both rates, `tax` only, `tax2` only, neither.
_USES = ((True, True), (True, False), (False, True), (False, False))


def _use(
    rates: tuple[Decimal | None, Decimal | None], pair: tuple[Decimal | None, Decimal | None]
) -> tuple[bool, bool] | None:
    """How a line whose rates are `rates` sits on `pair` exactly, or None."""
    wanted = sorted(rate for rate in rates if rate is not None)
    for use in _USES:
        got = sorted(rate for rate, on in zip(pair, use, strict=True) if on and rate is not None)
        if got == wanted and all(rate is not None for rate, on in zip(pair, use, strict=True) if on):
            return use
    return None


def v2_taxes(lines: Sequence[FreshBooksLine]) -> V2Taxes:
    """The pair of rates and the line flags v2 receives (see the module docstring)."""
    rates = [line_rates(line) for line in lines]
    distinct = sorted({rate for pair in rates for rate in pair if rate is not None})
    options: list[Decimal | None] = [None, *distinct]
    fitting = []
    for tax in options:
        for tax2 in options:
            uses = [_use(line, (tax, tax2)) for line in rates]
            if all(use is not None for use in uses):
                on = list(zip(rates, uses, strict=True))
                first_kept = sum(1 for line, use in on if use and use[0] and line[0] is not None and line[0] == tax)
                second_kept = sum(1 for line, use in on if use and use[1] and line[1] is not None and line[1] == tax2)
                used = len({rate for rate in (tax, tax2) if rate is not None})
                fitting.append(((first_kept, -used, second_kept, tax or 0), tax, tax2, uses))
    if fitting:
        _key, tax, tax2, uses = max(fitting, key=lambda fit: fit[0])
        flags = [(bool(use[0]), bool(use[1])) for use in uses]  # type: ignore[index]
    else:
        weight: dict[Decimal, Decimal] = {}
        for line, (first, second) in zip(lines, rates, strict=True):
            for rate in (first, second):
                if rate is not None:
                    weight[rate] = weight.get(rate, Decimal(0)) + line.amount * rate
        best = sorted(weight, key=lambda rate: (weight[rate], rate), reverse=True)[:2]
        tax, tax2 = best[0], best[1]
        flags = [(tax in (first, second), tax2 in (first, second)) for first, second in rates]
    out = tuple(
        HarvestLine(line.quantity, line.unit_cost, taxed=taxed, taxed2=taxed2)
        for line, (taxed, taxed2) in zip(lines, flags, strict=True)
    )
    return V2Taxes(tax, tax2, out)


def distinct_rates(lines: Sequence[FreshBooksLine]) -> int:
    """How many different tax percents the lines carry, in either slot."""
    return len({tax.rate for line in lines for tax in (line.tax1, line.tax2) if tax is not None})


@dataclass(frozen=True)
class FreshBooksFigures:
    """A FreshBooks invoice's stated amount beside what Harvest v2 will compute for it."""

    amount: Decimal
    v2_amount: Decimal
    v2: V2Taxes

    @property
    def exact(self) -> bool:
        return self.amount == self.v2_amount


def freshbooks_figures(lines: Sequence[FreshBooksLine], discount: Decimal | None) -> FreshBooksFigures:
    """The stated amount of a FreshBooks invoice and what v2 computes for its payload."""
    v2 = v2_taxes(lines)
    v2_amount = harvest_totals(v2.lines, tax=v2.tax, tax2=v2.tax2, discount=discount).amount
    return FreshBooksFigures(freshbooks_amount(lines, discount), v2_amount, v2)


def money_notes(lines: Sequence[FreshBooksLine]) -> tuple[str, ...]:
    """The fields of the lossy notes (all about money) that state why v2's total differs, as the
    documented mapping rule writes them: three or more rates leave some unapplied (`tax`, then the
    total: `amount`); otherwise only the total's rounding differs (`amount`)."""
    rates = len({rate for line in lines for rate in line_rates(line) if rate is not None})
    return ("tax", "amount") if rates >= 3 else ("amount",)


def lossy_reason(lines: Sequence[FreshBooksLine]) -> str:
    """Why v2 cannot hold an invoice's taxes (for `Expected.lossy_money`)."""
    rates = len({rate for line in lines for rate in line_rates(line) if rate is not None})
    if rates >= 3:
        return f"{rates} distinct tax rates over its lines"
    return "rounding (FreshBooks rounds each tax per line slot, v2 per invoice rate)"
