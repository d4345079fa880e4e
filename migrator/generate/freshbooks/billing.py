"""Invoices, estimates, payments and credits of a generated FreshBooks account, with FreshBooks' figures.

Amounts follow FreshBooks' own arithmetic (`arithmetic.freshbooks_amount`: taxes per line, compound
on the first tax); an invoice whose taxes v2 cannot hold is never paid in full (its payments would
exceed the v2 total). Payments produce the status; ids and numbers are handed out in date order.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from migrator.generate.arithmetic import Tax, cents
from migrator.generate.freshbooks.model import (
    ECO,
    GST,
    PST,
    QST,
    TVA,
    TVA_REDUITE,
    Bill,
    Client,
    Item,
    Line,
    Payment,
    Project,
)
from migrator.generate.ids import Ids
from migrator.generate.scale import Scale
from migrator.generate.timeline import EXPORTED, Timeline, month_name

D = dt.date


class Billing:
    """Invoices, estimates, payments and credits with FreshBooks' own figures."""

    def __init__(self, rng: random.Random, timeline: Timeline, items: list[Item]) -> None:
        self.rng, self.timeline, self.items = rng, timeline, items

    def lines(self, project: Project | None, day: dt.date, taxes: tuple[Tax | None, Tax | None]) -> list[Line]:
        """Time lines for the project's tasks and, sometimes, catalogue or typed-in Item lines."""
        rng = self.rng
        tax1, tax2 = taxes
        out = []
        tasks = project.tasks if project and project.tasks else []
        for task, rate in rng.sample(tasks, min(len(tasks), rng.randint(1, 2))):
            hours = Decimal(rng.randint(4, 160)) / 4
            cost = rate or task.rate or Decimal(100)
            out.append(Line(task.name, month_name(day), cost, hours, "Time", tax1, tax2))
        if not out or rng.random() < 0.3:
            item = rng.choice(self.items)
            out.append(
                Line(item.name, item.description, item.unit_cost, Decimal(rng.randint(1, 3)), "Item", tax1, tax2)
            )
        if rng.random() < 0.05:  # a line typed by hand, not from the catalogue: kind Product in v2
            out.append(Line("Rush fee", "Weekend delivery", Decimal("250.00"), Decimal(1), "Item", tax1, tax2))
        return out

    def status(self, day: dt.date, exact: bool) -> str:
        """A status by age (older invoices are paid); an invoice v2 cannot hold is never paid."""
        age, rng = (EXPORTED - day).days, self.rng
        if not exact:  # v2 would hold another total: never paid in full (a payment would exceed it)
            return rng.choice(("draft", "sent", "viewed")) if age < 60 else rng.choice(("sent", "viewed"))
        if age < 60:
            return rng.choices(("draft", "sent", "viewed", "partial", "paid"), (0.3, 0.3, 0.2, 0.1, 0.1))[0]
        if age < 365:
            return rng.choices(("paid", "partial", "viewed", "sent"), (0.75, 0.1, 0.08, 0.07))[0]
        return rng.choices(("paid", "partial", "sent", "viewed"), (0.9, 0.04, 0.03, 0.03))[0]

    def pay(self, bill: Bill, payments: int | None = None) -> None:
        """Payments that produce the bill's status: in full (once or in two parts) or in part."""
        rng, amount = self.rng, bill.figures.amount
        if bill.status == "paid":
            count = payments or rng.choice((1, 1, 2))
            first = cents(amount * Decimal(rng.randint(30, 70)) / 100) if count == 2 else amount
            shares = [first, amount - first] if first != amount else [amount]
        elif bill.status == "partial":
            shares = [cents(amount * Decimal(rng.randint(20, 70)) / 100)]
        else:
            shares = []
        day = bill.day
        for share in shares:
            day = min(EXPORTED - dt.timedelta(days=1), day + dt.timedelta(days=rng.randint(3, 40)))
            kind = rng.choice(("Check", "Bank Transfer", "Credit Card", "PayPal"))
            bill.payments.append(
                Payment(0, bill.client, share, day, kind, rng.choice(("", "Virement", "Thanks!")), bill.currency, bill)
            )

    def bills(
        self, scale: Scale, fixed: dict[str, Client], pinned: dict[str, Project], projects: list[Project]
    ) -> tuple[list[Bill], list[Bill], list[Payment]]:
        """The pinned invoices, estimates and a credit, then random ones up to the scale."""
        rng = self.rng
        items = {item.name: item for item in self.items}

        def line(
            name: str,
            quantity: str,
            tax1: Tax | None = None,
            tax2: Tax | None = None,
            compound: bool = False,
            kind: str = "Time",
            cost: str = "100",
        ) -> Line:
            if name in items:
                kind, cost, description = "Item", str(items[name].unit_cost), items[name].description
            else:
                description = 'Sprint work, "phase 2" & review'
            return Line(name, description, Decimal(cost), Decimal(quantity), kind, tax1, tax2, compound)

        def bill(client: str, day: dt.date, status: str, lines: list[Line], **kw: object) -> Bill:
            return Bill(fixed[client], day, status, lines, **kw)  # type: ignore[arg-type]

        invoices = [
            bill("eur", D(2016, 3, 10), "paid", [line("Design", "10", TVA), line("Hosting", "1", TVA)]),
            bill(
                "cad",
                D(2018, 10, 12),
                "partial",
                [line("Development", "12.5", GST, cost="105"), line("Support plan", "2", GST, PST)],
                discount=Decimal(10),
            ),
            bill(
                "eur",
                D(2018, 11, 5),
                "sent",
                [line("Design", "6", TVA), line("Print run", "1", TVA_REDUITE), line("Stock photos", "4", TVA, ECO)],
            ),
            bill("cad", D(2012, 5, 14), "viewed", [line("Development", "7.75", GST, QST, compound=True, cost="105")]),
            bill("usd", D(2018, 12, 12), "draft", [line("Hosting", "1"), line("Domain", "3")]),
            bill("archived", D(2011, 9, 30), "paid", [line("Design", "14", cost="110")]),
            bill("usd", D(2014, 2, 3), "sent", [line("Design", "2")], folder="deleted"),
            bill("person", D(2017, 8, 21), "sent", [line("Development", "3.25")], notes="Merci !\nCheers"),
        ]
        self.pay(invoices[0], payments=2)
        self.pay(invoices[1])
        self.pay(invoices[5])
        estimates = [
            bill("cad", D(2018, 9, 3), "sent", [line("Development", "20", GST, PST, cost="105")]),
            bill("eur", D(2015, 2, 20), "accepted", [line("Design", "2.5", TVA), line("Stock photos", "3", TVA, ECO)]),
            bill(
                "eur",
                D(2018, 7, 2),
                "sent",
                [line("Design", "4", TVA), line("Print run", "2", TVA_REDUITE), line("Hosting", "1", TVA, ECO)],
            ),
            bill("usd", D(2013, 4, 8), "sent", [line("Design", "1")], folder="deleted"),
        ]
        billable = [p for p in projects if p.client is not None and p.client.migrated]
        for _ in range(scale.invoices - len(invoices)):
            invoices.append(self._random(billable, pinned, estimate=False))
        for _ in range(scale.estimates - len(estimates)):
            estimates.append(self._random(billable, pinned, estimate=True))
        credits = [
            Payment(
                0,
                client,
                Decimal(rng.choice((50, 100, 250))),
                self.timeline.between(rng, D(2012, 1, 2), D(2018, 6, 1)),
                "Credit",
                "Prepayment credit",
                client.currency,
            )
            for client in [fixed["usd"]]
            + [rng.choice([c for c in fixed.values() if c.migrated]) for _ in range(len(invoices) // 200)]
        ]
        self._number(invoices, estimates, credits)
        return invoices, estimates, credits

    def _random(self, billable: list[Project], pinned: dict[str, Project], *, estimate: bool) -> Bill:
        rng = self.rng
        day = self.timeline.between(rng, D(2009, 3, 2), D(2018, 12, 21))
        open_projects = [p for p in billable if p.start <= day <= p.end + dt.timedelta(days=45)]
        project = rng.choice(open_projects or [pinned["eur"]])
        client = project.client
        assert client is not None
        lines = self.lines(project, day, client.taxes)
        if client.currency == "EUR" and rng.random() < 0.03:  # a reduced rate on one line: v2 cannot hold it
            lines.append(Line("Print run", "500 brochures", Decimal("380.00"), Decimal(1), "Item", TVA_REDUITE))
        discount = Decimal(rng.choice((5, 10))) if rng.random() < 0.08 else None
        made = Bill(
            client,
            day,
            "draft",
            lines,
            discount=discount,
            terms=rng.choice(("", "Net 15", "Payment due in 30 days.")),
            po_number=f"PO-{rng.randint(10, 999)}" if rng.random() < 0.2 else "",
        )
        if estimate:
            made.status = rng.choice(("draft", "sent", "sent", "accepted", "viewed"))
            made.folder = "deleted" if rng.random() < 0.03 else "active"
            return made
        made.status = self.status(day, made.figures.exact)
        if rng.random() < 0.02 and made.status not in ("paid", "partial"):
            made.folder = "deleted"
        elif made.status == "paid" and (EXPORTED - day).days > 1000 and rng.random() < 0.2:
            made.folder = "archived"  # old paid invoices tidied away: still migrated
        self.pay(made)
        return made

    def _number(self, invoices: list[Bill], estimates: list[Bill], credits: list[Payment]) -> None:
        """Ids and numbers in date order, as FreshBooks handed them out."""
        for bills, start, prefix in ((invoices, 100, "FB-"), (estimates, 110, "E-")):
            bills.sort(key=lambda b: (b.day, b.client.id))
            ids = Ids(self.rng, start, 3)
            for n, made in enumerate(bills, start=1):
                made.id, made.number = ids(), f"{prefix}{n:05d}"
        payments = [p for made in invoices for p in made.payments] + credits
        ids = Ids(self.rng, 200, 2)
        for payment in sorted(payments, key=lambda p: (p.day, p.client.id, p.amount)):
            payment.id = ids()
