"""The log as known at an instant, folded: what the service answered then, computed again.

The stored projection always equals the fold of the events that count, judged in key order by
the one replay loop (domain/replay.py). The log as known at T (the events and revocations
committed by then, on the components the contract held then) folds the same way, so the
timeline and verdicts the service stored at T come back without keeping every past state.
Rules do not change yet; the engine is a parameter so that rule versions can choose it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from app.domain.engine import RulesEngine
from app.domain.replay import ComponentReplay, Move, Outcome, replay_component
from app.domain.timeline import ComponentTimeline


def fold_known(
    engine: RulesEngine, components: Sequence[str], events: Sequence[tuple[str, Move]]
) -> tuple[dict[str, ComponentTimeline], list[Outcome | None]]:
    """Timelines of ``components`` after ``events`` ((component, move) pairs in key order), and
    each event's outcome; ``None`` for an event on a component not held."""
    by_component: dict[str, list[int]] = defaultdict(list)
    for index, (component, _) in enumerate(events):
        by_component[component].append(index)
    outcomes: list[Outcome | None] = [None] * len(events)
    timelines: dict[str, ComponentTimeline] = {}
    for component in components:
        indexes = by_component.get(component, [])
        moves = [events[i][1] for i in indexes]
        result: ComponentReplay[None] = replay_component(engine, component, engine.initial(component), moves, ())
        for index, outcome in zip(indexes, result.new, strict=True):
            outcomes[index] = outcome
        timelines[component] = result.final or engine.initial(component)
    return timelines, outcomes
