"""Judging stored contracts again under (possibly new) rule tables.

``assess`` only reads: it answers what a rule change would do to stored verdicts and
timelines. ``reevaluate`` writes the new verdicts; it is an explicit operation, never
something a rule change does by itself.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row

from app.db import queries
from app.domain.engine import RulesEngine
from app.domain.errors import unsupported_event_type
from app.domain.fold import replay
from app.domain.timeline import ComponentTimeline, Verdict

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VerdictChange:
    contract_number: str
    type: str
    date: date
    created_at: datetime
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class TimelineChange:
    contract_number: str
    component: str
    before: ComponentTimeline
    after: ComponentTimeline


@dataclass
class ImpactReport:
    contracts: int = 0
    events: int = 0
    verdicts_changed: int = 0
    timelines_changed: int = 0
    verdict_examples: list[VerdictChange] = field(default_factory=list)
    timeline_examples: list[TimelineChange] = field(default_factory=list)
    unknown_components: set[str] = field(default_factory=set)
    """Components stored contracts hold that the tables no longer define; left untouched."""


def assess(conn: Connection, engine: RulesEngine, *, examples: int = 10) -> ImpactReport:
    return _run(conn, engine, examples=examples, write=False)


def reevaluate(conn: Connection, engine: RulesEngine, *, examples: int = 10) -> ImpactReport:
    report = _run(conn, engine, examples=examples, write=True)
    logger.warning(
        "re-evaluated %d contracts under rules %s: %d verdicts and %d timelines changed",
        report.contracts,
        engine.rulebook.version,
        report.verdicts_changed,
        report.timelines_changed,
    )
    return report


def _run(conn: Connection, engine: RulesEngine, *, examples: int, write: bool) -> ImpactReport:
    report = ImpactReport()
    for contract_id, number in queries.contract_ids(conn):
        report.contracts += 1
        stored = {
            r.component: ComponentTimeline(r.state, r.start_date, r.end_date)
            for r in queries.timeline_rows(conn, contract_id)
        }
        by_component: dict[str, list[Row[Any]]] = defaultdict(list)
        for row in queries.contract_events(conn, contract_id):
            by_component[row.component].append(row)
            report.events += 1
        for component, before in stored.items():
            if component not in engine.rulebook.components:
                report.unknown_components.add(component)
                continue
            after, updates = _judge(
                engine, component, by_component.get(component, []), number=number, report=report, examples=examples
            )
            if after != before:
                report.timelines_changed += 1
                if len(report.timeline_examples) < examples:
                    report.timeline_examples.append(TimelineChange(number, component, before, after))
            if write:
                queries.update_events(conn, updates)
                queries.update_components(
                    conn,
                    [
                        {
                            "b_contract_id": contract_id,
                            "b_component": component,
                            "state": after.state,
                            "start_date": after.start,
                            "end_date": after.end,
                            "last_key": by_component[component][-1].sort_key if by_component.get(component) else None,
                        }
                    ],
                )
    return report


def _judge(
    engine: RulesEngine, component: str, rows: list[Row[Any]], *, number: str, report: ImpactReport, examples: int
) -> tuple[ComponentTimeline, list[dict[str, Any]]]:
    rulebook = engine.rulebook
    timeline, updates = engine.initial(component), []
    for row in rows:
        event_type = rulebook.event_types.get(row.type)
        if event_type is None or event_type.component != component:
            verdict = unsupported_event_type(row.type, rulebook.event_types)
        else:
            [step] = replay(engine, component, timeline, [(event_type.trigger, row.day)])
            verdict, timeline = step.verdict, step.after
        if verdict.code != row.code:
            report.verdicts_changed += 1
            if len(report.verdict_examples) < examples:
                report.verdict_examples.append(
                    VerdictChange(number, row.type, row.day, row.created_at, row.code, verdict.code)
                )
        updates.append(_update(row, verdict, timeline, rulebook.version))
    return timeline, updates


def _update(row: Row[Any], verdict: Verdict, after: ComponentTimeline, version: str) -> dict[str, Any]:
    return {
        "b_id": row.id,
        "accepted": verdict.accepted,
        "code": verdict.code,
        "message": verdict.message,
        "rules_version": version,
        "state_after": after.state,
        "start_after": after.start,
        "end_after": after.end,
    }
