"""`csv-line-items`: every real and documented shape, and a bad row that invalidates only its invoice."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from migrator.errors import SourceError
from migrator.mappings.harvest_v1 import map_export
from migrator.planned import MapContext, MapSink
from migrator.sources.export import read_exports
from migrator.sources.harvest_v1.csv_lines import LineItem, parse_line_items

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "harvest-v1"
HEAD = "kind,description,quantity,unit_price,amount,taxed,taxed2,project_id"


def _item(row: int, kind: str, description: str | None, q: str | None, p: str, a: str | None, **kw: object) -> LineItem:
    return LineItem(
        row=row,
        kind=kind,
        description=description,
        quantity=Decimal(q) if q is not None else None,
        unit_price=Decimal(p),
        amount=Decimal(a) if a is not None else None,
        taxed=bool(kw.get("taxed", False)),
        taxed2=bool(kw.get("taxed2", False)),
        project_id=kw.get("project_id"),  # type: ignore[arg-type]
    )


CASES = [
    pytest.param(
        f"{HEAD}\nProduct,Widget 1,2.00,100.00,200.0,true,false,\nProduct,Widget 2,1.00,200.00,200.0,true,false,\n",
        [
            _item(1, "Product", "Widget 1", "2.00", "100.00", "200.0", taxed=True),
            _item(2, "Product", "Widget 2", "1.00", "200.00", "200.0", taxed=True),
        ],
        id="real-compact-trailing-comma-and-newline",
    ),
    pytest.param(
        f"\n  {HEAD}\n  Service,Security support / Apply upgrades,0.68,80.00,54.4,true,false,3\n  ",
        [_item(1, "Service", "Security support / Apply upgrades", "0.68", "80.00", "54.4", taxed=True, project_id="3")],
        id="docs-indented-and-wrapped",
    ),
    pytest.param(
        f'{HEAD}\nService,"Wireframes, round 1",10.00,120.00,1200.0,false,false,901',
        [_item(1, "Service", "Wireframes, round 1", "10.00", "120.00", "1200.0", project_id="901")],
        id="quoted-comma-no-trailing-newline",
    ),
    pytest.param(
        f'{HEAD}\nService,"Pipeline build\n  phase 1",20.00,130.00,2600.0,true,true,902\n',
        [
            _item(
                1,
                "Service",
                "Pipeline build\n  phase 1",
                "20.00",
                "130.00",
                "2600.0",
                taxed=True,
                taxed2=True,
                project_id="902",
            )
        ],
        id="embedded-newline-keeps-its-indent",
    ),
    pytest.param(
        f'{HEAD}\nProduct,"Hosting (""Starter"" plan), 12 months",1.00,80.00,80.0,true,false,\n',
        [_item(1, "Product", 'Hosting ("Starter" plan), 12 months', "1.00", "80.00", "80.0", taxed=True)],
        id="doubled-quotes",
    ),
    pytest.param(
        f'{HEAD}\nService,"",1.00,200.00,200.0,false,false,\nHosting,,,50,,,,\n',
        [_item(1, "Service", None, "1.00", "200.00", "200.0"), _item(2, "Hosting", None, None, "50", None)],
        id="empty-fields",
    ),
    pytest.param(f"{HEAD}\n", [], id="header-only"),
    pytest.param("  \n ", [], id="blank"),
    pytest.param(None, [], id="absent"),
    pytest.param(
        f"{HEAD}\r\nService,Support,1,10,10,false,false,\r\n",
        [_item(1, "Service", "Support", "1", "10", "10")],
        id="crlf-rows",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_line_items_parse(text: str | None, expected: list[LineItem]) -> None:
    assert parse_line_items(text, invoice_id="1") == expected


BAD = [
    pytest.param(
        f"{HEAD}\nService,a,1,2,2,false,false,\nService,b,1,12.5x,2,false,false,\n",
        "row 2 'unit_price' is not a decimal: '12.5x'",
        id="bad-decimal",
    ),
    pytest.param(f"{HEAD}\nService,a,1,2,2,yes please,false,\n", "row 1 'taxed' is not true or false", id="bad-bool"),
    pytest.param(f"{HEAD}\nService,a,1,2,2,false,false,P-9\n", "row 1 'project_id' is not a project id", id="bad-id"),
    pytest.param(f"{HEAD}\nService,a,1,2,2,false\n", "row 1 has 6 fields, the header has 8", id="short-row"),
    pytest.param(f"{HEAD}\nService,a,1,2,2,false,false,,x\n", "row 1 has 9 fields, the header has 8", id="long-row"),
    pytest.param(f"{HEAD}\n,a,1,2,2,false,false,\n", "row 1 'kind' is empty", id="no-kind"),
    pytest.param(f"{HEAD}\nService,a,1,,2,false,false,\n", "row 1 'unit_price' is empty", id="no-price"),
    pytest.param(f'{HEAD}\nService,a,1,2,2,false,false,\nService,"b,1,2\n', "row 2 is not valid CSV", id="open-quote"),
    pytest.param(
        "description,quantity\nx,1\n",
        "the header row 'description,quantity' lacks 'kind', 'unit_price'",
        id="no-header",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_row_names_the_invoice_and_the_row(text: str, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_line_items(text, invoice_id="9917", file="exports/dump-003.xml", line=412)
    error = caught.value
    assert (error.record_id, error.resource, error.field, error.line) == ("9917", "invoices", "csv_line_items", 412)
    assert error.message.startswith(message)
    assert str(error).startswith("exports/dump-003.xml:412 invoices 9917: field 'csv_line_items' ")


def test_a_bad_row_makes_its_invoice_invalid_and_everything_else_is_still_planned(tmp_path: Path) -> None:
    copy = tmp_path / "export"
    shutil.copytree(FIXTURES, copy)
    detail = copy / "billing" / "detail" / "inv_3002_full.xml"
    detail.write_text(detail.read_text().replace("Code review,1.333,75.00,99.97", "Code review,1.333,75.0O,99.97"))
    (export,) = read_exports([copy])
    sink = MapSink()
    try:
        map_export(export, sink, MapContext())
    finally:
        export.close()
    by_ref = {(p.kind, p.source_id): p for p in sink.planned}
    invoice = by_ref[("invoices", "3002")]
    assert invoice.status == "invalid"
    assert invoice.reason == "field 'csv_line_items': row 2 'unit_price' is not a decimal: '75.0O'"
    (error,) = [e for e in sink.errors if e["source_id"] == "3002"]
    assert error["message"] == (
        f"{detail}:2 invoices 3002: field 'csv_line_items': row 2 'unit_price' is not a decimal: '75.0O'"
    )
    assert ("invoice_messages", "3002:send") not in by_ref  # no state replay for an invoice that is not loaded
    assert by_ref[("invoice_messages", "5001")].status == "skipped"  # its history is still reported
    statuses = {(p.kind, p.source_id): p.status for p in sink.planned if (p.kind, p.source_id) != ("invoices", "3002")}
    assert set(statuses.values()) <= {"ok", "skipped"}
    assert sum(1 for kind, _id in statuses if kind == "invoices") == 4
    assert sum(1 for kind, _id in statuses if kind == "time_entries") == 13
