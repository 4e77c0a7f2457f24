"""The one replay loop: new events merged into a component's stored history, in key order.

Given the timeline just before the earliest new event, the new events and the stored events
from that point on (both in ordering-key order), it judges each new event and re-judges each
stored one, and says which stored outcomes changed. It stops reading stored events as soon as
every new event has been applied and the recomputed timeline equals the timeline stored just
before the next stored event: the engine is a function of (timeline, trigger, date), so from
there on every stored outcome is what re-judging would give, and the stored projection stands.
That bound is what keeps a late event that changes nothing cheap, whatever the history length.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from app.domain.engine import RulesEngine
from app.domain.timeline import ComponentTimeline, Verdict

Ref = TypeVar("Ref")


@dataclass(frozen=True, slots=True)
class Move:
    """An event to apply: its ordering key, its lifecycle trigger and its date."""

    key: str
    trigger: str
    day: date


@dataclass(frozen=True, slots=True)
class Recorded(Generic[Ref]):
    """A stored event with the outcome stored for it; ``ref`` is the caller's handle on the row."""

    move: Move
    verdict: Verdict
    after: ComponentTimeline
    ref: Ref


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    after: ComponentTimeline


@dataclass(slots=True)
class ComponentReplay(Generic[Ref]):
    new: list[Outcome] = field(default_factory=list)
    """One outcome per new move, in the order the moves were given."""
    rewritten: list[tuple[Recorded[Ref], Outcome]] = field(default_factory=list)
    """Stored events whose verdict or timeline after them differ from what is stored, in key order."""
    rejudged: int = 0
    """How many stored events were judged again."""
    final: ComponentTimeline | None = None
    """The component's timeline after everything; ``None`` when the stored one stands."""


def replay_component(
    engine: RulesEngine,
    component: str,
    before: ComponentTimeline,
    new: Sequence[Move],
    stored: Iterable[Recorded[Ref]],
    *,
    stored_before: ComponentTimeline | None = None,
) -> ComponentReplay[Ref]:
    """Merge ``new`` (sorted by key, keys distinct from stored ones) into ``stored`` (sorted).

    ``stored_before`` is the timeline stored just before the first of ``stored``, when it is not
    ``before``: a revocation replays from the timeline before the revoked event (``before``),
    while the stored events after it were judged from the timeline after it."""
    result: ComponentReplay[Ref] = ComponentReplay()
    timeline, pending = before, 0
    stored_before = before if stored_before is None else stored_before
    for record in stored:
        while pending < len(new) and new[pending].key < record.move.key:
            timeline = _apply_new(engine, component, timeline, new[pending], result)
            pending += 1
        if pending == len(new) and timeline == stored_before:
            return result
        verdict, timeline = engine.apply(component, timeline, record.move.trigger, record.move.day)
        result.rejudged += 1
        if verdict != record.verdict or timeline != record.after:
            result.rewritten.append((record, Outcome(verdict, timeline)))
        stored_before = record.after
    for move in new[pending:]:
        timeline = _apply_new(engine, component, timeline, move, result)
    result.final = timeline
    return result


def _apply_new(
    engine: RulesEngine, component: str, timeline: ComponentTimeline, move: Move, result: ComponentReplay[Ref]
) -> ComponentTimeline:
    verdict, after = engine.apply(component, timeline, move.trigger, move.day)
    result.new.append(Outcome(verdict, after))
    return after
