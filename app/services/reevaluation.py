"""Judging stored contracts again, each event under the rule version chosen for it.

``assess`` only reads: it answers what a catalog of versions (for example the stored one plus a
version about to be published) would do to stored verdicts and timelines. ``reevaluate`` writes
the new verdicts; it is an explicit operation, never something a rule change does by itself
(a backdated ``rules publish`` runs it, logged), and it may run beside a live service: it takes
each contract's lock as a request does (see ``reevaluate``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row

from app.db import amendments, queries
from app.domain.catalog import EngineAt
from app.domain.engine import RulesEngine
from app.domain.fold import chooser
from app.domain.guards import Facts
from app.domain.timeline import ComponentTimeline, Verdict
from app.feed import outbox
from app.feed.changes import Cause, Flip, component_change

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


def assess(
    conn: Connection,
    rules: RulesEngine | EngineAt,
    *,
    examples: int = 10,
    contracts: list[tuple[int, str]] | None = None,
) -> ImpactReport:
    """What re-judging stored contracts (all, or ``contracts``) under ``rules`` would change; reads only."""
    report, engine_at = ImpactReport(), chooser(rules)
    for contract_id, number in queries.contract_ids(conn) if contracts is None else contracts:
        _contract(conn, engine_at, contract_id, number, report, examples=examples, write=False)
    return report


def reevaluate(
    db: Engine,
    rules: RulesEngine | EngineAt,
    *,
    examples: int = 10,
    contracts: list[tuple[int, str]] | None = None,
    label: str = "",
) -> ImpactReport:
    """Re-judge every stored contract under ``engine`` and write the result, beside a live service.

    Each contract gets a transaction of its own from ``db`` (the writer engine: on SQLite it
    begins with BEGIN IMMEDIATE, as the service's writer does) that first takes the lock a
    request takes (``queries.lock_contracts``: SELECT ... FOR UPDATE of the contract's row on
    PostgreSQL), then reads the contract's events, judges them and writes, and commits. A
    request for that contract therefore commits wholly before (and is re-judged here) or wholly
    after (and builds on the re-judged contract). One contract at a time keeps the lock short,
    and a run that stops halfway leaves every contract either re-judged or as it was.

    Contracts created after the run has listed them are not visited: the service judges their
    events under its own tables, which should be the same ones by then.
    """
    report, engine_at = ImpactReport(), chooser(rules)
    listed = contracts
    if listed is None:
        with db.begin() as conn:
            listed = queries.contract_ids(conn)
    for _, number in listed:
        with outbox.transaction(db) as conn:  # the feed's records commit with the new verdicts
            locked = queries.lock_contracts(conn, [number])
            if number in locked:  # deleted meanwhile: nothing to judge
                _contract(conn, engine_at, locked[number], number, report, examples=examples, write=True)
    logger.warning(
        "re-evaluated %d contracts under rules %s: %d verdicts and %d timelines changed",
        report.contracts,
        label or engine_at(datetime.max).version,
        report.verdicts_changed,
        report.timelines_changed,
    )
    return report


def _contract(
    conn: Connection,
    engine_at: EngineAt,
    contract_id: int,
    number: str,
    report: ImpactReport,
    *,
    examples: int,
    write: bool,
) -> None:
    """Judge one contract's stored events again; with ``write``, store the new verdicts and timelines."""
    report.contracts += 1
    stored = {
        r.component: queries.stored_timeline(r.state, r.start_date, r.end_date, r.dates)
        for r in queries.timeline_rows(conn, contract_id)
    }
    by_component: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in queries.contract_events(conn, contract_id):
        by_component[row.component].append(row)
        report.events += 1
    latest = engine_at(datetime.max)
    for component, before in stored.items():
        if latest.component_of(component) is None:
            report.unknown_components.add(component)
            continue
        rows = by_component.get(component, [])
        after, updates = _judge(engine_at, component, rows, number=number, report=report, examples=examples)
        if after != before:
            report.timelines_changed += 1
            if len(report.timeline_examples) < examples:
                report.timeline_examples.append(TimelineChange(number, component, before, after))
        if write:
            flips = [
                Flip(
                    f"ev_{r.id}",
                    Verdict(r.accepted, r.code, r.message),
                    Verdict(u["accepted"], u["code"], u["message"]),
                )
                for r, u in zip(rows, updates, strict=True)
                if (r.accepted, r.code, r.message) != (u["accepted"], u["code"], u["message"])
            ]
            cause = Cause("reevaluation", latest.version)
            change = component_change(number, component, before, after, cause=cause, flips=flips)
            outbox.record(conn, [change] if change else [])
            queries.update_events(conn, updates, changed_at=datetime.now(UTC).replace(tzinfo=None))
            queries.update_components(
                conn,
                [
                    {
                        "b_contract_id": contract_id,
                        "b_component": component,
                        "state": after.state,
                        "start_date": after.start,
                        "end_date": after.end,
                        "dates": queries.dates_json(after),
                        # revoked events are not re-judged but keep their keys: a repeat must find them
                        "last_key": amendments.last_event_key(conn, contract_id, component),
                    }
                ],
            )


def _judge(
    engine_at: EngineAt, component: str, rows: list[Row[Any]], *, number: str, report: ImpactReport, examples: int
) -> tuple[ComponentTimeline, list[dict[str, Any]]]:
    """Every stored event of the component again, in order, each under the version chosen for it."""
    timeline: ComponentTimeline | None = None
    updates = []
    for row in rows:
        engine = engine_at(row.created_at)
        if timeline is None:
            timeline = engine.initial(engine.component_of(component) or component)
        verdict, timeline = engine.judge(
            component, timeline, row.type, Facts.of(row.day, row.created_at, row.received_at)
        )
        if verdict.code != row.code:
            report.verdicts_changed += 1
            if len(report.verdict_examples) < examples:
                report.verdict_examples.append(
                    VerdictChange(number, row.type, row.day, row.created_at, row.code, verdict.code)
                )
        updates.append(_update(row, verdict, timeline, engine.version))
    if timeline is None:
        latest = engine_at(datetime.max)
        timeline = latest.initial(latest.component_of(component) or component)
    return timeline, updates


def _update(row: Row[Any], verdict: Verdict, after: ComponentTimeline, version: str) -> dict[str, Any]:
    return queries.event_update(row.id, Verdict(row.accepted, row.code, row.message), verdict, after, version)
