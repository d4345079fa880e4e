"""JSON in and out without ever passing money or hours through float.

Harvest v2 wants decimals as JSON numbers. `dumps` writes a `Decimal` as its exact digits; `loads`
reads every JSON number with a fraction as a `Decimal`.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any


def decimal_text(value: Decimal) -> str:
    """Plain positional notation: `Decimal('1E+2')` -> `100`, never an exponent."""
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {value}")
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def _encode(value: Any, out: list[str], indent: int | None, level: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        raise TypeError("float in a payload: use Decimal for money and hours")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, (dt.datetime, dt.date, dt.time)):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, dict):
        _encode_items([(json.dumps(str(k), ensure_ascii=False), v) for k, v in value.items()], "{}", out, indent, level)
    elif isinstance(value, (list, tuple)):
        _encode_items([(None, v) for v in value], "[]", out, indent, level)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _encode_items(
    items: list[tuple[str | None, Any]], brackets: str, out: list[str], indent: int | None, level: int
) -> None:
    if not items:
        out.append(brackets)
        return
    out.append(brackets[0])
    sep = ", " if indent is None else ","
    for i, (key, item) in enumerate(items):
        if i:
            out.append(sep)
        if indent is not None:
            out.append("\n" + " " * (indent * (level + 1)))
        if key is not None:
            out.append(key + ": ")
        _encode(item, out, indent, level + 1)
    if indent is not None:
        out.append("\n" + " " * (indent * level))
    out.append(brackets[1])


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Serialise `value`; `Decimal` becomes an exact JSON number, dates become ISO strings."""
    out: list[str] = []
    _encode(value, out, indent, 0)
    return "".join(out)


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading numbers with a fraction or exponent as `Decimal`."""
    return json.loads(text, parse_float=Decimal)
