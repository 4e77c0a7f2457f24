"""Seeding: contracts straight into the database before the service starts, events through its API."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.perf.servers import ROOT

ALL_COMPONENTS = ["energy_supply", "battery_optimization", "heatpump_optimization"]
START_TYPES = ["supply_energy_start", "battery_optimization_start", "heatpump_optimization_start"]
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
TIMEOUT_S = 300.0


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event(kind: str, number: str, day: str, created_at: datetime) -> dict[str, Any]:
    return {"type": kind, "contract_number": number, "date": day, "created_at": iso(created_at)}


def create_contracts(database_url: str, numbers: Sequence[str], components: Sequence[str] = ALL_COMPONENTS) -> float:
    """Create contracts straight into the database with the service's own use case, in one
    transaction, before the service starts; returns the seconds it took.

    Through the API this is far slower, and the client, not the service, sets the pace."""
    from app.db.engines import create_engines
    from app.domain.engine import RulesEngine
    from app.domain.rules import load_rulebook
    from app.services.contracts import create_contract

    started = time.perf_counter()
    engine = RulesEngine(load_rulebook(ROOT / "rules"))
    engines = create_engines(database_url)
    created_at = EPOCH.replace(tzinfo=None)
    try:
        with engines.writer.begin() as conn:
            for number in numbers:
                create_contract(conn, engine=engine, number=number, components=components, created_at=created_at)
    finally:
        engines.dispose()
    return time.perf_counter() - started


def post_events(client: httpx.Client, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST /events; raise unless every event was accepted."""
    response = client.post("/events", json=events, timeout=TIMEOUT_S)
    if response.status_code != 200:
        raise RuntimeError(f"POST /events: {response.status_code} {response.text[:500]}")
    results: list[dict[str, Any]] = response.json()["results"]
    rejected = [r for r in results if r["status"] != "accepted"]
    if rejected:
        raise RuntimeError(f"POST /events: {len(rejected)} of {len(results)} not accepted, e.g. {rejected[0]}")
    return results


def in_order_starts(prefix: str, contracts: int, per_contract: int, first: datetime) -> list[dict[str, Any]]:
    """``contracts * per_contract`` start events, each contract's in increasing ``created_at``."""
    return [
        event(
            START_TYPES[round_ % 3],
            f"{prefix}{i}",
            "2024-03-03",
            first + timedelta(milliseconds=round_ * contracts + i),
        )
        for round_ in range(per_contract)
        for i in range(contracts)
    ]


def publish_rule_versions(database_url: str, count: int) -> None:
    """Publish ``count - 1`` older variants of the default tables and then the default tables
    themselves, all effective in the past, so that the service starts with ``count`` versions
    and judges every event through the catalog's choice among them."""
    import json
    from datetime import datetime

    from app.db import queries
    from app.db.engines import create_engines
    from app.domain.catalog import BEGINNING
    from app.domain.rules import load_rulebook
    from app.domain.rules.loader import content_hash

    current = load_rulebook(ROOT / "rules").content
    contents = []
    for k in range(1, count):
        variant = json.loads(json.dumps(current))
        variant["messages"]["end_before_start"] += f" (version {k})"
        contents.append(variant)
    contents.append(current)
    engines = create_engines(database_url)
    try:
        with engines.writer.begin() as conn:
            for k, content in enumerate(contents):
                effective = BEGINNING if k == 0 else datetime(2000 + k, 1, 1)
                queries.insert_rule_version(
                    conn,
                    hash=content_hash(content),
                    content=json.dumps(content),
                    effective_from=effective,
                    published_at=effective,
                )
    finally:
        engines.dispose()
