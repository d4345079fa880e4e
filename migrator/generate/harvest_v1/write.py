"""Write a Harvest v1 account as the v1 API answered it, one file per request an exporter makes.

Layout (file names do not matter to migrator; they show which request each body answers):

    account.xml                              GET /account/who_am_i            <hash>
    clients.xml, contacts.xml, people.xml    GET /clients, /contacts, /people
    clients/<id>/contacts.xml                GET /clients/{id}/contacts (empty: <nil-classes>)
    tasks.xml, expense_categories.xml, invoice_item_categories.xml, projects.xml
    projects/<id>/task_assignments.xml, projects/<id>/user_assignments.xml
    timesheets/<year>/entries-<year>-<nn>.xml  report windows of at most 25,000 day entries
    expenses/expenses-<year>.xml
    invoices/page-<nnn>.xml                  GET /invoices?page=N: 50 summaries, no csv-line-items
    invoices/<id>.xml                        GET /invoices/{id}: the detail with csv-line-items
    invoices/<id>-payments.xml, invoices/<id>-messages.xml

Day entries and expenses are streamed straight from `Timeline.sweep`; hours are summed in
hundredths per project as they go.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
from decimal import Decimal

from migrator.generate.expected import ExpectedBuilder
from migrator.generate.harvest_v1.model import (
    Account,
    Category,
    Client,
    Contact,
    Invoice,
    Person,
    Project,
    Task,
    currency_display,
)
from migrator.generate.pools import NOTES
from migrator.generate.receipts import MISSING_SHARE, ReceiptWriter
from migrator.generate.timeline import Timeline
from migrator.generate.xmlout import Folder, esc, ruby_decimal, v1, v1_list, v1_record

ENTRIES_PER_FILE = 25_000
INVOICES_PER_PAGE = 50
ENTRY_BASE = 180_000_000
EXPENSE_BASE = 9_100_000


def _stamp(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour % 24, (day.toordinal() * 7) % 60)


def write_account(folder: Folder, account: Account) -> None:
    """Everything but day entries and expenses."""
    traps = account.traps
    folder.write("account.xml", _who_am_i(account.company, traps.owner))
    folder.write("clients.xml", v1_list("clients", [_client(c) for c in account.clients]))
    folder.write("contacts.xml", v1_list("contacts", [_contact(c) for c in account.contacts]))
    internal = traps.internal.client
    folder.write(f"clients/{internal.id}/contacts.xml", v1_list("contacts", []))
    folder.write("people.xml", v1_list("users", [_person(p) for p in account.people]))
    folder.write("tasks.xml", v1_list("tasks", [_task(t) for t in account.tasks]))
    folder.write("expense_categories.xml", v1_list("expense-categories", [_category(c) for c in account.categories]))
    folder.write(
        "invoice_item_categories.xml",
        v1_list(
            "invoice-item-categories",
            [
                v1_record(
                    "invoice-item-category",
                    [
                        v1("id", item.id, "integer"),
                        v1("name", item.name),
                        v1("use-as-expense", item.use_as_expense, "boolean"),
                        v1("use-as-service", item.use_as_service, "boolean"),
                        v1("updated-at", _stamp(dt.date(2009, 1, 5)), "datetime"),
                        v1("created-at", _stamp(dt.date(2009, 1, 5)), "datetime"),
                    ],
                )
                for item in account.item_categories
            ],
        ),
    )
    folder.write("projects.xml", v1_list("projects", [_project(p) for p in account.projects]))
    for project in account.projects:
        folder.write(f"projects/{project.id}/task_assignments.xml", _task_assignments(project))
        folder.write(f"projects/{project.id}/user_assignments.xml", _user_assignments(project))
    _invoices(folder, account)


def _who_am_i(company: str, owner: Person) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<hash>
  <company>
    <base-uri>https://northwind.harvestapp.com</base-uri>
    <full-domain>northwind.harvestapp.com</full-domain>
    <name>{esc(company)}</name>
    <active type="boolean">true</active>
    <week-start-day>Monday</week-start-day>
    <time-format>decimal</time-format>
    <clock>12h</clock>
    <decimal-symbol>.</decimal-symbol>
    <thousands-separator>,</thousands-separator>
  </company>
  <user>
    <timezone>{esc(owner.timezone)}</timezone>
    <id type="integer">{owner.id}</id>
    <email>{esc(owner.email)}</email>
    <admin type="boolean">true</admin>
    <first-name>{esc(owner.first)}</first-name>
    <last-name>{esc(owner.last)}</last-name>
    <timestamp-timers type="boolean">false</timestamp-timers>
  </user>
</hash>
"""


def _client(client: Client) -> str:
    updated = client.archived_on or dt.date(2018, 3, 1)
    return v1_record(
        "client",
        [
            v1("active", client.active, "boolean"),
            v1("cache-version", 0 if client.active else 1, "integer"),
            v1("created-at", _stamp(client.since), "datetime"),
            v1("currency", client.display(updated)),
            v1("highrise-id", None, "integer"),
            v1("id", client.id, "integer"),
            v1("name", client.name),
            v1("updated-at", _stamp(updated), "datetime"),
            v1("currency-symbol", {"USD": "$", "EUR": "€", "CAD": "$"}[client.currency]),
            v1("details", "\r\n".join(client.details.splitlines()) if client.details else ""),  # v1 kept CR LF
            '<default-invoice-timeframe type="yaml" nil="true"></default-invoice-timeframe>',
            v1("last-invoice-kind", "free_form"),
        ],
    )


def _contact(contact: Contact) -> str:
    return v1_record(
        "contact",
        [
            v1("client-id", contact.client.id, "integer"),
            v1("created-at", _stamp(contact.client.since), "datetime"),
            v1("email", contact.email or ""),  # unset fields are empty strings in v1 contacts
            v1("fax", ""),
            v1("first-name", contact.first),
            v1("id", contact.id, "integer"),
            v1("last-name", contact.last),
            v1("phone-mobile", ""),
            v1("phone-office", contact.phone),
            v1("title", contact.title),
            v1("updated-at", _stamp(contact.client.since), "datetime"),
        ],
    )


def _person(person: Person) -> str:
    return v1_record(
        "user",
        [
            v1("cache-version", 0, "integer"),
            v1("cost-rate", person.cost_rate, "decimal"),
            v1("created-at", _stamp(person.joined), "datetime"),
            v1("default-hourly-rate", person.rate, "decimal"),
            v1("department", person.department),
            v1("email", person.email),
            v1("first-name", person.first),
            v1("has-access-to-all-future-projects", person.all_future, "boolean"),
            v1("id", person.id, "integer"),
            v1("is-active", person.active, "boolean"),
            v1("is-admin", person.admin, "boolean"),
            v1("is-contractor", person.contractor, "boolean"),
            v1("is-project-manager", person.manager, "boolean"),
            v1("last-name", person.last),
            v1("preferred-entry-method", "daily"),
            v1("telephone", ""),
            v1("timezone", person.timezone),
            v1("updated-at", _stamp(person.left or person.joined), "datetime"),
            v1("wants-newsletter", False, "boolean"),
        ],
    )


def _task(task: Task) -> str:
    return v1_record(
        "task",
        [
            v1("billable-by-default", task.billable, "boolean"),
            v1("deactivated", task.retired is not None, "boolean"),
            v1("default-hourly-rate", task.rate, "decimal"),
            v1("id", task.id, "integer"),
            v1("is-default", task.is_default, "boolean"),
            v1("name", task.name),
            v1("updated-at", _stamp(task.retired or task.default_since or dt.date(2009, 1, 5)), "datetime"),
            v1("created-at", _stamp(dt.date(2009, 1, 5)), "datetime"),
        ],
    )


def _category(category: Category) -> str:
    return v1_record(
        "expense-category",
        [
            v1("id", category.id, "integer"),
            v1("name", category.name),
            v1("unit-name", category.unit_name),
            v1("unit-price", category.unit_price, "decimal"),
            v1("deactivated", category.retired is not None, "boolean"),
            v1("updated-at", _stamp(category.retired or dt.date(2009, 1, 5)), "datetime"),
            v1("created-at", _stamp(dt.date(2009, 1, 5)), "datetime"),
        ],
    )


def _project(project: Project) -> str:
    return v1_record(
        "project",
        [
            v1("id", project.id, "integer"),
            v1("client-id", project.client.id, "integer"),
            v1("name", project.name),
            v1("code", project.code),
            v1("active", not project.archived, "boolean"),
            v1("billable", project.billable, "boolean"),
            v1("bill-by", project.bill_by),
            v1("hourly-rate", project.hourly_rate, "decimal"),
            v1("budget-by", "project" if project.budget is not None else "none"),
            v1("budget", project.budget, "decimal"),
            v1("notify-when-over-budget", project.budget is not None, "boolean"),
            v1("over-budget-notification-percentage", Decimal(80), "decimal"),
            '<over-budget-notified-at nil="true"/>',
            v1("show-budget-to-all", False, "boolean"),
            v1("created-at", _stamp(project.start), "datetime"),
            v1("updated-at", _stamp(project.end if project.archived else project.start), "datetime"),
            v1("starts-on", project.start, "date"),
            v1("ends-on", project.end if project.archived else None, "date"),
            v1("hint-earliest-record-at", project.start, "date"),
            v1("hint-latest-record-at", project.end, "date"),
            v1("notes", project.notes),
            v1("cost-budget", None, "decimal"),
            v1("cost-budget-include-expenses", False, "boolean"),
        ],
    )


def _task_assignments(project: Project) -> str:
    return v1_list(
        "task-assignments",
        [
            v1_record(
                "task-assignment",
                [
                    v1("id", ta.id, "integer"),
                    v1("project-id", project.id, "integer"),
                    v1("task-id", ta.task.id, "integer"),
                    v1("billable", ta.billable, "boolean"),
                    v1("deactivated", ta.until is not None, "boolean"),
                    v1("budget", None, "decimal"),
                    v1("hourly-rate", ta.rate, "decimal"),
                    v1("updated-at", _stamp(ta.until or project.start), "datetime"),
                    v1("created-at", _stamp(project.start), "datetime"),
                ],
            )
            for ta in project.tasks
        ],
    )


def _user_assignments(project: Project) -> str:
    return v1_list(
        "user-assignments",
        [
            v1_record(
                "user-assignment",
                [
                    v1("id", ua.id, "integer"),
                    v1("user-id", ua.person.id, "integer"),
                    v1("project-id", project.id, "integer"),
                    v1("deactivated", ua.deactivated, "boolean"),
                    v1("hourly-rate", ua.rate, "decimal"),
                    v1("is-project-manager", ua.manager, "boolean"),
                    v1("updated-at", _stamp(ua.person.left or project.start), "datetime"),
                    v1("created-at", _stamp(project.start), "datetime"),
                ],
            )
            for ua in project.users
        ],
    )


# --- invoices ----------------------------------------------------------------------------------


def csv_line_items(invoice: Invoice) -> str:
    """The exact v1 detail shape: header first, rows right after the tag, a trailing newline."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("kind", "description", "quantity", "unit_price", "amount", "taxed", "taxed2", "project_id"))
    for line in invoice.lines:
        writer.writerow(
            (
                line.kind,
                line.description,
                f"{line.quantity:.2f}",
                f"{line.unit_price:.2f}",
                ruby_decimal(line.amount),
                "true" if line.taxed else "false",
                "true" if line.taxed2 else "false",
                line.project.id if line.project else "",
            )
        )
    return out.getvalue()


def _invoice_fields(invoice: Invoice, creator: Person) -> list[str]:
    totals = invoice.totals
    updated = max([invoice.issued] + [p.paid_at.date() for p in invoice.payments])
    return [
        v1("amount", totals.amount, "decimal"),
        v1("client-id", invoice.client.id, "integer"),
        v1("client-key", hashlib.sha1(f"client-key:{invoice.id}".encode()).hexdigest()),  # 40 hex, as v1 had
        v1("created-at", _stamp(invoice.issued, 14), "datetime"),
        v1("created-by-id", creator.id, "integer"),
        v1("currency", currency_display(invoice.currency, invoice.issued)),
        v1("discount", invoice.discount, "decimal"),
        v1("discount-amount", totals.discount_amount, "decimal"),
        v1("due-amount", totals.amount - invoice.paid, "decimal"),
        v1("due-at", invoice.due, "date"),
        v1("due-at-human-format", invoice.term),
        v1("estimate-id", None, "integer"),
        v1("id", invoice.id, "integer"),
        v1("issued-at", invoice.issued, "date"),
        v1("notes", invoice.notes),
        v1("number", invoice.number),
        v1("period-end", None, "date"),
        v1("period-start", None, "date"),
        v1("purchase-order", invoice.purchase_order),
        v1("recurring-invoice-id", None, "integer"),
        v1("retainer-id", None, "integer"),
        v1("state", invoice.state),
        v1("subject", invoice.subject),
        v1("tax", invoice.tax, "decimal"),
        v1("tax2", invoice.tax2, "decimal"),
        v1("tax2-amount", totals.tax2_amount, "decimal"),
        v1("tax-amount", totals.tax_amount, "decimal"),
        v1("updated-at", _stamp(updated, 15), "datetime"),
    ]


def _invoices(folder: Folder, account: Account) -> None:
    creator = account.traps.owner
    invoices = sorted(account.invoices, key=lambda inv: inv.id, reverse=True)  # the list is newest first
    for page, start in enumerate(range(0, len(invoices), INVOICES_PER_PAGE), start=1):
        chunk = invoices[start : start + INVOICES_PER_PAGE]
        folder.write(
            f"invoices/page-{page:03d}.xml",
            v1_list("invoices", [v1_record("invoice", _invoice_fields(i, creator)) for i in chunk]),
        )
    for invoice in invoices:
        detail = "\n  ".join(
            [*_invoice_fields(invoice, creator), f"<csv-line-items>{esc(csv_line_items(invoice))}</csv-line-items>"]
        )
        folder.write(
            f"invoices/{invoice.id}.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n<invoice>\n  {detail}\n</invoice>\n'
        )
        if invoice.payments:
            folder.write(
                f"invoices/{invoice.id}-payments.xml",
                v1_list(
                    "payments",
                    [
                        v1_record(
                            "payment",
                            [
                                v1("amount", p.amount, "decimal"),
                                v1("authorization", None),
                                v1("created-at", p.paid_at + dt.timedelta(minutes=5), "datetime"),
                                v1("id", p.id, "integer"),
                                v1("invoice-id", invoice.id, "integer"),
                                v1("notes", p.notes),
                                v1("paid-at", p.paid_at, "datetime"),
                                v1("pay-pal-transaction-id", None),
                                v1("payment-gateway-id", None, "integer"),
                                v1("recorded-by", p.by.name),
                                v1("recorded-by-email", p.by.email),
                                v1("updated-at", p.paid_at + dt.timedelta(minutes=5), "datetime"),
                            ],
                        )
                        for p in invoice.payments
                    ],
                ),
            )
        if invoice.messages:
            records = [
                v1_record(
                    "invoice-message",
                    [
                        v1("body", m.body),
                        v1("created-at", m.sent_at, "datetime"),
                        v1("id", m.id, "integer"),
                        v1("invoice-id", invoice.id, "integer"),
                        v1("send-me-a-copy", True, "boolean"),
                        v1("sent-by", m.by.name),
                        v1("sent-by-email", m.by.email),
                        v1("full-recipient-list", m.recipients),
                        v1("thank-you", m.thank_you, "boolean"),
                        v1("updated-at", m.sent_at, "datetime"),
                    ],
                )
                for m in invoice.messages
            ]
            # The documented list root is the buggy singular `<invoice-message type="array">`
            # (research §3.15); later bodies use the plural. Both occur in one export.
            root = "invoice-message" if invoice.id % 3 == 0 else "invoice-messages"
            folder.write(f"invoices/{invoice.id}-messages.xml", v1_list(root, records))


# --- streamed records --------------------------------------------------------------------------

# Hours as people type them: mostly quarter hours, some odd minutes (hundredths, v1 text).
_QUARTERS = [(q * 25, ruby_decimal(Decimal(q * 25) / 100)) for q in range(1, 33)]
_ODD = [(h, ruby_decimal(Decimal(h) / 100)) for h in (8, 17, 33, 67, 133, 267, 777, 1050)]
HOURS = _QUARTERS * 3 + _ODD
NOTE_ELEMENTS = [f"<notes>{esc(text)}</notes>" if text else "<notes></notes>" for text in NOTES] + [
    '<notes nil="true"></notes>'
] * 3


def write_entries(
    folder: Folder, account: Account, timeline: Timeline, rng: random.Random, count: int, expected: ExpectedBuilder
) -> None:
    """Stream `count` day entries (v1 report shape), per year in files of at most 25,000."""
    hundredths = [0] * len(account.projects)
    hours, notes = HOURS, NOTE_ELEMENTS
    n_hours, n_notes = len(hours), len(notes)
    random_ = rng.random
    handle = None
    year, part, in_file = 0, 0, 0
    day_text = ""
    last_day: dt.date | None = None
    billed_until, old = dt.date(2018, 1, 1), False  # entries before 2018 were mostly invoiced and approved
    for index, day, (project, pid, tid, uid) in timeline.sweep(count, account.entry_slots, rng, account.pinned_entries):
        if day is not last_day:
            last_day, day_text = day, day.isoformat()
            old = day < billed_until
        if day.year != year or in_file == ENTRIES_PER_FILE:
            if handle is not None:
                handle.write("</day-entries>\n")
                handle.close()
            part = part + 1 if day.year == year else 1
            year, in_file = day.year, 0
            handle = folder.open(f"timesheets/{year}/entries-{year}-{part:02d}.xml")
            handle.write('<?xml version="1.0" encoding="UTF-8"?>\n<day-entries type="array">\n')
        value, text = hours[int(random_() * n_hours)]
        hundredths[project] += value
        billed = "true" if old and random_() < 0.6 else "false"
        stamp = f"{day_text}T{9 + index % 9:02d}:{index * 7 % 60:02d}:{index * 13 % 60:02d}Z"
        handle.write(  # type: ignore[union-attr]
            f"""  <day-entry>
    <adjustment-record type="boolean">false</adjustment-record>
    <created-at type="datetime">{stamp}</created-at>
    <hours type="decimal">{text}</hours>
    <id type="integer">{ENTRY_BASE + index * 3}</id>
    <is-billed type="boolean">{billed}</is-billed>
    <is-closed type="boolean">{billed}</is-closed>
    {notes[int(random_() * n_notes)]}
    <project-id type="integer">{pid}</project-id>
    <spent-at type="date">{day_text}</spent-at>
    <task-id type="integer">{tid}</task-id>
    <timer-started-at type="datetime" nil="true"></timer-started-at>
    <updated-at type="datetime">{stamp}</updated-at>
    <user-id type="integer">{uid}</user-id>
  </day-entry>
"""
        )
        in_file += 1
    if handle is not None:
        handle.write("</day-entries>\n")
        handle.close()
    expected.count("time_entries", count)
    for made, total in zip(account.projects, hundredths, strict=True):
        expected.hundredths[made.name] += total


def write_expenses(
    folder: Folder,
    account: Account,
    timeline: Timeline,
    rng: random.Random,
    count: int,
    expected: ExpectedBuilder,
    receipts: ReceiptWriter | None = None,
) -> None:
    """Stream `count` expenses, one file per year; `receipts` writes the file of each that has one."""
    handle = None
    year = 0
    for index, day, (_project, pid, uid, category_index) in timeline.sweep(
        count, account.expense_slots, rng, account.pinned_expenses
    ):
        category = account.categories[category_index]
        if day.year != year:
            if handle is not None:
                handle.write("</expenses>\n")
                handle.close()
            year = day.year
            handle = folder.open(f"expenses/expenses-{year}.xml")
            handle.write('<?xml version="1.0" encoding="UTF-8"?>\n<expenses type="array">\n')
        if category.unit_price is not None:  # mileage: whole units, the total exactly units x price
            units: Decimal | None = Decimal(rng.randint(5, 400))
            total = units * category.unit_price  # type: ignore[operator]
        else:
            units, total = None, Decimal(rng.randint(450, 95_000)) / 100
        closed = day < dt.date(2018, 1, 1) and rng.random() < 0.5
        receipt = rng.random() < 0.3
        expense_id = EXPENSE_BASE + index * 5
        if receipt and receipts is not None:
            receipts.add(expense_id, f"Receipt {expense_id}: {total} on {day}", missing_share=MISSING_SHARE)
        fields = [
            v1("expense-category-id", category.id, "integer"),
            v1("id", expense_id, "integer"),
            v1(
                "notes",
                rng.choice(
                    ("Train & taxi to the client", "Team lunch — kickoff", "Licence: Sketch", "", "Hôtel, 2 nuits")
                ),
            ),
            v1("project-id", int(pid), "integer"),
            v1("spent-at", day, "date"),
            v1("total-cost", total, "decimal"),
            v1("units", units, "decimal"),
            v1("user-id", int(uid), "integer"),
            v1("billable", True, "boolean"),
            v1("is-closed", closed, "boolean"),
            v1("has-receipt", receipt, "boolean"),
            v1("receipt-url", f"https://northwind.harvestapp.com/expenses/{expense_id}/receipt" if receipt else ""),
            v1("updated-at", _stamp(day, 18), "datetime"),
            v1("created-at", _stamp(day, 18), "datetime"),
        ]
        handle.write(v1_record("expense", fields))  # type: ignore[union-attr]
    if handle is not None:
        handle.write("</expenses>\n")
        handle.close()
    expected.count("expenses", count)
