"""Golden plan reports, a plan after a partial run, and rollback archiving what it must not delete."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click
import pytest

from migrator import api
from migrator.load.ledger import Ledger
from migrator.report.plan_json import render_plan_json
from migrator.report.plan_markdown import render_plan_markdown
from migrator.report.plan_text import render_plan_text
from migrator.sandbox import Sandbox
from migrator.target import TargetSpec
from tests.conftest import REPO, client_for
from tests.golden import assert_no_stale_golden, check_golden
from tests.load.test_exactly_once import FB, _spec, run

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("fixture", ["harvest-v1", "freshbooks"])
@pytest.mark.parametrize(
    ("fmt", "render"), [("txt", render_plan_text), ("json", render_plan_json), ("md", render_plan_markdown)]
)
def test_golden_plan_reports(
    fixture: str, fmt: str, render: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(REPO)  # origins are printed as given: relative to the repository (read, never written)
    report = api.plan(
        api.SourceOptions((Path("fixtures") / fixture,)),
        target=TargetSpec("offline"),
        ledger_path=tmp_path / "no-such-ledger.sqlite",
        create_users=True,
    )
    text = click.unstyle(render(report))  # type: ignore[operator]
    check_golden(GOLDEN / f"plan-{fixture}.{fmt}", text)


def test_no_golden_plan_report_without_its_test() -> None:
    expected = {f"plan-{fixture}.{fmt}" for fixture in ("harvest-v1", "freshbooks") for fmt in ("txt", "json", "md")}
    assert_no_stale_golden(GOLDEN, expected, pattern="*")


def test_a_plan_after_a_partial_run_shows_what_is_left(sandbox: Sandbox, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    run(sandbox, ledger, options=api.SourceOptions((FB / "clients",)))
    report = api.plan(api.SourceOptions((FB,)), target=_spec(sandbox), ledger_path=ledger, create_users=True)
    summary = report.summary()
    assert summary["clients"]["unchanged"] == 3 and summary["clients"]["create"] == 1  # + the placeholder
    assert summary["contacts"]["unchanged"] == 5
    assert summary["time_entries"]["create"] == 8 and summary["invoices"]["create"] == 4
    assert report.exit_code(keep_going=False) == 2


def test_rollback_archives_what_carries_foreign_time_and_never_deletes_adopted(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    ledger = tmp_path / "l.sqlite"
    options = api.SourceOptions((FB,))
    assert run(sandbox, ledger, batch="b1", options=options).exit_code == 0
    client = client_for(sandbox)
    project = next(p for p in sandbox.objects("projects") if p["name"] == "Café website")
    task = next(t for t in sandbox.objects("tasks") if t["name"] == "Design")
    nora = next(u for u in sandbox.objects("users") if u["email"] == "nora@quiststudio.example")
    # Somebody logs time on the migrated project after the migration: rollback must not destroy it.
    client.post(
        "/time_entries",
        {
            "project_id": project["id"],
            "task_id": task["id"],
            "user_id": nora["id"],
            "spent_date": "2026-11-20",
            "hours": Decimal("1.5"),
        },
    )
    result = api.rollback(batch="b1", target=_spec(sandbox), ledger_path=ledger)
    assert any(line.startswith("projects 41 ") for line in result.archived)
    assert [p["is_active"] for p in sandbox.objects("projects") if p["id"] == project["id"]] == [False]
    assert len(sandbox.objects("time_entries")) == 1  # only the foreign entry is left
    assert {c["name"] for c in sandbox.objects("invoice_item_categories")} >= {"Service", "Product"}
    with Ledger(ledger) as opened:
        states = {row.state for row in opened.rows(batch="b1")}
    assert "done" not in states  # every created object was deleted or archived
    again = api.rollback(batch="b1", target=_spec(sandbox), ledger_path=ledger)
    assert again.total == 0
