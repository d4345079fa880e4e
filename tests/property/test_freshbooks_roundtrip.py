"""Random FreshBooks Classic accounts survive read → map → payload (hypothesis, derandomized).

Generated: `<response status="ok">` bodies (http, https or no namespace) holding `<clients page=…>` (with
nested `<contacts>`), `<time_entries>`, `<expenses>` and `<invoices>` (with `<lines>`, also a single-invoice
`.get` body), fields in random order, values plausible but hostile: unicode and markup characters
written as entities, character references or CDATA, CR/LF, stray whitespace, empty elements, zero-padded
ids, decimals written `007.50`/`.5`/`7.`/`7E+1`/`1_000` or not at all, odd and impossible dates,
folders active/archived/deleted.

Proves for every example: no exception but a `MigratorError` escapes; every record becomes exactly one
plan entry, `ok` or `invalid`/`skipped` with a reason (invalid ones are listed under errors with one of
our files and a line; deleted ones are skipped); every ok payload, sent as the loader sends it, validates
against the v2 OpenAPI request schema and holds no float; time entry hours, expense amounts and invoice
line prices and quantities are the very Decimal of the source; client names follow organization → person
→ e-mail; a time entry with a project, a task, a date and non-negative hours is planned ok.
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
    Value,
    as_text,
    date_values,
    decimal_values,
    expected_decimal,
    id_texts,
    text_values,
    unique_ids,
)

NAMESPACES = ['xmlns="http://www.freshbooks.com/api/" ', 'xmlns="https://www.freshbooks.com/api/" ', ""]


@dataclass
class Rec:
    resource: str
    id: str
    fields: dict[str, Value] = field(default_factory=dict)
    lines: list[dict[str, Value]] = field(default_factory=list)
    date: Any = None


def _text(draw: st.DrawFn, texts: st.SearchStrategy[str] = HOSTILE_TEXT, always: bool = False) -> Value:
    return draw(text_values(texts, nil=False, always=always))


def _ref(draw: st.DrawFn, clean: bool) -> Value:
    present = REF_IDS.map(lambda text: Value("text", text))
    return draw(present if clean else st.one_of(present, st.just(Value("empty", how="self-closing"))))


def _render(tag: str, fields: dict[str, Value], draw: st.DrawFn, extra: list[str] | None = None) -> str:
    parts = [value.render(name) for name, value in fields.items()] + (extra or [])
    return f"<{tag}>" + "".join(draw(st.permutations([p for p in parts if p]))) + f"</{tag}>"


@st.composite
def record(draw: st.DrawFn, resource: str, number: int) -> tuple[str, Rec]:
    rec = Rec(resource, str(number))
    clean = draw(st.sampled_from([True, True, False]))
    bad = not clean
    f = rec.fields
    extra: list[str] = []
    folder = st.sampled_from(
        [Value("absent"), Value("text", "active"), Value("text", "archived"), Value("text", "deleted")]
    )
    if resource == "clients":
        f["client_id"] = Value("text", draw(id_texts(number)))
        f["organization"] = _text(draw, NAME_TEXT)
        f["first_name"], f["last_name"] = _text(draw), _text(draw)
        f["email"] = _text(draw, st.emails() if clean else HOSTILE_TEXT)
        f["currency_code"] = draw(
            st.sampled_from(
                [Value("text", c) for c in ("USD", "eur", "GBP")]
                + [Value("empty")]
                + ([Value("text", "EURO")] if bad else [])
            )
        )
        f["folder"] = draw(folder)
        f["notes"], f["p_street1"], f["p_city"] = _text(draw), _text(draw), _text(draw)
        contacts = []
        for contact_id in draw(st.lists(st.integers(1, 99), max_size=2, unique=True)):
            contact = {
                "contact_id": Value("text", str(contact_id)),
                "first_name": _text(draw),
                "last_name": _text(draw),
                "email": _text(draw),
            }
            contacts.append(_render("contact", contact, draw))
        with_contacts = bool(contacts) or draw(st.booleans())  # an empty <contacts/> also occurs
        if with_contacts:
            extra.append("<contacts>" + "".join(contacts) + "</contacts>")
        element = "client"
    elif resource == "time_entries":
        f["time_entry_id"] = Value("text", draw(id_texts(number)))
        f["project_id"], f["task_id"], f["staff_id"] = _ref(draw, clean), _ref(draw, clean), _ref(draw, clean)
        f["hours"] = draw(decimal_values(bad=bad, always=clean))
        f["date"], rec.date = draw(date_values(clean=clean))
        f["notes"] = _text(draw)
        f["billed"] = Value("text", draw(st.sampled_from(["1", "0", "true"] + (["yes please"] if bad else []))))
        element = "time_entry"
    elif resource == "expenses":
        f["expense_id"] = Value("text", draw(id_texts(number)))
        f["project_id"], f["category_id"], f["staff_id"] = _ref(draw, clean), _ref(draw, clean), _ref(draw, clean)
        f["client_id"] = _ref(draw, False)
        f["amount"] = draw(decimal_values(bad=bad, always=clean))
        f["vendor"], f["notes"] = _text(draw), _text(draw)
        f["date"], rec.date = draw(date_values(clean=clean))
        f["folder"] = draw(folder)
        f["tax1_name"], f["tax1_percent"] = _text(draw), draw(decimal_values(negative=False, bad=bad))
        element = "expense"
    else:  # invoices
        f["invoice_id"] = Value("text", draw(id_texts(number)))
        f["client_id"] = _ref(draw, clean)
        f["number"] = _text(draw)
        f["status"] = Value(
            "text", draw(st.sampled_from(["draft", "sent", "viewed", "paid", "partial", "disputed", "bogus"]))
        )
        f["date"], rec.date = draw(date_values(clean=clean))
        f["discount"] = draw(decimal_values(negative=False, bad=bad))
        f["notes"], f["terms"] = _text(draw), _text(draw)
        f["currency_code"] = draw(
            st.sampled_from([Value("text", c) for c in ("USD", "EUR", "cad")] + [Value("absent")])
        )
        f["amount"] = draw(decimal_values(bad=False))
        f["folder"] = draw(folder)
        for line_id in range(1, draw(st.integers(0, 3)) + 1):
            line = {
                "line_id": Value("text", str(line_id)),
                "name": _text(draw),
                "description": _text(draw),
                "unit_cost": draw(decimal_values(bad=bad, always=clean)),
                "quantity": draw(decimal_values(negative=False, bad=bad)),
                "amount": draw(decimal_values(bad=False)),
                "tax1_name": _text(draw),
                "tax1_percent": draw(decimal_values(negative=False, bad=False)),
                "type": draw(st.sampled_from([Value("text", "Time"), Value("text", "Item"), Value("empty")])),
            }
            rec.lines.append(line)
        with_lines = bool(rec.lines) or draw(st.booleans())  # an empty <lines/> also occurs
        if with_lines:
            extra.append("<lines>" + "".join(_render("line", line, draw) for line in rec.lines) + "</lines>")
        element = "invoice"
    return _render(element, f, draw, extra), rec


LISTS = {"clients": "clients", "time_entries": "time_entries", "expenses": "expenses", "invoices": "invoices"}


@st.composite
def account(draw: st.DrawFn) -> tuple[dict[str, str], list[Rec]]:
    files: dict[str, str] = {}
    recs: list[Rec] = []
    for resource, element in LISTS.items():
        numbers = draw(unique_ids(max_size=3))
        rendered = [draw(record(resource, n)) for n in numbers]
        recs.extend(rec for _xml, rec in rendered)
        namespace = draw(st.sampled_from(NAMESPACES))
        head = f'<?xml version="1.0" encoding="utf-8"?>\n<response {namespace}status="ok">\n'
        if len(rendered) == 1 and draw(st.booleans()):
            files[f"get/{resource}.xml"] = head + rendered[0][0] + "\n</response>\n"  # a `.get` body
            continue
        paging = f'page="1" per_page="100" pages="1" total="{len(rendered)}"'
        body = "\n".join(xml for xml, _ in rendered)
        files[f"list/{resource}.xml"] = head + f"<{element} {paging}>\n{body}\n</{element}>\n</response>\n"
    return files, recs


def _hours_ok(value: Value) -> bool:
    return isinstance(expected_decimal(value), Decimal)


def _deleted(rec: Rec) -> bool:
    folder = rec.fields.get("folder")
    return folder is not None and folder.kind == "text" and folder.text == "deleted"


def _check_client(rec: Rec, planned: Any) -> None:
    f = rec.fields
    person = " ".join(part for part in (as_text(f["first_name"]), as_text(f["last_name"])) if part)
    name = as_text(f["organization"]) or person or as_text(f["email"])
    if _deleted(rec):
        assert planned.status == "skipped", planned
    elif name is None:
        assert planned.status == "invalid", planned
    elif planned.status == "ok":
        assert planned.payload["name"] == name


def _check_time_entry(rec: Rec, planned: Any, ctx: MapContext) -> None:
    f = rec.fields
    hours = expected_decimal(f["hours"])
    billed_ok = f["billed"].text in ("1", "0", "true")
    if hours == "bad" or rec.date == "bad" or not billed_ok:
        assert planned.status == "invalid", planned
        return
    refs = f["project_id"].kind == "text" and f["task_id"].kind == "text"
    if not ctx.timestamp_timers and isinstance(hours, Decimal) and refs and rec.date is not None:
        assert planned.status == ("ok" if hours >= 0 else "invalid"), planned
    if planned.status != "ok":
        return
    assert as_date(planned.payload["spent_date"]) == rec.date
    if not ctx.timestamp_timers and isinstance(hours, Decimal):
        # (An entry *without* hours is pinned in test_hours_edges.py.)
        assert same_decimal(planned.payload["hours"], hours), (planned.payload["hours"], hours)
    if ctx.timestamp_timers and isinstance(hours, Decimal) and 0 <= hours < Decimal("23.98"):
        span = clock_minutes(planned.payload["ended_time"]) - clock_minutes(planned.payload["started_time"])
        assert abs(span - hours * 60) <= 1, (hours, planned.payload)


def _check_expense(rec: Rec, planned: Any) -> None:
    amount = expected_decimal(rec.fields["amount"])
    unreadable = amount == "bad" or rec.date == "bad" or expected_decimal(rec.fields["tax1_percent"]) == "bad"
    if _deleted(rec):
        # A deleted record is skipped, even one with a field that cannot be read: it is not migrated
        # anyway, so it must not stop the plan (its reason still names the unreadable field).
        assert planned.status == "skipped", planned
        assert not unreadable or "unreadable field" in (planned.reason or ""), planned
        return
    if unreadable:
        assert planned.status == "invalid", planned
        return
    if planned.status == "ok":
        if amount is None:
            assert "total_cost" not in planned.payload
        else:
            assert isinstance(amount, Decimal)
            assert same_decimal(planned.payload["total_cost"], amount), (planned.payload.get("total_cost"), amount)


def _check_invoice(rec: Rec, planned: Any) -> None:
    if _deleted(rec):
        assert planned.status == "skipped", planned  # even with a field that cannot be read
        return
    if planned.status != "ok":
        return
    kept = []
    for line in rec.lines:
        amount, cost = expected_decimal(line["amount"]), expected_decimal(line["unit_cost"])
        named = as_text(line["name"]) or as_text(line["description"])
        if not named and not amount and not cost:
            continue  # a blank line: left out, with a lossy note
        kept.append(line)
    items = planned.payload["line_items"]
    assert len(items) == len(kept), (kept, items)
    for line, item in zip(kept, items, strict=True):
        cost, quantity = expected_decimal(line["unit_cost"]), expected_decimal(line["quantity"])
        cost = cost if isinstance(cost, Decimal) else Decimal(0)
        quantity = quantity if isinstance(quantity, Decimal) else Decimal(1)
        amount = expected_decimal(line["amount"])
        if isinstance(amount, Decimal) and cents(amount) != cents(quantity * cost):
            # Money first: the stated line amount, as 1 x amount (quantity and price in the description).
            assert same_decimal(item["unit_price"], amount) and same_decimal(item["quantity"], Decimal(1)), (item, line)
            continue
        assert same_decimal(item["unit_price"], cost), (item, line)
        assert same_decimal(item["quantity"], quantity), (item, line)


KIND = {"clients": "clients", "time_entries": "time_entries", "expenses": "expenses", "invoices": "invoices"}


def _check(outcome: Any, recs: list[Rec], ctx: MapContext) -> None:
    check_sink(outcome)
    assert outcome.error is None, f"well-formed documents were refused: {outcome.error}"
    for rec in recs:
        planned = outcome.one(KIND[rec.resource], rec.id)
        event(f"{planned.kind}: {planned.status}")
        if rec.resource == "clients":
            _check_client(rec, planned)
        elif rec.resource == "time_entries":
            _check_time_entry(rec, planned, ctx)
        elif rec.resource == "expenses":
            _check_expense(rec, planned)
        else:
            _check_invoice(rec, planned)


@SETTINGS
@given(
    data=account(),
    ctx=st.sampled_from([MapContext(), MapContext(timestamp_timers=True), MapContext(include_deleted=True)]),
)
def test_random_freshbooks_accounts_map_to_valid_payloads(
    data: tuple[dict[str, str], list[Rec]], ctx: MapContext
) -> None:
    files, recs = data
    outcome = run_pipeline(files, ctx)
    if ctx.include_deleted:
        check_sink(outcome)  # deleted records are then migrated like the others
        assert outcome.sink is not None and not [p for p in outcome.sink.planned if p.status == "skipped"]
        return
    _check(outcome, recs, ctx)
