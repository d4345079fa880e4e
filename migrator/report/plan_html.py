"""`plan --format html --output F`: the dry run as one page the person who signs off reads first.

In order: what will happen (counts, and how many people Harvest will email); what needs their
agreement (invitations, the people the map file names, invalid and skipped records with why,
orphans, what each map-file rule changed); creates and updates per kind; hours and money per
client with totals per currency; updates as old → new; lossy notes by severity, money first, with
counts and examples; archive steps; errors and warnings. Per-record lists stop at `LIMIT` rows and
say where the full list is (`--format json`, `--lossy-csv`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from migrator.kinds import ACTIONS, KINDS, PLAN_KINDS
from migrator.lossy import SEVERITIES
from migrator.plan.orphans import planned_action
from migrator.report.html import Column, esc, more, page, table
from migrator.report.naming import ShortPaths
from migrator.report.plan_signoff import LIMIT, Cut, Listed, SignOff, collect

JSON_HINT = "<code>migrator plan … --format json</code>"
CSV_HINT = "<code>migrator plan … --lossy-csv lossy.csv</code>"
EXAMPLES = 3
LOSSY_GROUPS = 150  # (severity, kind, field) groups listed; all are counted
SEVERITY_WORDS = {
    "money": "an amount will differ from what the source states",
    "hours": "logged time will differ",
    "data": "a value is not carried over",
    "cosmetic": "spelling, line breaks, values Harvest derives itself",
}


def render_plan_html(report: Any, *, target: str = "", generated: dt.datetime | None = None) -> str:
    """The whole page for a `PlanReport` (one pass over its plan store, plus its lossy notes)."""
    signoff = collect(report, limit=LIMIT)
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    source = report.source
    compared = "an empty target (offline)" if report.offline else f"the ledger and {target or 'the target'}"
    body = [
        "<header>",
        '<p class="eyebrow">Migration sign-off · plan (dry run: nothing has been sent)</p>',
        f"<h1>What the migration will do: {esc(source['system'])}</h1>",
        f'<p class="meta">{source["files"]:,} files, {source["records"]:,} records · compared with '
        f"{esc(compared)} · generated {esc(when)}</p>",
        "</header>",
    ]
    body += _headline(report, signoff)
    body += _sign_off(report, signoff)
    body += _per_kind(report)
    body += _clients(signoff)
    body += _listed("Updates: changed in the source since they were loaded", signoff.updates, "updates",
                    ("record", "what", "where", "old → new"))  # fmt: skip
    body += _lossy(report)
    body += _listed(
        "Archived things: history first, archive last",
        signoff.steps,
        "steps",
        ("step", "what", "where", "why"),  # fmt: skip
        intro="Harvest takes no time or expenses on archived things: they receive their history while "
        "active and are archived at the end of the batch.",
    )
    body += _problems(report)
    body.append(
        "<footer><p>Produced by <code>migrator plan --format html</code>. Nothing was written to the target. "
        f"Every change with its payload is in {JSON_HINT}; every lossy note in {CSV_HINT}.</p></footer>"
    )
    return page("Migration plan", body)


def _headline(report: Any, signoff: SignOff) -> list[str]:
    totals = report.totals()
    invited = len(signoff.invitations)
    needs = signoff.invalid.total + len(report.errors)
    css, symbol, headline = (
        ("differences", "!", f"{needs:,} record{'s' if needs != 1 else ''} cannot be loaded as they are")
        if needs
        else ("explained", "✉", f"Harvest will email {invited} {'person' if invited == 1 else 'people'}")
        if invited
        else ("equal", "✓", "Ready: every record can be loaded")
    )
    text = (
        f"{totals['create']:,} to create, {totals['update']:,} to update, {totals['adopt']:,} to adopt "
        f"(taken over instead of created), {totals['unchanged']:,} unchanged, {totals['skipped']:,} skipped."
    )
    figures = [
        (totals["create"], "to create"),
        (totals["update"], "to update"),
        (totals["adopt"], "to adopt"),
        (totals["invalid"], "invalid"),
        (totals["skipped"], "skipped"),
        (invited, "invitations Harvest will email"),
        (len(report.orphans), "no longer in the source"),
    ]
    return [
        f'<section class="verdict {css}" role="status"><span class="symbol" aria-hidden="true">{symbol}</span>'
        f"<div><h2>{esc(headline)}</h2><p>{esc(text)}</p></div></section>",
        '<ul class="figures">'
        + "".join(f"<li><b>{value:,}</b><span>{esc(label)}</span></li>" for value, label in figures)
        + "</ul>",
    ]


def _sign_off(report: Any, signoff: SignOff) -> list[str]:
    parts = ["<h2>Needs your agreement</h2>"]
    if signoff.invitations:
        count = len(signoff.invitations)
        parts.append(
            f"<h3>Invitations ({count:,})</h3><p>Creating a person in Harvest emails them an invitation; the API "
            "has no way around it. To avoid one, invite the person in Harvest first (they are then adopted by "
            "email) or map them to an existing address with <code>[people]</code> in the map file.</p>"
        )
        shown = signoff.invitations[:LIMIT]
        rows = [(i.name, i.email, i.record, "left (archived), created for their history" if i.left else "")
                for i in shown]  # fmt: skip
        parts.append(table(["person", "email", "record", "note"], rows))
        parts.append(more(count - len(shown), "people", JSON_HINT))
    else:
        parts.append('<p class="ok">✓ Nobody will be emailed an invitation.</p>')
    if signoff.people:
        rows = [(p.name, p.email, p.record, p.action) for p in signoff.people]
        parts.append(f"<h3>People the map file names ({len(signoff.people):,})</h3>")
        parts.append(table(["person", "is, in the target", "record", "action"], rows))
    parts += _listed("Invalid: cannot be loaded", signoff.invalid, "invalid records",
                     ("record", "what", "where", "why"), level="h3")  # fmt: skip
    parts += _listed("Skipped: not migrated", signoff.skipped, "skipped records",
                     ("record", "what", "where", "why"), level="h3")  # fmt: skip
    parts += _orphans(report)
    if signoff.map_rules:
        changes: list[tuple[str, ...]] = []
        for rule, changed in sorted(signoff.map_rules.items()):
            examples = "; ".join(f"{c.record} {c.label}".strip() for c in changed.shown)
            changes.append((rule, f"{changed.total:,}", examples + (" …" if changed.more else "")))
        parts.append("<h3>What the map file changed</h3>")
        parts.append(table([Column("rule"), Column("records", True), Column("for example")], changes))
    return parts


def _orphans(report: Any) -> list[str]:
    if not report.orphans:
        return []
    paths = ShortPaths(report.paths)
    shown = report.orphans[:LIMIT]
    rows = [(o.record, o.v2_id, o.batch, paths.show(o.last_seen) if o.last_seen else "",
             planned_action(o, report.prune))
            for o in shown]  # fmt: skip
    columns = [Column("record"), Column("v2 id", True), Column("batch"), Column("last seen"), Column("what happens")]
    return [
        f"<h3>No longer in the source ({len(report.orphans):,})</h3>",
        "<p>Loaded by an earlier batch, missing from this export.</p>",
        table(columns, rows),
        more(len(report.orphans) - len(shown), "records", JSON_HINT),
    ]


def _per_kind(report: Any) -> list[str]:
    summary = report.summary()
    rows = [
        (kind.replace("_", " "), *(f"{summary[kind][action]:,}" for action in ACTIONS))
        for kind in PLAN_KINDS
        if any(summary[kind].values())
    ]
    totals = report.totals()
    rows.append(("total", *(f"{totals[action]:,}" for action in ACTIONS)))
    columns = [Column("kind"), *(Column(action, True) for action in ACTIONS)]
    return [
        "<h2>Per kind</h2>",
        table(columns, rows, row_classes=[""] * (len(rows) - 1) + ["total"], caption="In load order", compact=True),
    ]


def _clients(signoff: SignOff) -> list[str]:
    if not signoff.clients:
        return []
    rows = [(r.client, r.currency, r.hours, f"{r.invoiced} {r.currency}", f"{r.paid} {r.currency}")
            for r in signoff.clients]  # fmt: skip
    classes = [""] * len(rows)
    for total in signoff.currency_totals():
        rows.append((f"total {total.currency}", total.currency, total.hours, f"{total.invoiced} {total.currency}",
                     f"{total.paid} {total.currency}"))  # fmt: skip
        classes.append("total")
    rows.append(("hours, all clients", "", signoff.total_hours(), "", ""))
    classes.append("total")
    columns = [Column("client"), Column("currency"), Column("hours", True), Column("invoiced", True),
               Column("paid", True)]  # fmt: skip
    caption = (
        "Money in each client's currency, with a total per currency: amounts in different currencies are never added"
    )
    return ["<h2>Hours and money per client</h2>", table(columns, rows, row_classes=classes, caption=caption)]


def _listed(
    title: str, cut: Cut, what: str, headers: tuple[str, ...], *, level: str = "h2", intro: str = ""
) -> list[str]:
    if not cut.total:
        return []
    rows: list[tuple[str, ...]] = [
        (item.record, item.label, item.where, item.why) for item in cut.shown if isinstance(item, Listed)
    ]
    columns = [Column(headers[0], css="name"), Column(headers[1]), Column(headers[2]), Column(headers[3], css="wrap")]
    if not any(row[1] for row in rows):  # nothing to call them by but their record name
        rows, columns = [(row[0], row[2], row[3]) for row in rows], [columns[0], *columns[2:]]
    return [
        f"<{level}>{esc(title)} ({cut.total:,})</{level}>",
        f"<p>{esc(intro)}</p>" if intro else "",
        table(columns, rows),
        more(cut.more, what, JSON_HINT),
    ]


def _lossy(report: Any) -> list[str]:
    severities = report.store.lossy_severities()
    if not any(severities.values()):
        return ["<h2>Lossy notes</h2>", '<p class="ok">✓ Every value has a place in Harvest v2.</p>']
    groups: dict[tuple[str, str, str], tuple[int, list[Any]]] = {}
    for note in report.store.lossy(by_severity=True):  # counted per group, a few examples kept: streamed
        key = (note.severity, note.kind, note.field)
        count, examples = groups.get(key, (0, []))
        if len(examples) < EXAMPLES:
            examples.append(note)
        groups[key] = (count + 1, examples)
    summary = [(name, f"{severities[name]:,}", SEVERITY_WORDS[name]) for name in SEVERITIES if severities[name]]
    ordered = sorted(groups.items(), key=_lossy_order)
    rows = [
        (severity, kind.replace("_", " "), field_name, f"{count:,}",
         "; ".join(f"{n.system}:{n.kind}:{n.source_id} {n.note}" for n in notes))
        for (severity, kind, field_name), (count, notes) in ordered[:LOSSY_GROUPS]
    ]  # fmt: skip
    columns = [Column("kind"), Column("field"), Column("notes", True), Column("for example", css="wrap")]
    parts = [
        "<h2>Lossy notes: what Harvest v2 cannot hold exactly</h2>",
        table(
            [Column("severity"), Column("notes", True), Column("meaning")], summary, caption="Money first", compact=True
        ),  # fmt: skip
    ]
    for severity in SEVERITIES:
        mine = [row[1:] for row in rows if row[0] == severity]
        if not mine:
            continue
        # Money and hours are open; data and cosmetic notes fold away (still counted above, all in the CSV).
        opened = " open" if severity in ("money", "hours") else ""
        parts.append(f"<details{opened}><summary>{esc(severity)}: {severities[severity]:,} notes in "
                     f"{len(mine):,} groups</summary>{table(columns, mine)}</details>")  # fmt: skip
    parts.append(more(len(ordered) - LOSSY_GROUPS, "groups of notes", CSV_HINT))
    parts.append(f'<p class="note">Every note, with its file and line: {CSV_HINT}.</p>')
    return parts


def _lossy_order(item: tuple[tuple[str, str, str], Any]) -> tuple[int, int, str]:
    severity, kind, field_name = item[0]
    return SEVERITIES.index(severity), KINDS.index(kind) if kind in KINDS else 99, field_name


def _problems(report: Any) -> list[str]:
    parts: list[str] = []
    errors = report.errors
    if errors:
        rows = [(error.get("message", ""),) for error in errors[:LIMIT]]
        parts += [
            f"<h2>Errors ({len(errors):,})</h2>",
            table(["error"], rows),
            more(len(errors) - LIMIT, "errors", JSON_HINT),
        ]
    if report.warnings:
        paths = ShortPaths(report.paths)
        counted = Counter(paths.text(w["message"]) for w in report.warnings)
        warned = [(message, f"×{n}" if n > 1 else "") for message, n in list(counted.items())[:LIMIT]]
        parts += [f"<h2>Warnings ({len(report.warnings):,})</h2>", table([Column("warning"), Column("", True)], warned),
                  more(len(counted) - LIMIT, "warnings", JSON_HINT)]  # fmt: skip
    return parts
