"""The FreshBooks Classic sandbox over real HTTP: a folder of saved responses answered as the Classic
XML API answers (one endpoint, the method in the body, the token as the Basic user name), its
folders, paging, failures, throttling and traps, and its first line when started as
`migrator sandbox --system freshbooks`."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree

from migrator.export.pages import request_body
from migrator.sandbox.legacy.freshbooks import TOKEN, FreshBooksSandbox
from migrator.sandbox.process import LegacySandboxProcess
from migrator.sources.export import read_exports
from tests.conftest import REPO

FIXTURES = REPO / "fixtures" / "freshbooks"
NS = "{http://www.freshbooks.com/api/}"


@pytest.fixture
def sandbox() -> Iterator[FreshBooksSandbox]:
    with FreshBooksSandbox(FIXTURES, rate=None) as running:
        yield running


def post(sandbox: FreshBooksSandbox, method: str, *, auth: tuple[str, str] | None = (TOKEN, "X"),
         **params: str) -> httpx.Response:  # fmt: skip
    body = request_body(method, list(params.items()))
    return httpx.post(sandbox.url, content=body, auth=auth, timeout=10)


def ok(response: httpx.Response) -> etree._Element:
    """The one element inside an ok `<response>`."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert (root.tag, root.get("status")) == (f"{NS}response", "ok")
    (inner,) = list(root)
    return inner


def failed(response: httpx.Response) -> tuple[str, str]:
    """(code, error) of a `status="fail"` answer, which comes with HTTP 200."""
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert root.get("status") == "fail"
    return root.findtext(f"{NS}code") or "", root.findtext(f"{NS}error") or ""


def ids(element: etree._Element, field: str) -> list[str]:
    return [str(int(child.findtext(f".//{{*}}{field}") or "0")) for child in element]


def paging(element: etree._Element) -> tuple[str | None, ...]:
    return tuple(element.get(name) for name in ("page", "per_page", "pages", "total"))


# --- credentials, endpoint, errors -----------------------------------------------------------------------


def test_the_token_is_the_basic_user_name_else_a_401_without_xml(sandbox: FreshBooksSandbox) -> None:
    assert ok(post(sandbox, "task.list")).tag == f"{NS}tasks"
    assert ok(post(sandbox, "task.list", auth=(TOKEN, "anything"))).tag == f"{NS}tasks"  # any password
    for auth in (("wrong", "X"), None):
        refused = post(sandbox, "task.list", auth=auth)
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("text/plain") and b"<" not in refused.content
    assert httpx.post(sandbox.root + "/api/2.1/other", auth=(TOKEN, "X")).status_code == 404


def test_failures_are_http_200_with_a_code(sandbox: FreshBooksSandbox) -> None:
    assert failed(post(sandbox, "client.get", client_id="99")) == ("50010", "'client_id' not found. Client not found.")
    assert failed(post(sandbox, "client.get", client_id="19")) == ("50010", "'client_id' not found. Client is deleted.")
    assert failed(post(sandbox, "client.get")) == ("40040", "Missing required field: 'client_id'.")
    assert failed(post(sandbox, "widget.list"))[0] == "40010"
    garbled = httpx.post(sandbox.url, content=b"<request method=", auth=(TOKEN, "X"))
    assert failed(garbled) == ("40010", "Your XML is not formatted correctly.")


# --- bodies ---------------------------------------------------------------------------------------------


def test_every_record_of_the_folder_is_served_merged_as_the_source_reader_merges(sandbox: FreshBooksSandbox) -> None:
    (export,) = read_exports([FIXTURES])
    try:
        expected = {r: sorted(int(row[0]) for row in export.store.rows(r)) for r in export.store.resources()}
    finally:
        export.close()
    assert {r: sandbox.store.ids(r) for r in expected} == expected
    # Client 12: its list page lacks the home phone its client.get has; the detail wins, in the list too.
    listed = {c.findtext(f"{NS}client_id"): c for c in ok(post(sandbox, "client.list"))}
    assert listed["12"].findtext(f"{NS}home_phone") == "+81 3 0000 0000"


def test_lists_are_paged_as_freshbooks_pages(sandbox: FreshBooksSandbox) -> None:
    entries = ok(post(sandbox, "time_entry.list"))
    assert entries.tag == f"{NS}time_entries" and paging(entries) == ("1", "25", "1", "8")  # 25 by default
    assert paging(ok(post(sandbox, "time_entry.list", per_page="500"))) == ("1", "100", "1", "8")  # 100 at most
    second = ok(post(sandbox, "time_entry.list", page="2", per_page="3"))
    assert paging(second) == ("2", "3", "3", "8") and len(second) == 3
    assert len(ok(post(sandbox, "time_entry.list", page="9", per_page="3"))) == 0  # beyond the end: empty
    days = [e.findtext(f"{NS}date") for e in entries]
    assert days == sorted(days)  # time entries by date
    invoices = ok(post(sandbox, "invoice.list"))
    assert ids(invoices, "invoice_id") == ["104", "103", "102", "101"]  # newest first
    march = ok(post(sandbox, "time_entry.list", date_from="2014-03-03", date_to="2014-03-04"))
    assert {e.findtext(f"{NS}date") for e in march} <= {"2014-03-03", "2014-03-04"} and len(march) > 0
    staff = ok(post(sandbox, "staff.list"))
    assert staff.tag == f"{NS}staff_members" and {m.tag for m in staff} == {f"{NS}member"}


@pytest.mark.parametrize(("method", "field"), [("time_entry.list", "time_entry_id"), ("invoice.list", "invoice_id"),
                                              ("client.list", "client_id")])  # fmt: skip
def test_pages_read_in_turn_are_the_list_read_at_once(sandbox: FreshBooksSandbox, method: str, field: str) -> None:
    """Each next page is asked after the last key served (no OFFSET walk): by date, newest first, by id."""
    whole = ids(ok(post(sandbox, method, per_page="100")), field)
    pages = [ids(ok(post(sandbox, method, page=str(page), per_page="1")), field) for page in range(1, len(whole) + 2)]
    assert [i for page in pages for i in page] == whole and pages[-1] == []


def test_folders_active_and_archived_by_default_deleted_only_when_asked(sandbox: FreshBooksSandbox) -> None:
    assert ids(ok(post(sandbox, "client.list")), "client_id") == ["11", "12", "13"]
    assert ids(ok(post(sandbox, "client.list", folder="archived")), "client_id") == ["13"]
    assert ids(ok(post(sandbox, "client.list", folder="deleted")), "client_id") == ["19"]
    assert ids(ok(post(sandbox, "client.list", folder="active")), "client_id") == ["11", "12"]
    assert len(ok(post(sandbox, "invoice.list", folder="deleted"))) == 0


def test_system_and_staff_current_name_the_account_and_the_admin(sandbox: FreshBooksSandbox) -> None:
    system = ok(post(sandbox, "system.current"))
    assert system.findtext(f"{NS}company_name") == "FreshBooks sandbox account"
    assert system.find(f"{NS}api/{NS}request_limit").get("deprecated") == "1"
    staff = ok(post(sandbox, "staff.current"))
    assert staff.tag == f"{NS}staff" and staff.findtext(f"{NS}staff_id") == "1"
    assert ok(post(sandbox, "staff.get", staff_id="3")).tag == f"{NS}staff"


def test_receipts_are_the_files_bytes_and_an_expense_without_one_fails(sandbox: FreshBooksSandbox) -> None:
    receipt = post(sandbox, "receipt.get", expense_id="71")
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "image/jpeg"
    assert receipt.content == (FIXTURES / "receipts" / "71.jpg").read_bytes()
    assert failed(post(sandbox, "receipt.get", expense_id="999")) == (
        "50010",
        "'expense_id' not found. Expense not found.",
    )
    with FreshBooksSandbox(FIXTURES, rate=None, traps=["deleted-folder"]) as running:  # 72 is deleted there
        assert failed(post(running, "receipt.get", expense_id="72"))[0] == "50010"


# --- throttling and faults -----------------------------------------------------------------------------------


def test_beyond_its_rate_it_answers_429_with_retry_after_and_logs_the_window() -> None:
    with FreshBooksSandbox(FIXTURES, rate=(2, 30.0)) as running:
        answers = [post(running, "task.list") for _ in range(3)]
        stats = running.stats()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) in range(28, 31)
    last = stats["log"][-1]
    assert last["status"] == 429 and last["call"] == "task.list"
    assert last["until"] == pytest.approx(last["at"] + last["retry_after"])


def test_fault_kinds_each_fail_as_they_say() -> None:
    with FreshBooksSandbox(FIXTURES, rate=None, fault_rate=1.0, fault_seed=1) as running:
        outcomes: set[str] = set()
        for _ in range(40):
            try:
                outcomes.add(str(post(running, "task.list").status_code))
            except httpx.RemoteProtocolError:
                outcomes.add("cut or dropped")
    assert outcomes == {"500", "502", "cut or dropped"}


# --- traps --------------------------------------------------------------------------------------------------


def test_a_staff_token_sees_only_its_assignments_and_nothing_says_so() -> None:
    with FreshBooksSandbox(FIXTURES, rate=None, traps=["staff-token"]) as running:
        assert ok(post(running, "staff.current")).findtext(f"{NS}staff_id") == "2"
        projects = ok(post(running, "project.list"))
        entries = ok(post(running, "time_entry.list"))
        assert ids(ok(post(running, "staff.list")), "staff_id") == ["2"]
        assert len(ok(post(running, "invoice.list"))) == 0  # no billing for staff
        assert failed(post(running, "invoice.get", invoice_id="101"))[0] == "50010"
    with FreshBooksSandbox(FIXTURES, rate=None) as running:
        all_projects = ok(post(running, "project.list"))
        all_entries = ok(post(running, "time_entry.list"))
    assert 0 < len(projects) < len(all_projects) and 0 < len(entries) < len(all_entries)
    assert {e.findtext(f"{NS}staff_id") for e in entries} == {"2"}
    assert paging(entries)[3] == str(len(entries))  # the total says nothing either


def test_traps_each_do_what_they_say() -> None:
    with FreshBooksSandbox(FIXTURES, rate=None, traps=["lying-pages"], page_size=2) as running:
        assert paging(ok(post(running, "client.list", per_page="100"))) == ("1", "2", "1", "4")  # 3 on 2 pages
        assert paging(ok(post(running, "task.list", per_page="100"))) == ("1", "2", "1", "4")  # 3 on 2 pages
        assert paging(ok(post(running, "tax.list", per_page="100"))) == ("1", "2", "10", "3")  # 2 on 1 page
    with FreshBooksSandbox(FIXTURES, rate=None, traps=["summary-lists"]) as running:
        client = ok(post(running, "client.list"))[0]
        assert sorted(etree.QName(f).localname for f in client) == sorted(
            ["client_id", "first_name", "last_name", "organization", "email", "username", "folder"]
        )
        assert all(i.find(f"{NS}lines") is None for i in ok(post(running, "invoice.list")))
        assert ok(post(running, "invoice.get", invoice_id="101")).find(f"{NS}lines") is not None
    with FreshBooksSandbox(FIXTURES, rate=None, traps=["deleted-folder"]) as running:
        assert ids(ok(post(running, "expense.list", folder="deleted")), "expense_id") == ["72"]
        assert ids(ok(post(running, "invoice.list", folder="deleted")), "invoice_id") == ["104"]  # no payments
        assert failed(post(running, "estimate.get", estimate_id="112"))[1] == (
            "'estimate_id' not found. Estimate is deleted."
        )
    with FreshBooksSandbox(FIXTURES, rate=None, traps=["fail=project.list"]) as running:
        assert failed(post(running, "project.list")) == ("50020", "Failed to list projects. Request failed.")
        assert ok(post(running, "task.list")).tag == f"{NS}tasks"
    with FreshBooksSandbox(FIXTURES, rate=None, traps=["wrong-system"]) as running:
        moved = post(running, "system.current")
        assert moved.status_code == 302 and moved.headers["location"].endswith("/loginSearch.php")
        assert moved.headers["content-type"].startswith("text/html")
    with FreshBooksSandbox(FIXTURES, rate=None, traps=["truncated", "hostile=staff.list"]) as running:
        with pytest.raises(httpx.RemoteProtocolError):
            post(running, "invoice.list")
        assert b"<!ENTITY lol9" in post(running, "staff.list").content
    with pytest.raises(Exception, match="unknown trap 'typo'"):
        FreshBooksSandbox(FIXTURES, traps=["typo"])


def test_shifting_pages_change_the_account_between_two_page_requests() -> None:
    with FreshBooksSandbox(FIXTURES, rate=None, traps=["shifting-pages"], page_size=2) as running:  # invoice.list
        first = ids(ok(post(running, "invoice.list", page="1")), "invoice_id")
        second = ids(ok(post(running, "invoice.list", page="2")), "invoice_id")
        again = ids(ok(post(running, "invoice.list", page="1")), "invoice_id")
        deleted = ids(ok(post(running, "invoice.list", folder="deleted")), "invoice_id")
        created = ok(post(running, "invoice.get", invoice_id="105"))
    assert first == ["104", "103"]
    assert second == ["101"]  # 104 was deleted after page 1: 103 and 102 moved up, 102 onto page 1 (already read)
    assert again == ["105", "103"]  # after page 2, invoice 105 was created, at the head of page 1
    assert deleted == ["104"]
    assert created.findtext(f"{NS}number") == "SHIFT-105"


# --- the command ----------------------------------------------------------------------------------------------


def test_migrator_sandbox_system_freshbooks_prints_its_endpoint_first() -> None:
    with LegacySandboxProcess("freshbooks", rate="100/15") as running:
        assert re.fullmatch(r"FreshBooks sandbox listening on http://127\.0\.0\.1:\d+/api/2\.1/xml-in", running.banner)
        env = running.env()
        assert env["FRESHBOOKS_URL"] == running.url and env["FRESHBOOKS_TOKEN"] == TOKEN
        answer = httpx.post(running.url, content=request_body("task.list"), auth=(TOKEN, "X"), timeout=10)
        assert answer.status_code == 200
        assert running.stats()["log"][0]["call"] == "task.list"
