"""Random Harvest v1 accounts survive read → map → payload (hypothesis, derandomized).

Generated: `<clients>`, `<day-entries>`, `<projects>`, `<expenses>` and `<invoices>` bodies (list roots with
or without `type="array"`, empty lists as `<nil-classes>`, single-record detail bodies, fields in random
order) whose values are plausible but hostile: unicode and markup characters written as entities,
character references or CDATA, CR/LF, stray whitespace, empty and `nil="true"` elements (also with junk
content), zero-padded ids, decimals written `007.50`/`.5`/`7.`/`7E+1`/`1_000` or not at all, odd and
impossible dates, `csv-line-items` with quoted commas, quotes and newlines.

Proves for every example: no exception but a `MigratorError` escapes; every record becomes exactly one
plan entry, `ok` or `invalid`/`skipped` with a reason (and invalid ones are listed under errors with one
of our files and a line); every ok payload, sent as the loader sends it, validates against the v2 OpenAPI
request schema and holds no float; time entry hours, expense totals and invoice line quantities/prices
are the very Decimal of the source (same digits), dates and names are the source's; a day entry with a
project, a task, a date and non-negative hours is planned ok. In timestamp mode, synthesised start/end
times span the source hours to the minute (for 0 ≤ hours < 23.98; test_hours_edges.py pins what happens
beyond that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from migrator.harvest.invoice_math import cents
from migrator.planned import MapContext
from tests.property.pipeline import SETTINGS, as_date, check_sink, clock_minutes, run_pipeline, same_decimal
from tests.property.xmlgen import (
    HOSTILE_TEXT,
    NAME_TEXT,
    REF_IDS,
    CsvRow,
    Value,
    as_text,
    csv_rows,
    csv_text,
    date_values,
    decimal_values,
    expected_decimal,
    id_texts,
    text_values,
    unique_ids,
)

CONTEXTS = st.sampled_from([MapContext(), MapContext(timestamp_timers=True)])


@dataclass
class Rec:
    resource: str
    id: str
    values: dict[str, Any] = field(default_factory=dict)


def _ref(draw: st.DrawFn, clean: bool) -> Value:
    present = REF_IDS.map(lambda text: Value("text", text))
    return draw(present if clean else st.one_of(present, st.just(Value("absent")), st.just(Value("nil"))))


def _bool(draw: st.DrawFn, clean: bool) -> Value:
    return Value("text", draw(st.sampled_from(["true", "false", " TRUE ", "1", "0"] + ([] if clean else ["maybe"]))))


BOOL_OK = {"true", "false", "1", "0"}


@st.composite
def record(draw: st.DrawFn, resource: str, number: int) -> tuple[str, Rec]:
    rec = Rec(resource, str(number))
    fields: dict[str, Value] = {}
    # A clean record has only readable values (still hostile text); the others may hold anything.
    clean = draw(st.sampled_from([True, True, False]))
    bad = not clean
    if resource == "clients":
        fields["name"] = draw(text_values(NAME_TEXT, always=clean))
        fields["active"] = _bool(draw, clean)
        fields["currency"] = draw(
            st.sampled_from(
                [Value("absent"), Value("text", "United States Dollars - USD"), Value("text", "Euro - EUR"),
                 Value("text", "USD")] + ([Value("text", "Klingon Darsek - KLD")] if bad else [])
            )
        )  # fmt: skip
        fields["details"] = draw(text_values())
    elif resource == "day_entries":
        fields["hours"] = draw(decimal_values(bad=bad, always=clean))
        date, rec.values["date"] = draw(date_values(clean=clean))
        fields["spent-at"] = date
        fields["project-id"], fields["task-id"], fields["user-id"] = (
            _ref(draw, clean),
            _ref(draw, clean),
            _ref(draw, clean),
        )
        fields["notes"] = draw(text_values())
        clock = st.sampled_from(
            ["8:00am", "16:45", "12:00pm", " 9:05 AM ", "11:59pm"] + (["25:00", "noon"] if bad else [])
        )
        fields["started-at"] = draw(st.one_of(st.just(Value("absent")), clock.map(lambda t: Value("text", t))))
        fields["ended-at"] = draw(st.one_of(st.just(Value("absent")), clock.map(lambda t: Value("text", t))))
        fields["is-billed"] = _bool(draw, clean)
    elif resource == "projects":
        fields["name"] = draw(text_values(NAME_TEXT, always=clean))
        fields["client-id"] = _ref(draw, clean)
        fields["bill-by"] = draw(
            st.sampled_from(
                [Value("text", v) for v in ("Project", "Tasks", "people", "None", " none ")]
                + ([Value("text", "bogus")] if bad else [])
            )
        )
        fields["budget-by"] = draw(
            st.sampled_from(
                [Value("text", v) for v in ("project", "Project_Cost", "task", "none", "person", "task_fees")]
                + ([Value("text", "bogus"), Value("absent")] if bad else [])
            )
        )
        fields["hourly-rate"] = draw(decimal_values(bad=bad))
        fields["budget"] = draw(decimal_values(negative=False, bad=bad))
        fields["billable"] = _bool(draw, clean)
        fields["notes"] = draw(text_values())
        fields["starts-on"], _ = draw(date_values(clean=clean))
    elif resource == "expenses":
        fields["total-cost"] = draw(decimal_values(bad=bad, always=clean))
        fields["units"] = draw(decimal_values(negative=False, bad=bad))
        date, rec.values["date"] = draw(date_values(clean=clean))
        fields["spent-at"] = date
        fields["project-id"], fields["expense-category-id"], fields["user-id"] = (
            _ref(draw, clean),
            _ref(draw, clean),
            _ref(draw, clean),
        )
        fields["notes"] = draw(text_values())
        fields["billable"] = _bool(draw, clean)
    elif resource == "invoices":
        fields["client-id"] = _ref(draw, clean)
        fields["number"] = draw(text_values(HOSTILE_TEXT))
        fields["amount"] = draw(decimal_values(bad=False))
        fields["currency"] = draw(
            st.sampled_from(
                [Value("absent"), Value("text", "United States Dollars - USD"), Value("text", "Euro - EUR")]
            )
        )
        fields["issued-at"], _ = draw(date_values(clean=clean))
        fields["subject"] = draw(text_values())
        fields["tax"] = draw(decimal_values(negative=False, bad=False))
        fields["state"] = draw(
            st.sampled_from([Value("text", s) for s in ("draft", "open", "paid", "closed", "bogus")])
        )
        rows = draw(st.lists(csv_rows(), max_size=3))
        rec.values["rows"] = rows
        written = bool(rows) or draw(st.booleans())  # no rows: an empty header-only text, or no element
        how = draw(st.sampled_from(["escape", "cdata"]))
        text = csv_text(rows, trailing_newline=draw(st.booleans()))
        fields["csv-line-items"] = Value("text", text, how) if written else Value("absent")
    rec.values["fields"] = fields
    element = {
        "clients": "client",
        "day_entries": "day-entry",
        "projects": "project",
        "expenses": "expense",
        "invoices": "invoice",
    }[resource]
    parts = [f'<id type="integer">{draw(id_texts(number))}</id>'] + [v.render(tag) for tag, v in fields.items()]
    parts = draw(st.permutations(parts))
    return f"  <{element}>\n    " + "\n    ".join(p for p in parts if p) + f"\n  </{element}>\n", rec


@st.composite
def account(draw: st.DrawFn) -> tuple[dict[str, str], list[Rec]]:
    files: dict[str, str] = {}
    recs: list[Rec] = []
    roots = {
        "clients": "clients",
        "day_entries": "day-entries",
        "projects": "projects",
        "expenses": "expenses",
        "invoices": "invoices",
    }
    for resource, root in roots.items():
        numbers = draw(unique_ids(max_size=3))
        rendered = [draw(record(resource, n)) for n in numbers]
        recs.extend(rec for _xml, rec in rendered)
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        if len(rendered) == 1 and resource == "invoices" and draw(st.booleans()):
            xml, _rec = rendered[0]  # a single-record detail body: the root is the record
            files[f"detail/{resource}.xml"] = head + xml.strip() + "\n"
            continue
        if not rendered:
            files[f"{resource}.xml"] = head + draw(
                st.sampled_from(['<nil-classes type="array"/>\n', f'<{root} type="array"/>\n'])
            )
            continue
        attrs = draw(st.sampled_from([' type="array"', ""]))
        files[f"lists/{resource}.xml"] = (
            head + f"<{root}{attrs}>\n" + "".join(xml for xml, _ in rendered) + f"</{root}>\n"
        )
    return files, recs


KIND = {
    "clients": "clients",
    "day_entries": "time_entries",
    "projects": "projects",
    "expenses": "expenses",
    "invoices": "invoices",
}


def _bool_ok(value: Value) -> bool:
    return value.kind != "text" or (value.text or "").strip().lower() in BOOL_OK


def _check_time_entry(rec: Rec, planned: Any, ctx: MapContext) -> None:
    fields = rec.values["fields"]
    hours = expected_decimal(fields["hours"])
    date = rec.values["date"]
    clocks_ok = all(
        fields[name].kind != "text" or fields[name].text.strip() not in ("25:00", "noon")
        for name in ("started-at", "ended-at")
    )
    refs = fields["project-id"].kind == "text" and fields["task-id"].kind == "text"
    if hours == "bad" or date == "bad" or not clocks_ok or not _bool_ok(fields["is-billed"]):
        assert planned.status == "invalid", planned
        return
    if not ctx.timestamp_timers:
        if isinstance(hours, Decimal) and hours >= 0 and date is not None and refs:
            assert planned.status == "ok", planned
        if isinstance(hours, Decimal) and hours < 0:
            assert planned.status == "invalid", planned
        if planned.status == "ok":
            assert isinstance(hours, Decimal), (hours, planned)  # v2 needs hours in duration mode
            assert same_decimal(planned.payload["hours"], hours), (planned.payload.get("hours"), hours)
    if planned.status == "ok":
        assert as_date(planned.payload["spent_date"]) == date
        notes = fields["notes"]
        expected_notes = notes.text if notes.kind == "text" and notes.text.strip() else None
        assert planned.payload.get("notes") == expected_notes
        both_clocks = fields["started-at"].kind == "text" and fields["ended-at"].kind == "text"
        if ctx.timestamp_timers and isinstance(hours, Decimal) and 0 <= hours < Decimal("23.98") and not both_clocks:
            span = clock_minutes(planned.payload["ended_time"]) - clock_minutes(planned.payload["started_time"])
            assert abs(span - hours * 60) <= 1, (hours, planned.payload)


def _check_expense(rec: Rec, planned: Any) -> None:
    fields = rec.values["fields"]
    total = expected_decimal(fields["total-cost"])
    if total == "bad" or expected_decimal(fields["units"]) == "bad" or rec.values["date"] == "bad":
        assert planned.status == "invalid", planned
        return
    if planned.status == "ok":
        if total is None:
            assert "total_cost" not in planned.payload
        else:
            assert isinstance(total, Decimal)
            assert same_decimal(planned.payload["total_cost"], total), (planned.payload.get("total_cost"), total)
        assert as_date(planned.payload["spent_date"]) == rec.values["date"]


def _check_invoice(rec: Rec, planned: Any) -> None:
    if planned.status != "ok":
        return
    rows: list[CsvRow] = [row for row in rec.values["rows"] if not row.blank]
    lines = planned.payload["line_items"]
    assert len(lines) == len(rows), (rows, lines)
    for row, line in zip(rows, lines, strict=True):
        kind, _description, quantity, unit_price = row.cells[:4]
        amount = row.cells[4].strip() if len(row.cells) > 4 else ""
        assert line["kind"] == kind.strip()
        times = Decimal(quantity) if quantity.strip() else Decimal(1)
        if amount and cents(Decimal(amount)) != cents(times * Decimal(unit_price)):
            # Money first: v1's own line amount, as 1 x amount (quantity and price in the description).
            assert same_decimal(line["unit_price"], Decimal(amount)), (line, row)
            assert same_decimal(line["quantity"], Decimal(1)), (line, row)
            continue
        assert same_decimal(line["unit_price"], Decimal(unit_price)), (line, row)
        if quantity.strip():
            assert same_decimal(line["quantity"], Decimal(quantity)), (line, row)
        else:
            assert "quantity" not in line


def _check(outcome: Any, recs: list[Rec], ctx: MapContext) -> None:
    check_sink(outcome)
    assert outcome.error is None, f"well-formed documents were refused: {outcome.error}"
    for rec in recs:
        planned = outcome.one(KIND[rec.resource], rec.id)
        event(f"{planned.kind}: {planned.status}")  # --hypothesis-show-statistics: both outcomes are reached
        fields = rec.values["fields"]
        if rec.resource in ("clients", "projects") and planned.status == "ok":
            assert planned.payload["name"] == as_text(fields["name"])
        if rec.resource == "projects" and planned.status == "ok":
            for tag, key in (("hourly-rate", "hourly_rate"), ("budget", "budget")):
                expected = expected_decimal(fields[tag])
                assert expected != "bad" and planned.payload.get(key) == expected
                assert not isinstance(expected, Decimal) or same_decimal(planned.payload[key], expected)
        if rec.resource == "clients":
            if (
                as_text(fields["name"]) is None
                or not _bool_ok(fields["active"])
                or "Klingon" in str(fields["currency"].text)
            ):
                assert planned.status == "invalid", planned
        elif rec.resource == "day_entries":
            _check_time_entry(rec, planned, ctx)
        elif rec.resource == "expenses":
            _check_expense(rec, planned)
        elif rec.resource == "invoices":
            _check_invoice(rec, planned)


@SETTINGS
@given(data=account(), ctx=CONTEXTS)
def test_random_harvest_v1_accounts_map_to_valid_payloads(
    data: tuple[dict[str, str], list[Rec]], ctx: MapContext
) -> None:
    files, recs = data
    _check(run_pipeline(files, ctx), recs, ctx)


@SETTINGS
@given(data=account())
def test_the_same_account_in_utf_16_or_with_a_bom_maps_to_the_same_payloads(
    data: tuple[dict[str, str], list[Rec]],
) -> None:
    """Re-encoding every file (declared, or with a BOM) must not change a single payload."""
    files, _recs = data
    baseline = run_pipeline(files, MapContext())
    variants = {
        "utf-16": {
            name: ("\ufeff" + text.replace('encoding="UTF-8"', 'encoding="UTF-16"')).encode("utf-16-le")
            for name, text in files.items()
        },
        "utf-8-bom": {name: b"\xef\xbb\xbf" + text.encode("utf-8") for name, text in files.items()},
    }

    def shape(outcome: Any) -> list[tuple[str, str, str, Any]]:
        return sorted((p.kind, p.source_id, p.status, repr(p.payload)) for p in outcome.sink.planned)

    for encoded in variants.values():
        assert shape(run_pipeline(encoded, MapContext())) == shape(baseline)
