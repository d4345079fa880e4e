"""FreshBooks per-line taxes -> Harvest v2's two document rates (`tax`, `tax2`) and per-line flags.

A FreshBooks line carries up to two rates, tax1 and tax2; with `compound_tax` set, tax2 is charged on
the line plus its tax1. Harvest v2 has two rates per invoice or estimate and flags `taxed` / `taxed2`
on each line, and they are not compound: each rate is a percentage of the discounted subtotal of the
lines flagged for it (`migrator.harvest.invoice_math`). Hence:

- a compound tax2 is exactly the rate tax2 × (1 + tax1 / 100) on its line, without compounding;
- a document is exact when one pair (tax, tax2) realises every line's rates as a sub-multiset of
  {tax through `taxed`, tax2 through `taxed2`}: at most two distinct rates, and tax = tax2 when a
  line carries one rate twice. Of the pairs that fit, the one keeping most lines' tax1 in `tax`
  wins, then fewer rates, then most lines' tax2 in `tax2`, then the higher rate as `tax`: a simple
  document looks as it did in FreshBooks;
- otherwise the pair covering the largest tax amount is kept and the other rates are not applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from migrator.harvest.invoice_math import EXACT, HUNDRED, cents, invoice_totals
from migrator.jsonio import decimal_text
from migrator.mappings.freshbooks.common import notes_of
from migrator.planned import MapSink
from migrator.sources.freshbooks.records import Line

Rate = Decimal | None
Flags = tuple[bool, bool]
# Every way a line can use the pair: both rates, `tax` only, `tax2` only, neither.
_OPTIONS: tuple[Flags, ...] = ((True, True), (True, False), (False, True), (False, False))


@dataclass(frozen=True)
class LineRates:
    """The rates one line is charged: its tax1, and its tax2 as a non-compound rate."""

    first: Rate
    second: Rate
    compound: Rate = None  # tax2 as FreshBooks states it, when `second` is its non-compound equivalent

    @property
    def rates(self) -> tuple[Decimal, ...]:
        return tuple(rate for rate in (self.first, self.second) if rate is not None)


@dataclass(frozen=True)
class TaxFit:
    """The document's `tax` and `tax2`, each line's (`taxed`, `taxed2`), and the rates left out."""

    tax: Rate
    tax2: Rate
    flags: list[Flags]
    dropped: list[tuple[int, tuple[Decimal, ...]]]  # (0-based line, rates not applied), lossy fits only


def map_taxes(
    kind: str, record: Any, lines: list[Line], items: list[dict[str, Any]], sink: MapSink
) -> tuple[Rate, Rate]:
    """Set each payload line's `taxed`/`taxed2`, note what changed; return the document's `tax`, `tax2`."""
    rates = [line_rates(line) for line in lines]
    amounts = line_amounts(items)
    fit = fit_taxes(rates, amounts)
    for item, (taxed, taxed2) in zip(items, fit.flags, strict=True):
        item["taxed"], item["taxed2"] = taxed, taxed2
    _note_compound(kind, record, rates, sink)
    _note_names(kind, record, lines, sink)
    if fit.dropped:
        _note_dropped(kind, record, rates, amounts, items, fit, sink)
    return fit.tax, fit.tax2


def _note_dropped(
    kind: str,
    record: Any,
    rates: list[LineRates],
    amounts: list[Decimal],
    items: list[dict[str, Any]],
    fit: TaxFit,
    sink: MapSink,
) -> None:
    """The lines and rates left out, and the tax they cost to the cent (as Harvest will compute it)."""
    charged = source_tax(rates, amounts, record.discount)
    totals = invoice_totals(items, tax=fit.tax, tax2=fit.tax2, discount=record.discount)
    computed = totals.tax_amount + totals.tax2_amount
    every = [_pct(rate) for rate in dict.fromkeys(rate for line in rates for rate in line.rates)]
    kept = " and ".join(
        f"{_pct(rate)} as {name}" for rate, name in ((fit.tax, "tax"), (fit.tax2, "tax2")) if rate is not None
    )
    left = [f"line {index + 1} at {' and '.join(map(_pct, dropped))}" for index, dropped in fit.dropped]
    gap = charged - computed
    cost = f"{abs(gap)} {'less' if gap > 0 else 'more'}" if gap else "the same"
    notes_of(sink, kind).note(
        record.id,
        "tax",
        f"no pair of v2 rates holds every line's taxes ({_some(every, 'rates')}): kept {kept or 'none'}, the pair "
        f"covering the largest tax amount; not applied: {_some(left, 'lines')}; tax {charged} in FreshBooks, "
        f"Harvest will compute {computed} ({cost})",
        severity="money",
    )


def _note_compound(kind: str, record: Any, rates: list[LineRates], sink: MapSink) -> None:
    """One note per compound conversion (tax1, tax2) in the document, naming its lines."""
    converted: dict[tuple[Rate, Rate, Rate], list[str]] = {}
    for index, line in enumerate(rates):
        if line.compound is not None:
            converted.setdefault((line.first, line.compound, line.second), []).append(str(index + 1))
    for (first, compound, second), numbers in converted.items():
        notes_of(sink, kind).note(
            record.id,
            "lines.compound_tax",
            f"{'line' if len(numbers) == 1 else 'lines'} {_some(numbers, 'lines')}: compound tax2 {_pct(compound)} "
            f"(charged on the line plus its {_pct(first)} tax1) sent as its exact non-compound equivalent "
            f"{_pct(second)}",
            severity="cosmetic",
        )


def _note_names(kind: str, record: Any, lines: list[Line], sink: MapSink) -> None:
    """Tax names have no v2 field: one note per document listing each (name, rate) once."""
    named: dict[tuple[str, Rate], str] = {}
    for line in lines:
        for name, rate in ((line.tax1_name, line.tax1_percent), (line.tax2_name, line.tax2_percent)):
            if name and (name, rate) not in named:
                shown = repr(name[:60] + ("…" if len(name) > 60 else ""))  # a hostile name can be megabytes
                named[(name, rate)] = f"{shown} {_pct(rate)}" if rate is not None else f"{shown} (no rate)"
    if named:
        notes_of(sink, kind).note(
            record.id,
            "lines.tax_names",
            f"no v2 field for tax names: {_some(list(named.values()), 'names')}",
            severity="cosmetic",
        )


def _pct(rate: Rate) -> str:
    return f"{decimal_text(rate)}%" if rate is not None else "no rate"


def _some(texts: list[str], what: str) -> str:
    """At most ten of `texts`: a document of thousands of lines must not make a note of megabytes."""
    return ", ".join(texts[:10]) + (f", … ({len(texts)} {what} in all)" if len(texts) > 10 else "")


def line_rates(line: Line) -> LineRates:
    """A source line's rates; a zero or empty percentage is no tax."""
    first, second = line.tax1_percent or None, line.tax2_percent or None
    if line.compound_tax and first is not None and second is not None:
        return LineRates(first, compound_equivalent(first, second), second)
    return LineRates(first, second)


def compound_equivalent(tax1: Decimal, tax2: Decimal) -> Decimal:
    """tax2 charged on (amount + tax1) as one rate on the amount: tax2 × (1 + tax1 / 100), exactly."""
    with localcontext(EXACT):  # at most ~75 digits from two bounded source decimals: nothing is rounded
        value = tax2 * (1 + tax1 / HUNDRED)
        return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def line_amounts(items: Iterable[Mapping[str, Any]]) -> list[Decimal]:
    """Each payload line's amount as Harvest computes it: quantity × unit price, to the cent."""
    with localcontext(EXACT):
        return [cents(Decimal(item["quantity"]) * item["unit_price"]) for item in items]


def fit_taxes(lines: Sequence[LineRates], amounts: Sequence[Decimal]) -> TaxFit:
    """The pair of v2 rates and the line flags for a document (see the module docstring)."""
    with localcontext(EXACT):
        distinct = list(dict.fromkeys(rate for line in lines for rate in line.rates))
        candidates: list[_Candidate] = []
        if len(distinct) <= 2:
            options: list[Rate] = [*distinct, None]
            tried = (_evaluate((r1, r2), lines, amounts) for r1 in options for r2 in options)
            candidates = [candidate for candidate in tried if not candidate.fit.dropped]
        if not candidates:
            candidates = [_evaluate(pair, lines, amounts) for pair in _widest(lines, amounts, distinct)]
        return max(candidates, key=_Candidate.key).fit


def source_tax(lines: Sequence[LineRates], amounts: Sequence[Decimal], discount: Decimal | None) -> Decimal:
    """The tax FreshBooks charges: every rate of every line on the discounted amounts, rounded per rate
    as Harvest rounds each of its own."""
    with localcontext(EXACT):
        keep = 1 - (discount or Decimal(0)) / HUNDRED
        base: dict[Decimal, Decimal] = {}
        for line, amount in zip(lines, amounts, strict=True):
            for rate in line.rates:
                base[rate] = base.get(rate, Decimal(0)) + amount
        return sum((cents(total * keep * rate / HUNDRED) for rate, total in base.items()), Decimal(0))


@dataclass(frozen=True)
class _Candidate:
    fit: TaxFit
    covered: Decimal  # Σ |line amount| × |rates applied|: the tax amount the pair carries
    kept_first: int  # lines whose tax1 is charged through `taxed`
    kept_second: int  # lines whose tax2 is charged through `taxed2`

    def key(self) -> tuple[Any, ...]:
        rates = (self.fit.tax, self.fit.tax2)
        order = [(rate is not None, rate or Decimal(0)) for rate in rates]
        used = sum(rate is not None for rate in rates)
        return (not self.fit.dropped, self.covered, self.kept_first, -used, self.kept_second, *order)


def _evaluate(pair: tuple[Rate, Rate], lines: Sequence[LineRates], amounts: Sequence[Decimal]) -> _Candidate:
    flags: list[Flags] = []
    dropped: list[tuple[int, tuple[Decimal, ...]]] = []
    covered, kept_first, kept_second = Decimal(0), 0, 0
    for index, (line, amount) in enumerate(zip(lines, amounts, strict=True)):
        option, applied = _realise(pair, line)
        flags.append(option)
        covered += abs(amount) * sum((abs(rate) for rate in applied), Decimal(0))
        left = list(line.rates)
        for rate in applied:
            left.remove(rate)
        if left:
            dropped.append((index, tuple(left)))
        kept_first += option[0] and pair[0] == line.first
        kept_second += option[1] and pair[1] == line.second
    tax = pair[0] if any(taxed for taxed, _ in flags) else None  # a rate no line uses is not sent
    tax2 = pair[1] if any(taxed2 for _, taxed2 in flags) else None
    return _Candidate(TaxFit(tax, tax2, flags, dropped), covered, kept_first, kept_second)


def _realise(pair: tuple[Rate, Rate], line: LineRates) -> tuple[Flags, tuple[Decimal, ...]]:
    """The flags charging the most of the line's rates (a sub-multiset of them), its own slots first."""
    best: tuple[tuple[Decimal, int], Flags, tuple[Decimal, ...]] | None = None
    for option in _OPTIONS:
        applied = tuple(rate for rate, on in zip(pair, option, strict=True) if on and rate is not None)
        if len(applied) != sum(option) or not _within(applied, line.rates):
            continue
        faithful = (option[0] and pair[0] == line.first) + (option[1] and pair[1] == line.second)
        score = (sum((abs(rate) for rate in applied), Decimal(0)), faithful)
        if best is None or score > best[0]:
            best = (score, option, applied)
    assert best is not None  # (False, False) always qualifies
    return best[1], best[2]


def _within(applied: tuple[Decimal, ...], rates: tuple[Decimal, ...]) -> bool:
    """`applied` is a sub-multiset of `rates` (each at most two long: no Counter on this path)."""
    rest = list(rates)
    for rate in applied:
        if rate not in rest:
            return False
        rest.remove(rate)
    return True


def _widest(lines: Sequence[LineRates], amounts: Sequence[Decimal], distinct: list[Decimal]) -> list[tuple[Rate, Rate]]:
    """The pairs that can cover the largest tax amount, in O(lines) rather than trying every pair:
    two different rates cover what each covers from one slot; one rate in both slots covers also the
    lines carrying it twice."""
    once: dict[Decimal, Decimal] = dict.fromkeys(distinct, Decimal(0))
    twice: dict[Decimal, Decimal] = dict.fromkeys(distinct, Decimal(0))
    for line, amount in zip(lines, amounts, strict=True):
        for rate in set(line.rates):
            once[rate] += abs(amount * rate)
        for rate in line.rates:
            twice[rate] += abs(amount * rate)
    top = sorted(distinct, key=lambda rate: (once[rate], rate), reverse=True)[:2]
    double = max(distinct, key=lambda rate: (twice[rate], rate))
    pairs: list[tuple[Rate, Rate]] = [(double, double)]
    if len(top) == 2:
        pairs += [(top[0], top[1]), (top[1], top[0])]
    return pairs
