"""Real clients for a sandbox, and what must hold afterwards in the target and the ledger.

`target_spec` is `--target URL` with `HARVEST_*` set, as the CLI builds it; `harvest` is a real
`HarvestClient` for a test to read or change the target behind the migration's back; `Recorder` keeps
every request a run sends. The checks reopen the ledger file (only what was committed counts) and
read the sandbox's own records.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from migrator import jsonio
from migrator.config import RateLimit, TargetSettings
from migrator.harvest.client import HarvestClient
from migrator.kinds import KINDS, REGISTRY
from migrator.load.ledger import Ledger
from migrator.planned import Planned
from migrator.sandbox import Sandbox
from migrator.target import TargetSpec

FAST = RateLimit(1000, 1.0)  # far above any test sandbox's limit: the client never waits on itself


def target_spec(
    sandbox: Sandbox, *, rate: RateLimit = FAST, timeout: float | None = None, backoff_max: float = 0.2
) -> TargetSpec:
    """`--target URL` with `HARVEST_*` set, for `sandbox` (fast limit and retries unless told otherwise)."""
    env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
    return TargetSpec("url", url=sandbox.url, rate=rate, timeout=timeout, env=env, backoff_max=backoff_max)


def harvest(
    sandbox: Sandbox, *, rate: RateLimit = FAST, transport: httpx.BaseTransport | None = None, **settings: Any
) -> HarvestClient:
    """A real client for `sandbox` (fast limit and retries unless told otherwise; `token`, `account_id`
    and any `TargetSettings` field may be given)."""
    settings = {"backoff_max": 0.2} | settings
    token = SecretStr(settings.pop("token", sandbox.token))
    account_id = settings.pop("account_id", sandbox.account_id)
    config = TargetSettings(sandbox.url, token, account_id, rate=rate, **settings)
    return HarvestClient(config, transport=transport)


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


def assert_ledger_matches_target(sandbox: Sandbox, ledger_path: Path) -> None:
    """Every done/adopted row points at an existing object with the same natural key; no duplicates."""
    with Ledger(ledger_path) as ledger:
        rows = [row for row in ledger.rows() if row.state in ("done", "adopted") and row.v2_id is not None]
    objects = {kind: {obj["id"]: obj for obj in sandbox.objects(kind)} for kind in KINDS}
    for row in rows:
        if REGISTRY[row.kind].step:
            assert row.v2_id in objects[row.source_id.partition(":")[0]], f"{row.kind} {row.source_id}: no object"
            continue
        assert row.v2_id in objects[row.kind], f"{row.kind} {row.source_id} -> {row.v2_id} missing in the target"
    for kind in KINDS:
        entry = REGISTRY[kind]
        if entry.event or entry.parent_field:
            continue
        keys = [entry.target_key(obj) for obj in objects[kind].values()]
        assert len(keys) == len(set(keys)), f"duplicate {kind} in the target"
