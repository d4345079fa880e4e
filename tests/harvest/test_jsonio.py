"""Decimals reach JSON as exact numbers, never through float."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator import jsonio


def test_decimals_are_written_exactly() -> None:
    body = {"hours": Decimal("1.10"), "big": Decimal("1E+2"), "date": dt.date(2012, 1, 2), "ok": True, "n": None}
    assert jsonio.dumps(body) == '{"hours": 1.10, "big": 100, "date": "2012-01-02", "ok": true, "n": null}'


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="use Decimal"):
        jsonio.dumps({"hours": 1.1})


def test_unicode_and_nesting() -> None:
    text = jsonio.dumps({"name": "Café «日本»", "items": [{"q": Decimal("2")}]}, indent=2)
    assert jsonio.loads(text) == {"name": "Café «日本»", "items": [{"q": 2}]}


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9))
def test_money_round_trips_exactly(value: Decimal) -> None:
    assert jsonio.loads(jsonio.dumps({"v": value}))["v"] == value
