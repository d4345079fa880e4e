"""Two independent implementations of Harvest's invoice arithmetic agree: the sandbox's own
(`migrator/sandbox/money.py`, over HTTP) and the product's (`migrator.harvest.invoice_math`, which
the mappings and `verify` use).

Neither may import the other (checked below, in a fresh interpreter), so a mistake in one shows up
here as a difference: e.g. a tax taken before the discount, a line not rounded before the subtotal,
a tie rounded the wrong way. Invoices and estimates are generated with hypothesis (derandomized, so
CI sees the same examples): up to five lines with zero, negative and fractional quantities and
prices, prices in tenths of a cent (rounding ties x.xx5 on purpose), both taxes, a discount.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from migrator.harvest.invoice_math import cents, invoice_totals
from migrator.sandbox import Sandbox
from tests.sandbox.helpers import Api
from tests.working_tree import child_env

D = Decimal
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _money(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Amounts between `low` and `high` cents: whole cents, tenths of a cent, and ties (x.xx5)."""
    return st.integers(low, high).flatmap(
        lambda n: st.sampled_from([D(n) / 100, D(n * 10 + 7) / 1000, D(n * 10 + 5) / 1000])
    )


QUANTITIES = st.one_of(
    st.just(D(0)),
    st.integers(-3, 40).map(D),
    st.integers(-3000, 40000).map(lambda n: D(n) / 1000),
    st.none(),  # Harvest's default: 1
)
PRICES = st.one_of(st.just(D(0)), _money(-50_000, 200_000), st.integers(-50, 5000).map(D))
PERCENTS = st.one_of(
    st.none(),
    st.just(D(0)),
    st.integers(0, 100).map(D),
    st.integers(0, 100_000).map(lambda n: D(n) / 1000),  # 8.375 %, 12.5 %, …
)
LINE = st.fixed_dictionaries(
    {"quantity": QUANTITIES, "unit_price": PRICES, "taxed": st.booleans(), "taxed2": st.booleans()}
)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with Sandbox(rate=None) as sandbox:
        caller = Api(sandbox)
        yield caller
        caller.close()


@pytest.fixture(scope="module")
def client_id(api: Api) -> int:
    return int(api.post("/clients", {"name": "Arithmetic Ltd", "currency": "EUR"})["id"])


def _document(api: Api, client_id: int, kind: str, lines: list[dict[str, Any]], **percents: Decimal | None) -> Any:
    body: dict[str, Any] = {"client_id": client_id, **{k: v for k, v in percents.items() if v is not None}}
    body["line_items"] = [
        {"kind": "Service", "unit_price": line["unit_price"], "taxed": line["taxed"], "taxed2": line["taxed2"]}
        | ({"quantity": line["quantity"]} if line["quantity"] is not None else {})
        for line in lines
    ]
    return api.post(f"/{kind}", body)


@SETTINGS
@given(
    kind=st.sampled_from(["invoices", "estimates"]),
    lines=st.lists(LINE, min_size=1, max_size=5),
    tax=PERCENTS,
    tax2=PERCENTS,
    discount=PERCENTS,
)
@example(  # a line tie: 1 × 0.005 is half a cent
    kind="invoices",
    lines=[{"quantity": D(1), "unit_price": D("0.005"), "taxed": True, "taxed2": False}],
    tax=None, tax2=None, discount=None,
)  # fmt: skip
@example(  # the same tie on a credit line
    kind="invoices",
    lines=[{"quantity": D(-1), "unit_price": D("0.005"), "taxed": False, "taxed2": False}],
    tax=None, tax2=None, discount=None,
)  # fmt: skip
@example(  # ties in the discount (5 % of 0.10) and in the tax (0.5 % of 1.00 after 0 %)
    kind="invoices",
    lines=[{"quantity": D(1), "unit_price": D("0.10"), "taxed": False, "taxed2": False},
           {"quantity": D(1), "unit_price": D("1.00"), "taxed": True, "taxed2": True}],
    tax=D("0.5"), tax2=D("2.5"), discount=D(5),
)  # fmt: skip
@example(  # the spec's own example invoice: 300, discount 10 % → 30, tax 5 % → 13.5, tax2 2 % → 5.4
    kind="invoices",
    lines=[{"quantity": D(2), "unit_price": D(100), "taxed": True, "taxed2": True},
           {"quantity": None, "unit_price": D(100), "taxed": True, "taxed2": True}],
    tax=D(5), tax2=D(2), discount=D(10),
)  # fmt: skip
def test_the_sandbox_and_invoice_math_compute_the_same_figures(
    api: Api,
    client_id: int,
    kind: str,
    lines: list[dict[str, Any]],
    tax: Decimal | None,
    tax2: Decimal | None,
    discount: Decimal | None,
) -> None:
    answer = _document(api, client_id, kind, lines, tax=tax, tax2=tax2, discount=discount)
    ours = invoice_totals(lines, tax=tax, tax2=tax2, discount=discount)
    expected_lines = [cents((line["quantity"] if line["quantity"] is not None else D(1)) * line["unit_price"])
                      for line in lines]  # fmt: skip
    assert [line["amount"] for line in answer["line_items"]] == expected_lines
    figures = ("discount_amount", "tax_amount", "tax2_amount", "amount")
    assert {name: answer[name] for name in figures} == {name: getattr(ours, name) for name in figures}
    if kind == "invoices":
        assert answer["due_amount"] == ours.amount


def test_the_spec_example_invoice_to_the_cent(api: Api, client_id: int) -> None:
    """Both agree with Harvest's own published example, not merely with each other."""
    lines = [
        {"kind": "Service", "quantity": D(2), "unit_price": D(100), "taxed": True, "taxed2": True},
        {"kind": "Service", "unit_price": D(100), "taxed": True, "taxed2": True},
    ]
    answer = api.post(
        "/invoices", {"client_id": client_id, "tax": D(5), "tax2": D(2), "discount": D(10), "line_items": lines}
    )
    assert (answer["discount_amount"], answer["tax_amount"], answer["tax2_amount"], answer["amount"]) == (
        D("30.00"),
        D("13.50"),
        D("5.40"),
        D("288.90"),
    )
    ours = invoice_totals(lines, tax=D(5), tax2=D(2), discount=D(10))
    assert (ours.discount_amount, ours.tax_amount, ours.tax2_amount, ours.amount) == (
        D("30.00"),
        D("13.50"),
        D("5.40"),
        D("288.90"),
    )


@SETTINGS
@given(paid=st.lists(st.integers(1, 5_000).map(lambda n: D(n) / 100), min_size=1, max_size=4))
def test_the_amount_due_is_the_amount_less_the_payments(api: Api, client_id: int, paid: list[Decimal]) -> None:
    line = {"kind": "Service", "quantity": D("3"), "unit_price": D("33.335"), "taxed": True}
    invoice = api.post("/invoices", {"client_id": client_id, "tax": D("7.5"), "discount": D(3), "line_items": [line]})
    amount = invoice_totals([line], tax=D("7.5"), discount=D(3)).amount
    assert invoice["amount"] == amount == D("104.29")  # 100.01 - 3.00 (3 %) + 7.28 (7.5 % of 97.0097)
    path = f"/invoices/{invoice['id']}"
    api.post(f"{path}/messages", {"event_type": "send"})
    recorded = D(0)
    for payment in paid:
        if recorded + payment > amount:
            break
        api.post(f"{path}/payments", {"amount": payment, "paid_date": "2021-02-01", "send_thank_you": False})
        recorded += payment
        assert api.get(path)["due_amount"] == amount - recorded


def test_neither_implementation_imports_the_other(tmp_path: Path) -> None:
    """The sandbox's money is its own: importing the whole sandbox pulls in no product arithmetic."""
    code = (
        "import sys, migrator.sandbox, migrator.sandbox.server, migrator.sandbox.billing, migrator.sandbox.events, "
        "migrator.sandbox.timesheets, migrator.sandbox.money\n"
        "print(sorted(m for m in sys.modules if m.startswith(('migrator.mappings', "
        "'migrator.harvest.invoice_math', 'migrator.load', 'migrator.generate'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    code = "import sys, migrator.harvest.invoice_math\nprint(sorted(m for m in sys.modules if 'sandbox' in m))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr
