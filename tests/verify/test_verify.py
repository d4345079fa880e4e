"""`verify` must catch what a person changed in the target after the run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from migrator import api
from migrator.sandbox import Sandbox
from tests.accounts import FB, run
from tests.checks import harvest, target_spec


def test_verify_names_a_deleted_time_entry_and_an_edited_invoice(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    options = api.SourceOptions((FB,))
    assert run(sandbox, ledger, options=options).exit_code == 0
    report = api.verify(options, target=target_spec(sandbox), ledger_path=ledger)
    assert report.ok and report.totals["hours"] == {"source": "26.00", "target": "26.00"}

    client = harvest(sandbox)
    entry = next(e for e in sandbox.objects("time_entries") if e["external_reference"]["id"].endswith(":502"))
    client.delete(f"/time_entries/{entry['id']}")
    invoice = next(i for i in sandbox.objects("invoices") if i["number"] == "FB-0103")
    line = invoice["line_items"][0]
    client.patch(f"/invoices/{invoice['id']}", {"line_items": [{"id": line["id"], "unit_price": Decimal("140")}]})

    report = api.verify(options, target=target_spec(sandbox), ledger_path=ledger)
    assert not report.ok
    assert report.kinds["time_entries"] == {"source": 8, "target": 7}
    assert report.totals["hours"] == {"source": "26.00", "target": "19.75"}
    found = {(d["source"], d["field"]): d for d in report.differences}
    assert set(found) == {
        # where the deleted entry's 6.25 h were: its month, its person, its project
        ("2014-03", "hours_by_month"),
        ("Omar Haddad (freshbooks:users:2)", "hours_by_person"),  # in 2014-03
        ("Café website (freshbooks:projects:41)", "hours_by_project"),
        ("freshbooks:time_entries:502", "present"),
        ("freshbooks:invoices:103", "amount"),
        ("freshbooks:invoices:103", "due_amount"),
    }
    month = found[("2014-03", "hours_by_month")]
    assert (month["source_value"], month["target_value"], month["explained_by"]) == ("21.50", "15.25", None)
    person = found[("Omar Haddad (freshbooks:users:2)", "hours_by_person")]
    assert (person["month"], person["source_value"], person["target_value"]) == ("2014-03", "9.00", "2.75")
    assert report.breakdown["by_person"]["Omar Haddad (freshbooks:users:2)"] == {
        "source": "12.00",
        "target": "5.75",
        "by_month": {"2013-11": {"source": "3.00", "target": "3.00"}, "2014-03": {"source": "9.00", "target": "2.75"}},
    }
    assert report.breakdown["by_month"] == {
        "2013-11": {"source": "4.50", "target": "4.50"},
        "2014-03": {"source": "21.50", "target": "15.25"},
    }
    deleted = found[("freshbooks:time_entries:502", "present")]
    assert deleted["name"] == "2014-03-04 6.25 h"
    assert (deleted["source_value"], deleted["target_value"]) == ("in the source", "missing in the target")
    amount = found[("freshbooks:invoices:103", "amount")]
    assert (amount["kind"], amount["target_id"]) == ("invoices", invoice["id"])
    assert (amount["source_value"], amount["target_value"], amount["explained_by"]) == ("1200.00", "1120.00", None)
    assert report.money["USD"]["invoice_amount"]["source"] != report.money["USD"]["invoice_amount"]["target"]
    assert report.exit_code(accept_explained=True) == 2  # nothing here is explained by a lossy note
