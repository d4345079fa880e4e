"""Hypothesis strategies for plausible-but-hostile legacy XML, and the values a reader must recover.

A generated field is a `Value`: absent, `nil="true"` (Harvest v1 only), an empty element, or text
written one of several legal ways (escaped entities, numeric character references, CDATA). The text
itself mixes unicode, markup characters, CR/LF, leading/trailing whitespace and lookalikes of our own
syntax (`@clients:1`). `Value.text` is what any conforming XML parser must hand back, so tests can
compare what the mapping produced with what the document said.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import strategies as st


def xml_char(char: str) -> bool:
    """XML 1.0 `Char` (surrogates, most C0 controls and U+FFFE/U+FFFF are not allowed anywhere)."""
    cp = ord(char)
    return cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or cp >= 0x10000


CHARS = st.characters(min_codepoint=0x9, blacklist_categories=["Cs"]).filter(xml_char)
SPICY = (
    "&", "<", ">", "]]>", "&amp;", "&lt;b&gt;", "\r\n", "\r", "\n", "\t", "  ", "é", "Ærø", "日本語", "👍🏽",
    "\u200b", "\u202e", "\u00a0", "\x85", "\ufeff", "'", '"', "@clients:1", "%p;", "&#38;", "<!--x-->",
    "<?pi?>", "Café Lumière & Fils", "O'Brien \"The Hammer\"", ",", ";",
)  # fmt: skip
HOSTILE_TEXT = st.one_of(
    st.text(CHARS, max_size=24),
    st.lists(st.one_of(st.sampled_from(SPICY), st.text(CHARS, max_size=4)), max_size=6).map("".join),
)
# Text that survives `.strip()` as something (a name v2 will accept), built so no draw is rejected.
NAME_TEXT = st.tuples(
    HOSTILE_TEXT, st.text(CHARS.filter(lambda c: not c.isspace()), min_size=1, max_size=8), HOSTILE_TEXT
).map("".join)


@dataclass(frozen=True)
class Value:
    """One element's content as written (`how`) and as any parser must read it back (`text`)."""

    kind: str  # absent | nil | empty | text
    text: str | None = None
    how: str = "escape"  # escape | charref | cdata | self-closing | open-close | nil-with-junk

    def render(self, tag: str, attrs: str = "") -> str:
        if self.kind == "absent":
            return ""
        if self.kind == "nil":
            junk = "0" if self.how == "nil-with-junk" else ""
            return (
                f'<{tag}{attrs} nil="true">{junk}</{tag}>'
                if junk or self.how == "open-close"
                else f'<{tag}{attrs} nil="true"/>'
            )
        if self.kind == "empty":
            return f"<{tag}{attrs}/>" if self.how == "self-closing" else f"<{tag}{attrs}></{tag}>"
        return f"<{tag}{attrs}>{write_text(self.text or '', self.how)}</{tag}>"


def write_text(text: str, how: str) -> str:
    if how == "cdata" and "]]>" not in text and "\r" not in text:
        return f"<![CDATA[{text}]]>"
    out = []
    for char in text:
        if char == "&":
            out.append("&amp;")
        elif char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char == "\r":
            out.append("&#13;")  # a literal CR would be folded into LF by the parser (XML 1.0 §2.11)
        elif how == "charref" and ord(char) > 0x7E:
            out.append(f"&#x{ord(char):X};")
        else:
            out.append(char)
    return "".join(out)


def text_values(
    texts: st.SearchStrategy[str] = HOSTILE_TEXT, *, nil: bool = True, always: bool = False
) -> st.SearchStrategy[Value]:
    """A text field: mostly present, sometimes absent, empty or (v1) nil; `always` present."""
    present = st.builds(Value, st.just("text"), texts, st.sampled_from(["escape", "escape", "charref", "cdata"]))
    if always:
        return present
    other = [
        st.just(Value("absent")),
        st.builds(Value, st.just("empty"), st.none(), st.sampled_from(["self-closing", "open-close"])),
    ]
    if nil:
        other.append(
            st.builds(
                Value, st.just("nil"), st.none(), st.sampled_from(["self-closing", "open-close", "nil-with-junk"])
            )
        )
    return st.one_of(present, present, present, *other)


def as_text(value: Value) -> str | None:
    """What a reader's text field (stripped, blank = unset) should hold."""
    if value.kind != "text" or value.text is None:
        return None
    return value.text.strip() or None


# --- numbers, ids, dates -----------------------------------------------------------------------------


@st.composite
def decimal_texts(draw: st.DrawFn, *, max_int_digits: int = 9, negative: bool = True) -> str:
    """A decimal as exports write it: `7.50`, `007.5`, `.5`, `7.`, `+7`, `7E+1`, ` 7.5 `, `1_000`…"""
    sign = draw(st.sampled_from(["", "", "", "+", "-"] if negative else ["", "", "+"]))
    whole = str(draw(st.integers(0, 10**max_int_digits - 1)))
    whole = "0" * draw(st.integers(0, 2)) + whole
    frac = "".join(draw(st.lists(st.sampled_from("0123456789"), max_size=6)))
    form = draw(st.sampled_from(["plain", "plain", "point", "lead", "trail", "exp", "underscore"]))
    if form == "point" or (form == "lead" and not frac):
        body = f"{whole}.{frac or '0'}"
    elif form == "lead":
        body = f".{frac}"
    elif form == "trail":
        body = f"{whole}."
    elif form == "exp":
        body = f"{whole}{'.' + frac if frac else ''}E{draw(st.integers(-3, 3)):+d}"
    elif form == "underscore" and len(whole) > 1:
        body = f"{whole[0]}_{whole[1:]}{'.' + frac if frac else ''}"
    else:
        body = whole + (f".{frac}" if frac else "")
    pad = draw(st.sampled_from(["", "", "", " ", "\n    ", "\t"]))
    return f"{pad}{sign}{body}{pad}"


BAD_DECIMALS = ("seven", "7,5", "1.2.3", "NaN", "Infinity", "-inf", "sNaN", "1e", "0x10", "½", "7 5", "$12")


def decimal_values(*, negative: bool = True, bad: bool = True, always: bool = False) -> st.SearchStrategy[Value]:
    good = decimal_texts(negative=negative).map(lambda text: Value("text", text))
    if always:
        return good
    options = [good, good, good, good, st.just(Value("absent")), st.just(Value("empty", how="self-closing"))]
    if bad:
        options.append(st.sampled_from(BAD_DECIMALS).map(lambda text: Value("text", text)))
    return st.one_of(*options)


def expected_decimal(value: Value) -> Decimal | None | str:
    """The Decimal a reader must produce, None when unset, "bad" when it must be refused."""
    if value.kind != "text" or value.text is None or not value.text.strip():
        return None
    if value.text.strip() in BAD_DECIMALS:
        return "bad"
    return Decimal(value.text.strip())


@st.composite
def id_texts(draw: st.DrawFn, number: int) -> str:
    """`number` as exports write ids: plain, zero-padded (`00000079106`), with stray whitespace."""
    width = draw(st.sampled_from([0, 0, 0, 6, 11]))
    pad = draw(st.sampled_from(["", "", "", " ", "\n  "]))
    return f"{pad}{number:0{width}d}{pad}"


def unique_ids(min_size: int = 0, max_size: int = 4) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, 10**12), min_size=min_size, max_size=max_size, unique=True)


REF_IDS = st.one_of(st.integers(1, 10**9).map(str), st.integers(1, 999).map(lambda n: f"{n:011d}"))

GOOD_DATES = st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31))
ODD_DATE_FORMS = {
    "iso": lambda d: d.isoformat(),
    "midnight": lambda d: f"{d.isoformat()} 00:00:00",
    "datetime-z": lambda d: f"{d.isoformat()}T10:11:12Z",
    "unpadded": lambda d: f"{d.year}-{d.month}-{d.day}",
    "compact": lambda d: d.strftime("%Y%m%d"),
    "rfc822-day": lambda d: d.strftime("%a, %d %b %Y"),
}
BAD_DATES = ("2013-02-30", "2013-13-01", "yesterday", "04/03/2013", "2013-03")


@st.composite
def date_values(draw: st.DrawFn, *, clean: bool = False) -> tuple[Value, dt.date | None | str]:
    """(value, expected date | None | "bad"); `clean` draws only readable dates."""
    choice = "good" if clean else draw(st.sampled_from(["good"] * 6 + ["never", "bad", "absent", "empty"]))
    if choice == "good":
        day = draw(GOOD_DATES)
        form = draw(st.sampled_from(sorted(ODD_DATE_FORMS)))
        return Value("text", ODD_DATE_FORMS[form](day)), day
    if choice == "never":
        return Value("text", draw(st.sampled_from(["0000-00-00", "0000-00-00 00:00:00"]))), None
    if choice == "bad":
        return Value("text", draw(st.sampled_from(BAD_DATES))), "bad"
    if choice == "absent":
        return Value("absent"), None
    return Value("empty"), None


# --- Harvest v1 csv-line-items -----------------------------------------------------------------------

CSV_HEADER = ["kind", "description", "quantity", "unit_price", "amount", "taxed", "taxed2", "project_id"]


@dataclass(frozen=True)
class CsvRow:
    cells: tuple[str, ...]

    @property
    def blank(self) -> bool:
        return not any(cell.strip() for cell in self.cells)


@st.composite
def csv_rows(draw: st.DrawFn) -> CsvRow:
    kind = draw(st.one_of(st.sampled_from(["Service", "Product", "Hosting", " Service "]), NAME_TEXT))
    description = draw(st.one_of(st.just(""), HOSTILE_TEXT))
    quantity = draw(st.one_of(st.just(""), decimal_texts(max_int_digits=4, negative=False).map(str.strip)))
    unit_price = draw(decimal_texts(max_int_digits=7).map(str.strip))
    amount = draw(st.one_of(st.just(""), decimal_texts(max_int_digits=8).map(str.strip)))
    taxed = draw(st.sampled_from(["true", "false", "", "TRUE"]))
    taxed2 = draw(st.sampled_from(["true", "false", ""]))
    project = draw(st.one_of(st.just(""), REF_IDS))
    return CsvRow((kind, description, quantity, unit_price, amount, taxed, taxed2, project))


def csv_text(rows: list[CsvRow], *, trailing_newline: bool = True) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(row.cells)
    text = buffer.getvalue()
    return text if trailing_newline else text.rstrip("\n")
