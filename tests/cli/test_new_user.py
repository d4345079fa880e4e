"""What a new user hit (issue #23), each reproduced through the real command line, in a folder of its own.

A partial load that said "done", a ledger bound by a typo on day one, a verify that could not pass
after a `[skip]`, two commands that spent one rate budget twice, reports that disagreed on what was
adopted, and the messages that left a person guessing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrator import sandbox as sandbox_module
from migrator.load.ledger import Ledger
from migrator.sandbox import Sandbox
from tests.cli.test_plan_and_errors import migrator
from tests.conftest import REPO

V1 = str(REPO / "fixtures" / "harvest-v1")
FB = str(REPO / "fixtures" / "freshbooks")
STATE = "migrator-ledger.sqlite.sandbox.sqlite"  # where --sandbox keeps its account, beside the default ledger


def _objects(folder: Path, kind: str) -> list[dict]:  # type: ignore[type-arg]
    """What the --sandbox account kept beside the ledger in `folder` holds of `kind`."""
    account = Sandbox(state_path=folder / STATE)
    try:
        return account.objects(kind)
    finally:
        account.stop()


def _env(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {"HARVEST_ACCESS_TOKEN": sandbox.token, "HARVEST_ACCOUNT_ID": sandbox.account_id, **extra}


# --- 1. a partial load is not "done" ------------------------------------------------------------------


def test_a_partial_load_exits_3_says_why_and_archives_nothing_past_what_did_not_load(tmp_path: Path) -> None:
    first = migrator("run", V1, "--sandbox", "--batch", "nocreate", cwd=tmp_path)
    assert first.returncode == 3, first.stdout[-1500:] + first.stderr
    assert (
        "Batch nocreate finished with 33 records NOT loaded (33 invalid) — harvest-v1:users:701: no user with "
        "email ada@northwind.example in the target: invite them in Harvest first, or pass --create-users"
    ) in first.stdout
    assert "Next: fix what `migrator status --rejected` lists" in first.stdout
    # History first: client 503 keeps its entries' place open (archived only once they are in).
    (old_mill,) = [c for c in _objects(tmp_path, "clients") if c["name"] == "Old Mill Bakery"]
    assert old_mill["is_active"] is True

    status = migrator("status", "--rejected", cwd=tmp_path)
    assert status.returncode == 0 and "Every record is loaded" not in status.stdout
    assert "Not loaded (33):" in status.stdout  # 28 records, and 5 archives that wait for them
    assert "  invalid  harvest-v1:time_entries:2001 (batch nocreate): depends on invalid users 701\n" in status.stdout
    assert "  invalid  harvest-v1:archives:clients:503 (batch nocreate): archived in the source, but 3 record(s)" in (
        status.stdout
    )

    second = migrator("run", V1, "--sandbox", "--batch", "nocreate", "--create-users", cwd=tmp_path)
    assert second.returncode == 0, second.stdout[-1500:] + second.stderr
    (old_mill,) = [c for c in _objects(tmp_path, "clients") if c["name"] == "Old Mill Bakery"]
    assert old_mill["is_active"] is False
    assert migrator("status", "--rejected", cwd=tmp_path).stdout.endswith("Every record is loaded.\n")


def test_keep_going_over_a_broken_file_is_a_partial_load(tmp_path: Path) -> None:
    source = tmp_path / "export"
    shutil.copytree(V1, source)
    (source / "broken.xml").write_text('<?xml version="1.0"?>\n<clients type="array"><client>', encoding="utf-8")
    done = migrator("run", str(source), "--sandbox", "--batch", "b", "--create-users", "--keep-going", cwd=tmp_path)
    assert done.returncode == 3, done.stdout[-1500:] + done.stderr
    assert "Not read, so not loaded (--keep-going): " in done.stdout and "broken.xml" in done.stdout
    assert "Batch b finished with 1 source error;" in done.stdout


# --- 2. a failed first contact binds nothing --------------------------------------------------------


def test_a_typo_in_the_account_id_on_the_first_run_does_not_bind_the_ledger(tmp_path: Path) -> None:
    with Sandbox(rate=None) as sandbox:
        target = ("--target", sandbox.url, "--rate", "1000/1")
        typo = migrator("run", V1, *target, "--batch", "b", "--create-users",
                        env=_env(sandbox, HARVEST_ACCOUNT_ID="999"), cwd=tmp_path)  # fmt: skip
        assert typo.returncode == 1 and "HARVEST_ACCOUNT_ID" in typo.stderr
        unreachable = migrator("run", V1, "--target", "http://127.0.0.1:9/v2", "--batch", "b", env=_env(sandbox),
                               cwd=tmp_path)  # fmt: skip
        assert unreachable.returncode == 1 and "cannot reach" in unreachable.stderr
        fixed = migrator("run", V1, *target, "--batch", "b", "--create-users", env=_env(sandbox), cwd=tmp_path)
        assert fixed.returncode == 0, fixed.stderr
        bound = (sandbox.url, sandbox.account_id)
    with Ledger(tmp_path / "migrator-ledger.sqlite") as ledger:
        assert ledger.target() == bound


def test_a_bound_ledger_says_how_to_start_over_safely(tmp_path: Path) -> None:
    with Sandbox(rate=None) as loaded, Sandbox(rate=None) as other:
        run = migrator("run", V1, "--target", loaded.url, "--batch", "b", "--create-users", env=_env(loaded),
                       cwd=tmp_path)  # fmt: skip
        assert run.returncode == 0
        refused = migrator("plan", V1, "--target", other.url, env=_env(other), cwd=tmp_path)
        assert refused.returncode == 1
        assert f"belongs to account {loaded.account_id} at {loaded.url}, not to account" in refused.stderr
        assert "it maps 74 record(s) loaded into that account, so keep it" in refused.stderr
        assert "pass --ledger NEW.sqlite for the other account" in refused.stderr
    empty = tmp_path / "empty.sqlite"
    with Ledger(empty) as ledger:
        ledger.bind_target("https://example.invalid/v2", "42")
    with Sandbox(rate=None) as sandbox:
        refused = migrator("plan", V1, "--target", sandbox.url, "--ledger", str(empty), env=_env(sandbox), cwd=tmp_path)
    assert refused.returncode == 1 and "it maps no loaded record yet, so it is safe to delete it" in refused.stderr


# --- 3. verify applies the map file as plan and run did ------------------------------------------------


def test_verify_with_a_map_that_skips_a_client_passes(tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text('[skip]\nrecords = ["harvest-v1:clients:502"]\n', encoding="utf-8")
    run = migrator("run", V1, "--sandbox", "--batch", "s", "--create-users", "--map", str(mapping), cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-1500:]
    verify = migrator("verify", V1, "--sandbox", "--map", str(mapping), "--format", "json", cwd=tmp_path)
    document = json.loads(verify.stdout)
    assert verify.returncode == 0 and document["ok"], document["differences"][:3]
    assert document["kinds"]["projects"] == {"source": 3, "target": 3}  # 902 hangs off the skipped client
    assert "EUR" not in document["money"]  # its invoices too


# --- 5. two processes share one rate budget ------------------------------------------------------------


def test_plan_then_run_back_to_back_draw_no_429(tmp_path: Path) -> None:
    # Harvest's window scaled down: 20 requests per 2 s. The plan spends most of it; the run starts at once.
    with Sandbox(rate=(20, 2.0)) as sandbox:
        env = _env(sandbox, TMPDIR=str(tmp_path))  # the shared budget file lives in the temp folder
        target = ("--target", sandbox.url, "--rate", "20/2")
        plan = migrator("plan", V1, *target, "--create-users", env=env, cwd=tmp_path)
        assert plan.returncode == 2, plan.stderr
        run = migrator("run", V1, *target, "--batch", "b", "--create-users", env=env, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        stats = sandbox.stats()
    assert stats["rate_limited"] == 0 and stats["requests"] > 40
    assert list(tmp_path.glob("migrator-budget-*.sqlite"))


# --- 6. one vocabulary for adopted and ours ------------------------------------------------------------


def test_run_status_and_rollback_agree_on_what_is_ours(tmp_path: Path) -> None:
    plan = migrator("plan", V1, FB, "--sandbox", "--create-users", cwd=tmp_path)
    # FreshBooks' task "Design" shares Harvest v1's: one object, made by this migration.
    assert "same name as harvest-v1 @tasks:801 in this plan (matched by name 'design')\n" in plan.stdout
    assert "        ours (made by this migration): counted as done, and rollback removes it\n" in plan.stdout
    assert "        it existed before the migration: counted as adopted, and rollback never touches it\n" in plan.stdout
    run = migrator("run", V1, FB, "--sandbox", "--batch", "demo", "--create-users", "--format", "json", cwd=tmp_path)
    counts = json.loads(run.stdout)["counts"]
    assert counts["tasks"] == {"done": 7} and counts["invoice_item_categories"] == {"adopted": 2, "done": 2}
    status = json.loads(migrator("status", "--format", "json", cwd=tmp_path).stdout)
    (batch,) = status["batches"]
    assert batch["kinds"]["tasks"] == {"done": 7}
    assert batch["kinds"]["invoice_item_categories"] == {"adopted": 2, "done": 2}
    rollback = migrator("rollback", "--batch", "demo", "--sandbox", cwd=tmp_path)
    assert " 7 tasks, " in rollback.stdout and " 2 invoice_item_categories, " in rollback.stdout


# --- 7. messages that say what to do -------------------------------------------------------------------


def test_a_saved_plan_names_the_option_that_differs(tmp_path: Path) -> None:
    saved = migrator("plan", V1, "--sandbox", "--create-users", "--save-plan", "p.plan", cwd=tmp_path)
    assert saved.returncode == 2
    run = migrator("run", V1, "--sandbox", "--batch", "b", "--plan", "p.plan", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip() == (
        "Error: saved plan p.plan was made with other options (the plan has --create-users, this run no "
        "--create-users): run with the plan's options, or make a new plan with `migrator plan --save-plan`"
    )
    again = migrator("run", V1, "--sandbox", "--batch", "b", "--plan", "p.plan", "--create-users", cwd=tmp_path)
    assert again.returncode == 0


def test_a_target_without_v2_says_did_you_mean(tmp_path: Path) -> None:
    with Sandbox(rate=None) as sandbox:
        base = sandbox.url.removesuffix("/v2")
        done = migrator("plan", V1, "--target", base, env=_env(sandbox), cwd=tmp_path)
    assert done.returncode == 1 and f"did you mean {base}/v2?" in done.stderr, done.stderr


def test_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with Sandbox(rate=None) as sandbox:
        port = sandbox.url.split(":")[-1].split("/")[0]
        done = migrator("sandbox", "--port", port, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"Error: cannot serve on 127.0.0.1:{port}: address already in use; choose another --port (0 picks a free one)"
    )


def test_ctrl_c_during_a_load_says_how_to_resume_and_status_says_interrupted(tmp_path: Path) -> None:
    with Sandbox(rate=None, latency_ms=50) as sandbox:
        command = [sys.executable, "-m", "migrator", "run", V1, "--target", sandbox.url, "--batch", "b",
                   "--create-users", "--concurrency", "1"]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_")} | _env(sandbox)
        env["PYTHONPATH"] = str(REPO)
        child = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while sandbox.stats()["objects"].get("clients", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert err.strip().endswith(
        "Interrupted. The ledger is consistent: run the same command again to resume (nothing loaded is sent twice)."
    )
    status = json.loads(migrator("status", "--format", "json", cwd=tmp_path).stdout)
    assert [b["status"] for b in status["batches"]] == ["interrupted"]


# --- 11. the small ones ---------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--output", "--lossy-csv", "--save-plan", "--ledger"])
def test_a_file_in_a_folder_that_does_not_exist_is_a_usage_error(tmp_path: Path, option: str) -> None:
    done = migrator("plan", V1, "--offline", option, "typo/f.out", cwd=tmp_path)
    assert done.returncode == 1 and "the folder 'typo' does not exist: create it first" in done.stderr
    assert not (tmp_path / "typo").exists()


def test_a_rerun_with_nothing_to_do_says_so_and_every_run_says_what_next(tmp_path: Path) -> None:
    first = migrator("run", V1, "--sandbox", "--batch", "b", "--create-users", cwd=tmp_path)
    assert "Next: `migrator verify` with the same sources and target" in first.stdout
    again = migrator("run", V1, "--sandbox", "--batch", "b", "--create-users", cwd=tmp_path)
    assert again.returncode == 0
    assert "Batch b: nothing to do, every record is already in the target" in again.stdout
    assert "resumed and finished" not in again.stdout


def test_one_file_is_one_file_and_labels_are_cut_at_a_word(tmp_path: Path) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "tasks.xml").write_text(
        '<?xml version="1.0"?>\n<tasks><task><id type="integer">9</id><name>An extraordinarily long task name that '
        'goes on and on beyond the column</name><billable-by-default type="boolean">true</billable-by-default>'
        '<deactivated type="boolean">false</deactivated><is-default type="boolean">false</is-default></task></tasks>\n',
        encoding="utf-8",
    )
    done = migrator("plan", str(folder), "--offline", cwd=tmp_path)
    assert "— 1 file, 1 record;" in done.stdout
    assert "An extraordinarily long task name that goes on…" in done.stdout


def test_sandbox_help_shows_its_token_and_account_id() -> None:
    done = migrator("sandbox", "--help")
    assert f"HARVEST_ACCESS_TOKEN={sandbox_module.TOKEN} HARVEST_ACCOUNT_ID={sandbox_module.ACCOUNT_ID}" in done.stdout


def test_verify_after_a_rollback_says_so_and_groups_what_it_removed(tmp_path: Path) -> None:
    assert migrator("run", V1, "--sandbox", "--batch", "demo", "--create-users", cwd=tmp_path).returncode == 0
    assert migrator("rollback", "--batch", "demo", "--sandbox", cwd=tmp_path).returncode == 0
    verify = migrator("verify", V1, "--sandbox", cwd=tmp_path)
    assert verify.returncode == 2
    assert "Batch demo was rolled back: the target no longer holds 60 of the source's records it had loaded." in (
        verify.stdout
    )
    assert "  13 time_entries present: target deleted by a rollback of batch demo (harvest-v1:time_entries:" in (
        verify.stdout
    )
    assert len(verify.stdout.splitlines()) < 70


def test_one_source_absolute_and_one_relative(tmp_path: Path) -> None:
    shutil.copytree(FB, tmp_path / "fb")
    done = migrator("plan", V1, "fb", "--offline", "--create-users", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
