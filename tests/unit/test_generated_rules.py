"""Model-based tests generated from the rule tables (see ``app.domain.paths``).

One case per transition row, per guard of a row and per rejection cell, for the default rules
and the ``rules_ev`` fixture; ``conftest.py`` parametrizes ``rules_label`` and ``case``. Each
case replays its setup path from the initial state through the timeline fold, then the event
under test, and compares with what the tables say. Editing a YAML table changes these cases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from app.domain.engine import RulesEngine
from app.domain.fold import EventFacts, fold_contract
from app.domain.paths import Case, Target
from app.domain.rules import Rulebook


def test_generated_case(
    rules_label: str, case: Case, rulebooks: Callable[[str], Rulebook], record_table_hit: Callable[[str, Target], None]
) -> None:
    moves = [*case.path, case.event]
    moments = [case.at + timedelta(seconds=n) for n in range(len(moves))]
    events = [EventFacts(t, day, at, received_at=at) for (t, day), at in zip(moves, moments, strict=True)]

    fold = fold_contract(RulesEngine(rulebooks(rules_label)), [case.component], events)

    setup, verdict = fold.verdicts[:-1], fold.verdicts[-1]
    assert all(v is not None and v.accepted for v in setup), f"setup path was rejected: {setup}"
    assert verdict is not None
    expected = case.expected
    assert (verdict.accepted, verdict.code, verdict.message) == (expected.accepted, expected.code, expected.message)
    timeline = fold.timelines[case.component]
    assert (timeline.state, timeline.start, timeline.end) == (expected.state, expected.start, expected.end)
    assert timeline.others == expected.others
    record_table_hit(rules_label, case.target)
