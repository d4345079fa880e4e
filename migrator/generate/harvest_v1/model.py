"""The records of a generated Harvest v1 account: who worked on what, when, and what was billed.

Everything but the day entries and expenses is held in memory (a few thousand objects at 10⁶
entries); those two are streamed by `write` through `Timeline.sweep`, over the slots an `Account`
opens per month. `build` grows an account around its `Traps`; `billing` makes its invoices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from migrator.generate.arithmetic import HarvestLine, HarvestTotals, cents, harvest_totals
from migrator.generate.timeline import month_bounds

D = dt.date


@dataclass(slots=True)
class Client:
    """A v1 client; `tax`/`tax2` are the percentages its invoices usually carry."""

    id: int
    name: str
    currency: str  # ISO code
    since: dt.date
    archived_on: dt.date | None = None
    details: str | None = None
    tax: Decimal | None = None  # the client's usual invoice taxes (percent)
    tax2: Decimal | None = None

    @property
    def active(self) -> bool:
        return self.archived_on is None

    def display(self, on: dt.date) -> str:
        """v1's currency display name, spelt as Harvest spelt it on that day (research §4)."""
        return currency_display(self.currency, on)


def currency_display(code: str, on: dt.date) -> str:
    """v1 renamed its currencies in 2015 (research §4): the ISO code after " - " is what stays."""
    if code == "USD":
        return "United States Dollars - USD" if on < D(2015, 3, 1) else "United States Dollar - USD"
    if code == "CAD":
        return "Canada Dollars - CAD" if on < D(2015, 11, 1) else "Canadian Dollar - CAD"
    return "Euro - EUR"


@dataclass(slots=True)
class Contact:
    """A person at a client (`email` may be None)."""

    id: int
    client: Client
    first: str
    last: str
    email: str | None
    title: str
    phone: str


@dataclass(slots=True)
class Person:
    """A v1 user; `left` set means inactive."""

    id: int
    first: str
    last: str
    email: str
    joined: dt.date
    left: dt.date | None = None
    admin: bool = False
    manager: bool = False
    contractor: bool = False
    all_future: bool = False
    rate: Decimal | None = None
    cost_rate: Decimal | None = None
    department: str | None = None
    timezone: str = "Eastern Time (US & Canada)"

    @property
    def active(self) -> bool:
        return self.left is None

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    def employed(self, first: dt.date, last: dt.date) -> bool:
        return self.joined <= last and (self.left is None or self.left >= first)


@dataclass(slots=True)
class Task:
    """A v1 task; `default_since` makes it a default task, `retired` deactivates it."""

    id: int
    name: str
    billable: bool
    rate: Decimal | None
    default_since: dt.date | None = None
    retired: dt.date | None = None  # deactivated (archived) on this day

    @property
    def is_default(self) -> bool:
        return self.default_since is not None


@dataclass(slots=True)
class TaskAssignment:
    """A task on a project; `until` set means deactivated on this project from then."""

    id: int
    task: Task
    billable: bool
    rate: Decimal | None
    until: dt.date | None = None  # deactivated on this project from this day

    def open_on(self, day: dt.date) -> bool:
        return (self.until is None or self.until >= day) and (self.task.retired is None or self.task.retired >= day)


@dataclass(slots=True)
class UserAssignment:
    """A person on a project."""

    id: int
    person: Person
    rate: Decimal | None
    manager: bool = False
    deactivated: bool = False


@dataclass(slots=True)
class Project:
    """A v1 project with its assignments, open from `start` to `end`."""

    id: int
    client: Client
    name: str
    code: str
    start: dt.date
    end: dt.date
    archived: bool = False
    billable: bool = True
    bill_by: str = "Tasks"
    budget: Decimal | None = None
    hourly_rate: Decimal | None = None
    notes: str = ""
    tasks: list[TaskAssignment] = field(default_factory=list)
    users: list[UserAssignment] = field(default_factory=list)

    def open_in(self, first: dt.date, last: dt.date) -> bool:
        return self.start <= last and self.end >= first


@dataclass(slots=True)
class Category:
    """An expense category; a unit price makes it count units (mileage)."""

    id: int
    name: str
    unit_name: str | None = None
    unit_price: Decimal | None = None
    retired: dt.date | None = None


@dataclass(slots=True)
class Line:
    """A csv line item."""

    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    taxed: bool
    taxed2: bool
    project: Project | None

    @property
    def amount(self) -> Decimal:
        return cents(self.quantity * self.unit_price)


@dataclass(slots=True)
class Payment:
    """An invoice payment."""

    id: int
    amount: Decimal
    paid_at: dt.datetime
    notes: str
    by: Person


@dataclass(slots=True)
class Message:
    """An invoice message (not replayed by the migration)."""

    id: int
    sent_at: dt.datetime
    body: str
    by: Person
    recipients: str
    thank_you: bool = False


@dataclass(slots=True)
class Invoice:
    """A v1 invoice whose figures follow Harvest's arithmetic."""

    client: Client
    state: str  # draft | open | partial | paid | closed
    issued: dt.date
    term: str  # net 30 | net 15 | upon receipt | custom
    due: dt.date
    subject: str
    lines: list[Line]
    tax: Decimal | None = None
    tax2: Decimal | None = None
    discount: Decimal | None = None
    notes: str = ""
    purchase_order: str = ""
    id: int = 0
    number: str = ""
    payments: list[Payment] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    @property
    def totals(self) -> HarvestTotals:
        lines = [HarvestLine(line.quantity, line.unit_price, line.taxed, line.taxed2) for line in self.lines]
        return harvest_totals(lines, tax=self.tax, tax2=self.tax2, discount=self.discount)

    @property
    def paid(self) -> Decimal:
        return sum((payment.amount for payment in self.payments), Decimal(0))

    @property
    def currency(self) -> str:
        return self.client.currency


@dataclass(frozen=True, slots=True)
class ItemCategory:
    """An invoice item category, as exported."""

    id: int
    name: str
    use_as_service: bool
    use_as_expense: bool


# Slots the sweeps draw from: (project index, project id, task id, user id) for entries and
# (project index, project id, user id, category index) for expenses; strings are ready to write.
EntrySlot = tuple[int, str, str, str]
ExpenseSlot = tuple[int, str, str, int]


@dataclass(slots=True)
class Traps:
    """The objects every account carries, whatever its size (see `build`)."""

    owner: Person
    left: Person
    internal: Project
    archived_client: Client
    archived_project: Project
    retainer: Project
    retired_task: Task
    ta_deactivated: TaskAssignment
    default_task: Task
    meals: Category
    mileage: Category


@dataclass(slots=True)
class Account:
    """Everything but the streamed day entries and expenses."""

    company: str
    clients: list[Client]
    contacts: list[Contact]
    people: list[Person]
    tasks: list[Task]
    projects: list[Project]
    categories: list[Category]
    item_categories: list[ItemCategory]
    invoices: list[Invoice]
    traps: Traps
    pinned_entries: list[EntrySlot]
    pinned_expenses: list[ExpenseSlot]

    def entry_slots(self, month: int) -> list[EntrySlot]:
        """Every (project, task, person) that could log time in `month`: the project open, the
        assignment and task not yet deactivated, the person employed."""
        first, last = month_bounds(month)
        slots: list[EntrySlot] = []
        for index, project in enumerate(self.projects):
            if not project.open_in(first, last):
                continue
            tasks = [ta for ta in project.tasks if ta.open_on(first)]
            users = [ua for ua in project.users if ua.person.employed(first, last)]
            pid = str(project.id)
            slots.extend((index, pid, str(ta.task.id), str(ua.person.id)) for ta in tasks for ua in users)
        return slots

    def expense_slots(self, month: int) -> list[ExpenseSlot]:
        """Every (billable project, employed person, open category) that can spend in `month`."""
        first, last = month_bounds(month)
        open_categories = [i for i, c in enumerate(self.categories) if c.retired is None or c.retired >= first]
        slots: list[ExpenseSlot] = []
        for index, project in enumerate(self.projects):
            if not project.open_in(first, last) or not project.billable:
                continue
            pid = str(project.id)
            for ua in project.users:
                if ua.person.employed(first, last):
                    slots.extend((index, pid, str(ua.person.id), c) for c in open_categories)
        return slots
