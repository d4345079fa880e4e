"""Faults and 429 storms: a hostile target still ends with exactly one object per source record.

Each case loads both fixture accounts into a real sandbox on 127.0.0.1 through `migrator.api.run`,
re-running the same batch (as a user would) until a run exits 0 with the weather still on:

- every sandbox fault kind (`FAULT_KINDS`: a 500 before applying, a 502 after applying, a dropped
  connection after applying, a stall past the client's timeout) on 20 % of the requests;
- a 429 storm: the sandbox admits 30 requests per second and answers the rest 429 + Retry-After,
  while the client's own budget (1000/s) is far above it, so 429s really happen
  (`/__sandbox/stats` counts them);
- both at once: a 429 storm with every fault kind on 20 % of the admitted requests.

Then: the target holds exactly one object per planned record carrying its payload and nothing else,
the ledger equals the target, and (weather calmed) one more run sends 0 requests.
The 30 % single-fault cases live in `tests/load/test_exactly_once.py`; both use the same helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrator import api
from migrator.sandbox import FAULT_KINDS, Sandbox
from tests.accounts import SOURCES, assert_exactly_one_object_per_record, fault_spec, run_through_faults
from tests.checks import snapshot
from tests.reliability.conftest import sandbox_stats

FAULT_RATE = 0.2
STORM = (30, 1.0)  # the sandbox's limit in the storm: far below the client's 1000/1 (`fault_spec`)

CASES = [
    *(
        pytest.param({"fault_rate": FAULT_RATE, "fault_kinds": (kind,)}, ("faults_injected",), 6, id=f"{kind}-20%")
        for kind in FAULT_KINDS
    ),
    # A throttled request is never processed, so a 429 is always safe to wait out: one run suffices.
    pytest.param({"rate": STORM}, ("rate_limited",), 1, id="429-storm"),
    pytest.param(
        {"rate": STORM, "fault_rate": FAULT_RATE}, ("rate_limited", "faults_injected"), 6, id="429-storm+all-faults"
    ),
]


@pytest.mark.parametrize(("weather", "counters", "runs"), CASES)
def test_a_hostile_target_ends_with_exactly_one_object_per_record(
    weather: dict[str, Any], counters: tuple[str, ...], runs: int, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.sqlite"
    options: dict[str, Any] = {"rate": None, "fault_seed": 20, "stall_seconds": 0.6} | weather
    with Sandbox(**options) as sandbox:
        before = snapshot(sandbox)
        finished = run_through_faults(sandbox, ledger, tries=runs)
        assert finished is not None, f"no run exited 0 in {runs} runs under {weather}"
        stats = sandbox_stats(sandbox)
        assert all(stats[counter] > 0 for counter in counters), stats  # the weather really happened
        assert_exactly_one_object_per_record(sandbox, ledger, before)
        sandbox.set_fault_rate(0.0)
        again = api.run(SOURCES, batch="f", target=fault_spec(sandbox), ledger_path=ledger, create_users=True)
        assert again.exit_code == 0 and again.result.requests == 0, again.result.counts
