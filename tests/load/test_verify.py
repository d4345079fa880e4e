"""`verify` must catch what a person changed in the target after the run."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from migrator import api
from migrator.harvest.sandbox import Sandbox
from tests.conftest import client_for
from tests.load.test_exactly_once import FB, _spec, run


def test_verify_names_a_deleted_time_entry_and_an_edited_invoice(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    options = api.SourceOptions((FB,))
    assert run(sandbox, ledger, options=options).exit_code == 0
    report = api.verify(options, target=_spec(sandbox), ledger_path=ledger)
    assert report.ok and report.totals["hours"] == {"source": "21.50", "target": "21.50"}

    client = client_for(sandbox)
    entry = next(e for e in sandbox.objects("time_entries") if e["external_reference"]["id"].endswith(":502"))
    client.delete(f"/time_entries/{entry['id']}")
    invoice = next(i for i in sandbox.objects("invoices") if i["number"] == "FB-0103")
    line = invoice["line_items"][0]
    client.patch(f"/invoices/{invoice['id']}", {"line_items": [{"id": line["id"], "unit_price": Decimal("140")}]})

    report = api.verify(options, target=_spec(sandbox), ledger_path=ledger)
    assert not report.ok
    assert report.kinds["time_entries"] == {"source": 6, "target": 5}
    assert report.totals["hours"] == {"source": "21.50", "target": "15.25"}
    found = {(d["kind"], d.get("source_id"), d["field"]) for d in report.differences}
    assert ("time_entries", "502", "target") in found
    assert ("invoices", "103", "amount") in found and ("invoices", "103", "due_amount") in found
    amount = next(d for d in report.differences if d.get("source_id") == "103" and d["field"] == "amount")
    assert (amount["source"], amount["target"]) == ("1200.00", "1120.00")
