"""The replay loop against the full fold: merging new events into a stored history, stopping early
or not, must leave exactly the verdicts and timelines of folding everything from the start."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.engine import RulesEngine
from app.domain.fold import chooser
from app.domain.replay import Move, Recorded, RejudgeLimitReached, replay_component
from app.domain.rules import load_rulebook
from tests.conftest import RULES

ENGINE = RulesEngine(load_rulebook(RULES))
ENGINE_AT = chooser(ENGINE)
COMPONENT = "energy_supply"
DAY0 = date(2024, 1, 1)

moves_strategy = st.lists(
    st.tuples(st.sampled_from(["start", "end"]), st.integers(0, 40)), min_size=0, max_size=30, unique_by=lambda m: m
)


TYPES = {"start": "supply_energy_start", "end": "supply_energy_end"}
AT = datetime(2024, 1, 1)


def mv(key: str, trigger: str, day: date) -> Move:
    return Move(key, TYPES[trigger], day, AT, AT)


def _moves(raw: list[tuple[str, int]], offset: int) -> list[Move]:
    return [mv(f"{offset + 2 * i:05d}", trigger, DAY0 + timedelta(days=day)) for i, (trigger, day) in enumerate(raw)]


def _fold(moves: list[Move]) -> list[Recorded[int]]:
    timeline, out = ENGINE.initial(COMPONENT), []
    for position, m in enumerate(moves):
        verdict, timeline = ENGINE.judge(COMPONENT, timeline, m.type, m.facts())
        out.append(Recorded(m, verdict, timeline, ENGINE.version, position))
    return out


@given(stored_raw=moves_strategy, new_raw=moves_strategy, shift=st.integers(0, 60))
def test_replay_equals_folding_everything_again(
    stored_raw: list[tuple[str, int]], new_raw: list[tuple[str, int]], shift: int
) -> None:
    stored = _fold(_moves(stored_raw, 0))  # even keys
    new = [
        mv(f"{int(m.key) + 1 + 2 * shift:05d}", "start" if m.type.endswith("start") else "end", m.day)
        for m in _moves(new_raw, 0)
    ]  # odd keys
    first = new[0].key if new else "99999"
    before = ENGINE.initial(COMPONENT)
    for record in stored:
        if record.move.key < first:
            before = record.after
    tail = [r for r in stored if r.move.key > first]
    result = replay_component(ENGINE_AT, COMPONENT, before, new, iter(tail))

    expected = {r.move.key: r for r in _fold(sorted([r.move for r in stored] + new, key=lambda m: m.key))}
    for move, outcome in zip(new, result.new, strict=True):
        assert (outcome.verdict, outcome.after) == (expected[move.key].verdict, expected[move.key].after)
    rewritten = {record.move.key: outcome for record, outcome in result.rewritten}
    for record in tail:
        now = rewritten.get(record.move.key)
        verdict, after = (now.verdict, now.after) if now else (record.verdict, record.after)
        assert (verdict, after) == (expected[record.move.key].verdict, expected[record.move.key].after)
        if now is not None:
            assert (now.verdict, now.after) != (record.verdict, record.after), "only real changes are rewritten"
    final = result.final if result.final is not None else (stored[-1].after if stored else before)
    assert final == (expected[max(expected)].after if expected else before)


def test_a_late_event_that_changes_nothing_stops_after_one_stored_event() -> None:
    """A late end overwritten by the next stored end leaves the timeline as stored: nothing further is read."""
    stored = _fold(
        [mv("00000", "start", DAY0)] + [mv(f"{k:05d}", "end", DAY0 + timedelta(days=k)) for k in range(2, 2000, 2)]
    )
    late = [mv("00001", "end", DAY0 + timedelta(days=3))]
    consumed = 0

    def tail() -> Iterator[Recorded[int]]:
        nonlocal consumed
        for record in stored[1:]:
            consumed += 1
            yield record

    result = replay_component(ENGINE_AT, COMPONENT, stored[0].after, late, tail())
    assert result.new[0].verdict.accepted
    assert (result.final, result.rejudged, result.rewritten) == (None, 1, [])
    assert consumed == 2


def _start_then_ends(ends: int) -> list[Recorded[int]]:
    """A start, then ``ends`` ends on one later day: every end after the first is a rejection."""
    return _fold(
        [mv("00000", "start", DAY0)]
        + [mv(f"{k:05d}", "end", DAY0 + timedelta(days=9)) for k in range(2, 2 * ends + 1, 2)]
    )


def test_the_limit_refuses_a_replay_before_it_judges_more_than_the_limit() -> None:
    """A late start after every end flips the whole tail; with a limit one short of it, the loop
    stops having judged exactly the limit, and never reads further."""
    stored = _start_then_ends(50)
    late = [mv("00001", "start", DAY0 + timedelta(days=20))]
    consumed = 0

    def tail() -> Iterator[Recorded[int]]:
        nonlocal consumed
        for record in stored[1:]:
            consumed += 1
            yield record

    with pytest.raises(RejudgeLimitReached) as raised:
        replay_component(ENGINE_AT, COMPONENT, stored[0].after, late, tail(), limit=49)
    assert raised.value.limit == 49
    assert consumed == 50, "the 50th stored event is read but never judged"


def test_a_replay_of_exactly_the_limit_goes_through() -> None:
    stored = _start_then_ends(50)
    late = [mv("00001", "start", DAY0 + timedelta(days=20))]
    result = replay_component(ENGINE_AT, COMPONENT, stored[0].after, late, iter(stored[1:]), limit=50)
    assert result.rejudged == 50
    assert [outcome.verdict.code for _, outcome in result.rewritten][:2] == ["end_before_start", "end_before_start"]


def test_the_limit_does_not_count_what_the_early_stop_skips() -> None:
    """A late event that changes nothing stops at the first stored event, whatever the tail and a limit of 1."""
    stored = _start_then_ends(500)
    late = [mv("00001", "start", DAY0)]
    result = replay_component(ENGINE_AT, COMPONENT, stored[0].after, late, iter(stored[1:]), limit=1)
    assert result.rejudged <= 1
    assert result.rewritten == []
