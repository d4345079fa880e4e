"""Write a FreshBooks Classic account as saved `<response>` bodies, every list paged like the API.

One page per file (`page`, `per_page`, `pages`, `total` on the list element); `per_page` is 25,
FreshBooks' default, raised to the maximum of 100 for lists of more than 2,500 records (time
entries, expenses of a big account), so every size has a list over several pages. The deleted
folder is a separate request per family (`folder=deleted`), so a separate list:

    clients/client.list-pNNN.xml        archive/client.list.deleted-pNNN.xml
    team/staff.list-pNNN.xml            work/task.list-pNNN.xml, work/project.list-pNNN.xml
    time/time_entry.list-pNNNNN.xml     work/category.list-pNNN.xml
    work/expense.list-pNNN.xml          archive/expense.list.deleted-pNNN.xml
    billing/item.list, tax.list, invoice.list, estimate.list, payment.list, recurring.list
    archive/invoice.list.deleted, archive/estimate.list.deleted

Ids are zero-padded now and then, as real bodies have them; references to them never are.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from migrator.generate.expected import ExpectedBuilder, record_name
from migrator.generate.freshbooks.expect import DELETED, SYSTEM
from migrator.generate.freshbooks.model import TAXES, Account, Bill, Client, EntrySlot, Line, Payment, Project
from migrator.generate.pools import NOTES
from migrator.generate.receipts import ReceiptWriter
from migrator.generate.timeline import Timeline
from migrator.generate.xmlout import Folder, PagedList, esc, fb, fb_money, plain_decimal, write_paged

PER_PAGE = 25
PER_PAGE_BULK = 100


def per_page(total: int) -> int:
    """What the exporter asked for: the default, or the maximum for a long list."""
    return PER_PAGE_BULK if total > 2_500 else PER_PAGE


def _list(folder: Folder, stem: str, name: str, records: list[str], *, deleted: bool = False) -> None:
    # The deleted folder was a second export run, at the maximum page size.
    write_paged(folder, stem, name, records, PER_PAGE_BULK if deleted else per_page(len(records)))


ENTRY_BASE = 343_700
EXPENSE_BASE = 320_300


def _id(value: int) -> str:
    """Some bodies zero-pad ids (`00000000101`); the reader must key them unpadded."""
    return f"{value:011d}" if value % 7 == 0 else str(value)


def _stamp(day: dt.date, hour: int = 10) -> str:
    return f"{day.isoformat()} {hour:02d}:{day.toordinal() % 60:02d}:00"


def write_account(folder: Folder, account: Account) -> None:
    """Everything but time entries and expenses."""
    clients = [c for c in account.clients if c.migrated]
    _list(folder, "clients/client.list", "clients", [_client(c) for c in clients])
    deleted = [c for c in account.clients if not c.migrated]
    _list(folder, "archive/client.list.deleted", "clients", [_client(c) for c in deleted], deleted=True)
    _list(
        folder,
        "team/staff.list",
        "staff_members",
        [
            "    <member>"
            + "".join(
                (
                    fb("staff_id", m.id),
                    fb("username", m.email.split("@")[0]),
                    fb("first_name", m.first),
                    fb("last_name", m.last),
                    fb("email", m.email),
                    fb("business_phone", "555-0100" if m.id == 1 else None),
                    fb("rate", m.rate),
                    fb("last_login", _stamp(m.left) if m.left else "0000-00-00 00:00:00"),
                    fb("number_of_logins", 10 + m.id * 7),
                    fb("signup_date", _stamp(m.joined)),
                )
            )
            + "</member>\n"
            for m in account.staff
        ],
    )
    _list(
        folder,
        "work/task.list",
        "tasks",
        [
            "    <task>"
            + "".join(
                (
                    fb("task_id", t.id),
                    fb("name", t.name),
                    fb("description", t.description),
                    fb("billable", t.billable),
                    fb("rate", t.rate),
                )
            )
            + "</task>\n"
            for t in account.tasks
        ],
    )
    _list(folder, "work/project.list", "projects", [_project(p) for p in account.projects])
    _list(
        folder,
        "work/category.list",
        "categories",
        [
            "    <category>"
            + "".join(
                (
                    fb("category_id", _id(c.id)),
                    fb("name", c.name),
                    fb("tax1", None),
                    fb("tax2", None),
                    fb("parent_id", c.parent.id if c.parent else None),
                )
            )
            + "</category>\n"
            for c in account.categories
        ],
    )
    _list(
        folder,
        "billing/item.list",
        "items",
        [
            "    <item>"
            + "".join(
                (
                    fb("item_id", i.id),
                    fb("name", i.name),
                    fb("description", i.description),
                    fb("unit_cost", fb_money(i.unit_cost)),
                    fb("quantity", 1),
                    fb("inventory", None),
                    fb("folder", "active"),
                )
            )
            + "</item>\n"
            for i in account.items
        ],
    )
    _list(
        folder,
        "billing/tax.list",
        "taxes",
        [
            "    <tax>"
            + "".join(
                (
                    fb("tax_id", 90 + n),
                    fb("name", t.name),
                    fb("rate", t.rate),
                    fb("number", None),
                    fb("compound", t.name == "QST"),
                )
            )
            + "</tax>\n"
            for n, t in enumerate(TAXES, start=1)
        ],
    )
    for kind, bills in (("invoice", account.invoices), ("estimate", account.estimates)):
        kept = [_bill(kind, b) for b in sorted(bills, key=lambda b: b.id, reverse=True) if b.migrated]
        _list(folder, f"billing/{kind}.list", f"{kind}s", kept)
        gone = [_bill(kind, b) for b in bills if not b.migrated]
        _list(folder, f"archive/{kind}.list.deleted", f"{kind}s", gone, deleted=True)
    _list(folder, "billing/payment.list", "payments", [_payment(p) for p in account.payments])
    eur = next(c for c in account.clients if c.currency == "EUR" and c.migrated)
    _list(
        folder,
        "billing/recurring.list",
        "recurrings",
        [
            "    <recurring>"
            + "".join(
                (
                    fb("recurring_id", 121),
                    fb("client_id", eur.id),
                    fb("frequency", "m"),
                    fb("occurrences", 0),
                    fb("stopped", False),
                    fb("amount", "240.00"),
                )
            )
            + "</recurring>\n"
        ],
    )


def _client(client: Client) -> str:
    contacts = "".join(
        "<contact>"
        + "".join(
            (
                fb("contact_id", c.id),
                fb("username", None),
                fb("first_name", c.first),
                fb("last_name", c.last),
                fb("email", c.email),
                fb("phone1", c.phone),
                fb("phone2", None),
            )
        )
        + "</contact>"
        for c in client.contacts
    )
    return (
        "    <client>"
        + "".join(
            (
                fb("client_id", _id(client.id)),
                fb("first_name", client.first),
                fb("last_name", client.last),
                fb("organization", client.organization),
                fb("email", client.email),
                fb("username", client.email.split("@")[0]),
                fb("work_phone", "+1 555 0100"),
                fb("mobile", None),
                fb("fax", None),
                fb("language", "en"),
                fb("currency_code", client.currency),
                fb("notes", "Billing contact changed\r\nsee e-mail" if client.id % 5 == 0 else None),
                fb("p_street1", f"{client.id} Main Street"),
                fb("p_street2", None),
                fb("p_city", client.city or "Springfield"),
                fb("p_state", None),
                fb("p_country", {"USD": "United States", "EUR": "France", "CAD": "Canada"}[client.currency]),
                fb("p_code", None),
                fb("vat_name", None),
                fb("vat_number", None),
                fb("folder", client.folder),
                f'<credit currency="{client.currency}" deprecated="true">0</credit>',
                f'<credits><credit currency="{client.currency}">0</credit></credits>',
                fb("updated", _stamp(client.since)),
                f"<contacts>{contacts}</contacts>" if contacts else "<contacts/>",
            )
        )
        + "</client>\n"
    )


def _project(project: Project) -> str:
    tasks = "".join(f"<task>{fb('task_id', t.id)}{fb('rate', rate)}</task>" for t, rate in project.tasks)
    staff = "".join(f"<staff>{fb('staff_id', s.id)}</staff>" for s in project.staff)
    deprecated = "".join(f'<staff_id deprecated="true">{s.id}</staff_id>' for s in project.staff[:1])
    return (
        "    <project>"
        + "".join(
            (
                fb("project_id", project.id),
                fb("name", project.name),
                fb("description", project.description),
                fb("rate", project.rate),
                fb("bill_method", project.bill_method),
                fb("client_id", project.client.id if project.client else None),
                fb("hour_budget", project.hour_budget),
                f"<tasks>{tasks}</tasks>",
                f"<staff>{staff}</staff>",
                deprecated,
            )
        )
        + "</project>\n"
    )


def _line(number: int, line: Line) -> str:
    return (
        "<line>"
        + "".join(
            (
                fb("line_id", number),
                fb("name", line.name),
                fb("description", line.description),
                fb("unit_cost", fb_money(line.unit_cost)),
                fb("quantity", line.quantity),
                fb("amount", fb_money(line.arithmetic.amount)),
                fb("tax1_name", line.tax1.name if line.tax1 else None),
                fb("tax1_percent", line.tax1.rate if line.tax1 else None),
                fb("tax2_name", line.tax2.name if line.tax2 else None),
                fb("tax2_percent", line.tax2.rate if line.tax2 else None),
                fb("compound_tax", line.compound),
                fb("type", line.kind),
            )
        )
        + "</line>"
    )


def _bill(kind: str, bill: Bill) -> str:
    amount = bill.figures.amount
    money = (
        (fb("amount_outstanding", fb_money(amount - bill.paid)), fb("paid", fb_money(bill.paid)))
        if kind == "invoice"
        else ()
    )
    lines = "".join(_line(n, line) for n, line in enumerate(bill.lines, start=1))
    return (
        f"    <{kind}>"
        + "".join(
            (
                fb(f"{kind}_id", _id(bill.id)),
                fb("client_id", bill.client.id),
                fb("number", bill.number),
                fb("organization", bill.client.organization or ""),
                fb("first_name", bill.client.first),
                fb("last_name", bill.client.last),
                fb("status", bill.status),
                fb("date", f"{bill.day.isoformat()} 00:00:00"),
                fb("po_number", bill.po_number),
                fb("discount", bill.discount or Decimal(0)),
                fb("notes", bill.notes),
                fb("terms", bill.terms),
                fb("currency_code", bill.currency),
                fb("language", "en"),
                fb("amount", fb_money(amount)),
                *money,
                fb("folder", bill.folder),
                fb("updated", _stamp(bill.day, 16)),
                "<contacts><contact><contact_id>0</contact_id></contact></contacts>",
                f"<lines>{lines}</lines>",
            )
        )
        + f"</{kind}>\n"
    )


def _payment(payment: Payment) -> str:
    return (
        "    <payment>"
        + "".join(
            (
                fb("payment_id", payment.id),
                fb("client_id", payment.client.id),
                fb("invoice_id", _id(payment.invoice.id) if payment.invoice else None),
                fb("date", f"{payment.day.isoformat()} 00:00:00"),
                fb("amount", fb_money(payment.amount)),
                fb("currency_code", payment.currency),
                fb("type", payment.type),
                fb("notes", payment.notes),
                fb("updated", _stamp(payment.day, 12)),
            )
        )
        + "</payment>\n"
    )


# --- streamed records ----------------------------------------------------------------------------

_QUARTERS = [(q * 25, plain_decimal(Decimal(q * 25) / 100)) for q in range(1, 33)]
_ODD = [(h, plain_decimal(Decimal(h) / 100)) for h in (8, 17, 33, 67, 133, 267, 777, 1050)]
HOURS = _QUARTERS * 3 + _ODD
NOTE_ELEMENTS = [f"<notes>{esc(text)}</notes>" if text else "<notes/>" for text in NOTES]


def write_entries(
    folder: Folder, account: Account, timeline: Timeline, rng: random.Random, count: int, expected: ExpectedBuilder
) -> set[EntrySlot]:
    """Stream `count` time entries, a page per file; returns the slots used (for implied assignments)."""
    pages = PagedList(folder, "time/time_entry.list", "time_entries", count, per_page(count))
    hundredths = [0] * len(account.projects)
    used: set[EntrySlot] = set()
    hours, notes = HOURS, NOTE_ELEMENTS
    n_hours, n_notes = len(hours), len(notes)
    random_ = rng.random
    add = pages.add
    last_day: dt.date | None = None
    day_text = ""
    billed_until = dt.date(2018, 1, 1)
    old = False
    for index, day, slot in timeline.sweep(count, account.entry_slots, rng, account.pinned_entries):
        if day is not last_day:
            last_day, day_text, old = day, day.isoformat(), day < billed_until
        used.add(slot)
        project, pid, tid, sid = slot
        value, text = hours[int(random_() * n_hours)]
        hundredths[project] += value
        entry_id = ENTRY_BASE + index * 2
        shown = f"{entry_id:011d}" if index % 50 == 0 else entry_id
        billed = "1" if old and random_() < 0.6 else "0"
        add(
            f"    <time_entry><time_entry_id>{shown}</time_entry_id><staff_id>{sid}</staff_id>"
            f"<project_id>{pid}</project_id><task_id>{tid}</task_id><hours>{text}</hours>"
            f"<date>{day_text}</date>{notes[int(random_() * n_notes)]}<billed>{billed}</billed></time_entry>\n"
        )
    pages.close()
    expected.count("time_entries", count)
    for made, total in zip(account.projects, hundredths, strict=True):
        expected.hundredths[made.name] += total
    return used


def write_expenses(
    folder: Folder,
    account: Account,
    timeline: Timeline,
    rng: random.Random,
    count: int,
    expected: ExpectedBuilder,
    receipts: ReceiptWriter | None = None,
) -> set[tuple[int, str]]:
    """Stream `count` expenses; those in the deleted folder go to their own list (held until the end).
    `receipts` gives about one in three of the others a receipt file (FreshBooks has no flag for it).

    Returns the (project index, staff id) of every migrated expense (for implied assignments)."""
    spent: set[tuple[int, str]] = set()
    deleted = account.deleted_expenses
    kept = PagedList(folder, "work/expense.list", "expenses", count - len(deleted), per_page(count - len(deleted)))
    gone: list[str] = []
    for index, day, (project_index, pid, sid, category_index) in timeline.sweep(
        count, account.expense_slots, rng, account.pinned_expenses
    ):
        project = account.projects[project_index]
        category = account.categories[category_index]
        expense_id = EXPENSE_BASE + index * 3
        amount = Decimal(rng.randint(300, 60_000)) / 100
        taxed = project.client is not None and project.client.currency == "CAD" and rng.random() < 0.5
        folder_name = "deleted" if index in deleted else "active"
        record = (
            "    <expense>"
            + "".join(
                (
                    fb("expense_id", expense_id),
                    fb("staff_id", sid),
                    fb("category_id", category.id),
                    fb("project_id", pid),
                    fb("client_id", project.client.id if project.client and rng.random() < 0.6 else None),
                    fb("amount", fb_money(amount)),
                    fb("vendor", rng.choice(("G7 Taxis", "JetBrains", "Café Müller & Co", None))),
                    fb("date", day),
                    fb("notes", rng.choice(("Client visit", "Licence <annual>", "", "Déjeuner d'équipe"))),
                    fb("status", 1),
                    fb("folder", folder_name),
                    fb("tax1_name", "GST" if taxed else None),
                    fb("tax1_percent", Decimal(5) if taxed else None),
                    fb("tax1_amount", fb_money(amount * 5 / 105) if taxed else None),
                )
            )
            + "</expense>\n"
        )
        if folder_name == "deleted":
            gone.append(record)
            expected.skip(record_name(SYSTEM, "expenses", expense_id), DELETED)
        else:
            kept.add(record)
            if receipts is not None and receipts.chance(0.3):
                receipts.add(expense_id, f"Receipt {expense_id}: {fb_money(amount)} on {day}")
            spent.add((project_index, sid))
    kept.close()
    _list(folder, "archive/expense.list.deleted", "expenses", gone, deleted=True)
    expected.count("expenses", count - len(deleted))
    return spent
