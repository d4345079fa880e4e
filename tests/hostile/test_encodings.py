"""Character encodings, through the real CLI: what is declared (or marked by a BOM) is honoured exactly;
bytes that contradict the declaration are refused with the file and the line of the first bad byte.

Proves: ISO-8859-1 and windows-1252 with a correct declaration, UTF-8 with a BOM, UTF-16 LE/BE with a
BOM (with and without a declaration) all plan their records, and a client name such as "Café Zoë –
Ærø €" arrives in the payload exactly (for Harvest v1 and FreshBooks). Undeclared Latin-1 (near the top
and 10,000 lines down), a declaration that lies, an unknown encoding and BOM-less UTF-16 are refused:
exit 1, one stderr line naming `file:line`, no traceback, bounded time and memory, no network.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from tests.hostile.harness import Cli, assert_refused, nonzero_summary

NAME = "Café Zoë – Ærø €"  # é ë Æ ø fit Latin-1; – and € need windows-1252 or Unicode
LATIN1_NAME = "Café Zoë Ærø"


def v1_clients(name: str, declaration: str | None) -> str:
    head = f'<?xml version="1.0" encoding="{declaration}"?>\n' if declaration else ""
    return (
        head + '<clients type="array">\n  <client>\n    <id type="integer">501</id>\n'
        f"    <name>{name}</name>\n  </client>\n</clients>\n"
    )


def fb_clients(name: str, declaration: str | None) -> str:
    head = f'<?xml version="1.0" encoding="{declaration}"?>\n' if declaration else ""
    return (
        head + '<response xmlns="http://www.freshbooks.com/api/" status="ok">\n'
        '  <clients page="1" per_page="25" pages="1" total="1">\n'
        f"    <client><client_id>00000000011</client_id><organization>{name}</organization></client>\n"
        "  </clients>\n</response>\n"
    )


SYSTEMS = {"harvest-v1": (v1_clients, "501"), "freshbooks": (fb_clients, "11")}

GOOD = [
    # id, text -> bytes, declaration, name
    ("latin-1-declared", lambda t: t.encode("iso-8859-1"), "ISO-8859-1", LATIN1_NAME),
    ("latin-1-declared-lowercase", lambda t: t.encode("iso-8859-1"), "iso-8859-1", LATIN1_NAME),
    ("windows-1252-declared", lambda t: t.encode("cp1252"), "windows-1252", NAME),
    ("utf-8-bom-declared", lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "UTF-8", NAME),
    ("utf-8-bom-undeclared", lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), None, NAME),
    ("utf-16-le-bom-declared", lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "UTF-16", NAME),
    ("utf-16-be-bom-declared", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "UTF-16", NAME),
    ("utf-16-le-bom-undeclared", lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), None, NAME),
]


@pytest.mark.parametrize("system", list(SYSTEMS))
@pytest.mark.parametrize(("encode", "declaration", "name"), [pytest.param(*case[1:], id=case[0]) for case in GOOD])
def test_declared_or_bom_marked_encodings_plan_exact_values(
    cli: Cli,
    tmp_path: Path,
    system: str,
    encode,
    declaration: str | None,
    name: str,  # type: ignore[no-untyped-def]
) -> None:
    template, source_id = SYSTEMS[system]
    (tmp_path / "clients.xml").write_bytes(encode(template(name, declaration)))
    result = cli.plan("clients.xml", cwd=tmp_path)
    assert result.returncode == 2, result.describe()
    document = result.json()
    assert document["errors"] == []
    assert nonzero_summary(document)["clients"] == {"create": 1}
    client = next(c for c in document["changes"] if c["kind"] == "clients")
    assert client["source_id"] == source_id
    assert client["payload"]["name"] == name  # the exact characters, not mojibake


def _undeclared_latin1_deep() -> tuple[bytes, int]:
    rows = [
        f'  <client>\n    <id type="integer">{i}</id>\n    <name>Client {i}</name>\n  </client>\n'
        for i in range(1, 3001)
    ]
    rows[2499] = rows[2499].replace("Client 2500", "Café")
    text = '<?xml version="1.0"?>\n<clients type="array">\n' + "".join(rows) + "</clients>\n"
    line = next(number for number, content in enumerate(text.split("\n"), start=1) if "Café" in content)
    return text.encode("iso-8859-1"), line


BAD = [
    # id, bytes, line of the first bad byte, why
    ("latin-1-undeclared", v1_clients(LATIN1_NAME, None).encode("iso-8859-1"), 4, r"encoding|bytes"),
    (
        "latin-1-undeclared-after-plain-declaration",
        ('<?xml version="1.0"?>\n' + v1_clients(LATIN1_NAME, None)).encode("iso-8859-1"),
        5,
        r"encoding|bytes",
    ),
    ("latin-1-declared-as-utf-8", v1_clients(LATIN1_NAME, "UTF-8").encode("iso-8859-1"), 5, r"encoding|bytes"),
    (
        "freshbooks-latin-1-declared-as-utf-8",
        fb_clients(LATIN1_NAME, "utf-8").encode("iso-8859-1"),
        4,
        r"encoding|bytes",
    ),
    ("latin-1-undeclared-10000-lines-down", *_undeclared_latin1_deep(), r"encoding|bytes"),
    ("unknown-encoding", v1_clients("Acme", "X-NO-SUCH-ENCODING").encode("ascii"), 1, r"encoding"),
    ("utf-16-declared-but-utf-8-bytes", v1_clients("Acme", "UTF-16").encode("utf-8"), 1, r"."),
    ("utf-16-without-bom-or-declaration", v1_clients(NAME, None).encode("utf-16-le"), 1, r"."),
]


@pytest.mark.parametrize(("data", "line", "why"), [pytest.param(*case[1:], id=case[0]) for case in BAD])
def test_bytes_that_contradict_the_encoding_are_refused_at_their_line(
    cli: Cli, tmp_path: Path, data: bytes, line: int, why: str
) -> None:
    (tmp_path / "clients.xml").write_bytes(data)
    result = cli.plan("clients.xml", cwd=tmp_path)
    assert_refused(result, "clients.xml", why=why, line=line)
