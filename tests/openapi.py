"""Validate payloads and responses against ../shared/specs/harvest-v2-openapi.yaml (an OpenAPI 3.0 subset).

Tests import this module; when the shared folder is absent they are skipped with the reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

SPEC_PATH = Path(__file__).resolve().parent.parent.parent / "shared" / "specs" / "harvest-v2-openapi.yaml"


@functools.cache
def _load() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def spec() -> dict[str, Any]:
    """The parsed spec, or skip the calling test when the shared folder is not beside the clone."""
    if not SPEC_PATH.exists():
        pytest.skip("../shared/specs/harvest-v2-openapi.yaml not found beside the clone")
    return _load()


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec()
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def request_schema(method: str, path_template: str) -> dict[str, Any]:
    operation = spec()["paths"][path_template][method.lower()]
    return resolve(operation["requestBody"]["content"]["application/json"]["schema"])


def response_schema(method: str, path_template: str, status: int = 200) -> dict[str, Any]:
    responses = spec()["paths"][path_template][method.lower()]["responses"]
    response = responses.get(status) or responses[str(status)]  # YAML may key codes as ints
    return resolve(resolve(response)["content"]["application/json"]["schema"])


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def validate(instance: Any, schema: dict[str, Any], *, forbid_unknown: bool = False, where: str = "$") -> list[str]:
    """Every way `instance` breaks `schema` (empty when it conforms)."""
    schema = resolve(schema)
    if instance is None:
        return [] if schema.get("nullable") or not schema else [f"{where}: null is not allowed"]
    errors: list[str] = []
    kind = schema.get("type")
    checks = {
        "object": isinstance(instance, dict),
        "array": isinstance(instance, list),
        "string": isinstance(instance, (str, dt.date)),
        "integer": isinstance(instance, int) and not isinstance(instance, bool),
        "number": isinstance(instance, (int, float, Decimal)) and not isinstance(instance, bool),
        "boolean": isinstance(instance, bool),
    }
    if kind in checks and not checks[kind]:
        return [f"{where}: expected {kind}, got {type(instance).__name__}"]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{where}: {instance!r} is not one of {schema['enum']}")
    if kind == "string" and schema.get("format") == "date" and not _DATE.match(str(instance)):
        errors.append(f"{where}: {instance!r} is not a date")
    if kind == "string" and schema.get("format") == "email" and "@" not in str(instance):
        errors.append(f"{where}: {instance!r} is not an e-mail address")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in instance:
                errors.append(f"{where}.{name}: required")
        for name, value in instance.items():
            if name in properties:
                errors += validate(value, properties[name], forbid_unknown=forbid_unknown, where=f"{where}.{name}")
            elif forbid_unknown:
                errors.append(f"{where}.{name}: not in the spec")
    if kind == "array":
        for index, item in enumerate(instance):
            errors += validate(item, schema.get("items", {}), forbid_unknown=forbid_unknown, where=f"{where}[{index}]")
    for combinator in ("allOf",):
        for part in schema.get(combinator, []):
            errors += validate(instance, part, forbid_unknown=False, where=where)
    return errors
