"""The client's receipt upload against httpx.MockTransport: fields as Harvest's text, the file whole
with its Content-Length, sent again after a 429 but never after it may have arrived."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from migrator.config import RateLimit, TargetSettings
from migrator.errors import OutcomeUnknownError, ReceiptChangedError
from migrator.harvest.client import HarvestClient
from migrator.harvest.multipart import ReceiptUpload
from migrator.sandbox.multipart import read_form
from tests.harvest.test_client import FakeClock


def _client(*answers: httpx.Response | type[Exception]) -> tuple[HarvestClient, list[httpx.Request], list[bytes]]:
    sent: list[httpx.Request] = []
    bodies: list[bytes] = []

    def serve(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        bodies.append(request.read())
        answer = answers[min(len(sent), len(answers)) - 1]
        if isinstance(answer, type):
            raise answer("lost", request=request)  # type: ignore[call-arg]
        return answer

    settings = TargetSettings("https://harvest.test/v2", SecretStr("tok"), "1", rate=RateLimit(1000, 1))
    clock = FakeClock()  # waits cost no real time
    client = HarvestClient(settings, transport=httpx.MockTransport(serve), sleep=clock.sleep, clock=clock)
    return client, sent, bodies


@pytest.fixture()
def receipt(tmp_path: Path) -> ReceiptUpload:
    data = bytes(range(256)) * 5000  # 1.2 MiB: more than one block
    path = tmp_path / "1304.png"
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    return ReceiptUpload(path, "1304.png", "image/png", len(data), digest, "receipts/1304.png")


BODY = {"project_id": 12, "spent_date": dt.date(2013, 3, 8), "total_cost": Decimal("6.45E+1"), "billable": False,
        "notes": "Print proofs\n[migrator harvest-v1 expense 1304]", "units": None}  # fmt: skip


def test_fields_go_as_harvest_reads_text_and_the_file_whole(receipt: ReceiptUpload) -> None:
    client, sent, bodies = _client(httpx.Response(201, json={"id": 7}))
    answer, sha256 = client.upload("POST", "/expenses", BODY, receipt)
    assert answer == {"id": 7} and sha256 == receipt.sha256
    (request,) = sent
    assert int(request.headers["Content-Length"]) == len(bodies[0])
    form = read_form(_Stream(bodies[0]), len(bodies[0]), request.headers["Content-Type"], file_limit=1 << 30)
    try:
        assert form.fields == {"project_id": "12", "spent_date": "2013-03-08", "total_cost": "64.5",
                               "billable": "false", "notes": BODY["notes"], "units": ""}  # fmt: skip
        (part,) = form.files
        assert (part.name, part.file_name, part.content_type, part.sha256) == (
            "receipt", "1304.png", "image/png", receipt.sha256
        )  # fmt: skip
    finally:
        form.close()


def test_a_429_sends_it_again_whole_but_a_lost_answer_never(receipt: ReceiptUpload) -> None:
    throttled = httpx.Response(429, headers={"Retry-After": "1"})
    client, sent, bodies = _client(throttled, httpx.Response(200, json={"id": 7}))
    client.upload("PATCH", "/expenses/7", {}, receipt)
    assert len(sent) == 2 and bodies[0] == bodies[1]  # the file re-read from disk for the second send
    for lost in (httpx.Response(502, json={"message": "Bad gateway"}), httpx.ReadTimeout):
        client, sent, _bodies = _client(lost)
        with pytest.raises(OutcomeUnknownError):
            client.upload("PATCH", "/expenses/7", {}, receipt)  # a PATCH, but an upload: sent at most once
        assert len(sent) == 1


def test_a_receipt_that_changed_since_it_was_planned_is_not_sent(receipt: ReceiptUpload) -> None:
    receipt.path.write_bytes(b"shorter")
    client, sent, _bodies = _client(httpx.Response(201, json={"id": 7}))
    with pytest.raises(ReceiptChangedError, match=r"changed since it was planned \(1,280,000 bytes, now 7\)"):
        client.upload("POST", "/expenses", BODY, receipt)
    assert sent == []


class _Stream:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, size: int) -> bytes:
        chunk = self.data[self.at : self.at + size]
        self.at += len(chunk)
        return chunk
