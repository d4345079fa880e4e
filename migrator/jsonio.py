"""JSON in and out without ever passing money or hours through float.

Harvest v2 wants decimals as JSON numbers. `dumps` writes a `Decimal` as its exact digits; `loads`
reads every JSON number with a fraction as a `Decimal`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

# The C string quoter behind `json.dumps(..., ensure_ascii=False)`, without its per-call setup:
# reports hold millions of strings.
_quote = json.encoder.encode_basestring  # type: ignore[attr-defined]


def decimal_text(value: Decimal) -> str:
    """Plain positional notation: `Decimal('1E+2')` -> `100`, never an exponent."""
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {value}")
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def _encode(value: Any, out: list[str], indent: int | None, level: int) -> None:
    kind = type(value)
    if kind is str:  # the common cases first, by exact type
        out.append(_quote(value))
    elif kind is dict:
        _encode_items([(_quote(str(k)), v) for k, v in value.items()], "{}", out, indent, level)
    elif value is None:
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
        out.append(_quote(str(value)))
    elif isinstance(value, (dt.datetime, dt.date, dt.time)):
        out.append(_quote(value.isoformat()))
    elif isinstance(value, dict):
        _encode_items([(_quote(str(k)), v) for k, v in value.items()], "{}", out, indent, level)
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
    if indent is None:
        return _compact(value)
    out: list[str] = []
    _encode(value, out, indent, 0)
    return "".join(out)


def _compact(value: Any) -> str:
    """`dumps(value)` on one line: the same text, with fewer calls for the common exact types (every
    stored payload passes here, a million times on a big export); anything else takes `_encode`."""
    kind = type(value)
    if kind is str:
        return _quote(value)  # type: ignore[no-any-return]
    if kind is dict:
        return (
            "{"
            + ", ".join([_quote(k if type(k) is str else str(k)) + ": " + _compact(v) for k, v in value.items()])
            + "}"
        )
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is Decimal:
        return decimal_text(value)
    if kind is list:
        return "[" + ", ".join([_compact(item) for item in value]) + "]"
    out: list[str] = []
    _encode(value, out, None, 0)
    return "".join(out)


class JsonText(str):
    """JSON already written (a request body made of a payload's fields encoded once): sent as it is."""


def object_text(fields: Iterable[tuple[str, str]]) -> str:
    """`{"a": 1, "b": "x"}` from (key, value already written as JSON) pairs: the text `dumps` writes
    for that dict, so a payload's fields can be encoded once and joined in several ways."""
    return "{" + ", ".join(_quote(key) + ": " + text for key, text in fields) + "}"


# One decoder for every call: `json.loads(text, parse_float=…)` would build a new one each time.
_DECODER = json.JSONDecoder(parse_float=Decimal)


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading numbers with a fraction or exponent as `Decimal`."""
    if isinstance(text, bytes):
        text = text.decode(json.detect_encoding(text), "surrogatepass")  # as `json.loads` does
    return _DECODER.decode(text)
