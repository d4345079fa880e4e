"""The hardened XML seam: hostile documents are refused with file and line, never expanded."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from migrator.errors import SourceParseError, UnsafeXMLError
from migrator.sources.xmlsafe import XmlStream, local_name, sniff_head


def _drain(path: Path) -> list[str]:
    return [elem.tag for event, elem, _depth in XmlStream(path).events() if event == "end"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            '<!DOCTYPE l [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><clients><c>&b;</c></clients>',
            id="billion-laughs",
        ),
        pytest.param(
            '<!DOCTYPE r [<!ENTITY big "' + "x" * 5000 + '">]><clients><c>&big;&big;</c></clients>', id="quadratic"
        ),
        pytest.param('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><clients><c>&x;</c></clients>', id="xxe"),
        pytest.param(
            '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><clients/>', id="parameter-entity"
        ),
    ],
)
def test_a_doctype_declaring_entities_is_refused(tmp_path: Path, body: str) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text('<?xml version="1.0"?>\n' + body)
    with pytest.raises(UnsafeXMLError) as caught:
        _drain(path)
    assert str(caught.value).startswith(f"{path}:2: refused")  # the DOCTYPE's line, after the declaration
    assert "refused" in str(caught.value)
    assert "root:" not in str(caught.value)  # no /etc/passwd content anywhere


def test_an_external_dtd_is_refused_and_never_fetched(tmp_path: Path) -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY x "fetched">')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        path = tmp_path / "external.xml"
        port = server.server_address[1]
        path.write_text(f'<?xml version="1.0"?><!DOCTYPE clients SYSTEM "http://127.0.0.1:{port}/x.dtd"><clients/>')
        with pytest.raises(UnsafeXMLError, match="external DTD"):
            _drain(path)
    finally:
        server.shutdown()
    assert hits == []


def test_a_plain_doctype_without_entities_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "plain.xml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE clients><clients><client/></clients>')
    assert _drain(path) == ["client", "clients"]


def test_a_truncated_document_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text('<?xml version="1.0"?>\n<clients>\n  <client>\n    <name>Acme')
    with pytest.raises(SourceParseError) as caught:
        _drain(path)
    assert caught.value.file == str(path)
    assert caught.value.line == 4
    assert "not well-formed" in str(caught.value)


def test_a_huge_text_node_is_refused_by_the_parser_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    path.write_text("<clients><client><name>" + "a" * (11 * 1024 * 1024) + "</name></client></clients>")
    with pytest.raises(SourceParseError):
        _drain(path)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            '<?xml version="1.0" encoding="ISO-8859-1"?><clients><c>Café</c></clients>'.encode("latin-1"),
            "Café",
            id="latin-1-declared",
        ),
        pytest.param(b"\xef\xbb\xbf<clients><c>Caf\xc3\xa9</c></clients>", "Café", id="utf-8-bom"),
        pytest.param(
            '<?xml version="1.0" encoding="UTF-16"?><clients><c>Café</c></clients>'.encode("utf-16"),
            "Café",
            id="utf-16",
        ),
    ],
)
def test_encodings(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "enc.xml"
    path.write_bytes(data)
    texts = [elem.text for event, elem, depth in XmlStream(path).events() if event == "end" and depth == 1]
    assert texts == [expected]


def test_undeclared_latin_1_is_an_error_with_a_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.xml"
    path.write_bytes("<clients>\n<c>Café</c></clients>".encode("latin-1"))
    with pytest.raises(SourceParseError) as caught:
        _drain(path)
    assert caught.value.line == 2


def test_namespaces_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "ns.xml"
    path.write_text(
        '<response xmlns="https://www.freshbooks.com/api/" status="ok"><client><client_id>7</client_id>'
        "<first-name>Ann</first-name></client></response>"
    )
    ended = [
        (local_name(elem.tag), elem.text, depth) for event, elem, depth in XmlStream(path).events() if event == "end"
    ]
    assert ("client", None, 1) in ended and ("first-name", "Ann", 2) in ended
    head = sniff_head(path)
    assert head is not None and (head.root, head.first_child) == ("response", "client")
    assert local_name("{http://x}tag") == "tag"


def test_deep_nesting_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "deep.xml"
    path.write_text("<a>" * 100_000 + "</a>" * 100_000)
    with pytest.raises(SourceParseError):
        _drain(path)
