"""Hours at the edges of a day, as properties (hypothesis, derandomized, with the failing examples pinned).

Proves: a negative hours value is always invalid (both systems, both timer modes), an empty
`<hours>` makes an entry invalid (never 0 h), in timestamp mode FreshBooks hours just under 24
keep their length, and Harvest v1 hours that do not fit a day say what v2 gets instead. The
round-trip properties found three of these broken; they are fixed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from migrator.planned import MapContext
from tests.property.pipeline import check_sink, clock_minutes, run_pipeline

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # a pinned defect fails at once: no shrinking needed
    suppress_health_check=[HealthCheck.too_slow],
)
TIMESTAMPS = MapContext(timestamp_timers=True)
NEGATIVE = st.decimals(min_value=Decimal("-23.99"), max_value=Decimal("-0.01"), places=2)


def v1_entry(hours: str) -> dict[str, str]:
    return {
        "entries.xml": '<?xml version="1.0" encoding="UTF-8"?>\n<day-entries type="array">\n  <day-entry>\n'
        f"    <id>2001</id><hours>{hours}</hours><spent-at>2013-03-04</spent-at>\n"
        "    <project-id>901</project-id><task-id>801</task-id><user-id>701</user-id>\n  </day-entry>\n</day-entries>\n"
    }


def fb_entry(hours: str) -> dict[str, str]:
    return {
        "time.xml": '<?xml version="1.0" encoding="utf-8"?>\n<response status="ok">\n'
        '  <time_entries page="1" per_page="25" pages="1" total="1">\n'
        f"    <time_entry><time_entry_id>501</time_entry_id><project_id>41</project_id><task_id>31</task_id>"
        f"<staff_id>1</staff_id><hours>{hours}</hours><date>2014-03-03</date></time_entry>\n"
        "  </time_entries>\n</response>\n"
    }


def planned_entry(files: dict[str, str], ctx: MapContext):  # type: ignore[no-untyped-def]
    outcome = run_pipeline(files, ctx)
    check_sink(outcome)
    assert outcome.sink is not None
    [entry] = [p for p in outcome.sink.planned if p.kind == "time_entries"]
    return entry, outcome.sink


def span_hours(payload: dict[str, object]) -> Decimal:
    if "hours" in payload:
        return Decimal(str(payload["hours"]))
    minutes = clock_minutes(str(payload["ended_time"])) - clock_minutes(str(payload["started_time"]))
    return Decimal(minutes) / 60


# --- what holds ------------------------------------------------------------------------------------


@SETTINGS
@given(hours=NEGATIVE, system=st.sampled_from(["harvest-v1", "freshbooks"]))
def test_negative_hours_are_invalid_in_duration_mode(hours: Decimal, system: str) -> None:
    files = v1_entry(str(hours)) if system == "harvest-v1" else fb_entry(str(hours))
    entry, _sink = planned_entry(files, MapContext())
    assert entry.status == "invalid" and "hours" in (entry.reason or "")


@pytest.mark.parametrize("empty", ["<hours/>", '<hours nil="true"/>', "<hours>  </hours>"])
def test_a_v1_day_entry_without_hours_is_invalid(empty: str) -> None:
    files = v1_entry("X")
    files["entries.xml"] = files["entries.xml"].replace("<hours>X</hours>", empty)
    entry, _sink = planned_entry(files, MapContext())
    assert entry.status == "invalid" and "hours" in (entry.reason or "")


# --- product defects -------------------------------------------------------------------------------


@SETTINGS
@given(hours=NEGATIVE)
@example(hours=Decimal("-1"))
def test_v1_negative_hours_are_never_planned_ok_in_timestamp_mode(hours: Decimal) -> None:
    entry, _sink = planned_entry(v1_entry(str(hours)), TIMESTAMPS)
    assert entry.status == "invalid", (hours, entry.payload)


@SETTINGS
@given(hours=NEGATIVE)
@example(hours=Decimal("-1"))
def test_freshbooks_negative_hours_are_never_planned_ok_in_timestamp_mode(hours: Decimal) -> None:
    entry, _sink = planned_entry(fb_entry(str(hours)), TIMESTAMPS)
    assert entry.status == "invalid", (hours, entry.payload)


@SETTINGS
@given(hours=st.decimals(min_value=Decimal("23.992"), max_value=Decimal("23.999"), places=3))
@example(hours=Decimal("23.999"))
def test_freshbooks_hours_just_under_a_day_keep_their_length(hours: Decimal) -> None:
    entry, _sink = planned_entry(fb_entry(str(hours)), TIMESTAMPS)
    assert entry.status == "ok"
    assert abs(span_hours(entry.payload) - hours) <= Decimal("0.02"), (hours, entry.payload)


@pytest.mark.parametrize("empty", ["<hours/>", "<hours></hours>", "<hours> </hours>"])
def test_a_freshbooks_entry_without_hours_is_not_silently_zero(empty: str) -> None:
    files = fb_entry("X")
    files["time.xml"] = files["time.xml"].replace("<hours>X</hours>", empty)
    entry, sink = planned_entry(files, MapContext())
    assert entry.status == "invalid", entry
    assert "needs either hours or both started_time and ended_time" in (entry.reason or ""), entry.reason
    assert [note for note in sink.lossy_notes if note.source_id == "501"] == []


@pytest.mark.parametrize(
    ("hours", "payload", "note"),
    [
        pytest.param(
            "23.99",
            {"started_time": "12:00am", "ended_time": "11:59pm"},
            ("started_at", "times synthesised from 23.99 h: 12:00am-11:59pm (23.98 h in v2; v1 had no times)"),
            id="just-under-a-day",
        ),
        pytest.param(
            "24", {"hours": Decimal(24)}, ("hours", "24 h do not fit one day as start and end times; sent as hours"),
            id="a-whole-day",
        ),
        pytest.param(
            "30", {"hours": Decimal(30)}, ("hours", "30 h do not fit one day as start and end times; sent as hours"),
            id="more-than-a-day",
        ),
    ],
)  # fmt: skip
def test_v1_hours_that_do_not_fit_a_day_in_timestamp_mode_say_what_v2_gets(
    hours: str, payload: dict[str, object], note: tuple[str, str]
) -> None:
    """Beyond the round trip's 0 ≤ hours < 23.98: the length v2 gets is stated, never silently changed."""
    entry, sink = planned_entry(v1_entry(hours), TIMESTAMPS)
    assert entry.status == "ok"
    assert {key: entry.payload[key] for key in payload} == payload
    assert [(n.field, n.note) for n in sink.lossy_notes if n.kind == "time_entries"] == [note]
