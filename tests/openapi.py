"""Look up and validate against the Harvest v2 contract facts committed in `tests/contract/`.

The facts (`tests/contract/harvest-v2-facts.json`) are derived from the OpenAPI 3.0.1 description
(`../shared/specs/harvest-v2-openapi.yaml`) by `tests/contract/derive_facts.py`, so every contract
check runs in a bare clone; `tests/contract/test_facts.py` re-derives them where the spec is present
and finds them equal. The validator is strict and covers exactly the OpenAPI 3.0 subset the facts
keep: `$ref`, `type` (including the generator's `type: 'null'`), `nullable`, `required`,
`properties`, `additionalProperties`, `items`, `enum`, the formats `date`, `date-time` and `email`,
and `allOf`/`anyOf`/`oneOf`. Errors name the offending place, e.g.
`$.line_items[0].unit_price: expected number, got str`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

FACTS_PATH = Path(__file__).resolve().parent / "contract" / "harvest-v2-facts.json"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# RFC 3339 (what OpenAPI's date-time means): an offset is mandatory, fractions are optional.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@functools.cache
def facts() -> dict[str, Any]:
    """The committed contract facts (loaded once per process)."""
    with FACTS_PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref` (`#/schemas/NAME`, possibly chained) to the schema it names."""
    seen: set[str] = set()
    while "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/schemas/") or ref in seen:
            raise ValueError(f"cannot resolve $ref {ref!r}")
        seen.add(ref)
        schema = facts()["schemas"][ref.removeprefix("#/schemas/")]
    return schema


# kind -> the path template of its create request (the loader fills the path field in, see kinds.PATH_FIELDS).
POST_PATHS = {
    "clients": "/clients",
    "contacts": "/contacts",
    "users": "/users",
    "tasks": "/tasks",
    "expense_categories": "/expense_categories",
    "invoice_item_categories": "/invoice_item_categories",
    "estimate_item_categories": "/estimate_item_categories",
    "projects": "/projects",
    "user_assignments": "/projects/{projectId}/user_assignments",
    "task_assignments": "/projects/{projectId}/task_assignments",
    "time_entries": "/time_entries",
    "expenses": "/expenses",
    "estimates": "/estimates",
    "estimate_messages": "/estimates/{estimateId}/messages",
    "invoices": "/invoices",
    "invoice_payments": "/invoices/{invoiceId}/payments",
    "invoice_messages": "/invoices/{invoiceId}/messages",
}
# The spec marks `recipients` required on POST /estimates/{estimateId}/messages even for event-only
# calls, which the docs describe as taking no recipients (specs/SOURCE.md, "Known gaps").
EVENT_ONLY_GAP = "$.recipients: required"


def planned_body_problems(kind: str, payload: dict[str, Any]) -> list[str]:
    """Every way a planned payload, sent as the loader sends it (the reference in each reference field
    an integer id, the path field in the path, through `jsonio`), breaks its create request's schema."""
    from migrator import jsonio
    from migrator.kinds import PATH_FIELDS, REGISTRY
    from migrator.load.identity import IdMap

    ids = IdMap(None)
    for number, reference in enumerate(REGISTRY[kind].refs(payload), start=1000):
        ids.set("test", reference, number)
    body = ids.resolve("test", kind, payload, strict=True)
    body.pop(PATH_FIELDS.get(kind, ""), None)
    problems = validate(json.loads(jsonio.dumps(body)), request_schema("post", POST_PATHS[kind]), forbid_unknown=True)
    return [p for p in problems if not (kind == "estimate_messages" and p == EVENT_ONLY_GAP)]


def _operation(method: str, path_template: str) -> dict[str, Any]:
    operations = facts()["operations"]
    key = f"{method.upper()} {path_template}"
    if key not in operations:
        if any(name.split(" ", 1)[1] == path_template for name in operations):
            raise KeyError(f"{key} is not an operation in the spec")
        raise KeyError(f"{path_template} is not a path in the spec")
    operation: dict[str, Any] = operations[key]
    return operation


def request_schema(method: str, path_template: str) -> dict[str, Any]:
    """The JSON request-body schema of an operation, e.g. `("post", "/projects/{projectId}/task_assignments")`."""
    body = _operation(method, path_template).get("request")
    if body is None:
        raise KeyError(f"{method.upper()} {path_template} has no request body in the spec")
    return resolve(body)


def response_schema(method: str, path_template: str, status: int = 200) -> dict[str, Any]:
    """The JSON schema of one response (`status` 200, 201, ...) of an operation."""
    response = _operation(method, path_template).get("responses", {}).get(str(status))
    if response is None:
        raise KeyError(f"{method.upper()} {path_template} has no {status} response in the spec")
    return resolve(response)


def example(method: str, path_template: str, status: int = 200) -> Any:
    """The spec's example answer of an operation (only those `derive_facts.EXAMPLES` keeps)."""
    return facts()["examples"][f"{method.upper()} {path_template} {status}"]


def options(schema: dict[str, Any]) -> list[str]:
    """The choices the spec's description of this field lists in prose ("Options: a, b, or c.")."""
    return list(resolve(schema).get("options", []))


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _is_date(value: Any) -> bool:
    if isinstance(value, dt.datetime):
        return False
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_date_time(value: Any) -> bool:
    if isinstance(value, dt.datetime):
        return value.tzinfo is not None
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


# A `date`/`datetime` object is accepted where the spec wants that format, because `jsonio.dumps`
# writes it as exactly that string; any other non-str is not a string.
_TYPES: dict[str, Callable[[Any, str | None], bool]] = {
    "object": lambda v, f: isinstance(v, dict),
    "array": lambda v, f: isinstance(v, (list, tuple)),
    "string": lambda v, f: (
        isinstance(v, str) or (f == "date" and _is_date(v)) or (f == "date-time" and isinstance(v, dt.datetime))
    ),
    "integer": lambda v, f: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v, f: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and math.isfinite(v))
        or (isinstance(v, Decimal) and v.is_finite())
    ),
    "boolean": lambda v, f: isinstance(v, bool),
    "null": lambda v, f: v is None,
}

_FORMATS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "date": (_is_date, "a date (YYYY-MM-DD)"),
    "date-time": (_is_date_time, "an ISO 8601 date-time with an offset"),
    "email": (lambda v: isinstance(v, str) and "@" in v, "an e-mail address"),
}


def validate(instance: Any, schema: dict[str, Any], *, forbid_unknown: bool = False, where: str = "$") -> list[str]:
    """Every way `instance` breaks `schema`; an empty list when it conforms.

    `forbid_unknown=True` reports object properties the schema does not declare (the spec seldom says
    `additionalProperties`), so a request field Harvest does not know fails our tests first. Objects
    that declare no properties at all stay free-form. `where` is the path prefix of the messages.
    """
    schema = resolve(schema)
    errors: list[str] = []
    for part in schema.get("allOf", []):
        errors += validate(instance, part, forbid_unknown=forbid_unknown, where=where)
    if instance is None and schema.get("nullable"):
        return errors
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            errors += _alternatives(keyword, instance, schema[keyword], forbid_unknown, where)

    kind = schema.get("type")
    if kind is not None:
        if kind not in _TYPES:
            raise ValueError(f"{where}: the validator does not know type {kind!r}")
        if not _TYPES[kind](instance, schema.get("format")):
            return errors + [f"{where}: expected {kind}, got {_type_name(instance)}"]
    elif instance is None and any(k in schema for k in ("properties", "items", "enum", "format")):
        return errors + [f"{where}: expected a value, got null"]

    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{where}: {instance!r} is not one of {schema['enum']}")
    if kind in ("string", None) and schema.get("format") in _FORMATS:
        check, label = _FORMATS[schema["format"]]
        if not check(instance):
            errors.append(f"{where}: {instance!r} is not {label}")
    if isinstance(instance, dict):
        errors += _object(instance, schema, forbid_unknown, where)
    if isinstance(instance, (list, tuple)) and "items" in schema:
        for index, item in enumerate(instance):
            errors += validate(item, schema["items"], forbid_unknown=forbid_unknown, where=f"{where}[{index}]")
    return errors


def _object(instance: dict[str, Any], schema: dict[str, Any], forbid_unknown: bool, where: str) -> list[str]:
    errors: list[str] = []
    properties: dict[str, Any] = schema.get("properties", {})
    additional = schema.get("additionalProperties", not (forbid_unknown and properties))
    for name in schema.get("required", []):
        if name not in instance:
            errors.append(f"{where}.{name}: required")
    for name, value in instance.items():
        if name in properties:
            errors += validate(value, properties[name], forbid_unknown=forbid_unknown, where=f"{where}.{name}")
        elif additional is False:
            errors.append(f"{where}.{name}: not in the spec")
        elif isinstance(additional, dict):
            errors += validate(value, additional, forbid_unknown=forbid_unknown, where=f"{where}.{name}")
    return errors


def _alternatives(
    keyword: str, instance: Any, options: list[dict[str, Any]], forbid_unknown: bool, where: str
) -> list[str]:
    results = [validate(instance, option, forbid_unknown=forbid_unknown, where=where) for option in options]
    matched = sum(not result for result in results)
    if (keyword == "anyOf" and matched >= 1) or (keyword == "oneOf" and matched == 1):
        return []
    if matched > 1:
        return [f"{where}: matches {matched} oneOf alternatives, expected exactly one"]
    closest = min(results, key=len)
    return [f"{where}: matches no {keyword} alternative; closest: {'; '.join(closest)}"]
