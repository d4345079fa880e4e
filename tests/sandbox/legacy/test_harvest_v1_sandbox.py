"""The Harvest v1 sandbox over real HTTP: a folder of saved responses answered as v1 answers, its
traps, its throttling, and its first line when started as `migrator sandbox --system harvest-v1`."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from lxml import etree

from migrator.cli import cli
from migrator.sandbox.legacy.harvest_v1 import EMAIL, PASSWORD, TOKEN, HarvestV1Sandbox
from migrator.sandbox.process import LegacySandboxProcess
from migrator.sources.export import read_exports
from tests.conftest import REPO

FIXTURES = REPO / "fixtures" / "harvest-v1"
XML = {"Accept": "application/xml"}


@pytest.fixture
def sandbox() -> Iterator[HarvestV1Sandbox]:
    with HarvestV1Sandbox(FIXTURES, rate=None) as running:
        yield running


def get(sandbox: HarvestV1Sandbox, path: str, **options: object) -> httpx.Response:
    options.setdefault("headers", XML)
    options.setdefault("auth", (EMAIL, PASSWORD))
    return httpx.get(sandbox.url + path, timeout=10, **options)  # type: ignore[arg-type]


def root(response: httpx.Response) -> etree._Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    return etree.fromstring(response.content)


def ids(element: etree._Element) -> list[str]:
    return [child.findtext("id") or "" for child in element]


# --- credentials, headers, errors -----------------------------------------------------------------------


def test_credentials_basic_or_bearer_else_a_json_401(sandbox: HarvestV1Sandbox) -> None:
    assert get(sandbox, "/clients").status_code == 200
    assert get(sandbox, "/clients", auth=None, headers=XML | {"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    for auth in ((EMAIL, "wrong"), None):
        refused = get(sandbox, "/clients", auth=auth)
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/json")
        assert refused.json()["error"] == "invalid_token"


def test_without_accept_xml_the_web_app_answers_html_and_a_bad_id_is_an_html_404(sandbox: HarvestV1Sandbox) -> None:
    page = get(sandbox, "/clients", headers={"Accept": "*/*"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert root(get(sandbox, "/clients.xml", headers={"Accept": "*/*"})).tag == "clients"  # ActiveResource style
    missing = get(sandbox, "/invoices/999")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "<title>HARVEST: Can't find page</title>" in missing.text
    assert get(sandbox, "/projects/901/entries").status_code == 400  # from and to are required


# --- bodies ---------------------------------------------------------------------------------------------


def test_every_record_of_the_folder_is_served_merged_as_the_source_reader_merges(sandbox: HarvestV1Sandbox) -> None:
    (export,) = read_exports([FIXTURES])
    try:
        resources = [r for r in export.store.resources() if r != "account"]
        expected = {r: sorted(int(row[0]) for row in export.store.rows(r)) for r in resources}
        summaries = {row[0]: row[6] for row in export.store.rows("invoices")}
    finally:
        export.close()
    assert {r: sandbox.store.ids(r) for r in expected} == expected
    # Invoice 3004: the list page saved it `partial`, its detail `paid`; the detail wins, in the list too.
    listed = {i.findtext("id"): i for i in root(get(sandbox, "/invoices?page=1"))}
    assert summaries["3004"]["state"] == listed["3004"].findtext("state") == "paid"


def test_lists_are_v1_shaped(sandbox: HarvestV1Sandbox) -> None:
    people = root(get(sandbox, "/people"))
    assert people.tag == "users" and people.get("type") == "array" and ids(people) == ["701", "702", "703"]
    assert etree.tostring(root(get(sandbox, "/clients/503/contacts"))) == b'<nil-classes type="array"/>'
    page = root(get(sandbox, "/invoices?page=1"))
    assert ids(page) == ["3005", "3004", "3003", "3002", "3001"]  # newest first
    assert all(invoice.find("csv-line-items") is None for invoice in page)  # never in the list
    assert root(get(sandbox, "/invoices/3001")).findtext("csv-line-items").startswith("kind,description,")
    messages = root(get(sandbox, "/invoices/3004/messages"))
    assert messages.tag == "invoice-message" and messages.get("type") == "array"  # v1's buggy singular root
    assert ids(messages) == ["5002", "5003"]
    assert root(get(sandbox, "/invoices?page=2")).tag == "nil-classes"


def test_entry_windows_include_both_days_and_daily_bodies_come_back_dash_cased(sandbox: HarvestV1Sandbox) -> None:
    window = root(get(sandbox, "/projects/901/entries?from=20130308&to=20130308"))
    assert window.tag == "day-entries"
    days = {entry.findtext("spent-at") for entry in window}
    assert days == {"2013-03-08"}
    assert "2011" in ids(window)  # saved in the /daily body as <day_entry> with <spent_at>
    assert not re.search(rb"<[a-z]+_[a-z_]+[ >]", etree.tostring(window))
    wider = root(get(sandbox, "/projects/901/entries?from=2013-03-04&to=20130308"))
    assert len(wider) == 6
    expenses = root(get(sandbox, "/people/701/expenses?from=20120101&to=20131231"))
    assert {e.findtext("user-id") for e in expenses} == {"701"} and len(expenses) == 3


def test_receipts_come_from_the_receipts_folder_and_a_missing_one_is_a_404(tmp_path: Path) -> None:
    folder = tmp_path / "account"
    shutil.copytree(FIXTURES, folder)
    (folder / "receipts").mkdir(exist_ok=True)  # the fixture has one (1304.png): this test's replaces it
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    (folder / "receipts" / "1304.png").write_bytes(png)
    with HarvestV1Sandbox(folder, rate=None) as running:
        receipt = get(running, "/expenses/1304/receipt", headers={"Accept": "*/*"})
        assert receipt.status_code == 200 and receipt.headers["content-type"] == "image/png"
        assert receipt.content == png
        assert get(running, "/expenses/1301/receipt").status_code == 404


# --- throttling and faults -----------------------------------------------------------------------------------


def test_beyond_its_rate_it_answers_503_with_retry_after_and_logs_the_window() -> None:
    with HarvestV1Sandbox(FIXTURES, rate=(2, 30.0)) as running:
        answers = [get(running, "/tasks") for _ in range(3)]
        stats = running.stats()
    assert [a.status_code for a in answers] == [200, 200, 503]
    assert int(answers[2].headers["Retry-After"]) in range(28, 31)
    assert stats["requests"] == 3 and stats["throttled"] == 1
    last = stats["log"][-1]
    assert last["status"] == 503 and last["until"] == pytest.approx(last["at"] + last["retry_after"])


def test_fault_kinds_each_fail_as_they_say() -> None:
    with HarvestV1Sandbox(FIXTURES, rate=None, fault_rate=1.0, fault_seed=1) as running:
        outcomes: set[str] = set()
        for _ in range(40):
            try:
                outcomes.add(str(get(running, "/tasks").status_code))
            except httpx.RemoteProtocolError:
                outcomes.add("cut or dropped")
        assert running.stats()["faults"] == 40
    assert outcomes == {"500", "502", "cut or dropped"}


# --- traps --------------------------------------------------------------------------------------------------


def test_traps_each_do_what_they_say() -> None:
    with HarvestV1Sandbox(FIXTURES, rate=None, traps=["non-admin"]) as running:
        user = root(get(running, "/account/who_am_i")).find("user")
        assert (user.findtext("id"), user.findtext("first-name"), user.findtext("admin")) == ("702", "Ben", "false")
    with HarvestV1Sandbox(FIXTURES, rate=None) as running:
        assert root(get(running, "/account/who_am_i")).find("user").findtext("admin") == "true"
    with HarvestV1Sandbox(FIXTURES, rate=None, traps=["inactive"]) as running:
        inactive = get(running, "/account/who_am_i")
        assert inactive.status_code == 200 and inactive.headers["content-type"].startswith("text/html")
    with HarvestV1Sandbox(FIXTURES, rate=None, traps=["narrow-hints", "bad-id=/projects/902"]) as running:
        projects = {p.findtext("id"): p for p in root(get(running, "/projects"))}
        hints = (projects["901"].findtext("hint-earliest-record-at"), projects["901"].findtext("hint-latest-record-at"))
        assert hints == ("2013-03-06", "2013-03-06")  # entries run 2013-03-04 .. 03-08: one day, in the middle
        assert get(running, "/projects/902").status_code == 404 and "902" in ids(root(get(running, "/projects")))
    with HarvestV1Sandbox(FIXTURES, rate=None, traps=["truncated", "hostile=/people"]) as running:
        with pytest.raises(httpx.RemoteProtocolError):
            get(running, "/invoices/3001")
        assert b"<!ENTITY lol9" in get(running, "/people").content
    with pytest.raises(Exception, match="unknown trap 'typo'"):
        HarvestV1Sandbox(FIXTURES, traps=["typo"])


# --- the command ----------------------------------------------------------------------------------------------


def test_migrator_sandbox_system_harvest_v1_prints_its_address_first() -> None:
    with LegacySandboxProcess("harvest-v1", rate="100/15") as running:
        assert re.fullmatch(r"Harvest v1 sandbox listening on http://127\.0\.0\.1:\d+", running.banner)
        assert running.url == running.banner.rsplit(" ", 1)[1]
        assert httpx.get(f"{running.url}/tasks", headers=XML, auth=(EMAIL, PASSWORD), timeout=10).status_code == 200
        assert running.stats()["requests"] == 1


def test_v2_only_options_are_refused_with_system() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--system", "harvest-v1", "--state", "x.sqlite"])
    assert result.exit_code == 2 and "--state are for the Harvest v2 sandbox" in result.output
    result = CliRunner().invoke(cli, ["sandbox", "--trap", "inactive"])
    assert result.exit_code == 2 and "--from and --trap need --system" in result.output
