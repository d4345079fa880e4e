"""Every trap is in every generated account: read back with the project's own readers, not the generator.

Run at the default size and at the smallest one `generate` accepts, where the traps are crowded
into the first months of the history.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from migrator.errors import SourceError, SourceParseError
from migrator.generate import MIN_ENTRIES, generate
from migrator.harvest.invoice_math import invoice_totals
from migrator.mappings.harvest_v1.currency import resolve
from migrator.sources import read_exports
from migrator.sources.harvest_v1.csv_lines import parse_line_items
from tests.generate.conftest import Generated

Lookup = Callable[[str, int], Generated]
CSV_HEADER = "kind,description,quantity,unit_price,amount,taxed,taxed2,project_id\n"


class Account:
    """Typed records of one export, per resource (a record that fails typing fails the test)."""

    def __init__(self, path: Path) -> None:
        exports = read_exports([path])
        assert len(exports) == 1
        self.export = exports[0]
        self.records: dict[str, list[Any]] = {}

    def __getitem__(self, resource: str) -> list[Any]:
        if resource not in self.records:
            typed = list(self.export.typed(resource))
            errors = [item for item in typed if isinstance(item, SourceError)]
            assert errors == [], errors[:3]
            self.records[resource] = typed
        return self.records[resource]

    def by_id(self, resource: str) -> dict[str, Any]:
        return {record.id: record for record in self[resource]}


@pytest.fixture(scope="module", params=["default", "smallest"])
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _read(system: str, size: str, account: Lookup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Account]:
    if size == "default":
        path = account(system, 0).path
    else:
        path = tmp_path_factory.mktemp(f"{system}-smallest") / "export"
        generate(system, path, entries=MIN_ENTRIES, seed=5)
    read = Account(path)
    yield read
    read.export.close()


@pytest.fixture(scope="module")
def v1(size: str, account: Lookup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Account]:
    yield from _read("harvest-v1", size, account, tmp_path_factory)


@pytest.fixture(scope="module")
def fb(size: str, account: Lookup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Account]:
    yield from _read("freshbooks", size, account, tmp_path_factory)


# --- Harvest v1 --------------------------------------------------------------------------------


def _entries_by(v1: Account) -> dict[tuple[str, str, str], int]:
    """(project, task, user) -> number of day entries."""
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    for entry in v1["day_entries"]:
        seen[(entry.project_id, entry.task_id, entry.user_id)] += 1
    return seen


def test_v1_a_person_who_left_has_time_on_a_project_where_their_assignment_is_deactivated(v1: Account) -> None:
    left = {user.id for user in v1["users"] if user.is_active is False}
    logged = {(project, user) for project, _task, user in _entries_by(v1)}
    hits = [
        ua
        for ua in v1["user_assignments"]
        if ua.user_id in left and ua.deactivated and (ua.project_id, ua.user_id) in logged
    ]
    assert hits


def test_v1_an_archived_client_and_its_archived_project_have_entries_expenses_and_invoices(v1: Account) -> None:
    projects = v1.by_id("projects")
    archived = {c.id for c in v1["clients"] if c.active is False}
    dead = {p.id for p in projects.values() if p.active is False and p.client_id in archived}
    assert dead
    assert {e.project_id for e in v1["day_entries"]} & dead
    assert {e.project_id for e in v1["expenses"]} & dead
    assert {i.client_id for i in v1["invoices"]} & {projects[p].client_id for p in dead}


def test_v1_a_deactivated_task_has_entries_on_several_projects(v1: Account) -> None:
    retired = {t.id for t in v1["tasks"] if t.deactivated}
    projects_per_task: dict[str, set[str]] = defaultdict(set)
    for project, task, _user in _entries_by(v1):
        if task in retired:
            projects_per_task[task].add(project)
    assert max((len(p) for p in projects_per_task.values()), default=0) >= 2


def test_v1_a_task_deactivated_on_one_project_only_has_history_there(v1: Account) -> None:
    active_tasks = {t.id for t in v1["tasks"] if not t.deactivated}
    by_task: dict[str, list[Any]] = defaultdict(list)
    for ta in v1["task_assignments"]:
        by_task[ta.task_id].append(ta)
    logged = {(project, task) for project, task, _user in _entries_by(v1)}
    hits = [
        ta
        for task, tas in by_task.items()
        if task in active_tasks
        for ta in tas
        if ta.deactivated and any(not other.deactivated for other in tas) and (ta.project_id, task) in logged
    ]
    assert hits


def test_v1_a_default_task_and_an_all_future_projects_person_are_missing_on_some_projects(v1: Account) -> None:
    projects = {p.id for p in v1["projects"]}
    defaults = [t.id for t in v1["tasks"] if t.is_default and not t.deactivated]
    with_task: dict[str, set[str]] = defaultdict(set)
    for ta in v1["task_assignments"]:
        with_task[ta.task_id].add(ta.project_id)
    assert any(projects - with_task[task] for task in defaults)
    everywhere = [u.id for u in v1["users"] if u.has_access_to_all_future_projects and u.is_active]
    with_user: dict[str, set[str]] = defaultdict(set)
    for ua in v1["user_assignments"]:
        with_user[ua.user_id].add(ua.project_id)
    assert any(projects - with_user[user] for user in everywhere)


def test_v1_expense_categories_archived_with_expenses_and_mileage_in_whole_units(v1: Account) -> None:
    categories = v1.by_id("expense_categories")
    used = defaultdict(list)
    for expense in v1["expenses"]:
        used[expense.expense_category_id].append(expense)
    assert any(categories[c].deactivated for c in used)
    mileage = [e for c, es in used.items() if categories[c].unit_price is not None for e in es]
    assert mileage
    for expense in mileage:
        price = categories[expense.expense_category_id].unit_price
        assert expense.units is not None and expense.units == expense.units.to_integral_value()
        assert expense.total_cost == expense.units * price


def test_v1_invoices_in_every_currency_state_and_tax_shape_with_consistent_figures(v1: Account) -> None:
    payments: dict[str, list[Any]] = defaultdict(list)
    for payment in v1["payments"]:
        payments[payment.invoice_id].append(payment.amount)
    states, currencies, shapes = set(), set(), set()
    for invoice in v1["invoices"]:
        assert invoice.csv_line_items.startswith(CSV_HEADER) and invoice.csv_line_items.endswith("\n")
        lines = parse_line_items(invoice.csv_line_items, invoice_id=invoice.id)
        for line in lines:
            assert line.quantity is not None
            assert line.amount == (line.quantity * line.unit_price).quantize(Decimal("0.01"))
        items = [
            {"quantity": i.quantity, "unit_price": i.unit_price, "taxed": i.taxed, "taxed2": i.taxed2} for i in lines
        ]
        totals = invoice_totals(items, tax=invoice.tax, tax2=invoice.tax2, discount=invoice.discount)
        assert (invoice.amount, invoice.tax_amount, invoice.tax2_amount) == (
            totals.amount,
            totals.tax_amount,
            totals.tax2_amount,
        )
        paid = sum(payments[invoice.id], Decimal(0))
        assert invoice.due_amount == invoice.amount - paid
        if invoice.state == "paid":
            assert paid == invoice.amount
        elif invoice.state in ("partial", "closed"):
            assert 0 < paid < invoice.amount
        else:
            assert paid == 0
        states.add(invoice.state)
        currencies.add(resolve(invoice.currency).code)
        shapes.add(
            "tax" if invoice.tax and not invoice.tax2 else "tax+tax2" if invoice.tax and invoice.tax2 else "none"
        )
        if invoice.discount:
            shapes.add("discount")
    assert states >= {"draft", "open", "partial", "paid", "closed"}
    assert currencies >= {"USD", "EUR", "CAD"}
    assert shapes >= {"tax", "tax+tax2", "discount"}
    assert any(len(amounts) > 1 for amounts in payments.values())
    assert v1["invoice_messages"]


def test_v1_contacts_without_email_and_entries_over_several_files_with_awkward_notes(v1: Account) -> None:
    assert any(not contact.email for contact in v1["contacts"])
    entries = v1["day_entries"]
    assert len({entry.origin.file for entry in entries}) >= 2
    notes = " ".join(entry.notes or "" for entry in entries)
    assert "&" in notes and "<" in notes and any(ord(ch) > 127 for ch in notes)


# --- FreshBooks ----------------------------------------------------------------------------------


def test_fb_an_archived_client_has_projects_time_and_invoices(fb: Account) -> None:
    archived = {c.id for c in fb["clients"] if c.folder == "archived"}
    projects = {p.id for p in fb["projects"] if p.client_id in archived}
    assert projects
    assert {e.project_id for e in fb["time_entries"]} & projects
    assert {i.client_id for i in fb["invoices"]} & archived


@pytest.mark.parametrize("resource", ["clients", "invoices", "expenses", "estimates"])
def test_fb_deleted_folder_records_are_exported(fb: Account, resource: str) -> None:
    assert any(record.folder == "deleted" for record in fb[resource])


def test_fb_projects_without_a_client_and_time_on_unlisted_tasks_and_staff(fb: Account) -> None:
    projects = fb.by_id("projects")
    assert any(project.client_id is None for project in projects.values())
    unlisted_task = unlisted_staff = False
    for entry in fb["time_entries"]:
        project = projects[entry.project_id]
        unlisted_task |= entry.task_id not in {t.task_id for t in project.tasks or []}
        unlisted_staff |= entry.staff_id not in {s.staff_id for s in project.staff or []}
    assert unlisted_task and unlisted_staff
    assert fb["staff"] and fb["tasks"]


def test_fb_a_staff_member_on_no_project_list_has_time_and_an_expense_and_a_task_taken_off_has_time(
    fb: Account,
) -> None:
    """FreshBooks lists a project's staff and tasks as they are today: a person who left is on no
    list, a task taken off a project is not on its list, and their history stays."""
    projects = fb.by_id("projects")
    listed_staff = {s.staff_id for project in projects.values() for s in project.staff or []}
    on_no_list = {member.id for member in fb["staff"]} - listed_staff
    logged = {(e.project_id, e.staff_id) for e in fb["time_entries"]}
    spent = {(e.project_id, e.staff_id) for e in fb["expenses"] if e.folder != "deleted"}
    assert {staff for _project, staff in logged & spent} & on_no_list  # time and an expense on one project
    taken_off = {
        (e.project_id, e.task_id)
        for e in fb["time_entries"]
        if e.task_id not in {t.task_id for t in projects[e.project_id].tasks or []}
    }
    assert taken_off


def _rates(record: Any) -> set[Decimal]:
    return {rate for line in record.lines or [] for rate in (line.tax1_percent, line.tax2_percent) if rate}


def test_fb_invoices_carry_one_two_three_rates_compound_discount_currencies_and_statuses(fb: Account) -> None:
    invoices = [i for i in fb["invoices"] if i.folder != "deleted"]
    assert {len(_rates(i)) for i in invoices} >= {1, 2, 3}
    assert any(line.compound_tax and line.tax1_percent and line.tax2_percent for i in invoices for line in i.lines)
    assert any(i.discount for i in invoices)
    assert {i.currency_code for i in invoices} >= {"USD", "EUR", "CAD"}
    assert {i.status for i in invoices} >= {"draft", "sent", "viewed", "partial", "paid"}
    items = {item.name for item in fb["items"]}
    assert any(line.type == "Item" and line.name in items for i in invoices for line in i.lines)


def test_fb_stated_figures_agree_with_payments_and_a_credit_exists(fb: Account) -> None:
    paid: dict[str, Decimal] = defaultdict(Decimal)
    count: dict[str, int] = defaultdict(int)
    for payment in fb["payments"]:
        if payment.invoice_id:
            paid[payment.invoice_id] += payment.amount
            count[payment.invoice_id] += 1
    assert any(not payment.invoice_id for payment in fb["payments"])  # a credit
    for invoice in fb["invoices"]:
        assert invoice.paid == paid[invoice.id]
        assert invoice.amount_outstanding == invoice.amount - paid[invoice.id]
        for line in invoice.lines:
            assert line.amount == (line.unit_cost * line.quantity).quantize(Decimal("0.01"))
        if invoice.status == "partial":
            assert 0 < paid[invoice.id] < invoice.amount
        if invoice.status == "paid":
            assert paid[invoice.id] == invoice.amount
    assert any(count[i.id] > 1 for i in fb["invoices"] if i.status == "paid")  # paid in parts


def test_fb_estimates_sent_and_accepted_with_two_rates_and_contacts_without_email(fb: Account) -> None:
    estimates = [e for e in fb["estimates"] if e.folder != "deleted"]
    assert {e.status for e in estimates if len(_rates(e)) == 2} >= {"sent", "accepted"}
    assert any(not contact.email for client in fb["clients"] for contact in client.contacts or [])


def test_fb_every_list_is_paged_like_the_api_over_several_files(fb: Account) -> None:
    files = sorted(Path(report.path) for report in fb.export.files)
    assert len(files) > 10
    for path in files:
        root = etree.parse(str(path)).getroot()
        (listing,) = list(root)
        page, per_page = int(listing.get("page")), int(listing.get("per_page"))
        pages, total = int(listing.get("pages")), int(listing.get("total"))
        assert 1 <= page <= pages == max(1, -(-total // per_page)) and per_page <= 100
    assert len([p for p in files if "time_entry" in p.name]) >= 2


def test_fb_a_missing_time_entry_page_is_caught_across_files(account: Lookup, tmp_path: Path) -> None:
    copy = tmp_path / "export"
    shutil.copytree(account("freshbooks", 0).path, copy)
    pages = sorted((copy / "time").glob("*.xml"))
    pages[1].unlink()
    with pytest.raises(SourceParseError, match=f"time_entries list is incomplete: page 2 of {len(pages)} is missing"):
        read_exports([copy])
