"""The committed contract facts are exactly what `derive_facts.py` derives from the OpenAPI
description, and the derivation keeps what the checks read and nothing else."""

from __future__ import annotations

import pytest

from tests.conftest import SKIP_NO_SPEC
from tests.contract.derive_facts import FACTS, SPEC, derive_file, documented_options, render, schema_facts


def test_the_committed_facts_are_derived_from_the_spec_unchanged() -> None:
    if not SPEC.is_file():
        pytest.skip(SKIP_NO_SPEC)
    derived = render(derive_file(SPEC))
    assert derived == FACTS.read_text(encoding="utf-8"), (
        "tests/contract/harvest-v2-facts.json differs from the spec: re-derive it with "
        "`.venv/bin/python -m tests.contract.derive_facts` and review the diff"
    )


def test_a_schema_keeps_what_a_validator_reads_and_drops_the_prose() -> None:
    schema = {
        "type": "object",
        "description": "An invoice.",
        "required": ["client_id"],
        "properties": {
            "client_id": {"type": "integer", "format": "int32", "description": "The client.", "example": 5},
            "payment_term": {"type": "string", "nullable": True, "description": "Options: net 15, net 30, or custom."},
            "line_items": {"type": "array", "items": {"$ref": "#/components/schemas/InvoiceLineItem", "title": "x"}},
            "state": {"type": "string", "enum": ["draft", "open"], "deprecated": True},
            "meta": {"type": "object", "additionalProperties": {"type": "string", "description": "any"}},
            "either": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
    }
    assert schema_facts(schema) == {
        "type": "object",
        "required": ["client_id"],
        "properties": {
            "client_id": {"type": "integer", "format": "int32"},
            "payment_term": {"type": "string", "nullable": True, "options": ["net 15", "net 30", "custom"]},
            "line_items": {"type": "array", "items": {"$ref": "#/schemas/InvoiceLineItem"}},
            "state": {"type": "string", "enum": ["draft", "open"]},
            "meta": {"type": "object", "additionalProperties": {"type": "string"}},
            "either": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
    }


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        pytest.param("Options: upon receipt, net 15, or custom.", ["upon receipt", "net 15", "custom"], id="options"),
        pytest.param(
            "The method used to bill. Options: Project, Tasks, People, or none.",
            ["Project", "Tasks", "People", "none"],
            id="sentence-before",
        ),
        pytest.param("Options: project (Hours Per Project), none.", ["project", "none"], id="parenthesised-notes"),
        pytest.param("Possible values: send, close or re-open.", ["send", "close", "re-open"], id="possible-values"),
        pytest.param("The name of the client.", [], id="none"),
    ],
)
def test_options_are_read_from_the_prose_of_a_description(description: str, expected: list[str]) -> None:
    assert documented_options(description) == expected
