"""Verify's look at the time entries and expenses: where the hours sit, and each entry field by field.

A total of 70,000 hours can match while March and April do not: a date shifted across a month
(a time zone), hours booked to the wrong person or project. So besides the totals, `verify`
compares:

- **hours per month, per person and per project**: the source's own figures (as `totals.hours`
  counts them) against what the target holds at the v2 ids the ledger recorded. Keys are for a
  bookkeeper: `2013-03`, `Ada Lindqvist (harvest-v1:users:701)`, `Website Redesign
  (harvest-v1:projects:901)`; a target entry on a person or project no source record maps to is
  keyed by the v2 object (`v2 user 4711 (Jo Smith)`). A person's and a project's hours are also
  kept per month: a date moved across a month boundary changes nobody's total, but it changes
  that person's and that project's two months. Every month, and every person's or project's
  month, whose hours differ is one difference (`hours_by_month`; `hours_by_person` and
  `hours_by_project` with their `month`), explained when every entry-level difference behind it is;
- **every migrated time entry and expense, field by field**: date, hours (verify's own check) or
  total cost, person, project, task or category, billable and notes, against what the mapping sent
  for its source record (references resolved to v2 ids through the ledger), each mismatch a
  difference naming the record, the field, both values as names, and the lossy note that explains it.

It adds no request and no memory per entry: it rides on verify's stream (batches of 500 source
records, each target object read from the target index in SQLite); what it keeps is one figure per
month and per month of each person and project (bounded by the account's activity, not by its
entries), and name lookups for the objects entries refer to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from migrator.harvest.invoice_math import cents
from migrator.kinds import REGISTRY, describe
from migrator.planned import Ref

# The breakdown's dimensions: (JSON key, difference field).
DIMENSIONS = (("by_month", "hours_by_month"), ("by_person", "hours_by_person"), ("by_project", "hours_by_project"))
# Fields whose difference moves hours between the breakdown's keys.
_MOVES_HOURS = frozenset({"present", "hours", "spent_date", "user", "project"})
# Which lossy notes (by their field) can explain a difference in a field of an entry.
_EXPLAINS = {
    "spent_date": ("spent_date", "spent_at", "date"),
    "user": ("user_id", "staff_id", "user"),
    "project": ("project_id", "project"),
    "task": ("task_id", "task"),
    "expense_category": ("expense_category_id", "category_id"),
    "billable": ("billable",),
    "notes": ("notes", "vendor"),
    # Not the tax notes: an expense is sent with its total, tax included; a tax note explains no other total.
    "total_cost": ("total_cost", "amount"),
}
NO_DATE = "(no date)"


def source_hours(item: Any) -> Decimal:
    """A time entry's hours as the source states them (`facts`, else the payload): what `totals.hours` adds."""
    facts = item.facts or {}
    value = facts["hours"] if "hours" in facts else item.payload.get("hours")
    return Decimal(str(value)) if value is not None else Decimal(0)


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _month(value: Any) -> str:
    return str(value)[:7] if value else NO_DATE


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass
class _Cell:
    """One key of the breakdown: hours on each side, and what explains a mismatch."""

    source: Decimal = Decimal(0)
    target: Decimal = Decimal(0)
    explained: list[str] = field(default_factory=list)  # the first entry-level differences behind it, explained
    count: int = 0  # how many explained entry-level differences are behind it
    unexplained: bool = False  # an entry-level difference behind it that nothing explains


class EntryChecks:
    """The breakdown and the field-by-field check, fed one source record at a time by the verifier.

    `verifier` is verify's `_Verifier`: its ledger rows and source records of the objects entries
    refer to (users, projects, tasks, categories, assignments), its target index and `differ`.
    """

    def __init__(self, verifier: Any) -> None:
        self.v = verifier
        # (dimension, key, month) -> hours: a month alone for `by_month`; a person's or project's month for the
        # others (a date moved across months changes no one's total, but it changes their two months).
        self.cells: dict[tuple[str, str, str], _Cell] = defaultdict(_Cell)
        self._reverse: dict[str, dict[int, list[tuple[str, str]]]] = {}
        self._billable: dict[tuple[str, str, str], bool] | None = None
        self._owner: dict[str, Any] | None = None

    # --- names ---------------------------------------------------------------------------------

    def source_key(self, kind: str, system: str, ref: str) -> str:
        """`Ada Lindqvist (harvest-v1:users:701)`: a source record as the breakdown names it."""
        item = self.v.by_ref.get((system, ref))
        source_id = ref.partition(":")[2]
        name = f"{system}:{kind}:{source_id}"
        if item is None:
            return name
        title = REGISTRY[kind].title
        label = title(item.payload) if title is not None else str(item.payload.get("name") or "")
        return f"{label} ({name})" if label else name

    def target_key(self, kind: str, v2_id: int, system: str, named: dict[str, Any] | None) -> str:
        """A v2 object as the breakdown names it: by the source record that maps to it (of `system`
        first), else `v2 user 4711 (Jo Smith)`."""
        found = self._reversed(kind).get(v2_id, [])
        chosen = next((ref for sys_, ref in found if sys_ == system), None)
        if chosen is not None:
            return self.source_key(kind, system, chosen)
        if found:
            return self.source_key(kind, found[0][0], found[0][1])
        name = (named or {}).get("name") or ""
        return f"v2 {REGISTRY[kind].singular.replace('_', ' ')} {v2_id}" + (f" ({name})" if name else "")

    def _reversed(self, kind: str) -> dict[int, list[tuple[str, str]]]:
        """v2 id -> the source records (system, ref) the ledger maps to it (built once per kind)."""
        if kind not in self._reverse:
            reverse: dict[int, list[tuple[str, str]]] = defaultdict(list)
            for item in self.v.items.get(kind, []):
                v2_id = self.v.v2(item)
                if v2_id is not None:
                    reverse[v2_id].append((item.origin.system, item.ref))
            self._reverse[kind] = reverse
        return self._reverse[kind]

    def owner(self) -> dict[str, Any]:
        """The token's user: Harvest books an entry without `user_id` to them (one request, only if needed)."""
        if self._owner is None:
            self._owner = self.v.target.token_user()
        return self._owner

    def expected(self, item: Any, kind: str, field_name: str) -> tuple[int | None, str]:
        """What the mapping sent for a reference field: (v2 id through the ledger, its name)."""
        value = item.payload.get(field_name)
        system = item.origin.system
        if value is None:
            if not REGISTRY[kind].defaults_to_token_user or item.status != "ok":
                return None, _none(kind)
            owner = self.owner()  # no person in the source: the entry goes to the token's user
            owner_id = int(owner["id"]) if owner.get("id") is not None else None
            name = f"{owner.get('first_name') or ''} {owner.get('last_name') or ''}".strip()
            if owner_id is None:
                return None, _none(kind)
            return owner_id, self.target_key(kind, owner_id, system, {"name": name})
        v2_id = self.v.v2_of(item, value)
        if isinstance(value, int):
            return value, self.target_key(kind, value, system, None)
        return v2_id, self.source_key(kind, system, str(value))

    def actual(
        self, item: Any, obj: dict[str, Any], kind: str, expected: tuple[int | None, str]
    ) -> tuple[int | None, str]:
        """What the target holds for a reference field (named like the expected value when equal)."""
        named = obj.get(REGISTRY[kind].singular)
        v2_id = int(named["id"]) if isinstance(named, dict) and named.get("id") is not None else None
        if v2_id is None:
            return None, _none(kind)
        if v2_id == expected[0]:
            return expected
        return v2_id, self.target_key(kind, v2_id, item.origin.system, named)

    def _cells(self, keys: tuple[str, ...]) -> list[_Cell]:
        """The cells one entry adds to: its month, its person's month, its project's month."""
        month, person, project = keys
        return [self.cells[("by_month", month, "")], self.cells[("by_person", person, month)],
                self.cells[("by_project", project, month)]]  # fmt: skip

    # --- per record ----------------------------------------------------------------------------

    def check(self, item: Any, obj: dict[str, Any] | None, recorded: list[dict[str, Any]]) -> None:
        """One source time entry or expense (`obj`: the target object at its ledger id, or None);
        `recorded`: the differences verify already recorded for it (presence, hours)."""
        if REGISTRY[item.kind].hours:
            self._time_entry(item, obj, recorded)
        elif obj is not None:
            self._expense(item, obj)

    def _time_entry(self, item: Any, obj: dict[str, Any] | None, recorded: list[dict[str, Any]]) -> None:
        payload = item.payload
        person = self.expected(item, "users", "user_id")
        project = self.expected(item, "projects", "project_id")
        source_keys = (_month(payload.get("spent_date")), person[1], project[1])
        hours = source_hours(item)
        for cell in self._cells(source_keys):
            cell.source += hours
        found: list[dict[str, Any]] = list(recorded)
        target_keys: tuple[str, ...] = ()
        if obj is not None:
            had_person = self.actual(item, obj, "users", person)
            had_project = self.actual(item, obj, "projects", project)
            target_keys = (_month(obj.get("spent_date")), had_person[1], had_project[1])
            target_hours = _decimal(obj.get("hours"))
            for cell in self._cells(target_keys):
                cell.target += target_hours
            found += self._compare_common(item, obj, person, had_person, project, had_project)
            task = self.expected(item, "tasks", "task_id")
            found += self._reference(item, obj, "task", "tasks", task)
            found += self._billable_entry(item, obj)
        moving = [diff for diff in found if diff["field"] in _MOVES_HOURS]
        if moving:
            note = self._why(moving)
            touched = {
                id(cell): cell for keys in (source_keys, target_keys or source_keys) for cell in self._cells(keys)
            }
            for cell in touched.values():
                if note is None:
                    cell.unexplained = True
                elif len(cell.explained) < 3:  # the first few are shown; a count is enough beyond
                    cell.explained.append(note)
                    cell.count += 1
                else:
                    cell.count += 1

    def _expense(self, item: Any, obj: dict[str, Any]) -> None:
        payload = item.payload
        person = self.expected(item, "users", "user_id")
        project = self.expected(item, "projects", "project_id")
        self._compare_common(
            item, obj, person, self.actual(item, obj, "users", person),
            project, self.actual(item, obj, "projects", project),
        )  # fmt: skip
        category = self.expected(item, "expense_categories", "expense_category_id")
        self._reference(item, obj, "expense_category", "expense_categories", category)
        want = self._expense_cost(item)
        if want is not None and cents(want) != cents(_decimal(obj.get("total_cost"))):
            self._differ(item, obj, "total_cost", str(cents(want)), str(cents(_decimal(obj.get("total_cost")))))
        if payload.get("billable") is not None and bool(payload["billable"]) != bool(obj.get("billable")):
            self._differ(item, obj, "billable", _yes_no(payload["billable"]), _yes_no(obj.get("billable")))

    def _expense_cost(self, item: Any) -> Decimal | None:
        payload = item.payload
        if payload.get("total_cost") is not None:
            return _decimal(payload["total_cost"])
        category = self.v.by_ref.get((item.origin.system, str(payload.get("expense_category_id"))))
        price = category.payload.get("unit_price") if category is not None else None
        if payload.get("units") is not None and price is not None:
            return _decimal(payload["units"]) * _decimal(price)
        return None

    def _compare_common(
        self,
        item: Any,
        obj: dict[str, Any],
        person: tuple[int | None, str],
        had_person: tuple[int | None, str],
        project: tuple[int | None, str],
        had_project: tuple[int | None, str],
    ) -> list[dict[str, Any]]:
        """Date, person, project and notes: the fields both entry kinds share."""
        found: list[dict[str, Any]] = []
        want_date, have_date = _text(item.payload.get("spent_date"))[:10], _text(obj.get("spent_date"))[:10]
        if want_date != have_date:
            found.append(self._differ(item, obj, "spent_date", want_date, have_date))
        for field_name, want, have in (("user", person, had_person), ("project", project, had_project)):
            if want[0] is not None and want[0] != have[0]:
                found.append(self._differ(item, obj, field_name, want[1], have[1]))
        want_notes, have_notes = _text(item.payload.get("notes")), _text(obj.get("notes"))
        if want_notes != have_notes:
            found.append(self._differ(item, obj, "notes", want_notes, have_notes))
        return found

    def _reference(
        self, item: Any, obj: dict[str, Any], field_name: str, kind: str, want: tuple[int | None, str]
    ) -> list[dict[str, Any]]:
        have = self.actual(item, obj, kind, want)
        if want[0] is not None and want[0] != have[0]:
            return [self._differ(item, obj, field_name, want[1], have[1])]
        return []

    def _billable_entry(self, item: Any, obj: dict[str, Any]) -> list[dict[str, Any]]:
        """Harvest derives a time entry's billable from its project and task assignment: compared with
        what the source's project and assignment say, on projects we created (an adopted project keeps
        its own settings)."""
        want = self._derived_billable(item)
        if want is None or "billable" not in obj or bool(obj.get("billable")) == want:
            return []
        return [self._differ(item, obj, "billable", _yes_no(want), _yes_no(obj.get("billable")))]

    def _derived_billable(self, item: Any) -> bool | None:
        system = item.origin.system
        project_ref, task_ref = str(item.payload.get("project_id")), str(item.payload.get("task_id"))
        project = self.v.by_ref.get((system, project_ref))
        row = self.v.rows.get((system, project_ref))
        if project is None or row is None or row.state == "adopted" or project.payload.get("is_billable") is None:
            return None
        if self._billable is None:
            self._billable = {
                (a.origin.system, str(a.payload.get("project_id")), str(a.payload.get("task_id"))): a.payload[
                    "billable"
                ]
                for a in self.v.items.get("task_assignments", [])
                if a.payload.get("billable") is not None
            }
        assigned = self._billable.get((system, project_ref, task_ref))
        return None if assigned is None else bool(project.payload["is_billable"]) and bool(assigned)

    def _differ(self, item: Any, obj: dict[str, Any], field_name: str, source: Any, target: Any) -> dict[str, Any]:
        notes = [self.v.notes.explain(item, alias) for alias in _EXPLAINS.get(field_name, (field_name,))]
        explained = "; ".join(dict.fromkeys(note for note in notes if note)) or None
        self.v.differ(item, field_name, source, target, explained_by=explained, v2_id=int(obj["id"]))
        return dict(self.v.report.differences[-1])

    @staticmethod
    def _why(differences: list[dict[str, Any]]) -> str | None:
        """The explanation of a move of hours: the first entry's note, if every difference has one."""
        if not all(diff.get("explained_by") for diff in differences):
            return None
        first = differences[0]
        return f"{first['source']} {first['field']}: {first['explained_by']}"

    # --- the breakdown -------------------------------------------------------------------------

    def finish(self) -> None:
        """Write `breakdown` into the report and, first among the differences, one per month and one per
        person's or project's month whose hours differ.

        `breakdown.by_month[month]`, `by_person[person]` and `by_project[project]` each hold
        `{"source", "target"}`; a person's and a project's also `by_month`, their hours per month.
        """
        report = self.v.report
        grouped: dict[str, dict[str, dict[str, _Cell]]] = {name: defaultdict(dict) for name, _f in DIMENSIONS}
        for (name, key, month), cell in self.cells.items():
            grouped[name][key][month] = cell
        breakdown: dict[str, dict[str, Any]] = {}
        differences: list[dict[str, Any]] = []
        for name, field_name in DIMENSIONS:
            keys = grouped[name]
            ordered = sorted(keys) if name == "by_month" else sorted(keys, key=lambda key: (key.casefold(), key))
            breakdown[name] = {}
            for key in ordered:
                months = keys[key]
                total = _Cell(sum((c.source for c in months.values()), Decimal(0)),
                              sum((c.target for c in months.values()), Decimal(0)))  # fmt: skip
                entry: dict[str, Any] = _values(total)
                if name != "by_month":
                    entry["by_month"] = {month: _values(months[month]) for month in sorted(months)}
                breakdown[name][key] = entry
                for month in sorted(months):
                    cell = months[month]
                    values = _values(cell)
                    if values["source"] == values["target"]:
                        continue
                    difference = {
                        "kind": "time_entries",
                        "source": key,
                        "target_id": None,
                        "field": field_name,
                        "source_value": values["source"],
                        "target_value": values["target"],
                        "explained_by": _explained(cell),
                        "origin": None,
                    }
                    if name != "by_month":
                        difference["month"] = month
                    differences.append(difference)
        report.breakdown = breakdown
        report.differences[:0] = differences  # where the hours moved reads first; the records behind it follow


def _values(cell: _Cell) -> dict[str, str]:
    return {"source": str(cents(cell.source)), "target": str(cents(cell.target))}


def _explained(cell: _Cell) -> str | None:
    if cell.unexplained or not cell.explained:
        return None
    entries = "1 entry differs" if cell.count == 1 else f"{cell.count} entries differ"
    return f"{entries} here, each explained: {cell.explained[0]}" + (" …" if cell.count > 1 else "")


def _none(kind: str) -> str:
    """`(no person)`: an entry without one of these."""
    return f"(no {REGISTRY[kind].noun})"


def _yes_no(value: Any) -> str:
    return "billable" if value else "not billable"


def name_differences(report: Any, store: Any) -> None:
    """Give each difference about a record its name as a bookkeeper would say it (`name`: "2013-03-04
    3.5 h", "#2013-001 (2 lines)", "Website Redesign ← Ada Lindqvist"), looked up in the plan store;
    a difference in an amount of money also gets its `currency` (money is never shown without it)."""
    from migrator.report.naming import Namer  # how every report names things

    namer = Namer(store)
    for difference in report.differences:
        if difference.get("origin") is None or "name" in difference:
            continue
        system, kind, source_id = str(difference["source"]).split(":", 2)
        planned = store.find(system, kind, source_id)
        label = describe(kind, planned.payload, namer.for_system(system)) if planned is not None else ""
        difference["name"] = label or difference["source"]
        declared = REGISTRY[kind]
        if planned is not None and difference["field"] in declared.money:
            difference["currency"] = currency_of(store, planned) or "(no currency)"
            if declared.label_shows_money:
                difference["name"] = f"{difference['name']} {difference['currency']}"


def currency_of(store: Any, planned: Any, depth: int = 0) -> str | None:
    """The currency an amount of this record is in: its own, else its invoice's, project's or client's."""
    payload, system = planned.payload, planned.system
    if (planned.facts or {}).get("currency") or payload.get("currency"):
        return str((planned.facts or {}).get("currency") or payload.get("currency"))
    for field_name in ("invoice_id", "project_id", "client_id"):
        ref = Ref.parse(payload.get(field_name))
        if ref is not None and depth < 3:
            parent = store.find(system, ref.kind, ref.source_id)
            if parent is not None:
                return currency_of(store, parent, depth + 1)
    return None
