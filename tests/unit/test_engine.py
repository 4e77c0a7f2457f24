"""The engine on the default rules, cell by cell, with no server and no database.

| state       | start(date)                      | end(date)                                              |
| not_started | -> started; start = date         | reject end_without_start                               |
| started     | stays started; start overwritten | -> ended; end = date; date < start: end_before_start   |
| ended       | reject restart_after_end         | stays ended; end overwritten; date < start: end_before_start |
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.engine import RulesEngine
from app.domain.guards import Facts
from app.domain.rules import load_rulebook
from app.domain.timeline import ComponentTimeline

ROOT = Path(__file__).resolve().parents[2]
ENGINE = RulesEngine(load_rulebook(ROOT / "rules"))
COMPONENTS = ["energy_supply", "battery_optimization", "heatpump_optimization"]

MAR_1, MAR_10, MAR_20, APR_1 = date(2024, 3, 1), date(2024, 3, 10), date(2024, 3, 20), date(2024, 4, 1)
NOT_STARTED = ComponentTimeline("not_started")
STARTED = ComponentTimeline("started", MAR_10)
ENDED = ComponentTimeline("ended", MAR_10, MAR_20)

# (id, timeline before, trigger, date, expected code, expected timeline after)
CELLS = [
    ("not_started+start", NOT_STARTED, "start", MAR_10, "accepted", ComponentTimeline("started", MAR_10)),
    ("not_started+end", NOT_STARTED, "end", MAR_10, "end_without_start", NOT_STARTED),
    ("started+start_overwrites_later", STARTED, "start", MAR_20, "accepted", ComponentTimeline("started", MAR_20)),
    ("started+start_overwrites_earlier", STARTED, "start", MAR_1, "accepted", ComponentTimeline("started", MAR_1)),
    ("started+end", STARTED, "end", MAR_20, "accepted", ComponentTimeline("ended", MAR_10, MAR_20)),
    ("started+end_same_day", STARTED, "end", MAR_10, "accepted", ComponentTimeline("ended", MAR_10, MAR_10)),
    ("started+end_before_start", STARTED, "end", MAR_1, "end_before_start", STARTED),
    ("ended+start", ENDED, "start", APR_1, "restart_after_end", ENDED),
    ("ended+start_before_end", ENDED, "start", MAR_1, "restart_after_end", ENDED),
    ("ended+end_overwrites_later", ENDED, "end", APR_1, "accepted", ComponentTimeline("ended", MAR_10, APR_1)),
    ("ended+end_overwrites_earlier", ENDED, "end", MAR_10, "accepted", ComponentTimeline("ended", MAR_10, MAR_10)),
    ("ended+end_before_start", ENDED, "end", MAR_1, "end_before_start", ENDED),
]

MESSAGES = {
    "accepted": "Event processed successfully.",
    "end_without_start": "End event cannot occur without a prior start event.",
    "end_before_start": "End event cannot occur before start event.",
    "restart_after_end": "A terminated component cannot be restarted.",
}


@pytest.mark.parametrize("component", COMPONENTS)
@pytest.mark.parametrize(
    ("before", "trigger", "day", "code", "after"), [cell[1:] for cell in CELLS], ids=[cell[0] for cell in CELLS]
)
def test_cell(
    component: str, before: ComponentTimeline, trigger: str, day: date, code: str, after: ComponentTimeline
) -> None:
    snapshot = before.copy()

    verdict, timeline = ENGINE.apply(component, before, trigger, Facts(day, day, day))

    assert (verdict.accepted, verdict.code, verdict.message) == (code == "accepted", code, MESSAGES[code])
    assert timeline == after
    assert before == snapshot, "the input timeline is never modified"


def test_initial_timeline_is_not_started() -> None:
    assert ENGINE.initial("energy_supply") == ComponentTimeline("not_started", None, None)


@given(st.lists(st.tuples(st.sampled_from(["start", "end"]), st.integers(min_value=0, max_value=30)), max_size=12))
def test_rejections_change_nothing_and_end_never_precedes_start(moves: list[tuple[str, int]]) -> None:
    timeline = ENGINE.initial("energy_supply")
    for trigger, offset in moves:
        verdict, after = ENGINE.apply("energy_supply", timeline, trigger, on(MAR_1 + timedelta(days=offset)))
        if not verdict.accepted:
            assert after == timeline
        if after.start is not None and after.end is not None:
            assert after.start <= after.end
        assert (after.state == "not_started") == (after.start is None)
        timeline = after


def on(day: date) -> Facts:
    """An event dated ``day``, created and received that day (no guard here looks at those)."""
    return Facts(day, day, day)
