"""What a correct migration of a generated Harvest v1 account leaves in Harvest v2, from the model.

The rules, as `mappings/harvest_v1` documents them (restated here, not imported):
- one v2 object per v1 client, contact, person, task, expense category, exported invoice item
  category, project, user and task assignment, day entry, expense, invoice (with csv-line-items)
  and payment; v1 has no estimates;
- `active` false / `is-active` false / `deactivated` true end archived, on assignments too;
- a project holds exactly the tasks and people the v1 project had assigned (deactivated ones
  included, archived): no default task or all-future-projects person Harvest adds by itself;
- invoice messages are not replayed (a v2 message without `event_type` e-mails its recipients):
  each is skipped on purpose; the invoice's state is replayed with events instead;
- v1 invoice figures follow Harvest's arithmetic, so v2 reproduces every one to the cent.
"""

from __future__ import annotations

from migrator.generate.expected import ExpectedBuilder, assignment_name, record_name
from migrator.generate.harvest_v1.model import Account

SYSTEM = "harvest-v1"
MESSAGE_SKIPPED = (
    "v1 invoice messages are not replayed: a v2 message without event_type e-mails its recipients "
    "(the invoice state is replayed with events)"
)


def expect_account(account: Account, expected: ExpectedBuilder) -> None:
    """Everything but the streamed day entries and expenses (their writers count those)."""
    expected.count("clients", len(account.clients))
    expected.count("contacts", len(account.contacts))
    expected.count("users", len(account.people))
    expected.count("tasks", len(account.tasks))
    expected.count("expense_categories", len(account.categories))
    expected.count("invoice_item_categories", len(account.item_categories))
    for item_category in account.item_categories:
        expected.item_category("invoice_item_categories", item_category.name)
    expected.count("projects", len(account.projects))
    for client in account.clients:
        if not client.active:
            expected.archived("clients", client.name)
    for person in account.people:
        if not person.active:
            expected.archived("users", person.email)
    for task in account.tasks:
        if task.retired is not None:
            expected.archived("tasks", task.name)
    for category in account.categories:
        if category.retired is not None:
            expected.archived("expense_categories", category.name)
    for project in account.projects:
        if project.archived:
            expected.archived("projects", project.name)
        expected.count("task_assignments", len(project.tasks))
        expected.count("user_assignments", len(project.users))
        expected.assign(
            project.name,
            tasks={ta.task.name for ta in project.tasks},
            users={ua.person.email for ua in project.users},
        )
        for ta in project.tasks:
            if ta.until is not None:
                expected.archived("task_assignments", assignment_name(project.name, ta.task.name))
        for ua in project.users:
            if ua.deactivated:
                expected.archived("user_assignments", assignment_name(project.name, ua.person.email))
    for invoice in account.invoices:
        expected.count("invoices")
        amount = invoice.totals.amount
        expected.add_money(invoice.currency, "invoice_amount", amount)
        expected.add_money(invoice.currency, "invoice_due", amount - invoice.paid)
        for payment in invoice.payments:
            expected.count("invoice_payments")
            expected.add_money(invoice.currency, "payments", payment.amount)
        for message in invoice.messages:
            expected.skip(record_name(SYSTEM, "invoice_messages", message.id), MESSAGE_SKIPPED)
