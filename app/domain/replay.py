"""The one replay loop: new events merged into a component's stored history, in key order.

Given the timeline just before the earliest new event, the new events and the stored events
from that point on (both in ordering-key order), it judges each new event and re-judges each
stored one, each under the rule version in force at its own ``created_at`` (``engine_at``), and
says which stored outcomes changed. It stops reading stored events as soon as every new event
has been applied, the recomputed timeline equals the timeline stored just before the next
stored event, and that event was stored under the version that judges it now: an engine is a
function of (timeline, event), so from there on every stored outcome is what re-judging would
give, and the stored projection stands. That bound is what keeps a late event that changes
nothing cheap, whatever the history length. An event stored under another version than the
one in force for it is re-judged, and counts as unchanged only if its verdict and timeline are.

A ``limit`` bounds the work: the loop raises ``RejudgeLimitReached`` before it would judge
more than ``limit`` stored events, having judged no more than that, so a caller can refuse a
request whose cost would grow with the history behind it (the worst case, where every later
verdict flips, can never stop early).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, NamedTuple, TypeVar

from app.domain.catalog import EngineAt
from app.domain.engine import RulesEngine
from app.domain.guards import Facts
from app.domain.timeline import ComponentTimeline, Verdict

Ref = TypeVar("Ref")

MAX_REJUDGE = 500
"""The default limit on stored events one write may judge again (setting ``MAX_REJUDGE``): a
late event flipping a longer tail would hold the writer, and every other client, for as long
as rewriting it takes; refused, it costs no more than the limit."""


class Move(NamedTuple):
    """An event to apply: its ordering key, its type, its date and when it was created and received.

    This and the other values a replay makes for every event it judges (``Recorded``,
    ``Outcome``) are named tuples: as immutable as a frozen dataclass, and several times cheaper
    to make (a frozen dataclass sets each field through ``object.__setattr__``)."""

    key: str
    type: str
    day: date
    created_at: datetime
    received_at: datetime

    def facts(self) -> Facts:
        return Facts.of(self.day, self.created_at, self.received_at)


class Recorded(NamedTuple, Generic[Ref]):
    """A stored event with the outcome stored for it; ``ref`` is the caller's handle on the row."""

    move: Move
    verdict: Verdict
    after: ComponentTimeline
    version: str
    """The rule version that judged it."""
    ref: Ref


class RejudgeLimitReached(Exception):
    """Replaying would judge more than ``limit`` stored events again."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} stored events to judge again")
        self.limit = limit


class Outcome(NamedTuple):
    verdict: Verdict
    after: ComponentTimeline
    version: str


@dataclass(slots=True)
class ComponentReplay(Generic[Ref]):
    new: list[Outcome] = field(default_factory=list)
    """One outcome per new move, in the order the moves were given."""
    rewritten: list[tuple[Recorded[Ref], Outcome]] = field(default_factory=list)
    """Stored events whose verdict, timeline after them or judging version differ from what is
    stored, in key order."""
    rejudged: int = 0
    """How many stored events were judged again."""
    final: ComponentTimeline | None = None
    """The component's timeline after everything; ``None`` when the stored one stands."""


def replay_component(
    engine_at: EngineAt,
    component: str,
    before: ComponentTimeline,
    new: Sequence[Move],
    stored: Iterable[Recorded[Ref]],
    *,
    stored_before: ComponentTimeline | None = None,
    limit: int | None = None,
) -> ComponentReplay[Ref]:
    """Merge ``new`` (sorted by key, keys distinct from stored ones) into ``stored`` (sorted).

    ``stored_before`` is the timeline stored just before the first of ``stored``, when it is not
    ``before``: a revocation replays from the timeline before the revoked event (``before``),
    while the stored events after it were judged from the timeline after it. ``limit`` (when
    given) is the most stored events it may judge again (``RejudgeLimitReached``)."""
    result: ComponentReplay[Ref] = ComponentReplay()
    timeline, pending = before, 0
    stored_before = before if stored_before is None else stored_before
    for record in stored:
        while pending < len(new) and new[pending].key < record.move.key:
            timeline = _apply_new(engine_at, component, timeline, new[pending], result)
            pending += 1
        engine = engine_at(record.move.created_at)
        if pending == len(new) and timeline == stored_before and record.version == engine.version:
            return result
        if limit is not None and result.rejudged >= limit:
            raise RejudgeLimitReached(limit)
        verdict, timeline = _judge(engine, component, timeline, record.move)
        result.rejudged += 1
        if verdict != record.verdict or timeline != record.after or engine.version != record.version:
            result.rewritten.append((record, Outcome(verdict, timeline, engine.version)))
        stored_before = record.after
    for move in new[pending:]:
        timeline = _apply_new(engine_at, component, timeline, move, result)
    result.final = timeline
    return result


def _judge(
    engine: RulesEngine, component: str, timeline: ComponentTimeline, move: Move
) -> tuple[Verdict, ComponentTimeline]:
    return engine.judge(component, timeline, move.type, move.facts())


def _apply_new(
    engine_at: EngineAt, component: str, timeline: ComponentTimeline, move: Move, result: ComponentReplay[Ref]
) -> ComponentTimeline:
    engine = engine_at(move.created_at)
    verdict, after = _judge(engine, component, timeline, move)
    result.new.append(Outcome(verdict, after, engine.version))
    return after
