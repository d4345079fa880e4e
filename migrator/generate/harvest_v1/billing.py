"""Invoices of a generated Harvest v1 account: lines, taxes, payments and messages that agree.

Every figure follows Harvest's arithmetic (`arithmetic.harvest_totals`), so v2 reproduces it to the
cent; payments produce the state (paid in full, partial, a deposit before a write-off), and each
sent invoice has its messages. Ids and numbers are handed out in date order.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from migrator.generate.arithmetic import cents
from migrator.generate.harvest_v1.model import Contact, Invoice, Line, Message, Payment, Person, Project
from migrator.generate.ids import Ids
from migrator.generate.timeline import EXPORTED, month_name


class Billing:
    """Invoices with lines, taxes, payments and messages consistent with Harvest's arithmetic."""

    TERMS = (("net 30", 30), ("net 30", 30), ("net 15", 15), ("upon receipt", 0), ("custom", 45))

    def __init__(self, rng: random.Random, owner: Person, contacts: list[Contact]) -> None:
        self.rng, self.owner = rng, owner
        self.recipients: dict[int, str] = {}
        for contact in contacts:
            if contact.email:
                listed = self.recipients.get(contact.client.id)
                entry = f"{contact.first} {contact.last} <{contact.email}>"
                self.recipients[contact.client.id] = f"{listed},{entry}" if listed else entry

    def state_for(self, issued: dt.date) -> str:
        """A state by age: recent invoices are drafts or open, old ones paid (a few written off)."""
        age, rng = (EXPORTED - issued).days, self.rng
        if age < 60:
            return rng.choices(("draft", "open", "partial", "paid"), (0.3, 0.45, 0.15, 0.1))[0]
        if age < 365:
            return rng.choices(("open", "partial", "paid", "closed"), (0.1, 0.1, 0.75, 0.05))[0]
        return rng.choices(("paid", "closed", "partial", "open"), (0.9, 0.05, 0.03, 0.02))[0]

    def invoice(
        self,
        project: Project,
        issued: dt.date,
        state: str,
        *,
        tax_only: bool = False,
        discount: Decimal | None = None,
        payments: int | None = None,
        quirky: bool = False,
    ) -> Invoice:
        """One invoice of `project`'s client, settled into `state`."""
        rng, client = self.rng, project.client
        tax, tax2 = client.tax, client.tax2
        if tax_only:
            tax2 = None
        if discount is None and rng.random() < 0.08:
            discount = Decimal(rng.choice((5, 10, 15)))
        lines = self._lines(project, issued, tax is not None, tax2 is not None, quirky)
        term, days = rng.choice(self.TERMS)
        month = month_name(issued)
        invoice = Invoice(
            client,
            state,
            issued,
            term,
            issued + dt.timedelta(days=days),
            f"{project.name}: {month}",
            lines,
            tax=tax,
            tax2=tax2,
            discount=discount,
            notes=rng.choice(
                ("Thank you for your business.", "", "Bank: DE89 3704 0044 0532 0130 00\r\nBIC: COBADEFFXXX")
            ),
            purchase_order=f"PO-{rng.randint(1000, 9999)}" if rng.random() < 0.3 else "",
        )
        self._settle(invoice, payments)
        return invoice

    def _lines(self, project: Project, issued: dt.date, taxed: bool, taxed2: bool, quirky: bool) -> list[Line]:
        rng = self.rng
        rates = [ta for ta in project.tasks if ta.billable] or project.tasks
        lines = []
        for ta in rng.sample(rates, min(len(rates), rng.randint(1, 3))):
            hours = Decimal(rng.randint(100, 8000)) / 100
            price = project.hourly_rate or ta.rate or Decimal(100)
            description = f"{ta.task.name} — {month_name(issued)}"
            lines.append(Line("Service", description, hours, price, taxed, taxed2, project))
        if rng.random() < 0.15:
            lines.append(
                Line("Product", "Stock photos", Decimal(rng.randint(1, 6)), Decimal("45.00"), taxed, False, None)
            )
        if rng.random() < 0.1:
            lines.append(Line("Hosting", "Hosting, 12 months", Decimal(1), Decimal("240.00"), taxed, taxed2, None))
        if quirky:  # csv quoting: a comma, doubled quotes and a line break inside descriptions
            lines[0].description = 'Sprint 3, "checkout" flow\nincl. QA & review'
        return lines

    def _settle(self, invoice: Invoice, count: int | None) -> None:
        """Payments and messages that produce the invoice's state."""
        rng, amount = self.rng, invoice.totals.amount
        state = invoice.state
        if state == "paid":
            shares = [amount] if (count or rng.choice((1, 1, 2))) == 1 else self._split(amount)
        elif state == "partial":
            shares = [cents(amount * Decimal(rng.randint(20, 70)) / 100)]
        elif state == "closed":  # a deposit, then the rest written off
            shares = [cents(amount * Decimal(rng.randint(10, 40)) / 100)]
        else:
            shares = []
        day = invoice.issued
        for share in shares:
            day = min(EXPORTED - dt.timedelta(days=1), day + dt.timedelta(days=rng.randint(3, 40)))
            at = dt.datetime(day.year, day.month, day.day)
            if rng.random() < 0.15:  # recorded with a time of day (v2 keeps the date only)
                at += dt.timedelta(hours=rng.randint(8, 18), minutes=rng.randint(0, 59))
            notes = rng.choice(("", "Wire transfer", "Cheque #" + str(rng.randint(100, 999)), "Deposit"))
            invoice.payments.append(Payment(0, share, at, notes, self.owner))
        recipients = self.recipients.get(invoice.client.id) or f"{self.owner.name} <{self.owner.email}>"
        if state != "draft":
            sent = dt.datetime.combine(invoice.issued, dt.time(10, rng.randint(0, 59)))
            body = f"Invoice for {invoice.subject}.\r\nPlease find it attached & pay by {invoice.due}."
            invoice.messages.append(Message(0, sent, body, self.owner, recipients))
        if state == "paid" and invoice.payments and rng.random() < 0.5:
            thanks = invoice.payments[-1].paid_at + dt.timedelta(hours=2)
            invoice.messages.append(Message(0, thanks, "Thank you — payment received.", self.owner, recipients, True))

    def _split(self, amount: Decimal) -> list[Decimal]:
        first = cents(amount * Decimal(self.rng.randint(30, 70)) / 100)
        return [first, amount - first] if first not in (Decimal(0), amount) else [amount]

    def number(self, invoices: list[Invoice]) -> None:
        """Ids, numbers, payment and message ids in date order, as the source handed them out."""
        ids, pay_ids, msg_ids = Ids(self.rng, 6_763_000), Ids(self.rng, 4_001_000), Ids(self.rng, 5_001_000)
        per_year: dict[int, int] = {}
        for invoice in invoices:
            invoice.id = ids()
            per_year[invoice.issued.year] = per_year.get(invoice.issued.year, 0) + 1
            invoice.number = f"{invoice.issued.year}-{per_year[invoice.issued.year]:04d}"
        for payment in sorted((p for inv in invoices for p in inv.payments), key=lambda p: p.paid_at):
            payment.id = pay_ids()
        for message in sorted((m for inv in invoices for m in inv.messages), key=lambda m: m.sent_at):
            message.id = msg_ids()
