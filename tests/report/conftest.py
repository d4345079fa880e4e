"""One signed-off migration, shared by the report tests: the fixture accounts loaded into a sandbox
through the real CLI, then the target changed the way owners fear, then `verify` in every format.

The changes, each made after the run:
- harvest-v1 day entry 2001 (Ada Lindqvist, Website Redesign, 3.5 h) moved from 2013-03-04 to
  2013-02-28 by a PATCH over HTTP: across a month boundary, as a time zone would;
- harvest-v1 day entry 2010 (5 h on 2013-03-08) booked to Ben Okafor instead of its person. Harvest's
  API cannot move an entry to another person, so the sandbox's own store is edited: the target holds
  what it holds, however it came to;
- FreshBooks expense 71 (38.40 EUR, G7 Taxis) edited to 45.00 by a PATCH over HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from migrator.sandbox import Sandbox
from tests.checks import harvest
from tests.cli.test_plan_and_errors import migrator
from tests.conftest import REPO

SOURCES = (str(REPO / "fixtures" / "harvest-v1"), str(REPO / "fixtures" / "freshbooks"))
MAP = """[people]
"harvest-v1:users:702" = "ben.okafor@newco.example"

[rename]
"freshbooks:tasks:32" = "Development"
"""


@dataclass
class SignedOff:
    """What the scenario left: the reports, as files and as the CLI printed them."""

    folder: Path
    plan_html: Path
    plan_markdown: str
    plan_text: str
    plan_json: dict  # type: ignore[type-arg]
    verify_code: int
    verify_json: dict  # type: ignore[type-arg]
    verify_text: str
    verify_html: Path
    equal_html: Path  # the verification right after the run, before anything changed


@pytest.fixture(scope="session")
def signed_off(tmp_path_factory: pytest.TempPathFactory) -> SignedOff:
    folder = tmp_path_factory.mktemp("signed-off")
    map_file = folder / "map.toml"
    map_file.write_text(MAP, encoding="utf-8")
    with Sandbox(rate=None, state_path=folder / "state.sqlite") as sandbox:
        sandbox.seed_user("Ben", "Okafor", "ben.okafor@newco.example")
        env = {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id}
        target = ("--target", sandbox.url, "--ledger", str(folder / "ledger.sqlite"), "--rate", "1000/1",
                  "--map", str(map_file))  # fmt: skip
        plan_args = ("plan", *SOURCES, *target, "--create-users")
        plan_html = folder / "plan.html"
        done = migrator(*plan_args, "--format", "html", "--output", str(plan_html), env=env)
        assert done.returncode == 2, done.stderr
        markdown = migrator(*plan_args, "--format", "markdown", env=env)
        text = migrator(*plan_args, env=env)
        as_json = migrator(*plan_args, "--format", "json", env=env)
        run = migrator("run", *SOURCES, *target, "--batch", "demo", "--create-users", env=env)
        assert run.returncode == 0, run.stdout + run.stderr
        equal_html = folder / "equal.html"
        equal = migrator("verify", *SOURCES, *target, "--format", "html", "--output", str(equal_html), env=env)
        assert equal.returncode == 0, equal.stdout + equal.stderr

        client = harvest(sandbox)
        entries = {e["external_reference"]["id"]: e for e in sandbox.objects("time_entries")}
        client.patch(f"/time_entries/{entries['harvest-v1:day_entry:2001']['id']}", {"spent_date": "2013-02-28"})
        ben = next(u for u in sandbox.objects("users") if u["email"] == "ben.okafor@newco.example")
        with sandbox.store.transaction():
            raw = sandbox.store.get("time_entries", entries["harvest-v1:day_entry:2010"]["id"])
            sandbox.store.touch(raw | {"user_id": ben["id"]})
        expense = next(e for e in sandbox.objects("expenses") if "[migrator freshbooks expense 71]" in e["notes"])
        client.patch(f"/expenses/{expense['id']}", {"total_cost": Decimal("45.00")})
        client.close()

        verify_html = folder / "verify.html"
        verify = migrator("verify", *SOURCES, *target, "--format", "json", env=env)
        verify_text = migrator("verify", *SOURCES, *target, env=env)
        html = migrator("verify", *SOURCES, *target, "--format", "html", "--output", str(verify_html), env=env)
        assert html.returncode == 2, html.stderr
    return SignedOff(
        folder, plan_html, markdown.stdout, text.stdout, json.loads(as_json.stdout), verify.returncode,
        json.loads(verify.stdout), verify_text.stdout, verify_html, equal_html,
    )  # fmt: skip
