"""Grow a FreshBooks Classic account around its traps, to the size `Scale` gives.

Fixed objects come first (their records are pinned to the first months of the sweep), then the
account grows around them:

- an archived client (`folder` archived) with a project, time entries and an invoice;
- deleted-folder records: a client, an invoice, an estimate and expenses (not migrated by default);
- an internal project without a client (mapped onto one placeholder client);
- time entries whose task or staff member is not listed on their project (implied assignments: a
  task taken off the project; a staff member who left, on no project's list any more, staff 3);
  expenses by staff the project does not list;
- invoices with one, two and three distinct tax rates, a compound tax, a discount; USD, EUR, CAD;
  statuses draft / sent / viewed / partial / paid; partial payments; a credit (`billing`);
- estimates (sent, accepted) with two rates; catalogue items on lines; contacts without an
  e-mail; a client without an organization (named after its person).

Growth repeats them at random: clients deleted or archived, projects without a client, tasks and
staff logged on projects that never listed them, people who left (FreshBooks lists a project's
staff as it is today: a leaver is on no list, their history stays), deleted expenses, invoices and
estimates.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from migrator.generate.arithmetic import Tax
from migrator.generate.freshbooks.billing import Billing
from migrator.generate.freshbooks.model import (
    GST,
    HST,
    MWST,
    PST,
    SALES,
    TVA,
    Account,
    Category,
    Client,
    Contact,
    EntrySlot,
    ExpenseSlot,
    Item,
    Project,
    Staff,
    Task,
)
from migrator.generate.ids import Ids
from migrator.generate.pools import PROJECT_TOPICS, TASK_NAMES, People, Unique, ascii_fold, company
from migrator.generate.scale import Scale
from migrator.generate.timeline import END, START, Timeline

D = dt.date


def build(rng: random.Random, scale: Scale, timeline: Timeline) -> Account:
    """The whole account for `scale`, traps first (see the module docstring)."""
    return _Builder(rng, scale, timeline).build()


class _Builder:
    def __init__(self, rng: random.Random, scale: Scale, timeline: Timeline) -> None:
        self.rng, self.scale, self.timeline = rng, scale, timeline
        self.team = People(rng, "quiststudio.example")
        self.outsiders = People(rng, "client.example")

    def staff(self) -> list[Staff]:
        """Staff 1 is the owner (FreshBooks' admin); staff 2 the colleague the traps use; staff 3 left."""
        rng = self.rng
        self.team.reserve(("Nora", "Quist"), ("Omar", "Haddad"), ("Jonas", "Berg"))
        staff = [
            Staff(1, "Nora", "Quist", self.team.email("Nora", "Quist"), START, rate=Decimal("120.00")),
            Staff(2, "Omar", "Haddad", self.team.email("Omar", "Haddad"), START, rate=Decimal(85)),
            Staff(3, "Jonas", "Berg", self.team.email("Jonas", "Berg"), START, D(2011, 6, 30), Decimal(90)),
        ]
        for staff_id in range(len(staff) + 1, self.scale.people + 1):
            first, last = self.team.person()
            joined = self.timeline.between(rng, START, D(2017, 6, 30))
            left = None
            if joined < D(2016, 1, 1) and rng.random() < 0.35:
                left = self.timeline.between(rng, joined + dt.timedelta(days=180), D(2018, 6, 29))
            rate = Decimal(rng.choice(("75", "85", "90.5", "110"))) if rng.random() < 0.85 else None
            staff.append(Staff(staff_id, first, last, self.team.email(first, last), joined, left, rate))
        return staff

    def tasks(self) -> list[Task]:
        """Fixed tasks the traps and invoices name, then others from the pool."""
        rng, ids = self.rng, Ids(self.rng, 30, 2)
        fixed = [
            Task(ids(), "Design", True, Decimal(100), "Visual design"),
            Task(ids(), "Development", True, Decimal("95.50")),
            Task(ids(), "Admin", False, None),
            Task(ids(), "Copywriting", True, Decimal(80)),
            Task(ids(), "Meetings", True, Decimal(90)),
        ]
        names = [name for name in TASK_NAMES if name not in {t.name for t in fixed}]
        rng.shuffle(names)
        extra = [
            Task(
                ids(),
                name,
                rng.random() < 0.85,
                Decimal(rng.choice((70, 90, 100, 120))) if rng.random() < 0.8 else None,
            )
            for name in names[: max(0, self.scale.tasks - len(fixed))]
        ]
        return fixed + extra

    def clients(self) -> tuple[list[Client], dict[str, Client]]:
        """Pinned clients (archived, EUR, CAD, USD, named after its person, deleted), then random ones."""
        rng, ids, unique = self.rng, Ids(self.rng, 10, 4), Unique(["FreshBooks projects without a client"])

        def client(
            organization: str | None,
            currency: str,
            since: dt.date,
            taxes: tuple[Tax | None, Tax | None],
            folder: str = "active",
            first_last: tuple[str, str] | None = None,
            contacts: int | None = None,
        ) -> Client:
            first, last = first_last or self.outsiders.person()
            domain = f"{(ascii_fold(organization or last).split(' ') or ['client'])[0]}.example"
            name = unique(organization or f"{first} {last}")
            if organization is None and name != f"{first} {last}":
                organization = name  # a namesake of another client's person: FreshBooks users then add one
            made = Client(
                ids(),
                name if organization else None,
                first,
                last,
                self.outsiders.email(first, last, domain),
                currency,
                since,
                folder,
                taxes=taxes,
            )
            self._contacts(made, domain, rng.choice((0, 0, 1, 1, 2, 3)) if contacts is None else contacts)
            return made

        self.outsiders.reserve(("Hiro", "Tanaka"))
        fixed = {
            "archived": client("Old Mill Bakery", "USD", START, (None, None), folder="archived"),
            "eur": client("Café Lumière & Fils", "EUR", START, (TVA, None), contacts=2),
            "cad": client("Maple Leaf Logistics Inc.", "CAD", D(2009, 2, 2), (GST, PST)),
            "usd": client("Anchor Bar & Grill", "USD", D(2009, 6, 1), (SALES, None)),
            "person": client(None, "USD", D(2010, 4, 1), (None, None), first_last=("Hiro", "Tanaka")),
            "deleted": client("Gone Ltd", "USD", D(2010, 1, 4), (None, None), folder="deleted"),
        }
        fixed["eur"].contacts[1].email = None  # the accounts clerk, reached by phone only
        clients = list(fixed.values())
        for _ in range(self.scale.clients - len(clients)):
            currency = rng.choices(("USD", "EUR", "CAD"), (0.55, 0.3, 0.15))[0]
            taxes = {
                "USD": rng.choice(((None, None), (SALES, None))),
                "EUR": rng.choice(((TVA, None), (MWST, None))),
                "CAD": rng.choice(((GST, PST), (HST, None))),
            }[currency]
            folder = "deleted" if rng.random() < 0.04 else "active"
            clients.append(
                client(
                    company(rng, currency, unique),
                    currency,
                    self.timeline.between(rng, START, D(2018, 1, 31)),
                    taxes,
                    folder,
                )
            )
        return clients, fixed

    def _contacts(self, client: Client, domain: str, count: int) -> None:
        """`<contact>`s 1.. of a client (0 is the client's own person); one in five has no e-mail."""
        rng = self.rng
        for contact_id in range(1, count + 1):
            first, last = self.outsiders.person()
            email = None if rng.random() < 0.2 else self.outsiders.email(first, last, domain)
            client.contacts.append(Contact(contact_id, first, last, email, f"+1 555 {rng.randint(1000, 9999)}"))

    def projects(
        self, clients: list[Client], fixed: dict[str, Client], tasks: list[Task], staff: list[Staff]
    ) -> tuple[list[Project], dict[str, Project]]:
        """Pinned projects (internal without a client, archived client's, …), then random ones."""
        rng, ids, names = self.rng, Ids(self.rng, 40, 3), Unique()
        by_name = {task.name: task for task in tasks}
        owner, omar, jonas = staff[0], staff[1], staff[2]

        def listed(*names_: str) -> list[tuple[Task, Decimal | None]]:
            return [(by_name[n], None) for n in names_]

        pinned = {
            "internal": Project(
                ids(),
                names("Internal tooling"),
                None,
                "project-rate",
                Decimal(75),
                START,
                END,
                tasks=listed("Admin", "Meetings"),
                staff=[owner],
                extra_staff=[jonas],  # he left: on no project's list any more, his time stays
            ),
            "archived": Project(
                ids(),
                names("Old Mill shop window"),
                fixed["archived"],
                "task-rate",
                None,
                START,
                D(2012, 11, 30),
                tasks=[(by_name["Design"], Decimal(110)), (by_name["Copywriting"], None)],
                staff=[owner, omar],
            ),
            "eur": Project(
                ids(),
                names("Café website"),
                fixed["eur"],
                "staff-rate",
                None,
                START,
                END,
                hour_budget=Decimal(120),
                description="New site\r\nand shop",
                tasks=listed("Design", "Development"),
                staff=[owner],
                extra_tasks=[by_name["Copywriting"]],  # taken off the project, its time stays
                extra_staff=[omar],
            ),
            "cad": Project(
                ids(),
                names("Fleet portal"),
                fixed["cad"],
                "task-rate",
                None,
                D(2009, 2, 2),
                END,
                tasks=[(by_name["Development"], Decimal(105)), (by_name["Meetings"], None)],
                staff=[owner, omar],
            ),
            "usd": Project(
                ids(),
                names("Anchor Bar & Grill website"),
                fixed["usd"],
                "flat-rate",
                Decimal(11000),
                D(2009, 6, 1),
                END,
                tasks=listed("Design", "Development"),
                staff=[omar],
            ),
        }
        projects = list(pinned.values())
        candidates = [c for c in clients if c.migrated and c is not fixed["archived"]]
        usable = [t for t in tasks if t.name != "Admin"]
        for _ in range(self.scale.projects - len(projects)):
            start = self.timeline.between(rng, START, D(2018, 9, 28))
            end = min(END, start + dt.timedelta(days=30 * rng.randint(2, 36)))
            internal = rng.random() < 0.04
            open_clients = [c for c in candidates if c.since <= start]
            client = None if internal or not open_clients else rng.choice(open_clients)
            method = rng.choice(("task-rate", "task-rate", "staff-rate", "project-rate", "flat-rate"))
            rate = {"project-rate": Decimal(rng.choice((90, 120))), "flat-rate": Decimal(rng.choice((2500, 8000)))}.get(
                method
            )
            owner_name = client.name.split(" ")[0] if client else "Internal"
            project = Project(
                ids(),
                names(f"{owner_name} {rng.choice(PROJECT_TOPICS)} {start.year}"),
                client,
                method,
                rate,
                start,
                end,
                hour_budget=Decimal(rng.choice((40, 80, 200))) if rng.random() < 0.4 else None,
            )
            picked = rng.sample(usable, min(len(usable), rng.randint(2, 4)))
            project.tasks = [(t, Decimal(rng.choice((95, 105, 115))) if rng.random() < 0.3 else None) for t in picked]
            team = [s for s in staff if s.employed(start, end)]
            members = rng.sample(team, min(len(team), rng.randint(1, 4))) or [owner]
            # FreshBooks lists the staff as it is today: whoever left since is off the list, not their time.
            project.staff = [s for s in members if s.left is None]
            project.extra_staff = [s for s in members if s.left is not None]
            others = [t for t in usable if t not in picked]
            if others and rng.random() < 0.3:  # somebody logged on a task nobody listed
                project.extra_tasks = [rng.choice(others)]
            outsiders = [s for s in team if s not in members]
            if outsiders and rng.random() < 0.3:
                project.extra_staff.append(rng.choice(outsiders))
            projects.append(project)
        return projects, pinned

    def _archive_clients(self, clients: list[Client], projects: list[Project], fixed: dict[str, Client]) -> None:
        """Clients whose last project ended years ago are often moved to the archived folder."""
        last_end: dict[int, dt.date] = {}
        for project in projects:
            if project.client is not None:
                last_end[project.client.id] = max(project.end, last_end.get(project.client.id, project.end))
        for client in clients:
            if client in fixed.values() or client.folder != "active" or client.id not in last_end:
                continue
            if last_end[client.id] < D(2016, 1, 1) and self.rng.random() < 0.4:
                client.folder = "archived"

    def categories(self) -> list[Category]:
        """Expense categories with one hierarchy (Travel › Taxi)."""
        ids = Ids(self.rng, 60, 2)
        travel = Category(ids(), "Travel")
        return [
            travel,
            Category(ids(), "Taxi", travel),
            Category(ids(), "Meals"),
            Category(ids(), "Software"),
            Category(ids(), "Hardware"),
            Category(ids(), "Mileage"),
        ]

    def items(self) -> list[Item]:
        """The catalogue invoice lines name."""
        ids = Ids(self.rng, 80, 2)
        return [
            Item(ids(), "Hosting", "Yearly hosting", Decimal("240.00")),
            Item(ids(), "Domain", "Domain name, 1 year", Decimal(15)),
            Item(ids(), "Support plan", "Monthly support & updates", Decimal("150.00")),
            Item(ids(), "Stock photos", "Licensed images", Decimal("45.00")),
            Item(ids(), "Print run", "500 brochures", Decimal("380.00")),
        ]

    def build(self) -> Account:
        """The whole account for `scale`, traps first (see the module docstring)."""
        rng = self.rng
        staff = self.staff()
        tasks = self.tasks()
        clients, fixed = self.clients()
        projects, pinned = self.projects(clients, fixed, tasks, staff)
        self._archive_clients(clients, projects, fixed)
        items = self.items()
        billing = Billing(rng, self.timeline, items)
        invoices, estimates, credits = billing.bills(self.scale, fixed, pinned, projects)
        index = {project.id: i for i, project in enumerate(projects)}

        def slot(key: str, task: str, staff_member: Staff) -> EntrySlot:
            project = pinned[key]
            task_id = next(t.id for t in tasks if t.name == task)
            return (index[project.id], str(project.id), str(task_id), str(staff_member.id))

        owner, omar, jonas = staff[0], staff[1], staff[2]
        pinned_entries = [
            slot("eur", "Copywriting", owner),  # a task taken off the project
            slot("eur", "Design", omar),  # a staff member not listed on the project
            slot("archived", "Design", omar),  # the archived client's project
            slot("internal", "Admin", owner),  # the project without a client
            slot("internal", "Meetings", jonas),  # a staff member who left, on no project's list
        ]
        categories = self.categories()
        taxi, software = categories[1], categories[3]
        pinned_expenses: list[ExpenseSlot] = [
            (index[pinned["archived"].id], str(pinned["archived"].id), str(omar.id), categories.index(taxi)),
            (index[pinned["eur"].id], str(pinned["eur"].id), str(owner.id), categories.index(software)),  # deleted
            (index[pinned["internal"].id], str(pinned["internal"].id), str(jonas.id), categories.index(software)),
        ]  # the last: by the staff member who left, on a project that no longer lists him
        expenses = self.scale.expenses
        deleted = {1} | {i for i in range(len(pinned_expenses), expenses) if rng.random() < 0.03}
        return Account(
            staff,
            clients,
            tasks,
            projects,
            categories,
            items,
            invoices,
            estimates,
            credits,
            pinned_entries,
            pinned_expenses,
            frozenset(deleted),
        )
