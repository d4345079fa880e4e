"""Both HTML reports in a real headless Chromium: what a person sees, what prints, what it fetches.

Debian's `chromium` (`/usr/bin/chromium`, installed by `.ci/run`) driven by the `playwright` package
(test extra), never a downloaded browser. Where either is missing these tests skip, saying so.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SKIP_NO_CHROMIUM
from tests.report.conftest import SignedOff

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
A4_POINTS = (595, 842)  # 210 × 297 mm


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip(SKIP_NO_CHROMIUM)
    from playwright.sync_api import sync_playwright  # the test extra has it: missing is a broken install
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def open_page(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """The file opened in a fresh page, and every URL the page requested while loading."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(200)  # anything lazy (a font, an image) would have asked by now
    return page, requests


def test_the_verify_report_shows_the_verdict_the_numbers_and_the_marked_month(
    browser: Any, signed_off: SignedOff
) -> None:
    page, requests = open_page(browser, signed_off.verify_html)
    verdict = page.get_by_role("status")
    assert verdict.inner_text().splitlines()[:2] == ["✗", "Differences"] or "Differences" in verdict.inner_text()
    assert "11 are not explained" in verdict.inner_text()
    assert page.locator("h2").first.inner_text() == "Differences"  # the verdict is the first heading
    # The month table beside the chart: the numbers a person reads.
    rows = {row.locator("td").first.inner_text(): row.locator("td").all_inner_texts()
            for row in page.locator("table:has(caption:text('The chart')) tbody tr").all()}  # fmt: skip
    assert rows["2013-02"] == ["2013-02", "0.00", "3.50", "+3.50", "≠ differs"]
    assert rows["2013-03"] == ["2013-03", "42.25", "38.75", "-3.50", "≠ differs"]
    assert rows["2013-11"] == ["2013-11", "4.50", "4.50", "", "= equal"]
    # The chart: an image with a text alternative; the differing months carry a marker with their own text.
    chart = page.locator("svg[role=img]")
    assert chart.is_visible()
    assert "2 months differ: 2013-02 source 0.00 h, target 3.50 h; 2013-03 source 42.25 h, target 38.75 h" in (
        chart.locator("desc").text_content() or "")  # fmt: skip
    markers = page.locator("svg g.marker")
    assert markers.count() == 2
    assert markers.first.get_attribute("aria-label") == "2013-02 differs: source 0.00 h, target 3.50 h"
    assert markers.first.locator("text").text_content() == "≠" and markers.first.locator("text").is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # Money per currency, never added across currencies.
    money = page.locator("table:has(caption:text('currencies are never added')) tbody tr").all_inner_texts()
    assert any(line.split("\t")[:4] == ["EUR", "invoiced", "6170.66 EUR", "6170.66 EUR"] for line in money)
    assert requests == [signed_off.verify_html.resolve().as_uri()]  # the file itself, nothing else
    page.context.close()


def test_the_plan_report_shows_what_needs_agreement(browser: Any, signed_off: SignedOff) -> None:
    page, requests = open_page(browser, signed_off.plan_html)
    assert "Harvest will email 5 people" in page.get_by_role("status").inner_text()
    invited = page.locator("h3:text('Invitations (5)') + p + table tbody tr").all_inner_texts()
    assert [line.split("\t")[:2] for line in invited] == [
        ["Ada Lindqvist", "ada@northwind.example"],
        ["Cleo Baptiste", "cleo@freelance.example"],
        ["Nora Quist", "nora@quiststudio.example"],
        ["Omar Haddad", "omar@quiststudio.example"],
        ["Priya Raman", "priya@quiststudio.example"],
    ]
    totals = page.locator("table:has(caption:text('never added')) tr.total").all_inner_texts()
    assert [line.split("\t")[:2] for line in totals] == [
        ["total EUR", "EUR"], ["total USD", "USD"], ["total account default", "account default"],
        ["hours, all clients", ""],
    ]  # fmt: skip
    assert requests == [signed_off.plan_html.resolve().as_uri()]
    page.context.close()


@pytest.mark.parametrize("report", ["verify_html", "plan_html"])
def test_each_report_prints_to_an_a4_pdf(browser: Any, signed_off: SignedOff, report: str, tmp_path: Path) -> None:
    page, _requests = open_page(browser, getattr(signed_off, report))
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    page.context.close()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    boxes = {tuple(round(float(n)) for n in box.split()[2:4]) for box in _media_boxes(pdf)}
    assert boxes == {A4_POINTS}, boxes  # every page A4, as the stylesheet's @page says
    (tmp_path / f"{report}.pdf").write_bytes(pdf)


def _media_boxes(pdf: bytes) -> list[str]:
    import re

    return [found.decode() for found in re.findall(rb"/MediaBox\s*\[\s*([\d.\s]+)\]", pdf)]


def test_a_hostile_name_neither_runs_nor_fetches(browser: Any, tmp_path: Path) -> None:
    """A name from a source file that tries to be markup stays text: no script runs, nothing is fetched."""
    from migrator.load.verify import VerifyReport
    from migrator.report.verify_html import render_verify_html

    hostile = (
        '<img src="http://127.0.0.1:9/x.png" onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
    )
    report = VerifyReport(
        kinds={"time_entries": {"source": 1, "target": 1}},
        totals={"hours": {"source": "1.00", "target": "1.00"}},
        breakdown={"by_month": {"2013-03": {"source": "1.00", "target": "1.00"}}},
        differences=[{"kind": "time_entries", "source": "harvest-v1:time_entries:1", "target_id": 5, "field": "notes",
                      "source_value": hostile, "target_value": "", "explained_by": None, "origin": {},
                      "name": hostile}],
    )  # fmt: skip
    path = tmp_path / "hostile.html"
    path.write_text(render_verify_html(report, sources=[hostile], target="t"), encoding="utf-8")
    page, requests = open_page(browser, path)
    assert page.title() == "Verification: Differences"
    assert hostile[:40] in page.locator("body").inner_text()
    assert requests == [path.resolve().as_uri()]
    page.context.close()
