"""What a correct migration of one generated export must leave in an empty Harvest v2 account.

The generator fills an `ExpectedBuilder` from its own model while it writes the files (never from
the mappings or the planner), then freezes it into `Expected`. Every figure is exact: hours and
money are `Decimal`, and `as_dict` writes them as decimal strings so a JSON reader loses nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from migrator.kinds import KINDS

# The v2 kinds `counts` covers (docs/INTERFACE.md "Conventions", without the state-change messages, which are
# events rather than records). Every one is present in `counts`, zeros included.
COUNTED_KINDS: tuple[str, ...] = tuple(kind for kind in KINDS if not kind.endswith("_messages"))
# The kinds `inactive` may name, and how their members are written.
INACTIVE_KINDS: tuple[str, ...] = (
    "clients",  # name
    "projects",  # name
    "tasks",  # name
    "expense_categories",  # name
    "users",  # email
    "task_assignments",  # "project name / task name"
    "user_assignments",  # "project name / user email"
)
MONEY_FIGURES: tuple[str, ...] = ("invoice_amount", "invoice_due", "payments")
ITEM_CATEGORY_KINDS: tuple[str, ...] = ("invoice_item_categories", "estimate_item_categories")
CENT = Decimal("0.01")


def record_name(system: str, kind: str, source_id: object) -> str:
    """`freshbooks:invoices:123`: how docs/INTERFACE.md names a source record."""
    return f"{system}:{kind}:{source_id}"


def assignment_name(project: str, member: str) -> str:
    """`"Website relaunch / Design"`: how `inactive` names an assignment."""
    return f"{project} / {member}"


@dataclass(frozen=True)
class LossyAmount:
    """An invoice or estimate whose total Harvest v2 cannot reproduce, and by how much it differs.

    `explained_by`: the fields of the lossy notes that state this difference, each a note about money
    (severity `money`): `verify` must name them before any other note on the record.
    """

    currency: str
    source_amount: Decimal  # what the source system stated
    v2_amount: Decimal  # what Harvest computes from the payload the documented mapping rules build
    reason: str
    explained_by: tuple[str, ...] = ("amount",)

    @property
    def difference(self) -> Decimal:
        """Source minus v2: add it to the v2 total to get the source's figure back."""
        return self.source_amount - self.v2_amount

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "source_amount": _cents(self.source_amount),
            "v2_amount": _cents(self.v2_amount),
            "difference": _cents(self.difference),
            "reason": self.reason,
            "explained_by": {field: "money" for field in self.explained_by},
        }


@dataclass(frozen=True)
class Expected:
    """The target after a correct migration of this export alone into an empty v2 account
    (`--create-users`; the sandbox's own owner user and "Service"/"Product" item categories aside).

    - `counts`: v2 kind -> how many source records become v2 objects of that kind.
    - `assignments`: project name -> (task names, user emails) the project holds, exactly.
    - `inactive`: kind -> names that end archived; everything else of those kinds ends active. With
      `assignments` it gives every assignment's state: inactive are a deactivated Harvest v1 one and
      a FreshBooks one only the history implies (the project does not list it); the rest active.
    - `hours`, `hours_by_project`: the source's hours, every entry counted.
    - `money`: ISO currency -> {"invoice_amount", "invoice_due", "payments"} from the source's
      stated figures of migrated invoices and their payments (credits excluded).
    - `lossy_money`: `SYSTEM:KIND:ID` -> the amount v2 cannot hold; every other invoice ends equal to the cent.
    - `item_categories`: item category kind -> the names of those the source brings (the target holds
      these and the account's own "Service" and "Product"; a source category so named is adopted).
    - `skipped`: `SYSTEM:KIND:ID` -> why the record is deliberately not migrated.
    - `receipts`: `SYSTEM:expenses:ID` -> the receipt file the expense must hold in the target (its
      name in `OUT/receipts`, size and sha256); `missing_receipts`: expenses that say they have a
      receipt but whose file the export lacks (a lossy note each, no receipt in the target).
    """

    system: str
    entries: int
    seed: int
    counts: Mapping[str, int]
    assignments: Mapping[str, tuple[frozenset[str], frozenset[str]]]
    inactive: Mapping[str, frozenset[str]]
    hours: Decimal
    hours_by_project: Mapping[str, Decimal]
    money: Mapping[str, Mapping[str, Decimal]]
    lossy_money: Mapping[str, LossyAmount]
    skipped: Mapping[str, str]
    item_categories: Mapping[str, frozenset[str]]
    receipts: Mapping[str, Any] = field(default_factory=dict)  # name -> `migrator.generate.receipts.WrittenReceipt`
    missing_receipts: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: sorted lists for sets, decimal strings (two places) for hours and money."""
        return {
            "system": self.system,
            "entries": self.entries,
            "seed": self.seed,
            "counts": dict(self.counts),
            "assignments": {
                project: {"tasks": sorted(tasks), "users": sorted(users)}
                for project, (tasks, users) in sorted(self.assignments.items())
            },
            "inactive": {kind: sorted(names) for kind, names in self.inactive.items()},
            "hours": _cents(self.hours),
            "hours_by_project": {name: _cents(hours) for name, hours in sorted(self.hours_by_project.items())},
            "money": {
                currency: {figure: _cents(value) for figure, value in figures.items()}
                for currency, figures in sorted(self.money.items())
            },
            "lossy_money": {name: lossy.as_dict() for name, lossy in sorted(self.lossy_money.items())},
            "skipped": dict(sorted(self.skipped.items())),
            "item_categories": {kind: sorted(names) for kind, names in self.item_categories.items()},
            "receipts": {
                name: {"file": r.file, "size": r.size, "sha256": r.sha256} for name, r in sorted(self.receipts.items())
            },
            "missing_receipts": sorted(self.missing_receipts),
        }

    def summary(self) -> str:
        """A few lines for people: counts, hours, money per currency, lossy and skipped records."""
        counts = ", ".join(f"{kind} {n:,}" for kind, n in self.counts.items() if n)
        lines = [f"{self.system}, {self.entries:,} entries, seed {self.seed}: {counts}"]
        lines.append(f"hours {_cents(self.hours)} over {len(self.hours_by_project):,} projects")
        for currency, figures in sorted(self.money.items()):
            shown = ", ".join(f"{figure} {_cents(value)}" for figure, value in figures.items())
            lines.append(f"{currency}: {shown}")
        lines.append(
            f"{len(self.lossy_money)} invoices/estimates v2 cannot hold to the cent; "
            f"{len(self.skipped)} records skipped on purpose"
        )
        size = sum(receipt.size for receipt in self.receipts.values())
        lines.append(
            f"{len(self.receipts)} receipt files ({size:,} bytes) in receipts/; "
            f"{len(self.missing_receipts)} expenses say they have a receipt without a file"
        )
        return "\n".join(lines)


def _cents(value: Decimal) -> str:
    return str(value.quantize(CENT))


@dataclass
class ExpectedBuilder:
    """Mutable accumulator the writers fill; `freeze` makes the `Expected`."""

    system: str
    entries: int
    seed: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED_KINDS, 0))
    assignments: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)
    inactive: dict[str, set[str]] = field(default_factory=lambda: {kind: set() for kind in INACTIVE_KINDS})
    hundredths: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # project name -> hours x 100
    money: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    lossy_money: dict[str, LossyAmount] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    item_categories: dict[str, set[str]] = field(default_factory=lambda: {kind: set() for kind in ITEM_CATEGORY_KINDS})
    receipts: dict[str, Any] = field(default_factory=dict)
    missing_receipts: set[str] = field(default_factory=set)

    def count(self, kind: str, n: int = 1) -> None:
        """Add `n` source records that become v2 objects of `kind`."""
        if kind not in self.counts:
            raise KeyError(f"{kind} is not a counted v2 kind")
        self.counts[kind] += n

    def assign(
        self,
        project: str,
        *,
        tasks: set[str] | frozenset[str] = frozenset(),
        users: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """The project holds these tasks and user e-mails (added to what it already holds)."""
        held = self.assignments.setdefault(project, (set(), set()))
        held[0].update(tasks)
        held[1].update(users)

    def archived(self, kind: str, name: str) -> None:
        """`name` (a name, an e-mail or `project / member`) must end archived."""
        self.inactive[kind].add(name)

    def add_money(self, currency: str, figure: str, amount: Decimal) -> None:
        """Add `amount` to one figure (`MONEY_FIGURES`) of one currency."""
        figures = self.money.setdefault(currency, {name: Decimal(0) for name in MONEY_FIGURES})
        figures[figure] += amount

    def item_category(self, kind: str, name: str) -> None:
        """The source brings an item category `name` of `kind` (counted apart, with `count`)."""
        self.item_categories[kind].add(name)

    def skip(self, name: str, reason: str) -> None:
        """`name` is deliberately not migrated, for `reason`."""
        self.skipped[name] = reason

    def freeze(self) -> Expected:
        """The immutable result; hours in hundredths become Decimal hours."""
        by_project = {name: Decimal(n) / 100 for name, n in sorted(self.hundredths.items())}
        for project in self.assignments:
            by_project.setdefault(project, Decimal(0))
        return Expected(
            system=self.system,
            entries=self.entries,
            seed=self.seed,
            counts=MappingProxyType(dict(self.counts)),
            assignments=MappingProxyType(
                {
                    name: (frozenset(tasks), frozenset(users))
                    for name, (tasks, users) in sorted(self.assignments.items())
                }
            ),
            inactive=MappingProxyType({kind: frozenset(names) for kind, names in self.inactive.items()}),
            hours=sum(by_project.values(), Decimal(0)),
            hours_by_project=MappingProxyType(dict(sorted(by_project.items()))),
            money=MappingProxyType(
                {currency: MappingProxyType(dict(figures)) for currency, figures in sorted(self.money.items())}
            ),
            lossy_money=MappingProxyType(dict(sorted(self.lossy_money.items()))),
            skipped=MappingProxyType(dict(sorted(self.skipped.items()))),
            item_categories=MappingProxyType({kind: frozenset(names) for kind, names in self.item_categories.items()}),
            receipts=MappingProxyType(dict(sorted(self.receipts.items()))),
            missing_receipts=frozenset(self.missing_receipts),
        )
