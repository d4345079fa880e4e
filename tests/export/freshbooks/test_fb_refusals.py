"""FreshBooks answers an export cannot keep: a staff token, a wrong token (401), a wrong system (a
302 to the login search page), a `status="fail"` body with HTTP 200, a hostile body, a body cut short.
Each is one line naming the request (with FreshBooks' code where it gave one), exit 1; what was
fetched stays and a re-run resumes; the token appears nowhere (OUT, the manifest, stdout, stderr,
`-v` logs)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from migrator import api
from migrator.errors import ExportError
from migrator.export.journal import Journal
from migrator.sandbox.legacy.freshbooks import FreshBooksSandbox
from tests.export.conftest import assert_plans_alike, folder_bytes, migrator, plan_document
from tests.export.freshbooks.conftest import FB_FIXTURES, SECRETS, TOKEN, calls, fb_env, fb_settings

REFUSED_BEFORE_WRITING = [
    pytest.param(
        ["staff-token"],
        r"Error: staff\.current: this token is staff 2's \(Omar Haddad\), not the admin's: an export with it "
        r"would miss records \(a staff token sees only what that person is assigned to\); use the admin's token",
        ["system.current", "staff.current"],
        id="a staff member's token",
    ),
    pytest.param(
        ["wrong-system"],
        r"Error: system\.current -> 302: redirected to FreshBooks' login search page: no FreshBooks system answers "
        r"at this address; check --url / FRESHBOOKS_URL \(e\.g\. https://globex\.freshbooks\.com/api/2\.1/xml-in\)",
        ["system.current"],
        id="a system that does not exist (302 to loginSearch.php)",
    ),
]
REFUSED_MIDWAY = [
    pytest.param(
        "fail=invoice.list",
        # Whichever of the two invoice lists (active and archived, deleted) failed first is named.
        r'Error: invoice\.list (deleted )?page 1 -> 200: FreshBooks answered status="fail": code 50020: Failed to '
        r"list invoices\. Request failed\.",
        id="a status=fail body with HTTP 200, its code in the line",
    ),
    pytest.param(
        "hostile=task.list",
        r"Error: task\.list page 1 -> 200: the body is refused: refused: (the DOCTYPE declares entities \(lol, "
        r"lol1, lol2, lol3, lol4\)|entity expansion past libxml2's limit \(Maximum entity amplification factor "
        r"exceeded.*\)); entity expansion is never performed on export files at line \d+",
        id="a body declaring entities (billion laughs)",
    ),
]


def _error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def _assert_no_secret(*texts: str | bytes) -> None:
    for text in texts:
        data = text.encode() if isinstance(text, str) else text
        for secret in SECRETS:
            assert secret.encode() not in data, f"the token leaked: {secret[:4]}…"


@pytest.mark.parametrize(("traps", "expected", "asked"), REFUSED_BEFORE_WRITING)
def test_refused_before_anything_is_written(tmp_path: Path, traps: list[str], expected: str, asked: list[str]) -> None:
    out = tmp_path / "out"
    with FreshBooksSandbox(FB_FIXTURES, rate=None, token=TOKEN, traps=traps) as sandbox:
        done = migrator("export", "freshbooks", out, "-v", env=fb_env(sandbox.url))
        sent = calls(sandbox)
    assert done.returncode == 1
    assert re.fullmatch(expected, _error_line(done.stderr))
    assert not out.exists()  # not even the folder
    assert sent == asked  # and nothing after them
    _assert_no_secret(done.stdout, done.stderr)


def test_a_wrong_token_is_a_401_in_one_line_and_never_shown(tmp_path: Path, fb_sandbox: FreshBooksSandbox) -> None:
    wrong = "Wr0ng-t0ken-5d2e"
    done = migrator("export", "freshbooks", tmp_path / "out", "-v", env=fb_env(fb_sandbox.url, token=wrong))
    assert done.returncode == 1
    assert _error_line(done.stderr) == (
        "Error: system.current -> 401: the token was refused (Authentication failed.): check FRESHBOOKS_TOKEN "
        "(the account admin's API token, FreshBooks: My Account › FreshBooks API)"
    )
    assert wrong not in done.stdout + done.stderr
    assert not (tmp_path / "out").exists()
    assert calls(fb_sandbox) == ["system.current"]


@pytest.mark.parametrize(("trap", "expected"), REFUSED_MIDWAY)
def test_refused_midway_keeps_what_was_fetched_and_a_rerun_resumes(
    tmp_path: Path, trap: str, expected: str, fb_plan: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    with FreshBooksSandbox(FB_FIXTURES, rate=None, token=TOKEN, traps=[trap]) as sandbox:
        env = fb_env(sandbox.url)
        failed = migrator("export", "freshbooks", out, "-v", "--rate", "1000/1", env=env)
        assert failed.returncode == 1
        assert re.fullmatch(expected, _error_line(failed.stderr))
        with Journal.load(out) as journal:  # type: ignore[union-attr]
            fetched = {key: entry["sha256"] for key, entry in journal.entries.items()}
        manifest = json.loads((out / "export.json").read_text(encoding="utf-8"))
        assert manifest["complete"] is False and manifest["finished"] is None
        assert len(manifest["requests"]) == len(fetched) > 2
        assert not (out / ".partial").exists()  # the refused body reached nothing in OUT
        _assert_no_secret(failed.stdout, failed.stderr, *(data for _path, data in folder_bytes(out)))

        sandbox.traps.pop(trap.split("=")[0])  # the account is fixed; the same command again
        again = migrator("export", "freshbooks", out, "--format", "json", "-v", "--rate", "1000/1", env=env)

    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["replayed"] == len(fetched)  # nothing fetched before was fetched again
    with Journal.load(out) as journal:  # type: ignore[union-attr]
        assert {key: journal.entries[key]["sha256"] for key in fetched} == fetched
    assert_plans_alike(plan_document(out, tmp_path / "none.sqlite"), fb_plan)
    _assert_no_secret(again.stdout, again.stderr, *(data for _path, data in folder_bytes(out)))


def test_a_body_cut_short_is_fetched_again_then_refused_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    caplog.set_level(logging.INFO, logger="migrator")
    with FreshBooksSandbox(FB_FIXTURES, rate=None, token=TOKEN, traps=["truncated=invoice.list"]) as sandbox:
        # One request at a time: the active-and-archived list is asked before the deleted folder.
        settings = fb_settings(sandbox, out, max_retries=2, backoff_max=0.05, concurrency=1)
        with pytest.raises(ExportError) as refused:
            api.export(settings)
        attempts = calls(sandbox, "invoice.list")
        sandbox.traps.clear()
        report = api.export(settings)
    assert str(refused.value) == (
        "invoice.list page 1: the connection closed before the answer was complete (a body cut short), "
        "on every one of 3 attempts"
    )
    assert attempts == ["invoice.list page=1 per_page=100"] * 3
    assert report.complete and report.records["invoices"] == 4
    assert caplog.records and all(TOKEN not in r.getMessage() for r in caplog.records)
    _assert_no_secret(*(data for _path, data in folder_bytes(out)))


def test_faults_are_retried_and_the_export_is_still_exact(tmp_path: Path, fb_plan: dict[str, Any]) -> None:
    """500s, 502s, dropped connections and bodies cut in half at random: retried, nothing lost."""
    out = tmp_path / "out"
    with FreshBooksSandbox(FB_FIXTURES, rate=None, token=TOKEN, fault_rate=0.3, fault_seed=7) as sandbox:
        report = api.export(fb_settings(sandbox, out, max_retries=8, backoff_max=0.02))
        faults = sandbox.stats()["faults"]
    assert faults > 3 and report.failures == faults  # every fault was retried, and nothing else
    assert_plans_alike(plan_document(out, tmp_path / "none.sqlite"), fb_plan)


@pytest.mark.parametrize(
    ("content_type", "body", "said"),
    [
        pytest.param("text/html; charset=utf-8", b"<html><title>FreshBooks | Log In</title></html>",
                     "an HTML page where XML belongs (FreshBooks | Log In)", id="the web app's HTML"),
        pytest.param("application/json", b'{"error": "Not Found"}', 'JSON where XML belongs ({"error": "Not Found"})',
                     id="JSON (the new FreshBooks API)"),
    ],
)  # fmt: skip
def test_an_answer_that_is_not_the_classic_api_is_refused_before_anything_is_written(
    content_type: str, body: bytes, said: str
) -> None:
    import httpx

    from migrator.config import RateLimit
    from migrator.export.crawl import peek
    from migrator.export.fetch import Fetcher
    from migrator.export.freshbooks import FreshBooksExporter, token_credentials
    from migrator.sources.freshbooks.reader import FreshBooksReader

    exporter = FreshBooksExporter()
    fetcher = Fetcher(
        "http://globex.example/api/2.1/xml-in",
        token_credentials(TOKEN),
        rate=RateLimit(1000, 1.0),
        headers=exporter.headers,
        user_agent="tests",
        transport=httpx.MockTransport(
            lambda _r: httpx.Response(200, headers={"Content-Type": content_type}, content=body)
        ),  # fmt: skip
    )
    with pytest.raises(ExportError) as refused:
        exporter.identify(
            lambda request, collector: peek(fetcher, FreshBooksReader, request, collector, exporter.explain),
            token_credentials(TOKEN),
        )
    assert str(refused.value) == (
        f"system.current -> 200: {said}: not FreshBooks' API; check --url / FRESHBOOKS_URL "
        "(e.g. https://globex.freshbooks.com/api/2.1/xml-in)"
    )
