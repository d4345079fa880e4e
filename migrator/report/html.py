"""The page shell, escaping, tables and the hours chart the HTML reports share.

A sign-off report is one self-contained file: inline CSS and inline SVG, no script, no font, image
or stylesheet from anywhere (opening it makes no request), readable in any browser and printable on
A4. Everything that comes from a source file — names, notes, reasons, file paths — goes through
`esc`; nothing here builds markup from unescaped text.

Accessibility: real tables with `<th scope>` headers and captions; the chart is an `<svg
role="img">` with a title and a description that says what differs, each differing month carries a
marker symbol with its own text, and the same numbers stand beside it as a table; a difference is
shown by a symbol and words (≠ differs), never by colour alone.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Calm, print-first: system fonts only (nothing is fetched), one accent, generous line height.
CSS = """
:root { --ink: #1d2733; --muted: #5b6775; --rule: #d9dee4; --soft: #f4f6f8; --accent: #2f5d8a;
        --ok: #1f6f43; --ok-bg: #e7f4ec; --warn: #7a5200; --warn-bg: #fdf3dc; --bad: #9b1c1c; --bad-bg: #fbe9e7; }
* { box-sizing: border-box; }
html { color: var(--ink); background: #fff; }
body { margin: 0 auto; max-width: 1060px; padding: 28px 32px 48px;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { border-bottom: 1px solid var(--rule); padding-bottom: 12px; margin-bottom: 20px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--muted); margin: 0; }
h1 { font-size: 26px; line-height: 1.25; margin: 4px 0 6px; font-weight: 650; }
h2 { font-size: 18px; margin: 30px 0 8px; font-weight: 650; }
h3 { font-size: 15px; margin: 18px 0 6px; font-weight: 650; }
p { margin: 6px 0; }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
.verdict { display: flex; gap: 16px; align-items: center; border-radius: 10px; padding: 18px 22px; margin: 8px 0 6px;
           border: 1px solid; }
.verdict .symbol { font-size: 34px; line-height: 1; font-weight: 700; width: 44px; text-align: center; }
.verdict h2 { margin: 0; font-size: 24px; }
.verdict p { margin: 2px 0 0; }
.verdict.equal { background: var(--ok-bg); border-color: #b5dcc3; color: var(--ok); }
.verdict.explained { background: var(--warn-bg); border-color: #ecd49a; color: var(--warn); }
.verdict.differences { background: var(--bad-bg); border-color: #efbdb6; color: var(--bad); }
.verdict p, .verdict h2 { color: inherit; }
.figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0 4px; padding: 0; list-style: none; }
.figures li { background: var(--soft); border-radius: 8px; padding: 8px 14px; flex: 1 1 0; min-width: 130px; }
.figures b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
.figures span { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 13.5px; }
table.compact { width: auto; min-width: 60%; }
details { margin: 8px 0; }
summary { cursor: default; font-weight: 600; }
caption { text-align: left; color: var(--muted); font-size: 13px; padding: 2px 0 6px; caption-side: top; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.differs td { background: var(--bad-bg); }
tr.differs td.mark, .mark.differs { color: var(--bad); font-weight: 600; }
td.mark { white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid var(--ink); }
td.wrap { overflow-wrap: anywhere; }
td.name { white-space: nowrap; font: 12.5px/1.5 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
code { font: 12.5px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background: var(--soft);
       padding: 1px 4px; border-radius: 4px; }
.record { font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; color: var(--muted); }
.more { color: var(--muted); font-size: 13px; }
.note { color: var(--muted); font-size: 13px; }
.pair { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 24px; align-items: start; }
.pair.even { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.chart svg { width: 100%; height: auto; display: block; }
.chart .legend { font-size: 13px; color: var(--muted); margin: 4px 0 0; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin: 0 4px 0 10px;
          border: 1px solid var(--accent); }
.swatch.source { background: var(--accent); }
.swatch.target { background: repeating-linear-gradient(135deg, #fff 0 2px, var(--accent) 2px 3.5px); }
.ok { color: var(--ok); }
footer { margin-top: 36px; border-top: 1px solid var(--rule); padding-top: 10px; color: var(--muted);
         font-size: 12.5px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  tr, .verdict, .figures li, .chart { break-inside: avoid; }
  thead { display: table-header-group; }
  .pair { grid-template-columns: 1fr; }
  .verdict, tr.differs td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
@media (max-width: 760px) { .pair { grid-template-columns: 1fr; } body { padding: 16px; } }
"""


def esc(value: Any) -> str:
    """Text as HTML (quotes included): every value from a source goes through here."""
    return html.escape("" if value is None else str(value), quote=True)


def page(title: str, body: Iterable[str]) -> str:
    """A whole document: no script, no external resource; a CSP that forbids loading anything."""
    # Even if a value escaped our escaping, the browser would refuse to fetch or run anything.
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
    )
    return head + "\n".join(body) + "\n</body>\n</html>\n"


@dataclass(frozen=True)
class Column:
    """A table column: its header, and whether it holds numbers (right-aligned, tabular figures)."""

    title: str
    numeric: bool = False
    css: str = ""


def table(
    columns: Sequence[Column | str],
    rows: Iterable[Sequence[Any]],
    *,
    caption: str | None = None,
    row_classes: Iterable[str] | None = None,
    raw: Iterable[int] = (),
    compact: bool = False,
) -> str:
    """A real table: caption, `<th scope="col">` headers, every cell escaped (except the `raw`
    column indexes, which the caller built from escaped parts)."""
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    raw_set = set(raw)
    head = "".join(f'<th scope="col"{_class("num" if c.numeric else "")}>{esc(c.title)}</th>' for c in cols)
    classes = iter(row_classes) if row_classes is not None else None
    body: list[str] = []
    for row in rows:
        css = next(classes, "") if classes is not None else ""
        cells = []
        for index, (col, value) in enumerate(zip(cols, row, strict=False)):
            text = str(value) if index in raw_set else esc(value)
            cells.append(f"<td{_class('num' if col.numeric else '', col.css)}>{text}</td>")
        body.append(f"<tr{_class(css)}>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    opening = f"<table{_class('compact' if compact else '')}>{cap}<thead><tr>{head}</tr></thead>"
    return f"{opening}<tbody>{''.join(body)}</tbody></table>"


def _class(*names: str) -> str:
    joined = " ".join(name for name in names if name)
    return f' class="{joined}"' if joined else ""


def more(count: int, what: str, where: str) -> str:
    """`… and 12 more differences: verify --format json lists every one.` (nothing when count is 0)."""
    if count <= 0:
        return ""
    return f'<p class="more">… and {count:,} more {esc(what)}: {where} lists every one.</p>'


def mark(differs: bool) -> str:
    """The status cell: a symbol and a word, so colour is never the only signal."""
    return "≠ differs" if differs else "= equal"


# --- the chart ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One month of the chart: source and target hours, and whether they differ."""

    label: str
    source: Decimal
    target: Decimal

    @property
    def differs(self) -> bool:
        return self.source != self.target


def _nice_top(value: Decimal) -> Decimal:
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 × a power of ten)."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(1)
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if power * step >= value:
            return power * step
    return power * 10


def month_chart(bars: Sequence[Bar], *, unit: str = "h") -> str:
    """Grouped bars, source (solid) beside target (hatched) per month; a differing month is shaded,
    marked ≠ above its bars, and says so in its own accessible text."""
    width, height = 640, 260
    left, right, top, bottom = 52, 10, 24, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([max(b.source, b.target) for b in bars] or [Decimal(0)])
    ceiling = _nice_top(peak)
    slot = plot_w / max(len(bars), 1)
    bar_w = max(min(slot * 0.36, 22.0), 0.8)
    differing = [b for b in bars if b.differs]
    summary = (
        f"{len(differing)} month{'s' if len(differing) != 1 else ''} differ: "
        + "; ".join(f"{b.label} source {b.source} {unit}, target {b.target} {unit}" for b in differing[:12])
        + (" …" if len(differing) > 12 else "")
        if differing
        else "every month holds the same hours in the source and the target"
    )
    span = f"{bars[0].label} to {bars[-1].label}" if bars else "no months"
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc" class="month-chart">',
        f'<title id="chart-title">Hours by month, source beside target, {esc(span)}</title>',
        f'<desc id="chart-desc">{esc(summary)}</desc>',
        '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="4" height="4" fill="#ffffff"/><rect width="1.6" height="4" fill="#2f5d8a"/></pattern></defs>',
    ]
    for step in range(5):  # gridlines and the hour axis
        value = ceiling * step / 4
        y = top + plot_h - float(value / ceiling) * plot_h
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d9dee4" '
                     'stroke-width="1"/>')  # fmt: skip
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6775">'
                     f"{esc(_axis(value))}</text>")  # fmt: skip
    every = max(1, -(-len(bars) // 14))  # at most ~14 month labels on the axis
    for index, bar in enumerate(bars):
        x0 = left + slot * index
        centre = x0 + slot / 2
        if bar.differs:
            parts.append(f'<rect x="{x0:.1f}" y="{top}" width="{slot:.1f}" height="{plot_h}" fill="#fbe9e7"/>')
        for offset, value, fill in ((-bar_w, bar.source, "#2f5d8a"), (0.0, bar.target, "url(#hatch)")):
            h = float(value / ceiling) * plot_h if ceiling else 0.0
            parts.append(
                f'<rect x="{centre + offset:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{fill}" stroke="#2f5d8a" stroke-width="0.6"><title>{esc(bar.label)}: '
                f"{'source' if offset else 'target'} {esc(value)} {unit}</title></rect>"
            )
        if bar.differs:
            text = f"{bar.label} differs: source {bar.source} {unit}, target {bar.target} {unit}"
            parts.append(
                f'<g class="marker" role="img" aria-label="{esc(text)}"><title>{esc(text)}</title>'
                f'<text x="{centre:.1f}" y="{top - 8}" text-anchor="middle" font-size="14" font-weight="700" '
                f'fill="#9b1c1c">≠</text></g>'
            )
        if index % every == 0 or bar.differs:
            weight = ' font-weight="700" fill="#9b1c1c"' if bar.differs else ' fill="#5b6775"'
            parts.append(
                f'<text x="{centre:.1f}" y="{height - bottom + 14}" font-size="10.5" text-anchor="end"{weight} '
                f'transform="rotate(-40 {centre:.1f} {height - bottom + 14})">{esc(bar.label)}</text>'
            )
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#1d2733"/>')
    parts.append("</svg>")
    legend = (
        '<p class="legend"><span class="swatch source"></span>source (solid)'
        '<span class="swatch target"></span>target (hatched)'
        + ('<span class="mark differs"> ≠ </span>a month whose hours differ (shaded)' if differing else "")
        + "</p>"
    )
    return f'<figure class="chart" style="margin:0">{"".join(parts)}{legend}</figure>'


def _axis(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.1f}"
