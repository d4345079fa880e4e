"""Grow a Harvest v1 account around its traps, to the size `Scale` gives.

The traps are fixed objects built first, in the first years of the history (the sweep pins their
records there), then the account grows around them:

- `left`: a person who left in 2014, whose assignment on the retainer project is deactivated;
- `archived_client` with `archived_project`: entries, expenses and an invoice, 2009-2012;
- `retired_task` ("Flash Development", deactivated 2012) on the archived and the retainer project;
- `ta_deactivated`: Copywriting deactivated on the retainer project only (2015), with history;
- `default_task` (Project Management, a default since 2011) missing on older projects, and the
  owner (`has-access-to-all-future-projects`) left off some projects;
- an archived expense category (Meals) with expenses, and Mileage (0.55 a mile, whole units);
- USD, EUR and CAD clients, invoices in every state with taxes, tax2 and a discount (`billing`).

Growth repeats the traps at random: people leave (their assignments on running projects are
deactivated), finished projects are archived and then their clients, tasks are retired, task
assignments deactivated.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from migrator.generate.harvest_v1.billing import Billing
from migrator.generate.harvest_v1.model import (
    Account,
    Category,
    Client,
    Contact,
    EntrySlot,
    ExpenseSlot,
    Invoice,
    ItemCategory,
    Person,
    Project,
    Task,
    TaskAssignment,
    Traps,
    UserAssignment,
)
from migrator.generate.ids import Ids
from migrator.generate.pools import (
    PROJECT_TOPICS,
    TASK_NAMES,
    TITLES,
    People,
    Unique,
    address,
    ascii_fold,
    company,
    slug,
)
from migrator.generate.scale import Scale
from migrator.generate.timeline import END, START, Timeline

D = dt.date


def build(rng: random.Random, scale: Scale, timeline: Timeline) -> Account:
    """The whole account for `scale`, traps first (see the module docstring)."""
    return _Builder(rng, scale, timeline).build()


class _Builder:
    def __init__(self, rng: random.Random, scale: Scale, timeline: Timeline) -> None:
        self.rng, self.scale, self.timeline = rng, scale, timeline
        self.client_names = Unique()
        self.project_names = Unique()
        self.staff = People(rng, "northwind.example")
        self.outsiders = People(rng, "client.example")

    # --- people, tasks, categories ---------------------------------------------------------------

    def people(self) -> tuple[list[Person], Person, Person]:
        """The owner (admin, all future projects) and the person who left, then the team."""
        rng, ids = self.rng, Ids(self.rng, 501_000)
        owner = Person(
            ids(),
            "Ada",
            "Lindqvist",
            self.staff.email("Ada", "Lindqvist"),
            START,
            admin=True,
            manager=True,
            all_future=True,
            rate=Decimal(150),
            cost_rate=Decimal(60),
            department="Management",
        )
        left = Person(
            ids(),
            "Ben",
            "Okafor",
            self.staff.email("Ben", "Okafor"),
            START,
            left=D(2014, 3, 31),
            rate=Decimal(110),
            cost_rate=Decimal(45),
            department="Design",
        )
        self.staff.reserve(("Ada", "Lindqvist"), ("Ben", "Okafor"))
        people = [owner, left]
        for _ in range(self.scale.people - 2):
            first, last = self.staff.person()
            joined = self.timeline.between(rng, START, D(2017, 6, 30))
            leaves = joined < D(2016, 1, 1) and rng.random() < 0.35
            contractor = rng.random() < 0.15
            person = Person(
                ids(),
                first,
                last,
                self.staff.email(first, last, "freelance.example" if contractor else None),
                joined,
                left=self.timeline.between(rng, joined + dt.timedelta(days=180), D(2018, 6, 29)) if leaves else None,
                manager=rng.random() < 0.15,
                contractor=contractor,
                all_future=rng.random() < 0.08,
                rate=Decimal(rng.choice((85, 95, 110, 120, 135))) if rng.random() < 0.9 else None,
                cost_rate=Decimal(rng.choice((40, 45, 55))) if not contractor else None,
                department=rng.choice(("Design", "Development", "Data", None)),
                timezone=rng.choice(("Eastern Time (US & Canada)", "Pacific Time (US & Canada)", "Berlin")),
            )
            people.append(person)
        return people, owner, left

    def tasks(self) -> tuple[list[Task], dict[str, Task]]:
        """Fixed tasks the traps name (defaults, the retired one), then others from the pool."""
        rng, ids = self.rng, Ids(self.rng, 802_000, 9)
        fixed = [
            Task(ids(), "Meetings", False, None, default_since=START),
            Task(ids(), "Project Management", True, Decimal(120), default_since=D(2011, 1, 1)),
            Task(ids(), "Flash Development", True, Decimal(95), retired=D(2012, 12, 31)),
            Task(ids(), "Copywriting", True, Decimal(90)),
            Task(ids(), "Design", True, Decimal(120)),
            Task(ids(), "Development", True, Decimal(130)),
            Task(ids(), "Admin", False, None),
        ]
        names = [name for name in TASK_NAMES if name not in {t.name for t in fixed}]
        rng.shuffle(names)
        tasks = list(fixed)
        for name in names[: max(0, self.scale.tasks - len(fixed))]:
            retired = self.timeline.between(rng, D(2012, 1, 1), D(2018, 6, 29)) if rng.random() < 0.12 else None
            tasks.append(
                Task(ids(), name, rng.random() < 0.85, Decimal(rng.choice((90, 100, 110, 125))), retired=retired)
            )
        return tasks, {task.name: task for task in fixed}

    def categories(self) -> list[Category]:
        """Expense categories: Mileage is unit-priced, Meals archived in 2014."""
        ids = Ids(self.rng, 1_201_000, 5)
        return [
            Category(ids(), "Travel"),
            Category(ids(), "Mileage", "Miles", Decimal("0.55")),
            Category(ids(), "Meals", retired=D(2014, 6, 30)),
            Category(ids(), "Software"),
            Category(ids(), "Hotel"),
            Category(ids(), "Printing & copies"),
        ]

    # --- clients and projects --------------------------------------------------------------------

    def clients(self) -> tuple[list[Client], dict[str, Client]]:
        """Pinned clients (internal, archived, EUR, CAD, USD), then random ones."""
        rng, ids, unique = self.rng, Ids(self.rng, 1_268_000), self.client_names
        fixed = {
            "internal": Client(ids(), unique("Northwind Studio"), "USD", START),
            "archived": Client(
                ids(), unique("Old Mill Bakery"), "USD", START, archived_on=D(2013, 1, 15), details=address(rng, "USD")
            ),
            "retainer": Client(
                ids(), unique("Kestrel Analytics GmbH"), "EUR", START, details=address(rng, "EUR"), tax=Decimal(19)
            ),
            "cad": Client(
                ids(),
                unique("Maple Leaf Logistics Inc."),
                "CAD",
                D(2009, 1, 5),
                details=address(rng, "CAD"),
                tax=Decimal(5),
                tax2=Decimal("9.975"),
            ),
            "usd": Client(
                ids(),
                unique("Anchor Bar & Grill"),
                "USD",
                D(2009, 6, 1),
                details="65 Northridge Dr\r\nBuffalo, NY 14221",
                tax=Decimal("8.875"),
            ),
        }
        clients = list(fixed.values())
        for _ in range(self.scale.clients - len(clients)):
            currency = rng.choices(("USD", "EUR", "CAD"), (0.55, 0.3, 0.15))[0]
            tax, tax2 = {
                "USD": rng.choice(((None, None), (Decimal("8.875"), None))),
                "EUR": rng.choice(((Decimal(19), None), (Decimal(20), None))),
                "CAD": rng.choice(((Decimal(5), Decimal("9.975")), (Decimal(13), None))),
            }[currency]
            clients.append(
                Client(
                    ids(),
                    company(rng, currency, unique),
                    currency,
                    self.timeline.between(rng, START, D(2018, 1, 31)),
                    details=address(rng, currency) if rng.random() < 0.8 else None,
                    tax=tax,
                    tax2=tax2,
                )
            )
        return clients, fixed

    def projects(self, clients: list[Client], fixed: dict[str, Client]) -> tuple[list[Project], dict[str, Project]]:
        """Pinned projects (internal, archived, retainer, …), then random ones; archived when done."""
        rng, ids, names = self.rng, Ids(self.rng, 2_100_000, 300), self.project_names
        codes: dict[int, int] = {}

        def make(client: Client, name: str, start: dt.date, end: dt.date, **kw: object) -> Project:
            codes[client.id] = codes.get(client.id, 0) + 1
            code = f"{slug(client.name)}-{codes[client.id]:02d}"
            return Project(ids(), client, names(name), code, start, end, **kw)  # type: ignore[arg-type]

        pinned = {
            "internal": make(
                fixed["internal"], "Internal: admin & training", START, END, billable=False, bill_by="none"
            ),
            "archived": make(
                fixed["archived"],
                "Old Mill — shop window 2009",
                START,
                D(2012, 11, 30),
                archived=True,
                budget=Decimal(120),
                notes="Seasonal displays & signage",
            ),
            "retainer": make(fixed["retainer"], "Kestrel retainer", START, END, bill_by="People"),
            "cad": make(fixed["cad"], "Maple Leaf fleet portal", D(2009, 1, 5), END, budget=Decimal(800)),
            "usd": make(
                fixed["usd"],
                "Anchor Bar & Grill website",
                D(2009, 6, 1),
                END,
                bill_by="Project",
                hourly_rate=Decimal(125),
            ),
        }
        projects = list(pinned.values())
        candidates = [c for c in clients if c is not fixed["internal"]]
        for _ in range(self.scale.projects - len(projects)):
            start = self.timeline.between(rng, START, D(2018, 9, 28))
            open_clients = [
                c
                for c in candidates
                if c.since <= start and (c.archived_on is None or c.archived_on > start + dt.timedelta(days=90))
            ]
            client = rng.choice(open_clients or [fixed["usd"]])
            end = min(END, start + dt.timedelta(days=30 * rng.randint(2, 36)))
            if client.archived_on is not None:
                end = min(end, client.archived_on - dt.timedelta(days=10))
            topic = rng.choice(PROJECT_TOPICS)
            project = make(
                client,
                f"{client.name.split(' ')[0]} {topic} {start.year}",
                start,
                end,
                bill_by=rng.choice(("Tasks", "Tasks", "People", "Project", "none")),
                budget=Decimal(rng.choice((40, 80, 120, 200, 500))) if rng.random() < 0.5 else None,
            )
            if project.bill_by == "Project":
                project.hourly_rate = Decimal(rng.choice((95, 110, 125, 150)))
            project.billable = project.bill_by != "none"
            project.archived = client.archived_on is not None or (end < D(2018, 1, 1) and rng.random() < 0.85)
            projects.append(project)
        self._archive_clients(clients, projects, fixed)
        return projects, pinned

    def _archive_clients(self, clients: list[Client], projects: list[Project], fixed: dict[str, Client]) -> None:
        """A client whose projects all ended long ago and were archived is archived too (never before)."""
        by_client: dict[int, list[Project]] = {}
        for project in projects:
            by_client.setdefault(project.client.id, []).append(project)
        for client in clients:
            if client in fixed.values() or client.archived_on is not None:
                continue
            own = by_client.get(client.id, [])
            ended = own and all(p.archived for p in own) and max(p.end for p in own) < D(2016, 6, 1)
            if ended and self.rng.random() < 0.5:
                client.archived_on = max(p.end for p in own) + dt.timedelta(days=60)

    # --- assignments -----------------------------------------------------------------------------

    def assign(
        self,
        projects: list[Project],
        pinned: dict[str, Project],
        people: list[Person],
        tasks: list[Task],
        fixed: dict[str, Task],
        owner: Person,
        left: Person,
    ) -> TaskAssignment:
        """Task and user assignments of every project; returns the one deactivated on the retainer."""
        rng = self.rng
        ta_ids, ua_ids = Ids(rng, 3_300_000, 30), Ids(rng, 4_400_000, 30)
        by_name = {task.name: task for task in tasks}
        overrides = {
            pinned["internal"].id: ["Admin", "Meetings"],
            pinned["archived"].id: ["Design", "Flash Development", "Meetings"],
            pinned["retainer"].id: [
                "Development",
                "Copywriting",
                "Flash Development",
                "Meetings",
                "Project Management",
            ],
            pinned["cad"].id: ["Development", "Design", "Meetings"],
            pinned["usd"].id: ["Design", "Copywriting", "Meetings", "Development"],
        }
        pickable = [t for t in tasks if not t.is_default and t.name != "Admin"]
        ta_deactivated: TaskAssignment | None = None
        for project in projects:
            if project.id in overrides:
                chosen = [by_name[name] for name in overrides[project.id]]
            else:
                chosen = [t for t in tasks if t.default_since is not None and t.default_since <= project.start]
                usable = [t for t in pickable if t.retired is None or t.retired > project.start + dt.timedelta(days=60)]
                chosen += rng.sample(usable, min(len(usable), rng.randint(2, 4)))
            for task in chosen:
                rate = task.rate if project.billable else None
                ta = TaskAssignment(ta_ids(), task, task.billable and project.billable, rate)
                project.tasks.append(ta)
                if project is pinned["retainer"] and task.name == "Copywriting":
                    ta.until, ta_deactivated = D(2015, 6, 30), ta
                elif (
                    project.id not in overrides
                    and not task.is_default
                    and len(project.tasks) > 2
                    and (project.end - project.start).days > 400
                    and rng.random() < 0.1
                ):
                    ta.until = self.timeline.between(rng, project.start + dt.timedelta(days=180), project.end)
            self._assign_people(project, pinned, people, owner, left, ua_ids)
        assert ta_deactivated is not None
        return ta_deactivated

    def _assign_people(
        self, project: Project, pinned: dict[str, Project], people: list[Person], owner: Person, left: Person, ids: Ids
    ) -> None:
        rng = self.rng
        employed = [p for p in people if p.employed(project.start, project.end)]
        if project is pinned["internal"]:
            members = list(people)  # everyone logs internal time
        elif project is pinned["archived"]:  # the owner (all future projects) was never on it
            members = [left] + [p for p in employed if p not in (owner, left)][:1]
        else:
            others = [p for p in employed if not p.all_future and p is not left]
            members = rng.sample(others, min(len(others), rng.randint(1, 4)))
            if project is pinned["retainer"]:
                members.insert(0, left)
            if project is not pinned["usd"]:  # all-future-projects people, unless removed (never the owner)
                members += [p for p in employed if p.all_future and (p is owner or rng.random() < 0.7)]
        seen: set[int] = set()
        for person in members:
            if person.id in seen:
                continue
            seen.add(person.id)
            rate = person.rate if project.bill_by == "People" else None
            # Leaving deactivates a person's assignments on projects that are still running.
            deactivated = person.left is not None and not project.archived
            project.users.append(UserAssignment(ids(), person, rate, manager=person is owner, deactivated=deactivated))
        if not project.users:
            project.users.append(UserAssignment(ids(), owner, None, manager=True))

    # --- billing ---------------------------------------------------------------------------------

    def invoices(
        self, pinned: dict[str, Project], projects: list[Project], owner: Person, contacts: list[Contact]
    ) -> list[Invoice]:
        """Pinned invoices (each state, tax shape and currency), then random ones by date."""
        rng = self.rng
        billing = Billing(rng, owner, contacts)
        fixed = [
            billing.invoice(pinned["usd"], D(2018, 12, 14), "draft", tax_only=True),
            billing.invoice(pinned["retainer"], D(2018, 11, 30), "open"),
            billing.invoice(pinned["cad"], D(2018, 10, 15), "partial", discount=Decimal(10), quirky=True),
            billing.invoice(pinned["usd"], D(2017, 5, 10), "paid", payments=2, quirky=True),
            billing.invoice(pinned["retainer"], D(2016, 2, 1), "closed"),
            billing.invoice(pinned["archived"], D(2011, 6, 30), "paid"),
        ]
        billable = [p for p in projects if p.billable]
        invoices = list(fixed)
        for _ in range(self.scale.invoices - len(fixed)):
            issued = self.timeline.between(rng, D(2009, 3, 2), D(2018, 12, 21))
            open_projects = [p for p in billable if p.start <= issued <= p.end + dt.timedelta(days=45)]
            project = rng.choice(open_projects or [pinned["retainer"]])
            invoices.append(billing.invoice(project, issued, billing.state_for(issued)))
        invoices.sort(key=lambda inv: (inv.issued, inv.client.id))
        billing.number(invoices)
        return invoices

    def contacts(self, clients: list[Client], fixed: dict[str, Client]) -> list[Contact]:
        """People at clients, one in five without an e-mail."""
        rng, ids = self.rng, Ids(self.rng, 601_000, 12)
        contacts: list[Contact] = []
        for client in clients:
            if client is fixed["internal"]:
                continue
            count = 2 if client is fixed["retainer"] else rng.randint(0, 3)
            domain = f"{ascii_fold(client.name).split(' ')[0] or 'client'}.example"
            for n in range(count):
                first, last = self.outsiders.person()
                # People at a client without an e-mail: the switchboard, an assistant.
                no_email = (client is fixed["retainer"] and n == 1) or rng.random() < 0.2
                email = None if no_email else self.outsiders.email(first, last, domain)
                phone = f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
                contacts.append(Contact(ids(), client, first, last, email, rng.choice(TITLES), phone))
        return contacts

    def build(self) -> Account:
        """The account with its traps and pinned records."""
        people, owner, left = self.people()
        tasks, fixed_tasks = self.tasks()
        categories = self.categories()
        clients, fixed_clients = self.clients()
        projects, pinned = self.projects(clients, fixed_clients)
        ta_deactivated = self.assign(projects, pinned, people, tasks, fixed_tasks, owner, left)
        contacts = self.contacts(clients, fixed_clients)
        invoices = self.invoices(pinned, projects, owner, contacts)
        items = [
            ItemCategory(1_401_001, "Service", True, False),
            ItemCategory(1_401_002, "Product", False, True),
            ItemCategory(1_401_377, "Hosting", True, False),
        ]
        travel, mileage, meals = categories[0], categories[1], categories[2]
        traps = Traps(
            owner,
            left,
            pinned["internal"],
            fixed_clients["archived"],
            pinned["archived"],
            pinned["retainer"],
            fixed_tasks["Flash Development"],
            ta_deactivated,
            fixed_tasks["Project Management"],
            meals,
            mileage,
        )
        index = {project.id: i for i, project in enumerate(projects)}
        archived, retainer = pinned["archived"], pinned["retainer"]
        flash = str(fixed_tasks["Flash Development"].id)
        # The first records of each sweep (January 2009, when every trap is still open).
        pinned_entries: list[EntrySlot] = [
            (index[archived.id], str(archived.id), flash, str(left.id)),  # archived project, retired task, leaver
            (index[retainer.id], str(retainer.id), flash, str(left.id)),  # a second project; deactivated assignment
            (index[retainer.id], str(retainer.id), str(ta_deactivated.task.id), str(owner.id)),
        ]
        pinned_expenses: list[ExpenseSlot] = [
            (index[archived.id], str(archived.id), str(left.id), categories.index(meals)),  # an archived category
            (index[retainer.id], str(retainer.id), str(owner.id), categories.index(mileage)),  # whole units
            (index[archived.id], str(archived.id), str(left.id), categories.index(travel)),
        ]
        return Account(
            "Northwind Studio",
            clients,
            contacts,
            people,
            tasks,
            projects,
            categories,
            items,
            invoices,
            traps,
            pinned_entries,
            pinned_expenses,
        )
