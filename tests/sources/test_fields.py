"""The field loop both readers share (`sources.fields`), on the corners its fast path must not cut."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from migrator.sources.freshbooks.fields import FreshBooksFields
from migrator.sources.harvest_v1.fields import HarvestV1Fields


def _v1(body: str) -> Any:
    return HarvestV1Fields().record(etree.fromstring(f"<r>{body}</r>"))


def _fb(body: str) -> Any:
    return FreshBooksFields().record(etree.fromstring(f"<r>{body}</r>"))


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param("<due-at>x</due-at><n/>", {"due_at": "x", "n": ""}, id="dashes-and-an-empty-leaf"),
        pytest.param('<h nil="true">0</h><a type="array"/>', {"h": None, "a": []}, id="nil-and-an-empty-array"),
        pytest.param('<a type="array"><![CDATA[]]></a>', {"a": ""}, id="an-empty-cdata-is-text"),
        pytest.param("<c>1</c><c>2</c>", {"c": "2"}, id="a-repeated-leaf-keeps-its-last-value"),
        pytest.param(
            "<a><b>1</b></a><a><b>2</b></a><a>leaf</a>",
            {"a": [{"b": "1"}, {"b": "2"}, "leaf"]},
            id="a-repeated-nested-element-is-a-list-that-later-leaves-join",
        ),
    ],
)
def test_harvest_v1_fields(body: str, fields: dict[str, Any]) -> None:
    assert _v1(body) == fields


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param("<n/><t> </t><x>1</x>", {"n": None, "t": None, "x": "1"}, id="empty-means-not-set"),
        pytest.param('<url deprecated="true">u</url><x>1</x>', {"x": "1"}, id="deprecated-is-dropped"),
        pytest.param("<lines><line><a>1</a></line></lines>", {"lines": [{"a": "1"}]}, id="one-line-is-a-list"),
        pytest.param(
            '<credit currency="USD">9</credit><credit>3</credit>',
            {"credits": [{"currency": "USD", "amount": "9"}], "credit": "3"},
            id="a-credit-with-a-currency-is-collected",
        ),
        pytest.param("<a><b>1</b></a><a><b>2</b></a>", {"a": {"b": "2"}}, id="a-repeated-element-keeps-its-last"),
    ],
)
def test_freshbooks_fields(body: str, fields: dict[str, Any]) -> None:
    assert _fb(body) == fields


def test_a_full_tag_cache_changes_nothing() -> None:
    """Past 10,000 distinct tags names are no longer cached; every field still reads the same."""
    reader = HarvestV1Fields()
    wide = etree.fromstring("<r>" + "".join(f"<f-{i}>{i}</f-{i}>" for i in range(12_000)) + "</r>")
    first = reader.record(wide)
    assert reader.record(wide) == first == {f"f_{i}": str(i) for i in range(12_000)}
