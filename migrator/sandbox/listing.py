"""GET on a collection: Harvest's filters, its sort order, and its page wrapper with absolute links."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from migrator.sandbox.render import render
from migrator.sandbox.store import Raw, SandboxError, Store

MAX_PER_PAGE = 2000  # current Harvest: default and maximum; more is a 422
_ID_FILTERS = ("client_id", "project_id", "user_id", "task_id")
_BOOL_FILTERS = ("is_active", "is_billed", "is_running")
# Which date `from`/`to` bound, per kind (the others have no date range filter).
_DATE_FIELD = {
    "time_entries": "spent_date",
    "expenses": "spent_date",
    "invoices": "issue_date",
    "estimates": "issue_date",
}


def _when(text: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SandboxError(422, "Updated since must be an ISO 8601 datetime") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


Predicate = Callable[[Raw], bool]


def _client_of(store: Store, raw: Raw) -> Any:
    if "client_id" in raw:
        return raw["client_id"]
    return (store.objects["projects"].get(raw.get("project_id") or 0) or {}).get("client_id")


def _projects_of(raw: Raw) -> set[Any]:
    if "project_id" in raw:
        return {raw["project_id"]}
    return {line.get("project_id") for line in raw.get("line_items") or []}  # invoices: by their lines


def _id_filter(store: Store, name: str, text: str) -> Predicate:
    if not text.isdigit():
        raise SandboxError(422, f"{name} must be an integer")
    wanted = int(text)
    if name == "client_id":  # time entries and expenses belong to a client through their project
        return lambda raw: _client_of(store, raw) == wanted
    if name == "project_id":
        return lambda raw: wanted in _projects_of(raw)
    return lambda raw: raw.get(name) == wanted


def _flag_filter(name: str, text: str) -> Predicate:
    flag = text.lower() == "true"
    return lambda raw: bool(raw.get(name, name == "is_active")) == flag


def _predicates(store: Store, kind: str, params: dict[str, str]) -> list[Predicate]:
    """One test per filter in the query string (unknown parameters are ignored, as Harvest does)."""
    tests = [_id_filter(store, name, params[name]) for name in _ID_FILTERS if name in params]
    tests += [_flag_filter(name, params[name]) for name in _BOOL_FILTERS if name in params]
    if "external_reference_id" in params:
        reference = params["external_reference_id"]
        tests.append(lambda raw: str((raw.get("external_reference") or {}).get("id")) == reference)
    if "state" in params:
        state = params["state"]
        tests.append(lambda raw: raw.get("state") == state)
    if "updated_since" in params:
        since = _when(params["updated_since"])
        tests.append(lambda raw: _when(str(raw["updated_at"])) >= since)
    field = _DATE_FIELD.get(kind)
    if field is not None and "from" in params:
        start = params["from"]
        tests.append(lambda raw: str(raw.get(field)) >= start)
    if field is not None and "to" in params:
        end = params["to"]
        tests.append(lambda raw: str(raw.get(field)) <= end)
    return tests


def _order(kind: str, raw: Raw) -> tuple[str, int]:
    # Harvest: newest first; time and expenses by date spent, invoices and estimates by issue date.
    return (str(raw.get(_DATE_FIELD.get(kind, "")) or ""), raw["id"])


def _number(params: dict[str, str], name: str, default: int) -> int:
    try:
        return int(params.get(name, default))
    except ValueError as exc:
        raise SandboxError(422, f"{name} must be an integer") from exc


def page_of(store: Store, kind: str, params: dict[str, str], base_url: str, parent: tuple[str, int] | None) -> Any:
    """One page of `kind` as Harvest wraps it: `{<kind>: [...], per_page, ..., links}`."""
    per_page, page = _number(params, "per_page", MAX_PER_PAGE), _number(params, "page", 1)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise SandboxError(422, f"per_page must be between 1 and {MAX_PER_PAGE}")
    if page < 1:
        raise SandboxError(422, "page must be 1 or more")
    tests = _predicates(store, kind, params)
    if parent is not None:
        field, parent_id = parent
        tests.append(lambda raw: raw.get(field) == parent_id)
    items = [raw for raw in store.objects[kind].values() if all(test(raw) for test in tests)]
    items.sort(key=lambda raw: _order(kind, raw), reverse=True)
    total = len(items)
    pages = max(1, math.ceil(total / per_page))
    filters = {key: value for key, value in params.items() if key not in ("page", "per_page", "cursor")}

    def link(number: int) -> str:
        return f"{base_url}?{urlencode(filters | {'page': number, 'per_page': per_page})}"

    return {
        kind: [render(store, kind, raw) for raw in items[(page - 1) * per_page : page * per_page]],
        "per_page": per_page,
        "total_pages": pages,
        "total_entries": total,
        "next_page": page + 1 if page < pages else None,
        "previous_page": page - 1 if page > 1 else None,
        "page": page,
        "links": {
            "first": link(1),
            "next": link(page + 1) if page < pages else None,
            "previous": link(page - 1) if 1 < page <= pages else None,
            "last": link(pages),
        },
    }
