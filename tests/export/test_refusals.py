"""Answers an export cannot keep: one line naming the request, exit 1, nothing fetched lost, a re-run
resumes, and the credentials appear nowhere (OUT, the manifest, stdout, stderr, `-v` logs)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from migrator import api
from migrator.config import RateLimit
from migrator.errors import ExportError
from migrator.export import JOURNAL_NAME
from migrator.export.check import check_xml
from migrator.export.fetch import Fetcher, ReadRetryPolicy, Request
from migrator.export.harvest_v1 import basic
from migrator.export.journal import Journal
from migrator.sandbox.legacy.harvest_v1 import EMAIL, HarvestV1Sandbox
from migrator.sources.harvest_v1.reader import HarvestV1Reader
from tests.export.conftest import (
    FIXTURES,
    PASSWORD,
    assert_no_secret,
    assert_plans_alike,
    export_env,
    folder_bytes,
    migrator,
    plan_document,
    settings_for,
)

REFUSED_BEFORE_WRITING = [
    pytest.param(
        "non-admin",
        r"Error: GET /account/who_am_i: this login is Ben \w+ \(user 702\)'s, not an administrator's: "
        r"an export with it would miss records",
        id="a non-admin login",
    ),
    pytest.param(
        "inactive",
        r"Error: GET /account/who_am_i -> 200: an HTML page where XML belongs \(Harvest: account inactive\): "
        r"Harvest answers this for an inactive \(suspended or cancelled\) account, or the address is not the "
        r"account's \(check --url / HARVEST_V1_URL\)",
        id="an inactive company (200 text/html)",
    ),
]
REFUSED_MIDWAY = [
    pytest.param(
        "bad-id",
        r"Error: GET /invoices/3001 -> 404: not found \(an HTML page \(HARVEST: Can't find page\)\): the account "
        r"listed this record but its address is unknown; if the account changed during the export, run it again "
        r"with --refresh",
        id="a listed invoice answering an HTML 404",
    ),
    pytest.param(
        "hostile",
        # Where the refusal lands depends on libxml2's release: our DOCTYPE check, or its own amplification limit.
        r"Error: GET /tasks -> 200: the body is refused: refused: (the DOCTYPE declares entities \(lol, lol1, lol2, "
        r"lol3, lol4\)|entity expansion past libxml2's limit \(Maximum entity amplification factor exceeded.*\)); "
        r"entity expansion is never performed on export files at line \d+",
        id="a body declaring entities (billion laughs)",
    ),
]


def _error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(("trap", "expected"), REFUSED_BEFORE_WRITING)
def test_refused_before_anything_is_written(tmp_path: Path, trap: str, expected: str) -> None:
    out = tmp_path / "out"
    with HarvestV1Sandbox(FIXTURES, rate=None, password=PASSWORD, traps=[trap]) as sandbox:
        done = migrator("export", "harvest-v1", out, "-v", env=export_env(sandbox.url))
        requests = sandbox.stats()["requests"]
    assert done.returncode == 1
    assert re.fullmatch(expected, _error_line(done.stderr))
    assert not out.exists()  # not even the folder
    assert requests == 1  # who_am_i, and nothing after it
    assert_no_secret(done.stdout, done.stderr)


@pytest.mark.parametrize(("trap", "expected"), REFUSED_MIDWAY)
def test_refused_midway_keeps_what_was_fetched_and_a_rerun_resumes(
    tmp_path: Path, trap: str, expected: str, fixture_plan: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    with HarvestV1Sandbox(FIXTURES, rate=None, password=PASSWORD, traps=[trap]) as sandbox:
        env = export_env(sandbox.url)
        failed = migrator("export", "harvest-v1", out, "-v", env=env)
        assert failed.returncode == 1
        assert re.fullmatch(expected, _error_line(failed.stderr))
        with Journal.load(out) as journal:  # type: ignore[union-attr]
            fetched = {key: entry["sha256"] for key, entry in journal.entries.items()}
        manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))
        assert manifest["complete"] is False and manifest["finished"] is None
        assert len(manifest["requests"]) == len(fetched) > 0
        assert not (out / ".partial").exists()  # the refused body reached nothing in OUT
        assert_no_secret(failed.stdout, failed.stderr, *(data for _path, data in folder_bytes(out)))

        sandbox.traps.clear()  # the account is fixed; the same command again
        again = migrator("export", "harvest-v1", out, "--format", "json", "-v", env=env)

    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["replayed"] == len(fetched)  # nothing fetched before was fetched again
    with Journal.load(out) as journal:  # type: ignore[union-attr]
        assert {key: journal.entries[key]["sha256"] for key in fetched} == fetched
    assert_plans_alike(plan_document(out, tmp_path / "none.sqlite"), fixture_plan)
    assert_no_secret(again.stdout, again.stderr, *(data for _path, data in folder_bytes(out)))


def test_a_wrong_password_is_a_401_in_one_line_and_never_shown(tmp_path: Path, v1_sandbox: HarvestV1Sandbox) -> None:
    wrong = "Wr0ng-pa55-77ab"
    done = migrator("export", "harvest-v1", tmp_path / "out", "-v", env=export_env(v1_sandbox.url, password=wrong))
    assert done.returncode == 1
    assert re.fullmatch(
        r"Error: GET /account/who_am_i -> 401: the credentials were refused \(\{\"error\":\"invalid_token\".*\): "
        r"check HARVEST_V1_EMAIL and HARVEST_V1_PASSWORD, or HARVEST_V1_TOKEN",
        _error_line(done.stderr),
    )
    assert wrong not in done.stdout + done.stderr
    assert not (tmp_path / "out").exists()


def test_a_body_cut_short_is_fetched_again_then_refused_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    caplog.set_level(logging.INFO, logger="migrator")
    with HarvestV1Sandbox(FIXTURES, rate=None, password=PASSWORD, traps=["truncated=/invoices/3002"]) as sandbox:
        settings = settings_for(sandbox, out, max_retries=2, backoff_max=0.05)
        with pytest.raises(ExportError) as refused:
            api.export(settings)
        attempts = [e for e in sandbox.stats()["log"] if e["path"] == "/invoices/3002"]
        sandbox.traps.clear()
        report = api.export(settings)
    assert str(refused.value) == (
        "GET /invoices/3002: the connection closed before the answer was complete (a body cut short), "
        "on every one of 3 attempts"
    )
    assert len(attempts) == 3
    assert report.complete and report.records["invoices"] == 5
    assert caplog.records and all(PASSWORD not in r.getMessage() for r in caplog.records)
    assert_no_secret(*(data for _path, data in folder_bytes(out)))


def test_an_xml_body_cut_short_at_the_http_level_too_is_retried_then_refused(tmp_path: Path) -> None:
    """Content-Length agrees with the bytes, the XML does not end: the reader's check catches it."""
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        body = b'<?xml version="1.0"?>\n<clients type="array">\n  <client><id type="integer">7</id><name>Half'
        return httpx.Response(200, headers={"Content-Type": "application/xml"}, content=body)

    fetcher = Fetcher(
        "http://legacy.example",
        basic(EMAIL, PASSWORD),
        rate=RateLimit(1000, 1.0),
        headers={"Accept": "application/xml"},
        user_agent="tests",
        transport=httpx.MockTransport(handler),
        policy=ReadRetryPolicy(max_retries=1, backoff_max=0.01),
    )
    with pytest.raises(ExportError) as refused:
        fetcher.fetch(Request("GET", "/clients"), tmp_path, lambda f: check_xml(f, HarvestV1Reader()))
    assert len(sent) == 2
    assert str(refused.value).startswith(
        "GET /clients: the body is not well-formed XML (not well-formed XML: Premature end of data"
    )
    assert str(refused.value).endswith("cut short or broken, on every one of 2 attempts")
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_a_folder_that_is_not_an_export_is_refused_untouched(tmp_path: Path, v1_sandbox: HarvestV1Sandbox) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    done = migrator("export", "harvest-v1", out, env=export_env(v1_sandbox.url))
    assert done.returncode == 1
    assert _error_line(done.stderr) == (
        f"Error: {out} is not empty and holds no export to resume: export into a new or empty folder "
        "(nothing in it was touched)"
    )
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert v1_sandbox.stats()["requests"] == 0
    assert not (out / JOURNAL_NAME).exists()


def test_an_answer_that_does_not_say_who_is_an_administrator_is_refused(tmp_path: Path) -> None:
    """An old `who_am_i` without `<admin>`: refused rather than risk a partial export."""
    from migrator.export.crawl import peek
    from migrator.export.harvest_v1 import HarvestV1Exporter

    body = b"<hash><company><name>Old Co</name></company><user><id>9</id><first-name>Al</first-name></user></hash>"
    fetcher = Fetcher(
        "http://legacy.example",
        basic(EMAIL, PASSWORD),
        rate=RateLimit(1000, 1.0),
        headers={"Accept": "application/xml"},
        user_agent="tests",
        transport=httpx.MockTransport(
            lambda _r: httpx.Response(200, headers={"Content-Type": "application/xml"}, content=body)
        ),
    )
    exporter = HarvestV1Exporter()
    with pytest.raises(ExportError) as refused:
        exporter.identify(
            lambda request, collector: peek(fetcher, HarvestV1Reader, request, collector, exporter.explain),
            basic(EMAIL, PASSWORD),
        )
    assert str(refused.value) == (
        "GET /account/who_am_i: the answer does not say whether Al (user 9) is an administrator: an export with a "
        "non-administrator's credentials would miss records, so none is made"
    )


def test_a_non_administrators_token_is_named_as_a_token(tmp_path: Path) -> None:
    from migrator.sandbox.legacy.harvest_v1 import TOKEN

    env = {k: v for k, v in export_env("").items() if not k.startswith("HARVEST_V1_")}
    with HarvestV1Sandbox(FIXTURES, rate=None, password=PASSWORD, traps=["non-admin"]) as sandbox:
        done = migrator(
            "export", "harvest-v1", tmp_path / "out", "--url", sandbox.url, env=env | {"HARVEST_V1_TOKEN": TOKEN}
        )
    assert done.returncode == 1
    assert _error_line(done.stderr) == (
        "Error: GET /account/who_am_i: this token is Ben Okafor (user 702)'s, not an administrator's: "
        "an export with it would miss records"
    )
    assert TOKEN not in done.stdout + done.stderr
