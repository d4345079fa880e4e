"""The records of a generated FreshBooks Classic account, and the taxes its invoices copy onto lines.

Everything but the time entries and expenses is held in memory; those two are streamed by `write`
through `Timeline.sweep`, over the slots an `Account` opens per month. `build` grows an account
around its traps; `billing` makes its invoices, estimates, payments and credits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from migrator.generate.arithmetic import FreshBooksFigures, FreshBooksLine, Tax, freshbooks_figures
from migrator.generate.timeline import month_bounds

D = dt.date
GST, PST, HST = Tax("GST", Decimal(5)), Tax("PST", Decimal(7)), Tax("HST", Decimal(13))
QST = Tax("QST", Decimal("9.975"))  # Québec: compound on GST until 2013
TVA, TVA_REDUITE, ECO = (
    Tax("TVA", Decimal(20)),
    Tax("TVA réduite", Decimal("5.5")),
    Tax("Éco-participation", Decimal(2)),
)
MWST, SALES = Tax("MwSt", Decimal(19)), Tax("Sales Tax", Decimal("8.875"))
TAXES = (GST, PST, HST, QST, TVA, TVA_REDUITE, ECO, MWST, SALES)


@dataclass(slots=True)
class Staff:
    """A FreshBooks staff member. FreshBooks has no active flag: `left` dates their time, and they are
    on no project's staff list any more (`Project.extra_staff` holds them where they have history)."""

    id: int
    first: str
    last: str
    email: str
    joined: dt.date
    left: dt.date | None = None
    rate: Decimal | None = None

    def employed(self, first: dt.date, last: dt.date) -> bool:
        return self.joined <= last and (self.left is None or self.left >= first)


@dataclass(slots=True)
class Contact:
    """A `<contact>` of a client."""

    id: int  # contact_id, 1.. within the client (0 is the client's own person)
    first: str | None
    last: str | None
    email: str | None
    phone: str | None = None


@dataclass(slots=True)
class Client:
    """A FreshBooks client with its contacts and usual taxes."""

    id: int
    organization: str | None
    first: str
    last: str
    email: str
    currency: str
    since: dt.date
    folder: str = "active"  # active | archived | deleted
    contacts: list[Contact] = field(default_factory=list)
    city: str = ""
    taxes: tuple[Tax | None, Tax | None] = (None, None)  # the client's usual (tax1, tax2)

    @property
    def name(self) -> str:
        """The v2 client name the mapping documents: organization, else the person, else the e-mail."""
        return self.organization or f"{self.first} {self.last}".strip() or self.email

    @property
    def migrated(self) -> bool:
        return self.folder != "deleted"


@dataclass(slots=True)
class Task:
    """A FreshBooks task (tasks are global; projects list them with an optional rate)."""

    id: int
    name: str
    billable: bool
    rate: Decimal | None
    description: str | None = None


@dataclass(slots=True)
class Project:
    """A project, the tasks and staff it lists, and those that log time on it unlisted."""

    id: int
    name: str
    client: Client | None
    bill_method: str
    rate: Decimal | None
    start: dt.date
    end: dt.date
    hour_budget: Decimal | None = None
    description: str | None = None
    tasks: list[tuple[Task, Decimal | None]] = field(default_factory=list)  # listed, with the project's rate
    staff: list[Staff] = field(default_factory=list)  # listed
    extra_tasks: list[Task] = field(default_factory=list)  # logged on but not listed (implied)
    extra_staff: list[Staff] = field(default_factory=list)  # logged and spent on but not listed: left, or never

    def open_in(self, first: dt.date, last: dt.date) -> bool:
        return self.start <= last and self.end >= first


@dataclass(slots=True)
class Category:
    """An expense category, possibly under a parent."""

    id: int
    name: str
    parent: Category | None = None

    @property
    def flat_name(self) -> str:
        """The flattened v2 name ("Travel › Taxi"), as the mapping documents."""
        return f"{self.parent.name} › {self.name}" if self.parent else self.name


@dataclass(frozen=True, slots=True)
class Item:
    """A catalogue item."""

    id: int
    name: str
    description: str
    unit_cost: Decimal


@dataclass(slots=True)
class Line:
    """An invoice or estimate line."""

    name: str
    description: str
    unit_cost: Decimal
    quantity: Decimal
    kind: str  # Time | Item
    tax1: Tax | None = None
    tax2: Tax | None = None
    compound: bool = False

    @property
    def arithmetic(self) -> FreshBooksLine:
        return FreshBooksLine(self.quantity, self.unit_cost, self.tax1, self.tax2, self.compound)


@dataclass(slots=True)
class Payment:
    """A payment on an invoice, or a credit when `invoice` is None."""

    id: int
    client: Client
    amount: Decimal
    day: dt.date
    type: str
    notes: str
    currency: str
    invoice: Bill | None = None  # None: a credit


@dataclass(slots=True)
class Bill:
    """An invoice or an estimate: FreshBooks gives both the same shape."""

    client: Client
    day: dt.date
    status: str
    lines: list[Line]
    discount: Decimal | None = None
    folder: str = "active"
    notes: str = ""
    terms: str = ""
    po_number: str = ""
    id: int = 0
    number: str = ""
    payments: list[Payment] = field(default_factory=list)

    @property
    def figures(self) -> FreshBooksFigures:
        return freshbooks_figures([line.arithmetic for line in self.lines], self.discount)

    @property
    def paid(self) -> Decimal:
        return sum((payment.amount for payment in self.payments), Decimal(0))

    @property
    def currency(self) -> str:
        return self.client.currency

    @property
    def migrated(self) -> bool:
        return self.folder != "deleted"


# Entry slots: (project index, project id, task id, staff id); expense slots add a category index.
EntrySlot = tuple[int, str, str, str]
ExpenseSlot = tuple[int, str, str, int]


@dataclass(slots=True)
class Account:
    """Everything but the streamed time entries and expenses."""

    staff: list[Staff]
    clients: list[Client]
    tasks: list[Task]
    projects: list[Project]
    categories: list[Category]
    items: list[Item]
    invoices: list[Bill]
    estimates: list[Bill]
    credits: list[Payment]
    pinned_entries: list[EntrySlot]
    pinned_expenses: list[ExpenseSlot]
    deleted_expenses: frozenset[int]  # indices, in the expense sweep, of expenses in the deleted folder

    @property
    def payments(self) -> list[Payment]:
        return sorted([p for bill in self.invoices for p in bill.payments] + self.credits, key=lambda p: p.id)

    def entry_slots(self, month: int) -> list[EntrySlot]:
        """Every (project, task, staff) that logs time in `month`, listed or not."""
        first, last = month_bounds(month)
        slots: list[EntrySlot] = []
        for index, project in enumerate(self.projects):
            if not project.open_in(first, last):
                continue
            tasks = [task for task, _rate in project.tasks] + project.extra_tasks
            staff = [s for s in project.staff + project.extra_staff if s.employed(first, last)]
            pid = str(project.id)
            slots.extend((index, pid, str(task.id), str(s.id)) for task in tasks for s in staff)
        return slots

    def expense_slots(self, month: int) -> list[ExpenseSlot]:
        """Every (project, staff member, category) that can spend in `month`, listed or not."""
        first, last = month_bounds(month)
        slots: list[ExpenseSlot] = []
        for index, project in enumerate(self.projects):
            if project.open_in(first, last):
                pid = str(project.id)
                for s in project.staff + project.extra_staff:
                    if s.employed(first, last):
                        slots.extend((index, pid, str(s.id), c) for c in range(len(self.categories)))
        return slots
