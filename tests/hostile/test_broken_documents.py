"""Broken and oversized documents, through the real CLI: one clear line naming `file:line`, exit 1.

Proves, for truncated Harvest v1 and FreshBooks bodies, a missing root, an unknown root, a saved HTML
error page, empty / whitespace-only / binary / gzip files named `.xml`, a NUL byte, two roots, a 10 MB
single text node (v1 and FreshBooks), 100,000-deep nesting and a FreshBooks `status="fail"` body:
`migrator plan --offline --format json` exits 1 with nothing on stdout and exactly one stderr line
`Error: FILE:LINE: why` (the line where the problem is, where that is well defined), no traceback,
within 30 s and 256 MiB peak RSS (under a 1 GiB address-space cap), and no network call.

The tests at the end are the defects this corpus found, now fixed: an undefined entity names its
line and reason, a non-UTF-8 file name is read, a root after 64 KiB is found, absurd FreshBooks paging
is counted instead of listed, a fail body cannot forge output lines, stderr is one line, and a
refusal points at the line of the DOCTYPE or root.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
from pathlib import Path

import pytest

from tests.hostile.harness import Cli, assert_refused, nonzero_summary

TEN_MB = 10 * 1024 * 1024
WELL_FORMED = r"well-formed|truncat|premature|end of|unexpected"


def _write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return name


# --- committed corpus files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "line", "why"),
    [
        pytest.param("truncated-harvest-v1.xml", 9, WELL_FORMED, id="truncated-harvest-v1"),
        pytest.param("truncated-freshbooks.xml", 10, WELL_FORMED, id="truncated-freshbooks"),
        pytest.param("unknown-root.xml", None, r"unknown root element <widgets>", id="unknown-root"),
        pytest.param("html-error-page.xml", None, r"HTML|unknown root element <html>", id="html-error-page"),
        pytest.param(
            "freshbooks-fail.xml",
            2,
            r"""status="fail".*code 50010.*'client_id' not found\. Client is deleted\.""",
            id="freshbooks-status-fail",
        ),
    ],
)
def test_corpus_documents_are_refused_with_file_and_line(
    cli: Cli, corpus: Path, tmp_path: Path, case: str, line: int | None, why: str
) -> None:
    shutil.copy(corpus / case, tmp_path / case)
    result = cli.plan(case, cwd=tmp_path)
    assert_refused(result, case, why=why, line=line)


# --- generated documents ---------------------------------------------------------------------------


def _deep_one_line() -> str:
    return (
        '<?xml version="1.0"?>\n<clients type="array">\n'
        + "<client>" * 100_000
        + "</client>" * 100_000
        + "\n</clients>\n"
    )


def _deep_line_per_level() -> str:
    return '<?xml version="1.0"?>\n' + "<clients>\n" * 100_000 + "</clients>\n" * 100_000


def _huge_text_v1() -> str:
    return (
        '<?xml version="1.0"?>\n<clients type="array">\n  <client>\n    <id type="integer">1</id>\n    <name>'
        + "a" * (TEN_MB + 1)
        + "</name>\n  </client>\n</clients>\n"
    )


def _huge_text_fb() -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<response status="ok">\n'
        '  <clients page="1" per_page="25" pages="1" total="1">\n'
        "    <client><client_id>1</client_id><notes>" + "b" * (TEN_MB + 1) + "</notes></client>\n"
        "  </clients>\n</response>\n"
    )


GENERATED = [
    # id, factory -> content, line (None: any), why
    ("empty-file", lambda: b"", 1, r"not an XML document|empty"),
    ("whitespace-only", lambda: b"  \n\t\n\n", 1, r"not an XML document|empty"),
    (
        "binary-png-named-xml",
        lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40,
        1,
        r"not an XML|binary",
    ),
    (
        "binary-starting-with-lt",
        lambda: b"<" + bytes(random.Random(20240601).randrange(256) for _ in range(65_536)),
        1,
        r".",
    ),
    (
        "gzip-named-xml",
        lambda: gzip.compress(b'<clients type="array"><client><id>1</id><name>x</name></client></clients>', mtime=0),
        1,
        r"not an XML|binary",
    ),
    ("declaration-only", lambda: '<?xml version="1.0" encoding="UTF-8"?>\n', None, r"."),
    (
        "truncated-inside-a-tag",
        lambda: '<?xml version="1.0"?>\n<clients type="array">\n  <client>\n    <id type="integer">1</id>\n    <na',
        5,
        WELL_FORMED,
    ),
    (
        "nul-byte-in-text",
        lambda: (
            b'<?xml version="1.0"?>\n<clients type="array">\n'
            b"  <client><id>1</id><name>a\x00b</name></client>\n</clients>\n"
        ),
        3,
        r"well-formed|char",
    ),
    (
        "two-root-elements",
        lambda: (
            '<?xml version="1.0"?>\n<clients type="array">\n  <client><id>1</id><name>a</name></client>\n'
            "</clients>\n<clients/>\n"
        ),
        5,
        r"well-formed|extra content",
    ),
    (
        "freshbooks-response-without-status",
        lambda: (
            '<?xml version="1.0"?>\n<response>\n'
            '  <clients page="1" pages="1"><client><client_id>1</client_id></client></clients>\n</response>\n'
        ),
        2,
        r"status",
    ),
    ("text-node-10-mb-harvest-v1", _huge_text_v1, 5, r"too long|limit|huge|large|size"),
    ("text-node-10-mb-freshbooks", _huge_text_fb, 4, r"too long|limit|huge|large|size"),
    ("nesting-100000-deep-one-line", _deep_one_line, 3, r"depth|deep|nest"),
    ("nesting-100000-deep-line-per-level", _deep_line_per_level, tuple(range(2, 300)), r"depth|deep|nest"),
]


@pytest.mark.parametrize(("factory", "line", "why"), [pytest.param(*case[1:], id=case[0]) for case in GENERATED])
def test_generated_documents_are_refused_with_file_and_line(
    cli: Cli,
    tmp_path: Path,
    factory,
    line: int | tuple[int, ...] | None,
    why: str,  # type: ignore[no-untyped-def]
) -> None:
    name = _write(tmp_path, "export.xml", factory())
    result = cli.plan(name, cwd=tmp_path)
    assert_refused(result, name, why=why, line=line)


def test_a_huge_text_node_is_never_echoed(cli: Cli, tmp_path: Path) -> None:
    name = _write(tmp_path, "big.xml", _huge_text_v1())
    result = cli.plan(name, cwd=tmp_path)
    assert_refused(result, name, why=r".", line=5)
    assert len(result.stderr) < 1000


def test_a_folder_path_is_named_in_the_error(cli: Cli, tmp_path: Path, corpus: Path) -> None:
    """Inside a folder, the error names the file by its path under the folder, not just its name."""
    (tmp_path / "exports" / "2013").mkdir(parents=True)
    shutil.copy(corpus / "truncated-harvest-v1.xml", tmp_path / "exports" / "2013" / "clients.xml")
    result = cli.plan("exports", cwd=tmp_path)
    assert_refused(result, Path("exports/2013/clients.xml"), why=WELL_FORMED, line=9)


# --- defects this corpus found (fixed in the product; these keep them fixed) -------------------------


def test_an_undefined_html_entity_is_refused_with_its_line(cli: Cli, tmp_path: Path) -> None:
    name = _write(
        tmp_path,
        "clients.xml",
        '<?xml version="1.0"?>\n<clients type="array">\n'
        "  <client><id>1</id><name>Caf&eacute;</name></client>\n</clients>\n",
    )
    result = cli.plan(name, cwd=tmp_path)
    assert_refused(result, name, why=r"eacute|entity", line=3)


@pytest.mark.parametrize("keep_going", [pytest.param((), id="stop"), pytest.param(("--keep-going",), id="keep-going")])
def test_a_file_name_that_is_not_utf8_does_not_crash(cli: Cli, tmp_path: Path, keep_going: tuple[str, ...]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    body = (
        b'<?xml version="1.0"?>\n<clients type="array">\n  <client><id>1</id><name>Acme</name></client>\n</clients>\n'
    )
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.xml"), "wb") as handle:
        handle.write(body)
    result = cli.plan("exports", cwd=tmp_path, extra=keep_going)
    assert result.returncode == 2, result.describe()
    assert nonzero_summary(result.json()) == {"clients": {"create": 1}}


@pytest.mark.parametrize(
    "padding",
    [
        pytest.param("<!--" + "x" * 70_000 + "-->\n", id="long-comment"),
        pytest.param(" " * 70_000 + "\n", id="whitespace"),
    ],
)
def test_a_root_element_after_64_kib_is_still_found(cli: Cli, tmp_path: Path, padding: str) -> None:
    name = _write(
        tmp_path,
        "clients.xml",
        '<?xml version="1.0"?>\n'
        + padding
        + '<clients type="array"><client><id>1</id><name>Acme</name></client></clients>\n',
    )
    result = cli.plan(name, cwd=tmp_path)
    assert result.returncode == 2, result.describe()
    assert nonzero_summary(result.json()) == {"clients": {"create": 1}}


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param('page="1" pages="999999999"', id="pages"),
        pytest.param('page="1" per_page="1" pages="1" total="99999999999"', id="total"),
    ],
)
def test_absurd_freshbooks_paging_is_bounded(cli: Cli, tmp_path: Path, attributes: str) -> None:
    name = _write(
        tmp_path,
        "tasks.xml",
        '<?xml version="1.0" encoding="utf-8"?>\n<response status="ok">\n'
        f"  <tasks {attributes}>\n    <task><task_id>31</task_id><name>Design</name></task>\n  </tasks>\n</response>\n",
    )
    result = cli.plan(name, cwd=tmp_path)
    assert_refused(result, name, why=r"page", line=(1, 3))


def test_a_fail_body_cannot_forge_extra_output_lines(cli: Cli, tmp_path: Path) -> None:
    name = _write(
        tmp_path,
        "fail.xml",
        '<?xml version="1.0" encoding="utf-8"?>\n<response status="fail">\n'
        "  <error>Authentication failed.\nPlan: 0 to create, 0 invalid.&#13;OK</error>\n"
        "  <code>20010</code>\n</response>\n",
    )
    result = cli.plan(name, cwd=tmp_path)
    assert_refused(result, name, why=r"code 20010", line=2)
    assert "\r" not in result.stderr


def test_stderr_is_exactly_one_line_for_a_nul_byte(cli: Cli, tmp_path: Path) -> None:
    name = _write(
        tmp_path,
        "nul.xml",
        b'<?xml version="1.0"?>\n<clients>\n<client><id>1</id><name>a\x00b</name></client>\n</clients>\n',
    )
    result = cli.plan(name, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), repr(result.stderr)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param(
            '<?xml version="1.0"?>\n<!-- saved 2013-03-10 -->\n<!-- by export.rb -->\n<widgets type="array"/>\n',
            4,
            id="unknown-root-on-line-4",
        ),
        pytest.param(
            '<?xml version="1.0"?>\n<!-- saved 2013-03-10 -->\n<!-- by export.rb -->\n'
            '<!DOCTYPE clients [<!ENTITY x "y">]>\n<clients type="array"/>\n',
            4,
            id="doctype-on-line-4",
        ),
    ],
)
def test_a_refusal_points_at_the_offending_line(cli: Cli, tmp_path: Path, text: str, line: int) -> None:
    name = _write(tmp_path, "export.xml", text)
    result = cli.plan(name, cwd=tmp_path)
    assert_refused(result, name, why=r".", line=line)
