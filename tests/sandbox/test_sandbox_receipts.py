"""Receipts in the sandbox, over real HTTP with plain httpx multipart (any client, not ours): typed
text fields, one `receipt` file, the receipt shown as the spec says, served to the token, kept
across restarts, refused over the limit, deleted, counted per expense; and the stream parser."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from migrator.sandbox import Sandbox
from migrator.sandbox.multipart import read_form
from tests import openapi
from tests.sandbox.helpers import Api, base_world

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 300  # 76,808 bytes: more than one read block


def _headers(sandbox: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox.token}", "Harvest-Account-Id": sandbox.account_id,
            "User-Agent": "tests (tests@example.com)"}  # fmt: skip


def _fields(ids: dict[str, int], **more: str) -> dict[str, str]:
    return {"project_id": str(ids["project"]), "expense_category_id": str(ids["category"]),
            "spent_date": "2021-03-04", "total_cost": "12.50", "billable": "false", "notes": "Taxi"} | more  # fmt: skip


def _post(sandbox: Sandbox, data: dict[str, str], files: Any = None) -> httpx.Response:
    return httpx.post(f"{sandbox.url}/expenses", data=data, files=files, headers=_headers(sandbox), timeout=10)


def _check(instance: Any, method: str, template: str, status: int) -> None:
    errors = openapi.validate(instance, openapi.response_schema(method, template, status), forbid_unknown=True)
    assert errors == [], errors


def test_a_multipart_expense_takes_typed_fields_and_one_receipt(api: Api, sandbox: Sandbox) -> None:
    ids = base_world(api)
    made = _post(sandbox, _fields(ids), {"receipt": ("lunch.png", PNG, "image/png")})
    assert made.status_code == 201, made.text
    expense = made.json()
    _check(expense, "POST", "/expenses", 201)
    fields = (expense["billable"], Decimal(str(expense["total_cost"])), expense["notes"])
    assert fields == (False, Decimal("12.50"), "Taxi")
    receipt = expense["receipt"]
    assert receipt == {"url": f"{sandbox.url.removesuffix('/v2')}/expenses/{expense['id']}/receipt",
                       "file_name": "lunch.png", "file_size": len(PNG), "content_type": "image/png"}  # fmt: skip
    served = httpx.get(receipt["url"], headers=_headers(sandbox), timeout=10)
    assert served.status_code == 200 and served.content == PNG and served.headers["Content-Type"] == "image/png"
    assert httpx.get(receipt["url"], timeout=10).status_code == 401  # the account's token only
    listed = api.get("/expenses")["expenses"][0]
    _check(api.get("/expenses"), "GET", "/expenses", 200)
    assert listed["receipt"] == receipt
    assert sandbox.stats()["receipt_uploads"] == {str(expense["id"]): 1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"billable": "yes"}, "Billable must be true or false", id="boolean-word"),
        pytest.param({"units": "1.5"}, "Units must be an integer", id="fractional-units"),
        pytest.param({"total_cost": "12,50"}, "Total cost must be a number", id="decimal-comma"),
        pytest.param({"spent_date": "04/03/2021"}, "Spent date must be a date (YYYY-MM-DD)", id="date"),
        pytest.param({"project_id": ""}, "Project can't be blank", id="blank-required"),
    ],
)
def test_text_fields_are_refused_as_harvest_refuses_them(
    api: Api, sandbox: Sandbox, fields: dict[str, str], message: str
) -> None:
    ids = base_world(api)
    refused = _post(sandbox, _fields(ids, **fields), {"receipt": ("r.png", PNG, "image/png")})
    assert (refused.status_code, refused.json()["message"]) == (422, message)
    assert sandbox.objects("expenses") == [] and sandbox.stats()["receipt_uploads"] == {}


def test_one_receipt_file_only_and_never_as_text_or_json(api: Api, sandbox: Sandbox) -> None:
    ids = base_world(api)
    two = [("receipt", ("a.png", b"1", "image/png")), ("receipt", ("b.png", b"2", "image/png"))]
    assert _post(sandbox, _fields(ids), two).json() == {"message": "Only one receipt can be attached to an expense"}
    assert _post(sandbox, _fields(ids, receipt="not a file"), {"other": ("a.png", b"1", "image/png")}).json() == {
        "message": "Receipt must be a file"
    }
    assert api.refused("POST", "/expenses", {"project_id": ids["project"], "receipt": "x"}) == (
        "Receipt must be a file sent as multipart/form-data"
    )
    assert sandbox.objects("expenses") == []


def test_a_receipt_over_the_limit_is_refused_and_nothing_is_kept(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(receipt_limit=len(PNG) - 1)
    ids = base_world(Api(sandbox))
    refused = _post(sandbox, _fields(ids), {"receipt": ("big.png", PNG, "image/png")})
    assert (refused.status_code, refused.json()["message"]) == (422, "Receipt file size must be at most 75 KB")
    assert sandbox.objects("expenses") == [] and sandbox.stats()["receipt_uploads"] == {}
    fits = _post(sandbox, _fields(ids), {"receipt": ("small.png", PNG[:100], "image/png")})
    assert fits.status_code == 201  # the connection and the account are fine after a refusal


def test_patch_replaces_or_deletes_the_receipt_and_it_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    with Sandbox(rate=None, state_path=state) as sandbox:
        ids = base_world(Api(sandbox))
        expense = _post(sandbox, _fields(ids), {"receipt": ("a.png", PNG, "image/png")}).json()
        replaced = httpx.patch(f"{sandbox.url}/expenses/{expense['id']}", data={"notes": "Taxi, 2 rides"},
                               files={"receipt": ("b.pdf", b"%PDF-1.4 b", "application/pdf")},
                               headers=_headers(sandbox), timeout=10)  # fmt: skip
        assert replaced.status_code == 200, replaced.text
        _check(replaced.json(), "PATCH", "/expenses/{expenseId}", 200)
        assert replaced.json()["notes"] == "Taxi, 2 rides" and replaced.json()["receipt"]["file_name"] == "b.pdf"
    with Sandbox(rate=None, state_path=state) as again:
        (kept,) = again.objects("expenses")
        assert kept["receipt"]["file_size"] == len(b"%PDF-1.4 b")
        body = httpx.get(kept["receipt"]["url"], headers=_headers(again), timeout=10).content
        assert hashlib.sha256(body).hexdigest() == hashlib.sha256(b"%PDF-1.4 b").hexdigest()
        assert again.stats()["receipt_uploads"] == {str(expense["id"]): 2}
        deleted = Api(again).patch(f"/expenses/{expense['id']}", {"delete_receipt": True})
        assert deleted["receipt"] is None
        assert httpx.get(kept["receipt"]["url"], headers=_headers(again), timeout=10).status_code == 404


def test_deleting_an_expense_deletes_its_receipt(api: Api, sandbox: Sandbox) -> None:
    ids = base_world(api)
    expense = _post(sandbox, _fields(ids), {"receipt": ("a.png", PNG, "image/png")}).json()
    api.ok("DELETE", f"/expenses/{expense['id']}")
    assert httpx.get(expense["receipt"]["url"], headers=_headers(sandbox), timeout=10).status_code == 404


class _Trickle(io.RawIOBase):
    """A socket that hands out `step` bytes per read: every boundary lands across two reads somewhere."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.at = data, step, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.data[self.at : self.at + min(self.step, size if size >= 0 else self.step)]
        self.at += len(chunk)
        return chunk


@pytest.mark.parametrize("step", [1, 7, 40, 65536])
def test_the_stream_parser_finds_boundaries_split_across_reads(step: int) -> None:
    request = httpx.Request("POST", "http://x/", data={"notes": "a\r\n--b", "billable": "true"},
                            files={"receipt": ("r.png", PNG[:5000], "image/png")})  # fmt: skip
    body = request.read()
    form = read_form(_Trickle(body, step), len(body), request.headers["Content-Type"], file_limit=10_000)  # type: ignore[arg-type]
    try:
        assert form.fields == {"notes": "a\r\n--b", "billable": "true"}
        (part,) = form.files
        assert (part.name, part.file_name, part.content_type, part.size) == ("receipt", "r.png", "image/png", 5000)
        assert part.data is not None and part.data.read() == PNG[:5000]
        assert part.sha256 == hashlib.sha256(PNG[:5000]).hexdigest()
    finally:
        form.close()
