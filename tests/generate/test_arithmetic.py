"""The generator's own invoice arithmetic: Harvest's held equal to `invoice_math`, FreshBooks' by hand."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from migrator.generate.arithmetic import (
    FreshBooksLine,
    HarvestLine,
    Tax,
    freshbooks_amount,
    freshbooks_figures,
    harvest_totals,
    lossy_reason,
    v2_taxes,
)
from migrator.harvest.invoice_math import invoice_totals

GST, PST, QST = Tax("GST", Decimal(5)), Tax("PST", Decimal(7)), Tax("QST", Decimal("9.975"))
TVA, REDUITE, ECO = Tax("TVA", Decimal(20)), Tax("TVA réduite", Decimal("5.5")), Tax("Éco", Decimal(2))


def test_harvest_totals_equal_invoice_math_on_random_invoices() -> None:
    rng = random.Random(11)
    for _ in range(500):
        lines = [
            HarvestLine(
                Decimal(rng.randint(1, 4000)) / 100,
                Decimal(rng.randint(1, 30000)) / 100,
                rng.random() < 0.7,
                rng.random() < 0.4,
            )
            for _ in range(rng.randint(1, 5))
        ]
        tax = rng.choice((None, Decimal("8.875"), Decimal(19), Decimal(5)))
        tax2 = rng.choice((None, Decimal("9.975"), Decimal(7)))
        discount = rng.choice((None, Decimal(10), Decimal("12.5")))
        ours = harvest_totals(lines, tax=tax, tax2=tax2, discount=discount)
        items = [
            {"quantity": x.quantity, "unit_price": x.unit_price, "taxed": x.taxed, "taxed2": x.taxed2} for x in lines
        ]
        theirs = invoice_totals(items, tax=tax, tax2=tax2, discount=discount)
        assert (ours.amount, ours.tax_amount, ours.tax2_amount, ours.discount_amount) == (
            theirs.amount,
            theirs.tax_amount,
            theirs.tax2_amount,
            theirs.discount_amount,
        )


@pytest.mark.parametrize(
    ("lines", "discount", "amount", "v2_amount"),
    [
        # fixtures/freshbooks invoice 101: 10 x 100 + 240, all at 20 %: 1240 + 248.
        pytest.param(
            [FreshBooksLine(Decimal(10), Decimal(100), TVA), FreshBooksLine(Decimal(1), Decimal(240), TVA)],
            None,
            "1488.00",
            "1488.00",
            id="one-rate",
        ),
        # 1312.50 + 300 = 1612.50, less 10 %: GST 5 % of 1451.25 = 72.56, PST 7 % of 270 = 18.90.
        pytest.param(
            [FreshBooksLine(Decimal("12.5"), Decimal(105), GST), FreshBooksLine(Decimal(2), Decimal(150), GST, PST)],
            Decimal(10),
            "1542.71",
            "1542.71",
            id="two-rates-discount",
        ),
        # 813.75: GST 40.6875; QST compound on 854.4375 = 85.23 (v2: the plain rate 10.47375 % of 813.75, the same).
        pytest.param(
            [FreshBooksLine(Decimal("7.75"), Decimal(105), GST, QST, compound=True)],
            None,
            "939.67",
            "939.67",
            id="compound",
        ),
        # 1160: 20 % of 780 = 156, 5.5 % of 380 = 20.90, 2 % of 180 = 3.60; v2 keeps the pair with the most tax
        # (20 % and 5.5 %): the 2 % is lost.
        pytest.param(
            [
                FreshBooksLine(Decimal(6), Decimal(100), TVA),
                FreshBooksLine(Decimal(1), Decimal(380), REDUITE),
                FreshBooksLine(Decimal(4), Decimal(45), TVA, ECO),
            ],
            None,
            "1340.50",
            "1336.90",
            id="three-rates",
        ),
    ],
)
def test_freshbooks_amounts_and_what_v2_computes(
    lines: list[FreshBooksLine], discount: Decimal | None, amount: str, v2_amount: str
) -> None:
    figures = freshbooks_figures(lines, discount)
    assert freshbooks_amount(lines, discount) == figures.amount == Decimal(amount)
    assert figures.v2_amount == Decimal(v2_amount)
    assert figures.exact == (amount == v2_amount)


def test_v2_keeps_the_pair_of_rates_with_the_most_tax_when_no_pair_holds_them_all() -> None:
    lines = [FreshBooksLine(Decimal(1), Decimal(100), REDUITE), FreshBooksLine(Decimal(1), Decimal(300), TVA, ECO)]
    chosen = v2_taxes(lines)
    assert (chosen.tax, chosen.tax2) == (Decimal(20), Decimal(2))
    assert [(line.taxed, line.taxed2) for line in chosen.lines] == [(False, False), (True, True)]
    assert lossy_reason(lines) == "3 distinct tax rates over its lines"


def test_two_rates_on_different_lines_are_exact() -> None:
    lines = [FreshBooksLine(Decimal(5), Decimal(100), TVA), FreshBooksLine(Decimal(2), Decimal(15), REDUITE)]
    chosen = v2_taxes(lines)
    assert (chosen.tax, chosen.tax2) == (Decimal(20), Decimal("5.5"))
    assert [(line.taxed, line.taxed2) for line in chosen.lines] == [(True, False), (False, True)]
    assert freshbooks_figures(lines, Decimal(10)).exact
