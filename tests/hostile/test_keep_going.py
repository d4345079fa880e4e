"""A folder mixing good exports with every kind of bad file, through the real CLI.

Proves: without `--keep-going` the plan stops at a bad file (exit 1, one stderr line naming it with
`file:line`, nothing on stdout). With `--keep-going` it exits 2 (changes planned), lists every bad file
exactly once under `errors` with its file and line (the exact line where that is well defined), plans
the good records with exact counts and values (3 Harvest v1 clients, 2 FreshBooks tasks), skips a
non-XML file with a notice rather than an error, and never outputs the XXE marker nor contacts the
HTTP trap — in the JSON on stdout, in the `--output` file, and in the text report alike.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.hostile.conftest import Secret
from tests.hostile.harness import Cli, HttpTrap, nonzero_summary

# Client 503 is archived: created active (its history would load), archived at the end of the batch.
GOOD = {"clients": {"create": 3}, "tasks": {"create": 2}, "archives": {"create": 1}}


@pytest.fixture
def mixed(tmp_path: Path, corpus: Path, secret: Secret, trap: HttpTrap) -> dict[str, int | None]:
    """Build `exports/` under tmp_path; return {bad file path as reported: expected line (None: any)}."""
    folder = tmp_path / "exports"
    (folder / "nested" / "deeper").mkdir(parents=True)
    shutil.copy(corpus / "good" / "harvest-v1-clients.xml", folder / "clients.xml")
    shutil.copy(corpus / "good" / "freshbooks-tasks.xml", folder / "nested" / "tasks.xml")
    (folder / "README.txt").write_text("Exported 2013-03-10 by the office.\n")  # not XML: a notice, not an error
    bad: dict[str, int | None] = {}

    def put(name: str, data: bytes | str, line: int | None) -> None:
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        bad[f"exports/{name}"] = line

    for case, line in [
        ("billion-laughs.xml", None),
        ("quadratic-blowup.xml", None),
        ("freshbooks-fail.xml", 2),
        ("unknown-root.xml", None),
        ("html-error-page.xml", None),
    ]:
        put(f"nested/{case}", (corpus / case).read_bytes(), line)
    # Truncated inside their first record (the committed truncated files keep complete records before
    # the cut: see test_a_bad_file_contributes_no_records for what happens to those).
    put(
        "nested/truncated-v1.xml",
        '<?xml version="1.0"?>\n<clients type="array">\n  <client>\n    <id>77</id>\n    <name>Cut',
        5,
    )
    put(
        "truncated-fb.xml",
        '<?xml version="1.0"?>\n<response status="ok">\n  <clients page="1" pages="1">\n'
        "    <client><client_id>78</client_id>",
        4,
    )
    put("empty.xml", b"", 1)
    put("nested/deeper/image.xml", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, 1)
    put(
        "xxe.xml",
        f'<?xml version="1.0"?>\n<!DOCTYPE clients [<!ENTITY x SYSTEM "{secret.path.as_uri()}">]>\n'
        '<clients type="array"><client><id>9</id><name>&x;</name></client></clients>\n',
        None,
    )
    put(
        "external-dtd.xml",
        f'<?xml version="1.0"?>\n<!DOCTYPE clients SYSTEM "{trap.url}/clients.dtd">\n'
        '<clients type="array"><client><id>8</id><name>Acme</name></client></clients>\n',
        None,
    )
    put(
        "latin-1.xml",
        '<?xml version="1.0"?>\n<clients type="array">\n<client><id>7</id><name>Café</name></client>\n'
        "</clients>\n".encode("iso-8859-1"),
        3,
    )
    put("deep.xml", '<?xml version="1.0"?>\n<clients>\n' + "<c>" * 100_000 + "</c>" * 100_000 + "\n</clients>\n", 3)
    put(
        "huge-text.xml",
        '<?xml version="1.0"?>\n<clients type="array">\n<client>\n<id>6</id>\n<name>'
        + "z" * (10 * 1024 * 1024 + 1)
        + "</name>\n</client>\n</clients>\n",
        5,
    )
    return bad


def _check_errors(errors: list[dict], bad: dict[str, int | None]) -> None:  # type: ignore[type-arg]
    by_file: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for error in errors:
        by_file.setdefault(error["file"], []).append(error)
    assert sorted(by_file) == sorted(bad), f"errors for {sorted(by_file)}, bad files {sorted(bad)}"
    for file, expected_line in bad.items():
        [error] = by_file[file]
        assert isinstance(error["line"], int) and error["line"] >= 1, error
        if expected_line is not None:
            assert error["line"] == expected_line, error
        assert error["message"].startswith(f"{file}:{error['line']}"), error


def test_without_keep_going_the_first_bad_file_stops_the_plan(
    cli: Cli, tmp_path: Path, mixed: dict[str, int | None], secret: Secret
) -> None:
    result = cli.plan("exports", cwd=tmp_path)
    assert result.returncode == 1, result.describe()
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.describe()
    match = re.match(r"^Error: (?P<file>.+?):(?P<line>\d+):? .+$", lines[0])
    assert match and match["file"] in mixed, result.describe()
    assert secret.marker not in result.output


def test_keep_going_lists_every_bad_file_and_plans_the_good_records(
    cli: Cli, tmp_path: Path, mixed: dict[str, int | None], secret: Secret
) -> None:
    result = cli.plan("exports", cwd=tmp_path, extra=("--keep-going",))
    assert result.returncode == 2, result.describe()
    document = result.json()
    _check_errors(document["errors"], mixed)
    assert nonzero_summary(document) == GOOD
    names = {c["source_id"]: c["payload"]["name"] for c in document["changes"] if c["kind"] == "clients"}
    assert names == {"501": "Anchor Bar & Grill", "502": "Kestrel Analytics GmbH", "503": "Öresund Fisk AB"}
    tasks = {c["source_id"]: c["payload"] for c in document["changes"] if c["kind"] == "tasks"}
    assert {sid: (p["name"], p.get("default_hourly_rate")) for sid, p in tasks.items()} == {
        "31": ("Moodboards", Decimal("100")),
        "32": ("Templating", Decimal("95.50")),
    }
    assert all(c["action"] == "create" for c in document["changes"])
    assert [c["source_id"] for c in document["changes"] if c["kind"] == "archives"] == ["clients:503"]
    assert secret.marker not in result.output and "root:x:0:0" not in result.output


def test_keep_going_report_file_and_text_format_carry_the_same_errors(
    cli: Cli, tmp_path: Path, mixed: dict[str, int | None], secret: Secret
) -> None:
    written = cli.plan("exports", cwd=tmp_path, extra=("--keep-going", "--output", "plan.json"))
    assert written.returncode == 2, written.describe()
    assert written.stdout == ""
    report = (tmp_path / "plan.json").read_text(encoding="utf-8")
    assert secret.marker not in report
    from migrator import jsonio

    _check_errors(jsonio.loads(report)["errors"], mixed)

    text = cli("plan", "exports", "--offline", "--keep-going", cwd=tmp_path)
    assert text.returncode == 2 and "Traceback" not in text.output, text.describe()
    for file in mixed:
        assert re.search(rf"^\s*{re.escape(file)}:\d+", text.stdout, re.MULTILINE), f"{file} not in the text report"
    assert "Plan: 6 to create, 0 to update, 0 to adopt, 0 unchanged, 0 invalid, 0 skipped." in text.stdout
    assert secret.marker not in text.output


def test_a_bad_file_contributes_no_records(cli: Cli, tmp_path: Path, corpus: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(corpus / "good" / "freshbooks-tasks.xml", folder / "tasks.xml")
    for case in ("truncated-harvest-v1.xml", "truncated-freshbooks.xml"):
        shutil.copy(corpus / case, folder / case)
    result = cli.plan("exports", cwd=tmp_path, extra=("--keep-going",))
    assert result.returncode == 2, result.describe()
    document = result.json()
    assert sorted(e["file"] for e in document["errors"]) == [
        "exports/truncated-freshbooks.xml",
        "exports/truncated-harvest-v1.xml",
    ]
    assert nonzero_summary(document) == {"tasks": {"create": 2}}
