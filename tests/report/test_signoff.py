"""Issue #19's "Done when" through the real CLI, and issue #23 item 8: what the sign-off reports say.

The scenario (`conftest.signed_off`): the fixture accounts loaded into a sandbox, then one entry's
date moved across a month boundary, one entry booked to another person, one expense's amount edited.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from migrator.report.verify_html import render_verify_html
from migrator.verify.verifier import VerifyReport
from tests.cli.test_plan_and_errors import migrator
from tests.conftest import REPO
from tests.report.conftest import SignedOff

ADA = "Ada Lindqvist (harvest-v1:users:701)"
BEN = "Ben Okafor (harvest-v1:users:702)"
CLEO = "Cleo Baptiste (harvest-v1:users:703)"
WEBSITE = "Website Redesign (harvest-v1:projects:901)"


def differences(signed_off: SignedOff) -> dict[tuple[str, str, str], dict]:  # type: ignore[type-arg]
    return {(d["source"], d["field"], d.get("month", "")): d for d in signed_off.verify_json["differences"]}


def text_of(path: Path) -> str:
    """What a person reads on the page: the text, without markup."""

    class Text(HTMLParser):
        parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.parts = []
    parser.feed(path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def test_a_date_moved_across_a_month_names_that_month_person_and_project_and_the_totals_still_match(
    signed_off: SignedOff,
) -> None:
    document, found = signed_off.verify_json, differences(signed_off)
    assert signed_off.verify_code == 2 and document["ok"] is False
    assert document["totals"]["hours"] == {"source": "69.50", "target": "69.50"}  # the totals still match
    by_month = document["breakdown"]["by_month"]
    assert by_month["2013-02"] == {"source": "0.00", "target": "3.50"}
    assert by_month["2013-03"] == {"source": "42.25", "target": "38.75"}
    for month, source, target in (("2013-02", "0.00", "3.50"), ("2013-03", "42.25", "38.75")):
        month_diff = found[(month, "hours_by_month", "")]
        assert (month_diff["source_value"], month_diff["target_value"], month_diff["explained_by"]) == (
            source, target, None)  # fmt: skip
    # Ada's and Website Redesign's totals are unchanged by the move, their two months are not.
    ada = document["breakdown"]["by_person"][ADA]
    assert ada["by_month"]["2013-02"] == {"source": "0.00", "target": "3.50"}
    assert found[(ADA, "hours_by_person", "2013-02")]["target_value"] == "3.50"
    assert found[(WEBSITE, "hours_by_project", "2013-02")]["source_value"] == "0.00"
    assert found[(WEBSITE, "hours_by_project", "2013-03")]["target_value"] == "17.50"
    # The entry itself, field by field: named, with its date on both sides.
    moved = found[("harvest-v1:time_entries:2001", "spent_date", "")]
    assert (moved["source_value"], moved["target_value"]) == ("2013-03-04", "2013-02-28")
    assert moved["name"] == "2013-03-04 3.5 h" and moved["target_id"] is not None and moved["explained_by"] is None


def test_hours_booked_to_another_person_name_both_people_and_the_entry(signed_off: SignedOff) -> None:
    document, found = signed_off.verify_json, differences(signed_off)
    person = found[("harvest-v1:time_entries:2010", "user", "")]
    # Ben is the person the map file names: the target user at his new address is keyed as his record.
    assert (person["source_value"], person["target_value"]) == (CLEO, BEN)
    assert person["name"] == "2013-03-08 5.0 h" and person["explained_by"] is None
    assert (found[(CLEO, "hours_by_person", "2013-03")]["source_value"],
            found[(CLEO, "hours_by_person", "2013-03")]["target_value"]) == ("14.25", "9.25")  # fmt: skip
    assert (found[(BEN, "hours_by_person", "2013-03")]["source_value"],
            found[(BEN, "hours_by_person", "2013-03")]["target_value"]) == ("21.25", "26.25")  # fmt: skip
    by_person = document["breakdown"]["by_person"]
    assert by_person[BEN]["source"] != by_person[BEN]["target"]  # his total moved; Ada's did not
    assert by_person[ADA]["source"] == by_person[ADA]["target"]
    # The person move takes no hours from a project: only the moved date shows there.
    assert {key for key, field, _month in found if field == "hours_by_project"} == {WEBSITE}


def test_an_edited_expense_amount_is_a_difference_with_its_currency(signed_off: SignedOff) -> None:
    edited = differences(signed_off)[("freshbooks:expenses:71", "total_cost", "")]
    assert (edited["source_value"], edited["target_value"], edited["currency"]) == ("38.40", "45.00", "EUR")
    assert edited["explained_by"] is None  # the expense's tax note explains no other total
    assert "freshbooks:expenses:71 (v2 " in signed_off.verify_text
    assert "total_cost: source 38.40 EUR / target 45.00 EUR" in signed_off.verify_text
    # Nothing else differs: exactly the changes made, and what they moved.
    assert {
        (s, f) for s, f, _m in differences(signed_off) if ":" in s and f not in ("hours_by_person", "hours_by_project")
    } == {  # fmt: skip
        ("harvest-v1:time_entries:2001", "spent_date"),
        ("harvest-v1:time_entries:2010", "user"),
        ("freshbooks:expenses:71", "total_cost"),
    }


def test_the_verify_html_names_the_verdict_month_person_project_and_entry(signed_off: SignedOff) -> None:
    page = text_of(signed_off.verify_html)
    assert page.index("Differences") < page.index("Records per kind")  # the verdict comes first
    assert "The target differs from the source in 11 places; 11 are not explained." in page
    for shown in (
        "2013-02 0.00 3.50 +3.50 ≠ differs",
        "2013-03 42.25 38.75 -3.50 ≠ differs",
        f"{ADA} 2013-02 0.00 3.50",
        f"{CLEO} 2013-03 14.25 9.25",
        "2013-03-08 5.0 h harvest-v1:time_entries:2010",
        f"{WEBSITE} 2013-03 21.00 17.50",
        "2013-03-04 3.5 h harvest-v1:time_entries:2001",
        "spent date 2013-03-04 2013-02-28",
        "total cost 38.40 EUR 45.00 EUR",
        "Total: 69.50 h in the source, 69.50 h in the target (= equal)",
        "6170.66 EUR 6170.66 EUR = equal",
    ):
        assert shown in page, shown
    html = signed_off.verify_html.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace(_target(html), "") and "https://" not in html
    equal = text_of(signed_off.equal_html)
    assert "Equal The target matches the source, record by record and to the cent." in equal


def _target(html: str) -> str:
    """The target URL the page names (the sandbox's, on 127.0.0.1): the one address it may show."""
    found = re.search(r"target: (http://127\.0\.0\.1:\d+/v2)", html)
    assert found, "the page names its target"
    return found.group(1)


def test_everything_from_the_source_is_escaped() -> None:
    hostile = '<img src="http://example.invalid/x.png"><script>alert(1)</script>'
    report = VerifyReport(
        kinds={"clients": {"source": 1, "target": 1}},
        totals={"hours": {"source": "1.00", "target": "2.00"}},
        breakdown={"by_month": {"2013-03": {"source": "1.00", "target": "2.00"}},
                   "by_person": {hostile: {"source": "1.00", "target": "2.00",
                                           "by_month": {"2013-03": {"source": "1.00", "target": "2.00"}}}}},
        differences=[{"kind": "time_entries", "source": "harvest-v1:time_entries:1", "target_id": 5,
                      "field": "notes", "source_value": hostile, "target_value": "", "explained_by": hostile,
                      "origin": {}, "name": hostile}],
    )  # fmt: skip
    html = render_verify_html(report, sources=[hostile], target=hostile)
    assert "<img" not in html and "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_needs_an_output_file(tmp_path: Path) -> None:
    for command in (("plan", SOURCE, "--offline"), ("verify", SOURCE, "--sandbox")):
        done = migrator(*command, "--format", "html")
        assert done.returncode == 1, done.stderr
        assert "--format html writes one self-contained file: add --output FILE.html" in done.stderr
        assert "Traceback" not in done.stderr


SOURCE = str(REPO / "fixtures" / "harvest-v1")


# --- issue #23 item 8: what the plan asks the reader to agree to, in every format ------------------

INVITED = (
    "Ada Lindqvist <ada@northwind.example> (harvest-v1:users:701)",
    "Cleo Baptiste <cleo@freelance.example> (harvest-v1:users:703), who left (created for their history)",
    "Nora Quist <nora@quiststudio.example> (freshbooks:users:1)",
    "Omar Haddad <omar@quiststudio.example> (freshbooks:users:2)",
    "Priya Raman <priya@quiststudio.example> (freshbooks:users:3)",
)


def test_every_plan_format_names_everyone_harvest_will_invite(signed_off: SignedOff) -> None:
    for line in INVITED:
        assert f"  @ {line}" in signed_off.plan_text
        assert f"- {line}" in signed_off.plan_markdown
    assert "Invitations (5): Harvest will email each of these people" in signed_off.plan_text
    assert "Harvest will email 5 people an invitation" in signed_off.plan_markdown
    assert [(i["record"], i["email"], i["left"]) for i in signed_off.plan_json["invitations"]] == [
        ("harvest-v1:users:701", "ada@northwind.example", False),
        ("harvest-v1:users:703", "cleo@freelance.example", True),
        ("freshbooks:users:1", "nora@quiststudio.example", False),
        ("freshbooks:users:2", "omar@quiststudio.example", False),
        ("freshbooks:users:3", "priya@quiststudio.example", False),
    ]
    page = text_of(signed_off.plan_html)
    assert "Harvest will email 5 people" in page
    for name, email in (("Ada Lindqvist", "ada@northwind.example"), ("Priya Raman", "priya@quiststudio.example")):
        assert f"{name} {email}" in page
    assert "Ben Okafor" not in signed_off.plan_text.split("Invitations (5)")[1].split("\n\n")[0]  # mapped: adopted


def test_the_markdown_plan_shows_the_people_mapped_the_skipped_records_and_the_map_rules(
    signed_off: SignedOff,
) -> None:
    markdown = signed_off.plan_markdown
    people = markdown.split("## People the map file names (`[people]`)")[1].split("\n## ")[0]
    assert "| harvest-v1:users:702 | Ben Okafor | ben.okafor@newco.example | adopt |" in people
    skipped = markdown.split("## Skipped records (not migrated)")[1].split("\n## ")[0]
    assert "| freshbooks:clients:19 |" in skipped and "deleted in FreshBooks; pass --include-deleted" in skipped
    assert "| freshbooks:invoice_payments:203 |" in skipped and "v2 has no client credits" in skipped
    assert skipped.count("| harvest-v1:invoice_messages:") == 4
    rules = markdown.split("## What the map file changed")[1].split("\n## ")[0]
    assert "| [people] | 1 | harvest-v1:users:702 (Ben Okafor <ben.okafor@newco.example>) |" in rules
    assert "| [rename] | 1 | freshbooks:tasks:32 (Development) |" in rules
    page = text_of(signed_off.plan_html)
    assert (
        "People the map file names (1) person is, in the target record action Ben Okafor ben.okafor@newco.example"
        in page
    )
    assert "Skipped: not migrated (6)" in page and "What the map file changed" in page


def test_money_per_client_carries_its_currency_and_totals_never_mix_currencies(signed_off: SignedOff) -> None:
    table = signed_off.plan_markdown.split("## Hours and money per client")[1].split("\n## ")[0]
    assert "| client | currency | hours | invoiced | payments |" in table
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert all(re.match(r"\| [^|]+ \| \*{0,2}(USD|EUR|account default)\*{0,2} \|", row) for row in rows[:-1]), rows
    assert "| FreshBooks projects without a client | account default | 1.00 | 0.00 | 0.00 |" in table
    assert "| Anchor Bar & Grill | USD | 28.25 | 2843.25 | 1053.25 |" in table
    assert "| **total EUR** | **EUR** |" in table and "**6170.66 EUR** | **1788.00 EUR** |" in table
    assert "| **total USD** | **USD** |" in table and "**4073.25 USD** | **1053.25 USD** |" in table
    assert "6956.21" not in signed_off.plan_markdown  # 2843.25 USD + 4112.96 EUR: the old mixed total
    assert "10243.91" not in signed_off.plan_markdown  # nor every invoice of both currencies added up
    page = text_of(signed_off.plan_html)
    assert "total EUR EUR" in page and "6170.66 EUR 1788.00 EUR" in page
