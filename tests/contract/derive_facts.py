"""Derive the contract facts the tests check against from the Harvest v2 OpenAPI description.

    .venv/bin/python -m tests.contract.derive_facts [SPEC] [OUT]

SPEC defaults to `../shared/specs/harvest-v2-openapi.yaml` beside the clone, OUT to
`tests/contract/harvest-v2-facts.json` (committed). The facts are what the checks need and nothing
else: every operation's JSON request and response schemas reduced to the keywords a validator reads
(`type`, `format`, `nullable`, `required`, `properties`, `items`, `additionalProperties`, `enum`,
`allOf`/`anyOf`/`oneOf`, `$ref`), the component schemas they refer to, the choices a description
lists in prose ("Options: a, b, or c.") as `options`, and the one example response a test reads.
Descriptions, examples and everything else stay in the spec. `test_facts.py` re-derives them from
the spec where it is present and finds them equal, so the file cannot drift from its source.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SPEC = REPO.parent / "shared" / "specs" / "harvest-v2-openapi.yaml"
FACTS = HERE / "harvest-v2-facts.json"

METHODS = ("get", "post", "put", "patch", "delete")
# Schema keywords the validator reads (tests/openapi.py); `options` is ours, from the description.
KEPT = ("type", "format", "nullable", "required", "enum")
NESTED = ("items", "additionalProperties")
ALTERNATIVES = ("allOf", "anyOf", "oneOf")
# (method, path, status) whose example response a test validates (the validator's own test).
EXAMPLES = (("get", "/time_entries/{timeEntryId}", 200),)

_OPTION_LISTS = re.compile(r"(?:Options|options|Possible values|these roles):\s*(.+?)\.(?:\s|$)")


def documented_options(description: str) -> list[str]:
    """The allowed values a description lists in prose ("Options: a, b, or c."), in their order."""
    text = re.sub(r"\s*\([^)]*\)", "", description)  # "project (Hours Per Project)", "send (which ...)"
    values: dict[str, None] = {}
    for listing in _OPTION_LISTS.findall(text):
        for item in re.split(r",\s*(?:or\s+)?|\s+or\s+", listing):
            if item := item.strip().strip("“”\"'"):
                values[item] = None
    return list(values)


def _ref(ref: str) -> str:
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        raise ValueError(f"cannot keep $ref {ref!r}: only component schemas are derived")
    return "#/schemas/" + ref[len(prefix) :]


def schema_facts(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` reduced to what a validator reads (siblings of a `$ref` are ignored, as OpenAPI 3.0 says)."""
    if "$ref" in schema:
        return {"$ref": _ref(schema["$ref"])}
    out: dict[str, Any] = {key: schema[key] for key in KEPT if key in schema}
    if "properties" in schema:
        out["properties"] = {name: schema_facts(prop) for name, prop in schema["properties"].items()}
    for key in NESTED:
        if isinstance(schema.get(key), dict):
            out[key] = schema_facts(schema[key])
        elif key in schema:
            out[key] = schema[key]
    for key in ALTERNATIVES:
        if key in schema:
            out[key] = [schema_facts(part) for part in schema[key]]
    options = documented_options(str(schema.get("description", "")))
    if options:
        out["options"] = options
    return out


def _json_schema(node: dict[str, Any]) -> dict[str, Any] | None:
    content = node.get("content", {}).get("application/json")
    return None if content is None or "schema" not in content else content["schema"]


def _referenced(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"].rsplit("/", 1)[1])
        for value in node.values():
            _referenced(value, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, found)


def derive(spec: dict[str, Any], sha256: str) -> dict[str, Any]:
    """The facts of a parsed spec whose file has the digest `sha256`."""
    operations: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            facts: dict[str, Any] = {}
            body = operation.get("requestBody")
            if body is not None and (schema := _json_schema(body)) is not None:
                facts["request"] = schema_facts(schema)
            responses = {
                str(status): schema_facts(schema)
                for status, response in operation.get("responses", {}).items()
                if (schema := _json_schema(response)) is not None
            }
            if responses:
                facts["responses"] = responses
            operations[f"{method.upper()} {path}"] = facts
    components = spec.get("components", {}).get("schemas", {})
    wanted: set[str] = set()
    _referenced(operations, wanted)
    schemas: dict[str, Any] = {}
    while wanted - set(schemas):  # component schemas referring to others: follow them all
        for name in sorted(wanted - set(schemas)):
            schemas[name] = schema_facts(components[name])
            _referenced(schemas[name], wanted)
    examples = {}
    for method, path, status in EXAMPLES:
        response = spec["paths"][path][method]["responses"][status]
        examples[f"{method.upper()} {path} {status}"] = response["content"]["application/json"]["example"]
    return {
        "about": "Derived from the Harvest v2 OpenAPI description by tests/contract/derive_facts.py: do not edit, "
        "re-derive (see that script).",
        "source": {"file": "specs/harvest-v2-openapi.yaml", "sha256": sha256, "openapi": spec["openapi"]},
        "operations": operations,
        "schemas": dict(sorted(schemas.items())),
        "examples": examples,
    }


def derive_file(spec_path: Path) -> dict[str, Any]:
    """The facts of the spec file at `spec_path`."""
    raw = spec_path.read_bytes()
    return derive(yaml.safe_load(raw), hashlib.sha256(raw).hexdigest())


def render(facts: dict[str, Any]) -> str:
    """The committed text: stable key order as derived, one key per line, a final newline."""
    return json.dumps(facts, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    spec_path = Path(argv[0]) if argv else SPEC
    out = Path(argv[1]) if len(argv) > 1 else FACTS
    out.write_text(render(derive_file(spec_path)), encoding="utf-8")
    print(f"{out}: facts of {spec_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
