"""What the tests migrate, and the two ways they run it through the product.

- A hand-made account (`world`) touching every kind the loader handles, planned through
  `MapSink.emit` (the real validation seam), so its payloads are exactly what mappings produce;
  `migrate` plans and loads such records through `api.Session`, as `migrator run` does (minus the sources).
- The fixture accounts (`V1`, `FB`, `SOURCES`) with what loading both must leave (`EXPECTED`); `run`
  is `api.run` on them, as the command line calls it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from migrator import api
from migrator.config import RateLimit
from migrator.errors import HarvestError
from migrator.harvest.client import HarvestClient
from migrator.load.outcomes import LoadEvent, LoadResult
from migrator.plan.planner import Plan
from migrator.planned import MapContext, MapSink, Planned, Ref
from migrator.sandbox import Sandbox
from migrator.sources.record import Origin
from migrator.target import TargetSpec
from tests.checks import FAST, assert_ledger_matches_target, assert_target_matches_plan, target_spec
from tests.working_tree import REPO

# --- a hand-made account ---------------------------------------------------------------------------

SYSTEM = "hand"
ADA = ("Ada", "Lovelace", "ada@example.com")


def origin(kind: str, source_id: str) -> Origin:
    return Origin(SYSTEM, kind, source_id, f"hand/{kind}.xml", 3)


def world(*, line_kind: str = "Service", time_entries: int = 4) -> list[Planned]:
    """A small account touching every kind the loader handles (see each emit)."""
    sink = MapSink()

    def emit(kind: str, source_id: str, data: dict[str, Any], after: tuple[str, ...] = ()) -> None:
        planned = sink.emit(kind, source_id, data, origin(kind, source_id), after=after)
        assert planned.status == "ok", planned.reason

    emit("clients", "1", {"name": "Acme", "currency": "USD", "address": "1 Road"})
    emit("clients", "2", {"name": "Globex", "currency": "EUR"})
    emit(
        "contacts",
        "1",
        {"client_id": str(Ref("clients", "1")), "first_name": "Jane", "last_name": "Doe", "email": "jane@acme.example"},
    )
    emit("users", "1", {"first_name": ADA[0], "last_name": ADA[1], "email": ADA[2]})  # seeded: adopted
    emit("tasks", "1", {"name": "Design", "billable_by_default": True})
    emit("tasks", "2", {"name": "Build"})
    emit("expense_categories", "1", {"name": "Travel"})
    emit(
        "projects",
        "1",
        {
            "client_id": str(Ref("clients", "1")),
            "name": "Website",
            "code": "WEB",
            "is_billable": True,
            "bill_by": "Project",
            "budget_by": "none",
            "hourly_rate": Decimal("100"),
        },
    )
    emit(
        "user_assignments",
        "1",
        {
            "project_id": str(Ref("projects", "1")),
            "user_id": str(Ref("users", "1")),
            "use_default_rates": False,
            "hourly_rate": Decimal("120"),
        },
    )
    emit(
        "task_assignments",
        "1",
        {"project_id": str(Ref("projects", "1")), "task_id": str(Ref("tasks", "1")), "billable": True},
    )
    emit("task_assignments", "2", {"project_id": str(Ref("projects", "1")), "task_id": str(Ref("tasks", "2"))})
    for number in range(1, time_entries + 1):
        emit(
            "time_entries",
            str(number),
            {
                "project_id": str(Ref("projects", "1")),
                "task_id": str(Ref("tasks", str(1 + number % 2))),
                "user_id": str(Ref("users", "1")),
                "spent_date": dt.date(2021, 3, number % 28 + 1),
                "hours": Decimal("1.25") * number,
                "notes": f"entry {number}",
                "external_reference": {"id": f"hand:time_entry:{number}", "group_id": "hand"},
            },
        )
    emit(
        "expenses",
        "1",
        {
            "project_id": str(Ref("projects", "1")),
            "expense_category_id": str(Ref("expense_categories", "1")),
            "user_id": str(Ref("users", "1")),
            "spent_date": dt.date(2021, 3, 9),
            "total_cost": Decimal("42.50"),
            "notes": "Train\n[migrator hand expense 1]",
        },
    )
    emit(
        "invoices",
        "10",
        {
            "client_id": str(Ref("clients", "1")),
            "number": "INV-10",
            "issue_date": dt.date(2021, 4, 1),
            "payment_term": "custom",
            "due_date": dt.date(2021, 5, 1),
            "line_items": [
                {
                    "kind": line_kind,
                    "description": "Design work",
                    "quantity": Decimal("2"),
                    "unit_price": Decimal("100"),
                    "project_id": str(Ref("projects", "1")),
                }
            ],
        },
    )
    send = str(Ref("invoice_messages", "10:send"))
    emit("invoice_messages", "10:send", {"invoice_id": str(Ref("invoices", "10")), "event_type": "send"})
    emit(
        "invoice_payments",
        "100",
        {
            "invoice_id": str(Ref("invoices", "10")),
            "amount": Decimal("50"),
            "paid_date": dt.date(2021, 4, 15),
            "notes": "part",
        },
        after=(send,),
    )
    emit(
        "invoice_messages",
        "10:close",
        {"invoice_id": str(Ref("invoices", "10")), "event_type": "close"},
        after=(send, str(Ref("invoice_payments", "100"))),
    )
    emit(
        "invoices",
        "11",
        {
            "client_id": str(Ref("clients", "2")),
            "number": "INV-11",
            "line_items": [{"kind": "Product", "unit_price": Decimal("30")}],
        },
    )
    emit(
        "estimates",
        "20",
        {
            "client_id": str(Ref("clients", "2")),
            "number": "EST-20",
            "line_items": [{"kind": "Service", "quantity": 1, "unit_price": Decimal("500")}],
        },
    )
    emit("estimate_messages", "20:send", {"estimate_id": str(Ref("estimates", "20")), "event_type": "send"})
    emit(
        "estimate_messages",
        "20:accept",
        {"estimate_id": str(Ref("estimates", "20")), "event_type": "accept"},
        after=(str(Ref("estimate_messages", "20:send")),),
    )
    return sink.planned


@dataclass
class Run:
    plan: Plan
    result: LoadResult
    client: HarvestClient


def migrate(
    sandbox: Sandbox,
    ledger_path: Path,
    planned: list[Planned],
    *,
    batch: str = "b1",
    transport: httpx.BaseTransport | None = None,
    rate: RateLimit = FAST,
    timeout: float | None = None,
    create_users: bool = False,
    recreate_missing: bool = False,
    concurrency: int = 4,
    stop: threading.Event | None = None,
    progress: Callable[[LoadEvent], None] | None = None,
) -> Run:
    """Plan `planned` against the sandbox and load it through `api.Session`, as `migrator run` does."""
    spec = target_spec(sandbox, rate=rate, timeout=timeout)
    with api.Session(spec, ledger_path, write=True, transport=transport) as session:
        session.confirm_target()
        plan = session.decide(planned, create_users=create_users, recreate_missing=recreate_missing)
        client = session.client
        loaded = session.load(plan, batch=batch, concurrency=concurrency, progress=progress, stop=stop)
    return Run(plan, loaded.result, client)


# --- the fixture accounts ----------------------------------------------------------------------------

V1 = REPO / "fixtures" / "harvest-v1"
FB = REPO / "fixtures" / "freshbooks"
SOURCES = api.SourceOptions((V1, FB))
# v2 objects after loading both fixture accounts into an empty sandbox. The sandbox seeds its owner and
# two item categories of each kind. Both exports have a task "Design" and an expense category
# "Travel": one v2 object each (names are unique in Harvest). Harvest itself adds the v1 default task
# and the v1 "all future projects" user to every new project; the loader removes those the source
# project does not have, so each project ends with exactly the source's assignments.
EXPECTED = {
    "clients": 7,
    "contacts": 7,
    "users": 7,
    "tasks": 6,
    "expense_categories": 5,
    "invoice_item_categories": 4,
    "estimate_item_categories": 2,
    "projects": 8,
    "user_assignments": 15,
    "task_assignments": 13,
    "time_entries": 21,
    "expenses": 7,
    "estimates": 2,
    "estimate_messages": 3,
    "invoices": 9,
    "invoice_payments": 6,
    "invoice_messages": 8,
}


# The people of both fixture accounts, as they would already exist in a real target account.
PEOPLE = (
    ("Ada", "Lindqvist", "ada@northwind.example"),
    ("Ben", "Okafor", "ben@northwind.example"),
    ("Cleo", "Baptiste", "cleo@freelance.example"),
    ("Nora", "Quist", "nora@quiststudio.example"),
    ("Omar", "Haddad", "omar@quiststudio.example"),
    ("Priya", "Raman", "priya@quiststudio.example"),
)


def seed_people(sandbox: Sandbox) -> None:
    """Invite the fixture people into the target beforehand (no email counted): a run adopts them."""
    for first, last, email in PEOPLE:
        sandbox.seed_user(first, last, email)


def planned_records(options: api.SourceOptions = SOURCES) -> list[Planned]:
    """Every planned v2 record of `options`, as mapped by the real sources and mappings."""
    exports, sink = api.read_and_map(options, MapContext())
    for export in exports:
        export.close()
    return sink.planned


def run(
    sandbox: Sandbox, ledger: Path, batch: str = "b1", options: api.SourceOptions = SOURCES, **kwargs: Any
) -> api.RunReport:
    return api.run(
        options,
        batch=batch,
        target=target_spec(sandbox),
        ledger_path=ledger,
        create_users=True,
        concurrency=4,
        **kwargs,
    )


def fault_spec(sandbox: Sandbox) -> TargetSpec:
    """A client for a faulty sandbox: a generous budget, a short timeout (shorter than a stall), quick backoff."""
    env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
    # With Harvest's 100/15 the tests would mostly wait for the client's own limiter.
    return TargetSpec("url", url=sandbox.url, env=env, rate=RateLimit(1000, 1.0), timeout=0.4, backoff_max=0.2)


def run_through_faults(
    sandbox: Sandbox,
    ledger: Path,
    *,
    tries: int = 6,
    create_users: bool = True,
    progress: Callable[[LoadEvent], None] | None = None,
) -> api.RunReport | None:
    """Run the full migration against the sandbox as it is (faults on) until a run exits 0.

    Returns that run's report, or None if `tries` runs did not get there. A fault may stop a run
    (a read that failed every retry, say): the next run resumes it, as a user would.
    """
    for _attempt in range(tries):
        try:
            report = api.run(
                SOURCES,
                batch="f",
                target=fault_spec(sandbox),
                ledger_path=ledger,
                create_users=create_users,
                concurrency=4,
                progress=progress,
            )
        except HarvestError:
            continue
        if report.exit_code == 0:
            return report
    return None


def assert_exactly_one_object_per_record(sandbox: Sandbox, ledger: Path, before: dict[str, set[int]]) -> None:
    """The whole fixture migration is in the target exactly once, and the ledger says so."""
    assert sandbox.stats()["objects"] == EXPECTED
    assert_ledger_matches_target(sandbox, ledger)
    assert_target_matches_plan(sandbox, ledger, planned_records(), before)
