"""`Expected` is frozen, JSON-able with decimal strings, and its names are unique in the source."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable

import pytest

from migrator.errors import ConfigError
from migrator.generate import COUNTED_KINDS, MIN_ENTRIES, Scale, generate
from tests.generate.conftest import Generated

Lookup = Callable[[str, int], Generated]
MONEY = re.compile(r"^-?\d+\.\d\d$")
ASSIGNMENTS = ("task_assignments", "user_assignments")


@pytest.mark.parametrize("system", ["harvest-v1", "freshbooks"])
def test_expected_is_frozen_and_json_with_decimal_strings(system: str, account: Lookup) -> None:
    expected = account(system, 0).expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        expected.seed = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        expected.counts["clients"] = 0  # type: ignore[index]
    document = json.loads(json.dumps(expected.as_dict()))
    assert list(document["counts"]) == list(COUNTED_KINDS)
    assert MONEY.match(document["hours"])
    assert all(MONEY.match(v) for v in document["hours_by_project"].values())
    assert all(MONEY.match(v) for figures in document["money"].values() for v in figures.values())
    assert all(MONEY.match(lossy["difference"]) for lossy in document["lossy_money"].values())
    archived = {kind for kind, names in document["inactive"].items() if names}
    if system == "harvest-v1":  # every v1 trap leaves something archived
        assert archived == {"clients", "projects", "tasks", "expense_categories", "users", *ASSIGNMENTS}
    else:  # FreshBooks has no active flag but a client's folder (its projects are archived with it), and
        # assignments its projects no longer list (a person who left, a task taken off) but history implies
        assert archived == {"clients", "projects", *ASSIGNMENTS}


@pytest.mark.parametrize("system", ["harvest-v1", "freshbooks"])
def test_names_that_key_the_result_are_unique(system: str, account: Lookup) -> None:
    """Projects, clients and people are keyed by name or e-mail: a duplicate would merge two."""
    plan = account(system, 1).plan
    for kind, field in (
        ("clients", "name"),
        ("projects", "name"),
        ("tasks", "name"),
        ("users", "email"),
        ("expense_categories", "name"),
        ("invoice_item_categories", "name"),
    ):
        values = [c["payload"][field] for c in plan["changes"] if c["kind"] == kind and c["action"] == "create"]
        assert len(values) == len({v.casefold() for v in values}), kind


def test_everything_scales_from_the_entries() -> None:
    small, large = Scale.of(300), Scale.of(1_000_000)
    assert (small.people, small.projects, small.invoices) == (7, 8, 14)
    assert 40 <= large.people <= 60 and 300 <= large.projects <= 500 and 1_000 <= large.invoices <= 10_000
    with pytest.raises(ValueError, match=f"at least {MIN_ENTRIES}"):
        Scale.of(MIN_ENTRIES - 1)


def test_generate_refuses_what_it_cannot_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="unknown source system"):
        generate("quickbooks", tmp_path / "a")
    with pytest.raises(ConfigError, match="at least"):
        generate("freshbooks", tmp_path / "b", entries=5)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not an empty folder"):
        generate("harvest-v1", tmp_path / "c")
