"""Event requests that share one writer group (and so one ``PendingEvents``) answer and store
exactly what the same requests give one group each: redeliveries, conflicting ``event_id``s,
repeated keys and late events that read rows the group still holds, and a revocation (a write
of another kind) in the middle of the group."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection

from app.api.responses import event_body
from app.db.engines import create_engines
from app.db.writer import Writer
from app.domain.engine import RulesEngine
from app.domain.errors import DomainError
from app.domain.fold import chooser
from app.domain.rules import load_rulebook
from app.feed.outbox import FeedHooks
from app.services.commands import EventCommand
from app.services.event_log import record_events
from app.services.revocation import RevokeTarget, revoke
from app.settings import Settings
from tests.conftest import RULES, make_contract

T0 = datetime(2024, 1, 1)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def command(kind: str, number: str, day: str, hours: int, event_id: str | None = None) -> EventCommand:
    return EventCommand(kind, number, date.fromisoformat(day), at(hours), at(100), event_id)


def requests(number: str) -> list[tuple[Callable[[Connection], Any], bool]]:
    """(work, buffered) in queue order: event requests, and one revocation among them."""
    rules = chooser(RulesEngine(load_rulebook(RULES)))

    def events(*commands: EventCommand) -> tuple[Callable[[Connection], Any], bool]:
        return partial(record_events, commands=list(commands), rules=rules, batch=True), True

    revocation = RevokeTarget(number, event_id="b1", received_at=at(100))
    return [
        events(command("supply_energy_start", number, "2024-01-10", 10, "s1")),
        events(command("supply_energy_start", number, "2024-01-10", 10, "s1")),  # redelivery
        events(command("supply_energy_end", number, "2024-01-05", 11, "e1")),  # end before start
        events(command("supply_energy_end", number, "2024-02-01", 11, "e1")),  # event_id reused: refused
        events(command("battery_optimization_start", number, "2024-01-02", 12, "b1")),
        (partial(revoke, target=revocation, engine=rules), False),  # must read the event the group holds
        events(command("battery_optimization_start", number, "2024-01-02", 12)),  # the revoked event's key
        events(command("supply_energy_start", number, "2024-01-01", 5)),  # late: replays rows the group holds
        events(command("supply_energy_end", number, "2024-03-01", 13), command("unknown", number, "2024-01-01", 14)),
        events(command("heatpump_optimization_start", number, "2024-01-03", 15)),  # not on the contract
        events(command("supply_energy_end", number, "2024-02-15", 9)),  # late again, after the revocation
        events(command("supply_energy_start", "missing", "2024-01-01", 1)),
    ]


def run(settings: Settings, number: str, *, one_group: bool) -> list[Any]:
    """Answers of ``requests(number)``: all queued before the writer starts (one group), or one at a time."""
    engines = create_engines(settings.database_url)
    writer = Writer(engines.writer, hooks=FeedHooks(lambda head: None))
    queued = requests(number)

    async def scenario() -> list[Any]:
        if one_group:
            tasks = [asyncio.ensure_future(writer.run(w, locks={number}, buffered=b)) for w, b in queued]
            await asyncio.sleep(0)
            writer.start()
            return list(await asyncio.gather(*tasks, return_exceptions=True))
        writer.start()
        one_by_one: list[Any] = []
        for w, b in queued:
            one_by_one += await asyncio.gather(writer.run(w, locks={number}, buffered=b), return_exceptions=True)
        return one_by_one

    try:
        answers = asyncio.run(scenario())
        assert writer.commits == (1 if one_group else len(queued))
    finally:
        writer.stop()
        engines.dispose()
    return answers


def shown(answer: Any) -> Any:
    if isinstance(answer, DomainError):
        return (type(answer).__name__, answer.code)
    if isinstance(answer, list):
        return [event_body(outcome) for outcome in answer]
    return {"revoked": answer.event, "duplicate": answer.duplicate, "change": answer.change}


def normalised(data: Any, number: str) -> str:
    """``data`` as text, its contract number as N and each row id as its rank among those it names."""
    text = repr(data).replace(f"'{number}'", "'N'")
    for prefix in ("ev_", "rv_"):
        ids = sorted({int(n) for n in re.findall(prefix + r"(\d+)", text)})
        ranks = {f"{prefix}{n}": f"{prefix}#{rank}" for rank, n in enumerate(ids)}
        text = re.sub(prefix + r"\d+", partial(_rank, ranks), text)
    return text


def _rank(ranks: dict[str, str], match: re.Match[str]) -> str:
    return ranks[match.group(0)]


SAME_IN_BOTH = ("type", "component", "date", "created_at", "event_id", "code", "revoked", "state_after", "id")


def test_one_group_answers_and_stores_what_one_group_per_request_does(settings: Settings, client: TestClient) -> None:
    for number in ("serial", "grouped"):
        make_contract(client, number, ["energy_supply", "battery_optimization"])
    serial = normalised([shown(a) for a in run(settings, "serial", one_group=False)], "serial")
    grouped = normalised([shown(a) for a in run(settings, "grouped", one_group=True)], "grouped")
    assert grouped == serial
    assert "('Conflict', 'event_id_conflict')" in serial
    assert serial.count("'duplicate': True") == 2
    logs, feeds, timelines = {}, {}, {}
    feed = client.get("/changes?limit=1000").json()["changes"]
    for number in ("serial", "grouped"):
        log = client.get(f"/{number}/events?limit=1000").json()["events"]
        logs[number] = normalised([{k: e[k] for k in SAME_IN_BOTH} for e in log], number)
        records = [
            (r["component"], r["kind"], r["before"], r["after"], r["cause"], r["verdicts"])
            for r in feed
            if r["contract_number"] == number and r["component"] is not None
        ]
        feeds[number] = normalised(records, number)
        timelines[number] = client.get(f"/{number}/contract_timeline").json()["components"]
    assert logs["grouped"] == logs["serial"]
    assert feeds["grouped"] == feeds["serial"]
    assert timelines["grouped"] == timelines["serial"]
