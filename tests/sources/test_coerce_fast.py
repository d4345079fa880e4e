"""Each coercer's fast path answers exactly as its general rules do.

`to_bool`, `to_decimal`, `to_int`, `to_id` and `to_date` first try the one spelling nearly every
value has (`"true"`, `"12.50"`, `"79106"`, `"2013-02-03"`), then fall back to the general rules
(`_bool`, `_decimal`, …). For any input the two must agree: same value, same exact type and text
form, or both refuse it with the same message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.sources import coerce

PAIRS = [
    pytest.param(coerce.to_bool, coerce._bool, id="bool"),
    pytest.param(coerce.to_decimal, coerce._decimal, id="decimal"),
    pytest.param(coerce.to_int, coerce._int, id="int"),
    pytest.param(coerce.to_id, coerce._id, id="id"),
    pytest.param(coerce.to_date, coerce._date, id="date"),
]
SPELLINGS = [
    "", " ", "0", "1", "00", "007", "79106", "00000079106", "-3", "+4", "1.50", "-0.00", "12.", ".5", "1e3", "1E+2",
    "1_000", "NaN", "sNaN", "inf", "-Infinity", " 12", "12 ", "١٢", "²", "true", "True", "FALSE", "yes", "t",
    "2013-02-03", "2013-2-3", "2013-02-30", "20130203", "2013-02-03 00:00:00", "0000-00-00", "2013-W05-1",
    "2013-02-0\n", "Sat, 01 Aug 2009", None, 5, True, 1.5,
]


def _outcome(function: Callable[[Any], Any], value: Any) -> tuple[str, str]:
    try:
        result = function(value)
    except ValueError as exc:
        return "refused", str(exc)
    return type(result).__name__, repr(result)


@pytest.mark.parametrize(("fast", "general"), PAIRS)
@pytest.mark.parametrize("value", SPELLINGS)
def test_known_spellings_agree(fast: Callable[[Any], Any], general: Callable[[Any], Any], value: Any) -> None:
    assert _outcome(fast, value) == _outcome(general, value)


@pytest.mark.parametrize(("fast", "general"), PAIRS)
@settings(max_examples=300, deadline=None, derandomize=True)
@given(value=st.one_of(st.text(max_size=12), st.from_regex(r"\A[ 0-9+\-.eE_]{0,12}\Z"), st.dates().map(str)))
def test_generated_text_agrees(fast: Callable[[Any], Any], general: Callable[[Any], Any], value: str) -> None:
    assert _outcome(fast, value) == _outcome(general, value)
