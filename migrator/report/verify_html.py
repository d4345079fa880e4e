"""`verify --format html --output F`: the verification as one page an owner or bookkeeper signs off.

In order: the verdict (equal / explained / differences) in words and a symbol; records per kind;
money per currency (invoiced, due, paid; never added across currencies); receipts when verify
counts them; hours by month as a chart with the same numbers in a table beside it; the people and
projects whose hours differ; every difference with the record's name and the lossy note that
explains it. Per-record lists stop at `LIMIT` rows and say how many more `--format json` lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from migrator.report.html import Bar, Column, esc, mark, month_chart, more, page, table

LIMIT = 300  # differences listed per section; `verify --format json` lists every one
JSON_HINT = "<code>migrator verify … --format json</code>"
MONEY_LABELS = {"invoice_amount": "invoiced", "invoice_due": "due", "payments": "paid"}
_BREAKDOWN_FIELDS = {"hours_by_month", "hours_by_person", "hours_by_project"}


def verdict(report: Any) -> tuple[str, str, str]:
    """(css class, symbol, headline) of the verdict."""
    if report.ok:
        return "equal", "✓", "Equal"
    if report.explained:
        return "explained", "≈", "Explained"
    return "differences", "✗", "Differences"


def _verdict_text(report: Any) -> str:
    count = len(report.differences)
    explained = sum(1 for diff in report.differences if diff.get("explained_by"))
    if report.ok:
        return "The target matches the source, record by record and to the cent."
    if report.explained:
        return (f"The target differs from the source in {count:,} place{'s' if count != 1 else ''}, each explained "
                "by a note the plan made about what Harvest v2 cannot hold.")  # fmt: skip
    return (f"The target differs from the source in {count:,} place{'s' if count != 1 else ''}; "
            f"{count - explained:,} {'is' if count - explained == 1 else 'are'} not explained. Check each below "
            "before signing off.")  # fmt: skip


def render_verify_html(
    report: Any,
    *,
    sources: Sequence[str] = (),
    target: str = "",
    generated: dt.datetime | None = None,
) -> str:
    """The whole page (a `VerifyReport`, the source folders and target as the user named them)."""
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    css, symbol, headline = verdict(report)
    hours = report.totals.get("hours", {"source": "0.00", "target": "0.00"})
    body = [
        "<header>",
        '<p class="eyebrow">Migration sign-off · verification</p>',
        "<h1>Does the target hold what the source holds?</h1>",
        f'<p class="meta">Source: {esc(", ".join(sources) or "—")} · target: {esc(target or "—")} · '
        f"generated {esc(when)}</p>",
        "</header>",
        f'<section class="verdict {css}" role="status" aria-live="polite"><span class="symbol" aria-hidden="true">'
        f"{symbol}</span><div><h2>{headline}</h2><p>{esc(_verdict_text(report))}</p></div></section>",
        _figures(report, hours),
    ]
    body.append('<div class="pair even">')
    body += ["<div>", *_kinds(report), "</div><div>", *_money(report), "</div>"]
    body.append("</div>")
    body += _receipts(report)
    body += _hours(report, hours)
    body += _moved(report)
    body += _differences(report)
    body.append(
        "<footer><p>Produced by <code>migrator verify --format html</code>. The source column is what the legacy "
        "system itself states (an invoice's amount as it computed it, hours as exported); the target column is "
        "what Harvest v2 holds at the ids the migration recorded. Every difference, with its record and values, "
        f"is also in {JSON_HINT}.</p></footer>"
    )
    return page(f"Verification: {headline}", body)


def _figures(report: Any, hours: dict[str, str]) -> str:
    entries = report.kinds.get("time_entries", {"source": 0, "target": 0})
    unexplained = sum(1 for diff in report.differences if not diff.get("explained_by"))
    items = [
        (f"{entries['target']:,} / {entries['source']:,}", "time entries in the target / source"),
        (f"{hours['target']} h", f"hours in the target (source {hours['source']} h)"),
        (f"{len(report.money)}", "currencies, each checked on its own"),
        (f"{len(report.differences):,}", f"differences ({unexplained:,} not explained)"),
    ]
    return (
        '<ul class="figures">' + "".join(f"<li><b>{esc(v)}</b><span>{esc(t)}</span></li>" for v, t in items) + "</ul>"
    )


def _kinds(report: Any) -> list[str]:
    rows, classes = [], []
    for kind, counts in report.kinds.items():
        if not (counts["source"] or counts["target"]):
            continue
        differs = counts["source"] != counts["target"]
        rows.append((kind.replace("_", " "), f"{counts['source']:,}", f"{counts['target']:,}", mark(differs)))
        classes.append("differs" if differs else "")
    columns = [Column("kind"), Column("source", True), Column("target", True), Column("", css="mark")]
    caption = "Source records, and how many the target holds"
    return ["<h2>Records per kind</h2>", table(columns, rows, row_classes=classes, caption=caption)]


def _money(report: Any) -> list[str]:
    if not report.money:
        return ["<h2>Money per currency</h2>", "<p>No invoices in the source.</p>"]
    rows, classes = [], []
    for currency, figures in report.money.items():
        for name, values in figures.items():
            differs = values["source"] != values["target"]
            label = MONEY_LABELS.get(name, name.replace("_", " "))
            rows.append((currency, label, f"{values['source']} {currency}", f"{values['target']} {currency}",
                         mark(differs)))  # fmt: skip
            classes.append("differs" if differs else "")
    columns = [Column("currency"), Column("figure"), Column("source", True), Column("target", True),
               Column("", css="mark")]  # fmt: skip
    caption = "Invoiced, due and paid in each currency as the source states them; currencies are never added up"
    return ["<h2>Money per currency</h2>", table(columns, rows, row_classes=classes, caption=caption)]


def _receipts(report: Any) -> list[str]:
    receipts = report.totals.get("receipts")
    if not receipts:
        return []
    differs = receipts["source"] != receipts["target"]
    columns = [Column("receipts"), Column("source", True), Column("target", True), Column("", css="mark")]
    row = ("expenses with a receipt file", receipts["source"], receipts["target"], mark(differs))
    return [
        "<h2>Receipts</h2>",
        table(
            columns,
            [row],
            row_classes=["differs" if differs else ""],
            caption="Source: receipt files found; target: expenses whose receipt is set",
        ),
    ]


def _hours(report: Any, hours: dict[str, str]) -> list[str]:
    months = report.breakdown.get("by_month", {})
    bars = [Bar(month, Decimal(v["source"]), Decimal(v["target"])) for month, v in months.items()]
    dated = [bar for bar in bars if bar.label[:1].isdigit()]
    differs = hours["source"] != hours["target"]
    total = (
        f"<p>Total: <b>{esc(hours['source'])} h</b> in the source, <b>{esc(hours['target'])} h</b> in the target "
        f'<span class="mark{" differs" if differs else ""}">({mark(differs)})</span>.</p>'
    )
    if not bars:
        return ["<h2>Hours by month</h2>", total, "<p>No time entries in the source.</p>"]
    rows = [(b.label, b.source, b.target, _delta(b.source, b.target), mark(b.differs)) for b in bars]
    columns = [Column("month"), Column("source h", True), Column("target h", True), Column("Δ", True),
               Column("", css="mark")]  # fmt: skip
    month_table = table(columns, rows, row_classes=["differs" if b.differs else "" for b in bars],
                        caption="The chart's numbers (months with hours)")  # fmt: skip
    return [
        "<h2>Hours by month</h2>",
        total,
        f'<div class="pair">{month_chart(_every_month(dated))}<div>{month_table}</div></div>',
    ]


def _every_month(bars: list[Bar]) -> list[Bar]:
    """The months from the first to the last, those without hours as zero: gaps show on the time axis."""
    if not bars:
        return bars
    known = {bar.label: bar for bar in bars}
    year, month = int(bars[0].label[:4]), int(bars[0].label[5:7])
    filled: list[Bar] = []
    while len(filled) < 1200:  # a hundred years at most: a stray date never draws a million bars
        label = f"{year:04d}-{month:02d}"
        filled.append(known.get(label, Bar(label, Decimal(0), Decimal(0))))
        if label >= bars[-1].label:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return filled


def _delta(source: Decimal, target: Decimal) -> str:
    delta = target - source
    return "" if not delta else (f"+{delta}" if delta > 0 else f"{delta}")


def _moved(report: Any) -> list[str]:
    """Per person and per project: the months whose hours differ (a moved date shows in two months of
    the same person; a moved person in one month of two people)."""
    parts = ["<h2>People and projects whose hours differ</h2>"]
    for name, title in (("by_person", "person"), ("by_project", "project")):
        values = report.breakdown.get(name, {})
        rows: list[tuple[Any, ...]] = []
        for key, figures in values.items():
            for month, hours in figures.get("by_month", {}).items():
                if hours["source"] != hours["target"]:
                    delta = _delta(Decimal(hours["source"]), Decimal(hours["target"]))
                    rows.append((key, month, hours["source"], hours["target"], delta, "≠ differs"))
        if not rows:
            parts.append(f'<p class="ok">= Every {title} holds the same hours in every month, in the source and '
                         f"the target ({len(values):,} {_plural(title, len(values))}).</p>")  # fmt: skip
            continue
        people = len({row[0] for row in rows})
        columns = [Column(title), Column("month"), Column("source h", True), Column("target h", True),
                   Column("Δ", True), Column("", css="mark")]  # fmt: skip
        caption = f"{people:,} of {len(values):,} {_plural(title, len(values))}, by month"
        parts.append(table(columns, rows[:LIMIT], row_classes=["differs"] * len(rows[:LIMIT]), caption=caption))
        parts.append(more(len(rows) - LIMIT, "months", JSON_HINT))
    return parts


def _plural(word: str, count: int) -> str:
    return word if count == 1 else {"person": "people"}.get(word, f"{word}s")


def _differences(report: Any) -> list[str]:
    if not report.differences:
        return [
            "<h2>Differences</h2>",
            '<p class="ok">= None: every record was found and every field compared equal.</p>',
        ]
    parts = [f"<h2>Differences ({len(report.differences):,})</h2>"]
    groups = (
        ("Not explained", [d for d in report.differences if not d.get("explained_by")]),
        ("Explained by a lossy note of the plan", [d for d in report.differences if d.get("explained_by")]),
    )
    for title, found in groups:
        if not found:
            continue
        rows = [_difference_row(diff) for diff in found[:LIMIT]]
        columns = [Column("record"), Column("field"), Column("source"), Column("target"), Column("explained by")]
        parts.append(f"<h3>{esc(title)} ({len(found):,})</h3>")
        parts.append(table(columns, rows, raw=(0,), row_classes=["" if d.get("explained_by") else "differs"
                                                                 for d in found[:LIMIT]]))  # fmt: skip
        parts.append(more(len(found) - LIMIT, "differences", JSON_HINT))
    return parts


def _difference_row(diff: dict[str, Any]) -> tuple[str, ...]:
    if diff["field"] in _BREAKDOWN_FIELDS:
        month = f" in {esc(diff['month'])}" if diff.get("month") else ""
        record = f"<b>{esc(diff['source'])}</b>{month}"
    else:
        target = f" · v2 {esc(diff['target_id'])}" if diff.get("target_id") else ""
        name = esc(diff.get("name") or diff["source"])
        record = f'<b>{name}</b><br><span class="record">{esc(diff["source"])}{target}</span>'
    field_name = str(diff["field"]).replace("_", " ")
    unit = f" {diff['currency']}" if diff.get("currency") else ""  # money never without its currency
    return (record, field_name, _short(f"{diff['source_value']}{unit}"), _short(f"{diff['target_value']}{unit}"),
            _short(diff.get("explained_by") or "—", 400))  # fmt: skip


def _short(value: Any, limit: int = 240) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
