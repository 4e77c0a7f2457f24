"""Events for end-to-end runs: distinct facts, redeliveries, shuffled arrival and requests.

Each fact is one distinct event of one contract, identified by ``(type, date, created_at)``.
``created_at`` values are drawn from a small range, so arrival order is unrelated to the
order in which events apply (late events) and some events share a ``created_at``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from app.domain.engine import RulesEngine
from app.domain.fold import ContractFold, EventFacts, fold_contract
from app.domain.rules import load_rulebook
from tests.conftest import ALL_COMPONENTS, RULES

ENGINE = RulesEngine(load_rulebook(RULES))
TYPES = sorted(ENGINE.rulebook.event_types)
BASE_DAY, BASE_TIME = date(2024, 1, 1), datetime(2024, 1, 1)
EventKey = tuple[str, date, datetime]


@dataclass(frozen=True, slots=True)
class Fact:
    number: str
    type: str
    day: date
    created_at: datetime
    event_id: str | None

    @property
    def key(self) -> EventKey:
        return (self.type, self.day, self.created_at)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "contract_number": self.number,
            "date": self.day.isoformat(),
            "created_at": self.created_at.isoformat(),
        }
        if self.event_id is not None:
            body["event_id"] = self.event_id
        return body


def make_facts(rng: random.Random, numbers: Sequence[str], per_contract: int) -> list[Fact]:
    """``per_contract`` distinct events for each contract; about half carry a client event id."""
    facts: list[Fact] = []
    for number in numbers:
        seen: set[EventKey] = set()
        for _ in range(per_contract * 10):
            if len(seen) == per_contract:
                break
            fact = Fact(
                number,
                rng.choice(TYPES),
                BASE_DAY + timedelta(days=rng.randrange(90)),
                BASE_TIME + timedelta(minutes=rng.randrange(per_contract * 2)),
                f"{number}-{len(seen)}" if rng.random() < 0.5 else None,
            )
            if fact.key not in seen:
                seen.add(fact.key)
                facts.append(fact)
    return facts


def deliveries(rng: random.Random, facts: Sequence[Fact], redelivered_share: float) -> list[Fact]:
    """Every fact once, a share of them again, all in one shuffled (interleaved) order."""
    sent = [*facts, *rng.sample(list(facts), round(len(facts) * redelivered_share))]
    rng.shuffle(sent)
    return sent


def requests_of(rng: random.Random, sent: Sequence[Fact], max_batch: int) -> list[list[Fact]]:
    """Cut deliveries into requests: half single events (POST /event), half batches (POST /events)."""
    requests, at = [], 0
    while at < len(sent):
        size = 1 if rng.random() < 0.5 else rng.randint(2, max_batch)
        requests.append(list(sent[at : at + size]))
        at += size
    return requests


def fold_of(keys: Sequence[EventKey]) -> ContractFold:
    """The ``created_at``-ordered fold of a contract's distinct events (all components)."""
    return fold_contract(ENGINE, ALL_COMPONENTS, [EventFacts(t, d, c) for t, d, c in keys])
