"""Hand-made plans for the loader tests, `migrate`, and checks against the target.

The plans go through `MapSink.emit` (the real validation seam), so their payloads are exactly what
mappings produce. `migrate` plans and loads them through `api.Session`, as `migrator run` does
(minus the sources). Checks reopen the ledger file and read the sandbox.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from migrator import api, jsonio
from migrator.config import RateLimit, TargetSettings
from migrator.harvest.client import HarvestClient
from migrator.kinds import KINDS, REGISTRY
from migrator.load.ledger import Ledger
from migrator.load.outcomes import LoadEvent, LoadResult
from migrator.plan.planner import Plan
from migrator.planned import MapSink, Planned, Ref
from migrator.sandbox import Sandbox
from migrator.sources.record import Origin
from migrator.target import TargetSpec

SYSTEM = "hand"
FAST = RateLimit(1000, 1.0)
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


def is_upload(request: httpx.Request) -> bool:
    """A multipart request (an expense with its receipt), whose body streams from a file."""
    return request.headers.get("Content-Type", "").startswith("multipart/form-data")


class Recorder(httpx.HTTPTransport):
    """The real HTTP transport, remembering each request's method, path and JSON body."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, Any]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if is_upload(request):  # streamed from the receipt file: left unread, the transport sends it
            body: Any = {"multipart": request.headers["Content-Length"]}
        else:
            body = jsonio.loads(request.content) if request.content else None
        with self._lock:
            self.sent.append((request.method, request.url.path.removeprefix("/v2"), body))
        return super().handle_request(request)

    def writes(self) -> list[tuple[str, str, Any]]:
        return [sent for sent in self.sent if sent[0] != "GET"]


def harvest(
    sandbox: Sandbox, *, rate: RateLimit = FAST, transport: httpx.BaseTransport | None = None, **settings: Any
) -> HarvestClient:
    """A real client for `sandbox` (fast limit and retries unless told otherwise)."""
    settings = {"backoff_max": 0.2} | settings
    token = SecretStr(settings.pop("token", sandbox.token))
    config = TargetSettings(sandbox.url, token, sandbox.account_id, rate=rate, **settings)
    return HarvestClient(config, transport=transport)


@dataclass
class Run:
    plan: Plan
    result: LoadResult
    client: HarvestClient


def target_spec(
    sandbox: Sandbox, *, rate: RateLimit = FAST, timeout: float | None = None, backoff_max: float = 0.2
) -> TargetSpec:
    """`--target URL` with `HARVEST_*` set, for `sandbox` (fast limit and retries unless told otherwise)."""
    env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
    return TargetSpec("url", url=sandbox.url, rate=rate, timeout=timeout, env=env, backoff_max=backoff_max)


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


def reconciliations(ledger_path: Path) -> int:
    """How many records the loader found in the target after an unknown outcome (the ledger's audit log)."""
    with closing(sqlite3.connect(ledger_path)) as db:
        return int(db.execute("SELECT count(*) FROM events WHERE action = 'reconciled'").fetchone()[0])


def snapshot(sandbox: Sandbox) -> dict[str, set[int]]:
    """Ids of every object now in the target, per kind (what a test started with)."""
    return {kind: {obj["id"] for obj in sandbox.objects(kind)} for kind in KINDS}


def _same(field: str, want: Any, obj: dict[str, Any]) -> None:
    """Does target object `obj` carry the payload value `want` for `field`?"""
    nested = obj.get(field.removesuffix("_id"))
    if field.endswith("_id") and isinstance(nested, dict):
        assert nested.get("id") == want, f"{field}: {nested} != {want}"
    elif field == "external_reference":
        assert obj[field]["id"] == want["id"]
    elif field == "line_items":
        assert len(obj[field]) == len(want), f"line items {obj[field]} != {want}"
        for line, wanted in zip(obj[field], want, strict=True):
            for key, value in wanted.items():
                _same(key, value, line)
    elif isinstance(want, (Decimal, int)) and not isinstance(want, bool) and isinstance(obj[field], (Decimal, int)):
        assert Decimal(str(obj[field])) == Decimal(str(want)), f"{field}: {obj[field]} != {want}"
    else:
        assert jsonio.loads(jsonio.dumps(obj[field])) == jsonio.loads(jsonio.dumps(want)), f"{field}: {obj[field]!r}"


def _with_parent(sandbox: Sandbox, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    # A rendered payment does not say which invoice it belongs to; the sandbox's own record does.
    field = REGISTRY[kind].parent_field
    if field and field not in obj and "{" in REGISTRY[kind].list_path:
        return obj | {field: sandbox.store.get(kind, obj["id"])[field]}
    return obj


def assert_target_matches_plan(
    sandbox: Sandbox, ledger_path: Path, planned: Iterable[Planned], before: dict[str, set[int]]
) -> None:
    """Exactly one target object per planned record, carrying its payload; the ledger agrees; no strays.

    `before`: the target's ids when the test started (seeded objects may be adopted, never duplicated).
    """
    with Ledger(ledger_path) as ledger:  # reopened: only what was committed counts
        rows = {(row.system, row.kind, row.source_id): row for row in ledger.rows()}
    objects = {kind: {obj["id"]: _with_parent(sandbox, kind, obj) for obj in sandbox.objects(kind)} for kind in KINDS}
    ids = {f"@{row.kind}:{row.source_id}": row.v2_id for row in rows.values() if row.v2_id is not None}
    owned: dict[str, set[int]] = {kind: set() for kind in KINDS}
    sharing = Counter((row.kind, row.v2_id) for row in rows.values() if row.state in ("done", "adopted"))
    for item in planned:
        if item.status != "ok" or REGISTRY[item.kind].step:
            continue
        row = rows.get((item.origin.system, item.kind, item.source_id))
        assert row is not None and row.state in ("done", "adopted"), f"{item.kind} {item.source_id}: {row}"
        entry = REGISTRY[item.kind]
        if entry.event:
            continue  # no object of its own: its effect is the parent's state, checked by the tests
        assert row.v2_id in objects[item.kind], f"{item.kind} {item.source_id} -> {row.v2_id} is not in the target"
        payload = REGISTRY[item.kind].map_refs(item.payload, ids.__getitem__)  # every reference has an id
        obj = objects[item.kind][row.v2_id]
        # The payload must show in the object unless the object is not this record's alone: existing
        # before (adopted as it was) or shared (two source records with one natural key, one object).
        if row.v2_id not in before.get(item.kind, set()) and sharing[(item.kind, row.v2_id)] == 1:
            for field, value in payload.items():
                if field != "send_thank_you":  # a request flag, not a stored field
                    _same(field, value, obj)
        twins = [o for o in objects[item.kind].values() if entry.target_key(o) == entry.payload_key(payload)]
        assert len(twins) == 1, f"{len(twins)} target {item.kind} match {item.source_id}"
        owned[item.kind].add(row.v2_id)  # type: ignore[arg-type]  # checked to be in the target above
    for kind, found in objects.items():
        if REGISTRY[kind].event:
            continue
        # Harvest's own assignments on new projects included: the loader removes those the source lacks.
        strays = set(found) - before.get(kind, set()) - owned[kind]
        assert not strays, f"target {kind} {sorted(strays)} belong to no planned record"
