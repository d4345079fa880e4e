"""FreshBooks per-line taxes -> v2 `tax`/`tax2` and line flags, through the real reader and mapping.

Each case is a small FreshBooks `<response>` body. An exact case must produce the stated payload and
Harvest's own arithmetic (`invoice_totals`) must give FreshBooks' stated `<amount>` to the cent,
with no money note; a lossy case must say which taxes it left out and what that costs, to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.harvest.invoice_math import EXACT as WIDE
from migrator.harvest.invoice_math import invoice_totals
from migrator.mappings import map_all
from migrator.mappings.freshbooks.taxes import LineRates, compound_equivalent, fit_taxes
from migrator.planned import MapContext, MapSink
from migrator.sources import read_exports

T, F = True, False


@dataclass(frozen=True)
class L:
    """One FreshBooks line: amount = quantity × unit cost, and its taxes as FreshBooks states them."""

    unit_cost: str
    quantity: str = "1"
    tax1: tuple[str, str] | None = None  # (name, percent)
    tax2: tuple[str, str] | None = None
    compound: bool = False
    named: bool = True  # a line without name, description and amount is blank: left out

    def xml(self, number: int) -> str:
        amount = Decimal(self.unit_cost) * Decimal(self.quantity)
        taxes = "".join(
            f"<{slot}_name>{tax[0]}</{slot}_name><{slot}_percent>{tax[1]}</{slot}_percent>"
            if tax
            else f"<{slot}_name/><{slot}_percent/>"
            for slot, tax in (("tax1", self.tax1), ("tax2", self.tax2))
        )
        return (
            f"<line><line_id>{number}</line_id><name>{f'Line {number}' if self.named else ''}</name>"
            f"<unit_cost>{self.unit_cost}</unit_cost>"
            f"<quantity>{self.quantity}</quantity><amount>{amount}</amount>{taxes}<type>Item</type>"
            f"<compound_tax>{int(self.compound)}</compound_tax></line>"
        )


@dataclass(frozen=True)
class Doc:
    lines: list[L]
    amount: str  # FreshBooks' stated total, taxes included
    discount: str = "0"
    kind: str = "invoices"

    def xml(self) -> str:
        element = self.kind[:-1]
        lines = "".join(line.xml(number) for number, line in enumerate(self.lines, 1))
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<response xmlns="http://www.freshbooks.com/api/" status="ok">'
            f"<{element}><{element}_id>7</{element}_id><client_id>11</client_id><number>T-7</number>"
            f"<status>draft</status><date>2014-03-12</date><discount>{self.discount}</discount>"
            f"<currency_code>EUR</currency_code><amount>{self.amount}</amount><lines>{lines}</lines>"
            f"</{element}></response>\n"
        )


@dataclass(frozen=True)
class Want:
    tax: str | None
    tax2: str | None
    flags: list[tuple[bool, bool]]
    notes: dict[str, str] = field(default_factory=dict)  # field -> the note's exact text, beside tax names


def mapped(tmp_path: Path, doc: Doc) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The planned payload of the one document and its lossy notes by field."""
    (tmp_path / "document.xml").write_text(doc.xml(), encoding="utf-8")
    exports = read_exports([tmp_path])
    sink = MapSink()
    map_all(exports, sink, MapContext())
    for export in exports:
        export.close()
    (planned,) = [p for p in sink.planned if p.kind == doc.kind]
    assert planned.status == "ok", planned
    notes: dict[str, list[str]] = {}
    for note in sink.lossy_notes:
        if note.kind == doc.kind and note.source_id == "7":
            notes.setdefault(note.field, []).append(note.note)
    return planned.payload, notes


def computed(payload: dict[str, Any]) -> Decimal:
    return invoice_totals(
        payload["line_items"], tax=payload.get("tax"), tax2=payload.get("tax2"), discount=payload.get("discount")
    ).amount


VAT, REDUCED, GST, PST, QST = ("TVA", "20"), ("TVA réduite", "10"), ("GST", "5"), ("PST", "7"), ("QST", "8.5")

EXACT = [
    pytest.param(
        Doc([L("100", "10", VAT), L("240", tax1=VAT)], "1488.00"),
        Want("20", None, [(T, F), (T, F)]),
        id="one-rate-on-all-lines",
    ),
    pytest.param(
        Doc([L("100", "5", VAT), L("15", "2", REDUCED)], "633.00"),
        Want("20", "10", [(T, F), (F, T)]),
        id="two-rates-on-different-lines",
    ),
    pytest.param(
        Doc([L("15", "2", REDUCED), L("100", "5", VAT)], "633.00"),
        Want("20", "10", [(F, T), (T, F)]),
        id="two-rates-lower-first-the-higher-is-tax",
    ),
    pytest.param(
        Doc([L("200", tax1=GST, tax2=PST), L("100", tax1=GST)], "329.00"),
        Want("5", "7", [(T, T), (T, F)]),
        id="two-taxes-on-one-line",
    ),
    pytest.param(
        Doc([L("70", tax1=PST), L("200", tax1=GST, tax2=PST)], "298.90"),
        Want("5", "7", [(F, T), (T, T)]),
        id="a-line-tax1-equal-to-another-line-tax2",
    ),
    pytest.param(
        Doc([L("100", tax1=GST, tax2=("PST", "5")), L("40", tax1=GST)], "152.00"),
        Want("5", "5", [(T, T), (T, F)]),
        id="same-percentage-under-two-names-on-one-line",
    ),
    pytest.param(
        Doc([L("100", tax1=GST), L("60", tax2=("PST", "5"))], "168.00"),
        Want("5", None, [(T, F), (T, F)]),
        id="one-rate-in-either-slot-is-one-v2-rate",
    ),
    pytest.param(
        Doc([L("100", tax1=VAT), L("50")], "170.00"),
        Want("20", None, [(T, F), (F, F)]),
        id="an-untaxed-line-beside-taxed-lines",
    ),
    pytest.param(
        Doc([L("80", tax2=PST)], "85.60"),
        Want(None, "7", [(F, T)]),
        id="a-tax-only-in-the-tax2-slot-stays-there",
    ),
    pytest.param(
        Doc([L("100", "5", VAT), L("15", "2", REDUCED), L("0.00", "0", named=False)], "569.70", discount="10"),
        Want("20", "10", [(T, F), (F, T)], {"lines": "1 blank line(s) (no name, no amount) left out"}),
        id="discount-and-two-rates-as-invoice-102",
    ),
    pytest.param(
        Doc([L("33.33", "3", VAT), L("19.99", "7", REDUCED)], "239.67", discount="12.5"),
        Want("20", "10", [(T, F), (F, T)]),
        id="discount-and-two-rates-with-cents",
    ),
    pytest.param(
        Doc([L("200", tax1=GST, tax2=QST, compound=True), L("100", tax1=GST)], "332.85"),
        Want(
            "5",
            "8.925",
            [(T, T), (T, F)],
            {
                "lines.compound_tax": "line 1: compound tax2 8.5% (charged on the line plus its 5% tax1) sent as "
                "its exact non-compound equivalent 8.925%"
            },
        ),
        id="compound-tax-as-its-exact-equivalent",
    ),
    pytest.param(
        Doc([L("100", "5", VAT), L("15", "2", REDUCED)], "633.00", kind="estimates"),
        Want("20", "10", [(T, F), (F, T)]),
        id="estimate-with-two-rates",
    ),
    pytest.param(
        Doc([L("200", tax1=GST, tax2=QST, compound=True), L("50", "4", tax1=GST)], "437.85", kind="estimates"),
        Want(
            "5",
            "8.925",
            [(T, T), (T, F)],
            {
                "lines.compound_tax": "line 1: compound tax2 8.5% (charged on the line plus its 5% tax1) sent as "
                "its exact non-compound equivalent 8.925%"
            },
        ),
        id="estimate-with-a-compound-tax",
    ),
]


@pytest.mark.parametrize(("doc", "want"), EXACT)
def test_documents_with_at_most_two_rates_are_exact(tmp_path: Path, doc: Doc, want: Want) -> None:
    payload, notes = mapped(tmp_path, doc)
    assert payload.get("tax") == (Decimal(want.tax) if want.tax else None)
    assert payload.get("tax2") == (Decimal(want.tax2) if want.tax2 else None)
    assert [(line["taxed"], line["taxed2"]) for line in payload["line_items"]] == want.flags
    assert computed(payload) == Decimal(doc.amount)  # Harvest's arithmetic gives FreshBooks' total
    assert "tax" not in notes and "amount" not in notes  # no money note for an exact document
    assert {key: texts for key, texts in notes.items() if key != "lines.tax_names"} == {
        key: [text] for key, text in want.notes.items()
    }
    assert len(notes["lines.tax_names"]) == 1  # one note per document, whatever its number of lines


def test_tax_names_are_noted_once_per_document_each_name_and_rate_once(tmp_path: Path) -> None:
    doc = Doc([L("100", tax1=GST, tax2=("PST", "5")), L("40", tax1=GST), L("10", tax1=("", "5"))], "157.00")
    _payload, notes = mapped(tmp_path, doc)
    assert notes["lines.tax_names"] == ["no v2 field for tax names: 'GST' 5%, 'PST' 5%"]


def test_a_document_without_tax_names_has_no_name_note(tmp_path: Path) -> None:
    _payload, notes = mapped(tmp_path, Doc([L("100", tax1=("", "20"))], "120.00"))
    assert "lines.tax_names" not in notes


LOSSY = [
    pytest.param(
        # FreshBooks: 20 % of 450 = 90.00, 10 % of 180 = 18.00, 5.5 % of 33.30 = 1.8315 -> 1.83; v2 keeps 20 and 10.
        Doc([L("100", "5", VAT), L("200", tax1=REDUCED), L("37", tax1=("TVA super-réduite", "5.5"))], "773.13", "10"),
        Want(
            "20",
            "10",
            [(T, F), (F, T), (F, F)],
            {
                "tax": "no pair of v2 rates holds every line's taxes (20%, 10%, 5.5%): kept 20% as tax and 10% as "
                "tax2, the pair covering the largest tax amount; not applied: line 3 at 5.5%; tax 109.83 in "
                "FreshBooks, Harvest will compute 108.00 (1.83 less)",
                "amount": "FreshBooks total 773.13, Harvest will compute 771.30",
            },
        ),
        id="three-distinct-rates",
    ),
    pytest.param(
        # The compound 8.5 % on 5 % is 8.925 %: with 20 % elsewhere that is three rates. 20 % covers 100.00 of
        # tax, 8.925 % 17.85 and 5 % 15.00: the 5 % of lines 1 and 2 is not applied.
        Doc([L("200", tax1=GST, tax2=QST, compound=True), L("100", tax1=GST), L("500", tax1=VAT)], "932.85"),
        Want(
            "20",
            "8.925",
            [(F, T), (F, F), (T, F)],
            {
                "tax": "no pair of v2 rates holds every line's taxes (5%, 8.925%, 20%): kept 20% as tax and 8.925% "
                "as tax2, the pair covering the largest tax amount; not applied: line 1 at 5%, line 2 at 5%; tax "
                "132.85 in FreshBooks, Harvest will compute 117.85 (15.00 less)",
                "amount": "FreshBooks total 932.85, Harvest will compute 917.85",
                "lines.compound_tax": "line 1: compound tax2 8.5% (charged on the line plus its 5% tax1) sent as "
                "its exact non-compound equivalent 8.925%",
            },
        ),
        id="three-rates-counting-a-compound-equivalent",
    ),
    pytest.param(
        # Two distinct rates, but line 1 charges 5 % twice: no pair holds 5, 5 and 10.
        Doc([L("100", tax1=GST, tax2=("PST", "5")), L("100", tax1=("HST", "10"))], "220.00"),
        Want(
            "10",
            "5",
            [(F, T), (T, F)],
            {
                "tax": "no pair of v2 rates holds every line's taxes (5%, 10%): kept 10% as tax and 5% as tax2, "
                "the pair covering the largest tax amount; not applied: line 1 at 5%; tax 20.00 in FreshBooks, "
                "Harvest will compute 15.00 (5.00 less)",
                "amount": "FreshBooks total 220.00, Harvest will compute 215.00",
            },
        ),
        id="one-rate-twice-beside-another",
    ),
]


@pytest.mark.parametrize(("doc", "want"), LOSSY)
def test_three_or_more_rates_keep_the_widest_pair_and_state_the_cents(tmp_path: Path, doc: Doc, want: Want) -> None:
    payload, notes = mapped(tmp_path, doc)
    assert payload.get("tax") == Decimal(want.tax or "0") and payload.get("tax2") == Decimal(want.tax2 or "0")
    assert [(line["taxed"], line["taxed2"]) for line in payload["line_items"]] == want.flags
    assert {key: texts for key, texts in notes.items() if key != "lines.tax_names"} == {
        key: [text] for key, text in want.notes.items()
    }


def test_estimates_with_three_rates_are_noted_like_invoices(tmp_path: Path) -> None:
    doc = Doc([L("100", tax1=VAT), L("100", tax1=REDUCED), L("100", tax1=GST)], "335.00", kind="estimates")
    payload, notes = mapped(tmp_path, doc)
    assert (payload["tax"], payload["tax2"]) == (Decimal("20"), Decimal("10"))
    assert notes["tax"] == [
        "no pair of v2 rates holds every line's taxes (20%, 10%, 5%): kept 20% as tax and 10% as tax2, the pair "
        "covering the largest tax amount; not applied: line 3 at 5%; tax 35.00 in FreshBooks, Harvest will "
        "compute 30.00 (5.00 less)"
    ]


def test_a_note_names_at_most_ten_lines(tmp_path: Path) -> None:
    third = ("Other", "3")
    doc = Doc([L("1000", tax1=VAT), L("1000", tax1=REDUCED)] + [L("1", tax1=third)] * 12, "2312.36")
    _payload, notes = mapped(tmp_path, doc)
    (note,) = notes["tax"]
    assert "not applied: line 3 at 3%, line 4 at 3%," in note and "line 12 at 3%, … (12 lines in all);" in note
    assert "line 13" not in note and note.endswith("tax 300.36 in FreshBooks, Harvest will compute 300.00 (0.36 less)")


@pytest.mark.parametrize(
    ("tax1", "tax2", "equivalent"),
    [
        pytest.param("5", "8.5", "8.925", id="quebec-before-2013"),
        pytest.param("5", "9.975", "10.47375", id="every-digit-kept"),
        pytest.param("10", "20", "22", id="whole-number-without-trailing-zeros"),
        pytest.param("0.00000000000000000001", "3", "3.0000000000000000000003", id="tiny-tax1"),
    ],
)
def test_the_compound_equivalent_is_exact(tax1: str, tax2: str, equivalent: str) -> None:
    value = compound_equivalent(Decimal(tax1), Decimal(tax2))
    assert str(value) == equivalent
    line = Decimal("123.45")
    with localcontext(WIDE):  # the tax on a line: the same, compounded or not
        assert value * line == Decimal(tax2) * (line + line * Decimal(tax1) / 100)


RATES = st.sampled_from([Decimal("20"), Decimal("10.00"), Decimal("8.925")])
LINE = st.tuples(st.one_of(st.none(), RATES), st.one_of(st.none(), RATES), st.integers(-(10**6), 10**8))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(LINE, max_size=8))
def test_every_line_keeps_exactly_its_rates_whenever_a_pair_can_hold_them(drawn: list[Any]) -> None:
    lines = [LineRates(first, second) for first, second, _cents in drawn]
    amounts = [Decimal(cents) / 100 for _first, _second, cents in drawn]
    fit = fit_taxes(lines, amounts)
    distinct = {rate for line in lines for rate in line.rates}
    doubled = any(line.first is not None and line.first == line.second for line in lines)
    assert bool(fit.dropped) == (len(distinct) > 2 or (doubled and len(distinct) == 2))
    for index, (line, (taxed, taxed2)) in enumerate(zip(lines, fit.flags, strict=True)):
        charged = [rate for rate, on in ((fit.tax, taxed), (fit.tax2, taxed2)) if on and rate is not None]
        assert len(charged) == taxed + taxed2  # a line is never flagged for a rate the document does not send
        left = dict(fit.dropped).get(index, ())
        assert sorted(charged + list(left)) == sorted(line.rates)  # each rate charged once, or listed as left out
