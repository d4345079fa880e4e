"""GET on a collection: Harvest's filters, its sort order, and its page wrapper with absolute links.

Filters become SQL conditions on the store's indexed columns (`columns.py`) and a page is one
`LIMIT` query in Harvest's order (newest first): a page never reads the whole account. Unfiltered,
it walks the list-order index (and `total_entries` is the kept count); filtered by an id or an
external reference, it costs in proportion to the objects that match (the wrapper's
`total_entries` counts them anyway), whatever the size of the account. `links.next` carries a
cursor (the last object's sort key and id), as Harvest's does; `page=N` still works (it skips N-1
pages). A few rare filters are read from the JSON body inside SQLite (`is_billed`, `is_running`,
`state`, `updated_since`, an invoice's line projects): they read every object of the kind, but
never build them in Python.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from typing import Any
from urllib.parse import urlencode

from migrator.sandbox.columns import LIST_DATE
from migrator.sandbox.render import render
from migrator.sandbox.store import SandboxError, Store

MAX_PER_PAGE = 2000  # current Harvest: default and maximum; more is a 422
_ID_FILTERS = ("client_id", "project_id", "user_id", "task_id")
# Kinds that belong to a client through their project (they have no client_id of their own).
_VIA_PROJECT = frozenset({"time_entries", "expenses", "user_assignments", "task_assignments"})
# Flags read from the body; `is_active` has a column (missing counts as active, as in Harvest).
_BODY_FLAGS = ("is_billed", "is_running")

Condition = tuple[str, tuple[Any, ...]]


def _since(text: str) -> str:
    """`updated_since` as the store writes datetimes (whole seconds, UTC), rounded up."""
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SandboxError(422, "Updated since must be an ISO 8601 datetime") from exc
    parsed = parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if parsed.microsecond:  # stored times have whole seconds: `>= 10:00:00.5` means `>= 10:00:01`
        parsed = parsed.replace(microsecond=0) + dt.timedelta(seconds=1)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def _id_filter(store: Store, kind: str, name: str, text: str) -> Condition | None:
    """An index seek on `name`, or None when the filter goes through something else."""
    if not text.isdigit():
        raise SandboxError(422, f"{name} must be an integer")
    wanted = int(text)
    if name == "client_id" and kind in _VIA_PROJECT:  # the client's projects are few: list them first
        projects = store.ids("projects", client_id=wanted)
        return f"project_id IN ({', '.join(map(str, projects))})" if projects else "0", ()
    if name == "project_id" and kind == "invoices":
        return None
    return f"{name} = ?", (wanted,)


def _flag(name: str, text: str) -> Condition:
    flag = int(text.lower() == "true")
    if name == "is_active":
        return "coalesce(is_active, 1) = ?", (flag,)
    return f"coalesce(json_extract(body, '$.{name}'), 0) = ?", (flag,)


def _conditions(
    store: Store, kind: str, params: dict[str, str], parent: tuple[str, int] | None
) -> tuple[list[Condition], bool]:
    """SQL conditions for the filters in the query string (unknown parameters are ignored, as Harvest does).

    Also whether one of them is an equality on an indexed column (`seek`): then the page is found
    through that index and its few rows sorted, instead of walking the whole kind in list order.
    """
    seeks = [_id_filter(store, kind, name, params[name]) for name in _ID_FILTERS if name in params]
    found = [condition for condition in seeks if condition is not None]
    if "external_reference_id" in params:
        found.append(("reference = ?", (params["external_reference_id"],)))
    if parent is not None:
        found.append((f"{parent[0]} = ?", (parent[1],)))
    seek = bool(found)
    if kind == "invoices" and "project_id" in params:  # invoices belong to projects through their lines
        lines = "SELECT 1 FROM json_each(body, '$.line_items') WHERE json_extract(value, '$.project_id') = ?"
        found.append((f"EXISTS ({lines})", (int(params["project_id"]),)))
    found += [_flag(name, params[name]) for name in ("is_active", *_BODY_FLAGS) if name in params]
    if "state" in params:
        found.append(("json_extract(body, '$.state') = ?", (params["state"],)))
    if "updated_since" in params:
        found.append(("json_extract(body, '$.updated_at') >= ?", (_since(params["updated_since"]),)))
    sort_key = "+sort_key" if seek else "sort_key"  # `+`: not through the list-order index (see `Store.page`)
    if kind in LIST_DATE and "from" in params:
        found.append((f"{sort_key} >= ?", (params["from"],)))
    if kind in LIST_DATE and "to" in params:
        found.append((f"{sort_key} <= ?", (params["to"],)))
    return found, seek


def _number(params: dict[str, str], name: str, default: int) -> int:
    try:
        return int(params.get(name, default))
    except ValueError as exc:
        raise SandboxError(422, f"{name} must be an integer") from exc


def _cursor(after: tuple[str, int], page: int) -> str:
    text = json.dumps({"after": {"sort_key": after[0], "id": after[1]}, "page": page}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _read_cursor(text: str) -> tuple[tuple[str, int], int]:
    """(the previous page's last (sort key, id), this page's number) from a `cursor` parameter."""
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        after, page = (str(data["after"]["sort_key"]), int(data["after"]["id"])), int(data["page"])
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise SandboxError(422, "cursor is invalid: follow links.next as given") from exc
    if page < 2:
        raise SandboxError(422, "cursor is invalid: follow links.next as given")
    return after, page


def page_of(store: Store, kind: str, params: dict[str, str], base_url: str, parent: tuple[str, int] | None) -> Any:
    """One page of `kind` as Harvest wraps it: `{<kind>: [...], per_page, ..., links}`."""
    per_page, page = _number(params, "per_page", MAX_PER_PAGE), _number(params, "page", 1)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise SandboxError(422, f"per_page must be between 1 and {MAX_PER_PAGE}")
    after = None
    if "cursor" in params:  # as in Harvest, a cursor wins over `page`
        after, page = _read_cursor(params["cursor"])
    if page < 1:
        raise SandboxError(422, "page must be 1 or more")
    conditions, seek = _conditions(store, kind, params, parent)
    where = [sql for sql, _ in conditions]
    args = [value for _, values in conditions for value in values]
    total = store.count(kind, where, args)
    rows = store.page(kind, where, args, limit=per_page, offset=(page - 1) * per_page, before=after, seek=seek)
    pages = max(1, math.ceil(total / per_page))
    filters = {key: value for key, value in params.items() if key not in ("page", "per_page", "cursor")}

    def link(**where: Any) -> str:
        return f"{base_url}?{urlencode(filters | where | {'per_page': per_page})}"

    following = None
    if page < pages and len(rows) == per_page:
        last_key, last = rows[-1]
        following = link(cursor=_cursor((last_key, last["id"]), page + 1))
    return {
        kind: [render(store, kind, raw) for _, raw in rows],
        "per_page": per_page,
        "total_pages": pages,
        "total_entries": total,
        "next_page": page + 1 if page < pages else None,
        "previous_page": page - 1 if page > 1 else None,
        "page": page,
        "links": {
            "first": link(page=1),
            "next": following,
            "previous": link(page=page - 1) if 1 < page <= pages else None,
            "last": link(page=pages),
        },
    }
