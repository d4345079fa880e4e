"""`--map F`, through the real command line: people, renames, skips, pilots and windows, and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator.sandbox import Sandbox
from tests.cli.test_plan_and_errors import migrator

V1 = "fixtures/harvest-v1"


def write_map(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def plan_json(*args: str) -> dict:  # type: ignore[type-arg]
    done = migrator("plan", V1, "--offline", "--format", "json", "--create-users", *args)
    assert done.returncode == 2, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def changes(document: dict, kind: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {c["source_id"]: c for c in document["changes"] if c["kind"] == kind}


def test_a_person_mapped_to_a_new_address_is_adopted_and_keeps_all_their_time(tmp_path: Path) -> None:
    mapping = write_map(tmp_path, '[people]\n"harvest-v1:users:702" = "ben.okafor@newco.example"\n')
    env = {}
    with Sandbox(rate=None, state_path=tmp_path / "ledger.sqlite.sandbox.sqlite") as sandbox:
        sandbox.seed_user("Ben", "Okafor", "ben.okafor@newco.example")  # his new address, already in Harvest
        for first, last, email in (
            ("Ada", "Lindqvist", "ada@northwind.example"),
            ("Cleo", "B", "cleo@freelance.example"),
        ):
            sandbox.seed_user(first, last, email)
        env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
        target = ("--target", sandbox.url, "--ledger", str(tmp_path / "ledger.sqlite"), "--rate", "1000/1")
        plan = migrator("plan", V1, *target, "--format", "json", "--map", str(mapping), env=env)
        document = json.loads(plan.stdout)
        ben = changes(document, "users")["702"]
        assert ben["action"] == "adopt" and ben["payload"]["email"] == "ben.okafor@newco.example"
        assert "mapped by the map file: ben@northwind.example is ben.okafor@newco.example" in ben["reason"]
        run = migrator("run", V1, *target, "--batch", "b", "--map", str(mapping), env=env)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr
        assert sandbox.stats()["emails_sent"] == 0  # nobody invited
        (new_ben,) = [u for u in sandbox.objects("users") if u["email"] == "ben.okafor@newco.example"]
        his = [e for e in sandbox.objects("time_entries") if e["user"]["id"] == new_ben["id"]]
        assert len(his) == 6 and not [u for u in sandbox.objects("users") if u["email"] == "ben@northwind.example"]


def test_a_mapped_person_missing_from_the_target_is_never_invited(tmp_path: Path) -> None:
    mapping = write_map(tmp_path, '[people]\n"ben@northwind.example" = "ben.okafor@newco.example"\n')
    document = plan_json("--map", str(mapping), "--keep-going")
    ben = changes(document, "users")["702"]
    assert ben["action"] == "invalid" and "never invites a person the map names" in ben["reason"]


def test_rename_and_two_records_renamed_alike_become_one_object(tmp_path: Path) -> None:
    # FreshBooks' "Build" is v1's "Development": renamed alike, they are one v2 task.
    mapping = write_map(
        tmp_path, '[rename]\n"freshbooks:tasks:32" = "Development"\n"harvest-v1:clients:501" = "Anchor"\n'
    )
    done = migrator("plan", V1, "fixtures/freshbooks", "--offline", "--format", "json", "--create-users",
                    "--map", str(mapping))  # fmt: skip
    document = json.loads(done.stdout)
    tasks = {(c["system"], c["source_id"]): c for c in document["changes"] if c["kind"] == "tasks"}
    build = tasks[("freshbooks", "32")]
    assert build["payload"]["name"] == "Development" and build["action"] == "adopt"
    assert "same name as harvest-v1 @tasks:802 in this plan" in build["reason"]
    assert "renamed by the map file: 'Build' -> 'Development'" in build["reason"]
    client = next(c for c in document["changes"] if c["kind"] == "clients" and c["source_id"] == "501")
    assert client["payload"]["name"] == "Anchor" and client["action"] == "create"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('[skip]\nkinds = ["expenses"]\n', {"expenses": {"skipped": 5}}, id="a-kind"),
        pytest.param(
            '[skip]\nrecords = ["harvest-v1:projects:904"]\n',
            {"projects": {"skipped": 1}, "time_entries": {"skipped": 1}, "expenses": {"skipped": 1}},
            id="a-record-and-what-depends-on-it",
        ),
    ],
)
def test_skip_plans_exactly_what_it_says(tmp_path: Path, text: str, expected: dict) -> None:  # type: ignore[type-arg]
    document = plan_json("--map", str(write_map(tmp_path, text)))
    for kind, actions in expected.items():
        counts = {a: n for a, n in document["summary"][kind].items() if n and a == "skipped"}
        assert counts == actions, (kind, document["summary"][kind])
    reasons = {c["reason"] for c in document["changes"] if c["action"] == "skipped" and c["kind"] in expected}
    assert all("map file" in r or r.startswith("depends on skipped") for r in reasons), reasons
    assert document["errors"] == []


def test_only_a_pilot_client_plans_it_what_depends_on_it_and_what_that_needs(tmp_path: Path) -> None:
    mapping = write_map(tmp_path, '[only]\nclients = ["harvest-v1:clients:502"]\n')
    document = plan_json("--map", str(mapping))
    kept = {(c["kind"], c["source_id"]) for c in document["changes"] if c["action"] == "create"}
    assert ("clients", "502") in kept and ("clients", "501") not in kept and ("clients", "503") not in kept
    assert ("projects", "902") in kept and ("projects", "901") not in kept
    people = {sid for kind, sid in kept if kind == "users"}
    assert people == {"702", "703"}  # those with history on 902 (Ada has none there)
    entries = {sid for kind, sid in kept if kind == "time_entries"}
    assert entries == {"2005", "2006", "2007", "2012"}
    outside = changes(document, "clients")["501"]
    assert outside["action"] == "skipped" and "outside the pilot" in outside["reason"]


def test_only_a_date_window_plans_the_dated_records_inside_it(tmp_path: Path) -> None:
    mapping = write_map(tmp_path, "[only]\nsince = 2013-03-05\nuntil = 2013-03-06\n")
    document = plan_json("--map", str(mapping))
    entries = changes(document, "time_entries")
    dated = {sid: c["payload"].get("spent_date") for sid, c in entries.items() if c["action"] == "create"}
    assert dated and all("2013-03-05" <= day <= "2013-03-06" for day in dated.values())
    assert entries["2013"]["action"] == "skipped" and "outside the window" in entries["2013"]["reason"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        pytest.param("[peeple]\n", "[peeple]: unknown table", id="unknown-table"),
        pytest.param("[skip]\nrecord = []\n", "[skip] record: unknown key", id="unknown-key"),
        pytest.param(
            '[skip]\nrecords = ["harvest-v1:clients:999"]\n',
            "harvest-v1:clients:999 is not in the source",
            id="unknown-record",
        ),
        pytest.param('[people]\n"harvest-v1:users:702" = "not an email"\n', "is not an email address", id="bad-email"),
        pytest.param('[only]\nsince = "2015"\n', "[only] since: '2015' is not a date", id="bad-date"),
        pytest.param('[rename]\n"harvest-v1:users:702" = "X"\n', "users cannot be renamed", id="not-renamable"),
        pytest.param("[skip\n", "map.toml:1: not valid TOML ([skip)", id="not-toml"),
        pytest.param("[only]\nsince = 2015-13-01\n", "map.toml:2: since: 2015-13-01 is not a date", id="no-such-day"),
        pytest.param(
            '[people]\n"harvest-v1:users:702" = "ben@newco.example"\n"ben@northwind.example" = "b@newco.example"\n',
            '[people] "harvest-v1:users:702" and "ben@northwind.example" are the same person, mapped to two '
            "addresses (ben@newco.example and b@newco.example): keep one",
            id="one-person-two-addresses",
        ),
    ],
)
def test_a_bad_map_file_is_one_line_naming_the_file_and_the_key(tmp_path: Path, text: str, needle: str) -> None:
    mapping = write_map(tmp_path, text)
    done = migrator("plan", V1, "--offline", "--map", str(mapping))
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"Error: map file {mapping}") and needle in line, line
