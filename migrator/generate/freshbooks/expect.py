"""What a correct migration of a generated FreshBooks account leaves in Harvest v2, from the model.

The rules, as `mappings/freshbooks` documents them (restated here, not imported):
- records in the deleted folder (clients, invoices, estimates, expenses) are skipped, and so are
  credits (payments without an invoice: v2 has no client credits);
- a client becomes a v2 client (archived when its folder is `archived`, and its projects with it),
  plus one v2 contact for its own person and one per `<contact>` that has a name or an e-mail;
  projects without a client share one placeholder client;
- a project is assigned the tasks and staff it lists plus every task and staff member that logged
  time on it, and every staff member with a migrated expense on it, and nothing else; those it
  does not list (a task taken off it, a person who left) exist only for their history and end
  archived, every listed one active;
- an Item line naming a catalogue item takes that item's name as its v2 kind, so the item becomes
  a v2 invoice item category (or estimate item category, for an estimate's line) once; Time lines
  and other Item lines use the account's own "Service" and "Product";
- v2 holds one pair of invoice-level tax rates, not compound: a document whose lines carry three or
  more rates (a compound tax counts as its plain equivalent rate) ends with another total, listed in
  `lossy_money` with the difference (`arithmetic`).
"""

from __future__ import annotations

from collections import defaultdict

from migrator.generate.arithmetic import lossy_reason, money_notes
from migrator.generate.expected import ExpectedBuilder, LossyAmount, assignment_name, record_name
from migrator.generate.freshbooks.model import Account, Bill, Client, EntrySlot

SYSTEM = "freshbooks"
DELETED = "deleted in FreshBooks (folder deleted): not migrated by default"


def credit_reason(amount: object) -> str:
    """Why a payment without an invoice is skipped."""
    return f"a credit of {amount} without an invoice: v2 has no client credits"


def contacts_of(client: Client) -> int:
    """The client's own person (contact 0), then each listed contact with a name or an e-mail."""
    own = 1 if (client.first or client.last or client.email) else 0
    return own + sum(1 for c in client.contacts if c.first or c.last or c.email)


def expect_account(account: Account, expected: ExpectedBuilder) -> None:
    """Everything but the assignments and the streamed time entries and expenses."""
    for client in account.clients:
        if not client.migrated:
            expected.skip(record_name(SYSTEM, "clients", client.id), DELETED)
            continue
        expected.count("clients")
        expected.count("contacts", contacts_of(client))
        if client.folder == "archived":
            expected.archived("clients", client.name)
    if any(project.client is None for project in account.projects):
        expected.count("clients")  # the placeholder client
    expected.count("users", len(account.staff))
    expected.count("tasks", len(account.tasks))
    expected.count("expense_categories", len(account.categories))
    expected.count("projects", len(account.projects))
    for project in account.projects:
        if project.client is not None and project.client.folder == "archived":
            expected.archived("projects", project.name)  # archived with its client
    catalogue = {item.name.casefold(): item.name for item in account.items}
    for kind, bills in (("invoices", account.invoices), ("estimates", account.estimates)):
        used_items: set[str] = set()
        for bill in bills:
            if not bill.migrated:
                expected.skip(record_name(SYSTEM, kind, bill.id), DELETED)
                continue
            expected.count(kind)
            used_items.update(
                line.name.casefold() for line in bill.lines if line.kind == "Item" and line.name.casefold() in catalogue
            )
            _lossy(kind, bill, expected)
            if kind == "invoices":
                _money(bill, expected)
        # Each catalogue item a line names is the kind of that line: the target needs that category.
        category_kind = "invoice_item_categories" if kind == "invoices" else "estimate_item_categories"
        expected.count(category_kind, len(used_items))
        for name in used_items:
            expected.item_category(category_kind, catalogue[name])
    for credit in account.credits:
        expected.skip(record_name(SYSTEM, "invoice_payments", credit.id), credit_reason(credit.amount))


def _lossy(kind: str, bill: Bill, expected: ExpectedBuilder) -> None:
    figures = bill.figures
    if not figures.exact:
        lines = [line.arithmetic for line in bill.lines]
        expected.lossy_money[record_name(SYSTEM, kind, bill.id)] = LossyAmount(
            bill.currency, figures.amount, figures.v2_amount, lossy_reason(lines), money_notes(lines)
        )


def _money(bill: Bill, expected: ExpectedBuilder) -> None:
    amount = bill.figures.amount
    expected.add_money(bill.currency, "invoice_amount", amount)
    expected.add_money(bill.currency, "invoice_due", amount - bill.paid)
    for payment in bill.payments:
        if bill.status != "draft":  # v2 takes payments on sent invoices only (none are generated on drafts)
            expected.count("invoice_payments")
            expected.add_money(bill.currency, "payments", payment.amount)


def expect_assignments(
    account: Account, used: set[EntrySlot], spent: set[tuple[int, str]], expected: ExpectedBuilder
) -> None:
    """Listed plus implied assignments, once the time entries and expenses (which imply some) are written."""
    tasks = {str(task.id): task for task in account.tasks}
    staff = {str(member.id): member for member in account.staff}
    logged_tasks: dict[int, set[str]] = defaultdict(set)
    logged_staff: dict[int, set[str]] = defaultdict(set)
    for project_index, _pid, task_id, staff_id in used:
        logged_tasks[project_index].add(task_id)
        logged_staff[project_index].add(staff_id)
    for project_index, staff_id in spent:
        logged_staff[project_index].add(staff_id)
    for index, project in enumerate(account.projects):
        listed_tasks = {str(task.id) for task, _rate in project.tasks}
        listed_staff = {str(member.id) for member in project.staff}
        task_ids = listed_tasks | logged_tasks[index]
        staff_ids = listed_staff | logged_staff[index]
        expected.count("task_assignments", len(task_ids))
        expected.count("user_assignments", len(staff_ids))
        expected.assign(
            project.name,
            tasks={tasks[task_id].name for task_id in task_ids},
            users={staff[staff_id].email for staff_id in staff_ids},
        )
        for task_id in task_ids - listed_tasks:
            expected.archived("task_assignments", assignment_name(project.name, tasks[task_id].name))
        for staff_id in staff_ids - listed_staff:
            expected.archived("user_assignments", assignment_name(project.name, staff[staff_id].email))
