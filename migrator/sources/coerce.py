"""Field coercion for legacy values: by the field's meaning, never by the wire's `type=` attribute.

Harvest v1 writes `type="integer"`, `"decimal"`, `"float"`, `"yaml"`, `"NilClass"`, `"dateTime"`… and
FreshBooks writes no types at all, so each record model declares what a field *means* with the
annotated types below, and the coercers accept every spelling seen in real exports.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_NEVER = re.compile(r"^0000-00-00( 00:00:00)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?\s*([ap]\.?m\.?)?$", re.IGNORECASE)
_RUBY_TIME = "%a %b %d %H:%M:%S %z %Y"  # `Sat Aug 01 23:06:55 +0000 2009` (Ruby Time#to_s)


def blank_to_none(value: Any) -> Any:
    """Empty or whitespace-only text means "not set" in both sources."""
    if isinstance(value, str):
        stripped = value.strip()
        return stripped if stripped else None
    return value


# Fast paths: the spelling nearly every value has, answered before the general rules (which give the
# same answer for it; tests/sources/test_coerce_fast.py holds each pair equal on generated values).
_BOOL_SPELLINGS = {"true": True, "false": False, "1": True, "0": False}


def to_bool(value: Any) -> bool | None:
    if type(value) is str:
        known = _BOOL_SPELLINGS.get(value)
        if known is not None:
            return known
    return _bool(value)


def _bool(value: Any) -> bool | None:
    value = blank_to_none(value)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean (true/false/1/0)")


# Amounts, hours, rates and quantities in real books are far inside these bounds; values outside
# them are typos or hostile (`1e999999999` is 11 bytes that would print as a billion digits), and
# refusing them keeps every later sum exact and every report small.
MAX_INTEGER_DIGITS = 15  # below 10**15
MAX_DECIMAL_PLACES = 20


def to_decimal(value: Any) -> Decimal | None:
    # Plain positional text of up to 20 characters has at most 19 decimal places: only the size is checked.
    if type(value) is str and 0 < len(value) <= 20 and value[-1].isdigit() and "e" not in value and "E" not in value:
        try:
            number = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if number.is_finite() and number.adjusted() < MAX_INTEGER_DIGITS:
                return number
    return _decimal(value)


def _decimal(value: Any) -> Decimal | None:
    value = blank_to_none(value)
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise ValueError("refusing a float for a decimal field")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(f"{_short(value)} is out of range (more than {MAX_INTEGER_DIGITS} digits before the point)")
    if -number.as_tuple().exponent > MAX_DECIMAL_PLACES:  # type: ignore[operator]
        raise ValueError(f"{_short(value)} has more than {MAX_DECIMAL_PLACES} decimal places")
    return number


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…'"


def to_int(value: Any) -> int | None:
    if type(value) is str and value.isdigit() and value.isascii():
        return int(value)
    return _int(value)


def _int(value: Any) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    text = str(value).strip()
    if not text:
        return None
    if text.isascii() and (text.isdigit() or (text[0] in "+-" and text[1:].isdigit())):
        return int(text)  # ids are on every record: no regex on the hot path
    raise ValueError(f"{value!r} is not a whole number")


def to_id(value: Any) -> str | None:
    """Ids are keys: `00000079106` and `79106` are the same record."""
    if type(value) is str and value.isdigit() and value.isascii() and (value[0] != "0" or len(value) == 1):
        return value  # already canonical
    return _id(value)


def _id(value: Any) -> str | None:
    number = to_int(value)
    if number is None:
        return None
    if number < 0:
        raise ValueError(f"{value!r} is not a valid id")
    return str(number)


def to_text(value: Any) -> str | None:
    """Free text: kept as written (inner whitespace and newlines too); blank means not set."""
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def to_datetime(value: Any) -> dt.datetime | None:
    value = blank_to_none(value)
    if value is None or isinstance(value, dt.datetime):
        return value
    text = str(value)
    try:
        return dt.datetime.fromisoformat(text)  # the common case, in C (3.11 reads a trailing Z)
    except ValueError:
        pass
    if _NEVER.match(text):
        return None
    iso = text.replace("Z", "+00:00")
    if " " in iso and "T" not in iso and re.match(r"^\d{4}-\d{1,2}-\d{1,2} ", iso):
        iso = iso.replace(" ", "T", 1)
    try:
        return dt.datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)  # RFC 2822: `Sat, 01 Aug 2009 02:19:00 +0000`
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dt.datetime.strptime(text, _RUBY_TIME)
    except ValueError:
        raise ValueError(f"{value!r} is not a date-time") from None


def to_date(value: Any) -> dt.date | None:
    if type(value) is str and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return _date(value)


def _date(value: Any) -> dt.date | None:
    value = blank_to_none(value)
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    text = str(value)
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text)  # the common case, in C
        except ValueError:
            pass
    if _NEVER.match(text):
        return None
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise ValueError(f"{value!r} is not a valid date") from None
    for pattern in ("%a, %d %b %Y", "%Y%m%d"):  # `Sat, 01 Aug 2009` (v1 for_day), `20110101`
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    try:
        return to_datetime(text).date()  # type: ignore[union-attr]
    except (ValueError, AttributeError):
        raise ValueError(f"{value!r} is not a date") from None


def to_clock(value: Any) -> str | None:
    """Wall-clock times (`8:00am`, `16:45`) normalised to Harvest's `8:00am` form."""
    value = blank_to_none(value)
    if value is None:
        return None
    match = _CLOCK.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a time of day like 8:00am or 16:45")
    hour, minute, meridiem = int(match.group(1)), int(match.group(2)), match.group(3)
    if meridiem:
        if not 1 <= hour <= 12 or minute > 59:
            raise ValueError(f"{value!r} is not a valid time of day")
        suffix = meridiem.lower().replace(".", "")
        return f"{hour}:{minute:02d}{suffix}"
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r} is not a valid time of day")
    suffix = "am" if hour < 12 else "pm"
    return f"{(hour % 12) or 12}:{minute:02d}{suffix}"


XBool = Annotated[bool | None, BeforeValidator(to_bool)]
XDecimal = Annotated[Decimal | None, BeforeValidator(to_decimal)]
XInt = Annotated[int | None, BeforeValidator(to_int)]
XId = Annotated[str | None, BeforeValidator(to_id)]
XText = Annotated[str | None, BeforeValidator(to_text)]
XStr = Annotated[str | None, BeforeValidator(blank_to_none)]
XDate = Annotated[dt.date | None, BeforeValidator(to_date)]
XDateTime = Annotated[dt.datetime | None, BeforeValidator(to_datetime)]
XClock = Annotated[str | None, BeforeValidator(to_clock)]
