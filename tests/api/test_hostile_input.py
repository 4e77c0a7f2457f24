"""Issue 8 §3, table-driven: every hostile input gets a 4xx envelope and changes nothing stored.

Each case runs against a contract with history (one accepted and one rejected event), on SQLite,
or on PostgreSQL when ``TEST_DATABASE_URL`` names one. The database is compared row by row, every
table, before and after, and so are the contract's API reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from app.api.schemas import PRINTABLE_PATTERN
from app.db.engines import normalise_url
from app.db.tables import Base
from app.main import create_app
from app.settings import Settings
from tests.conftest import ALL_COMPONENTS, make_contract

JSON = {"Content-Type": "application/json"}
START = {"type": "battery_optimization_start", "contract_number": "1234", "date": "2024-03-03"}
CONTRACT = {"contract_number": "5678", "components": ["energy_supply"]}
EARLY, LATE = "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"
CONTROLS = {"NUL": "\x00", "ESC": "\x1b", "DEL": "\x7f", "C1 NEL": "\x85", "lone surrogate": "\ud800"}
RESERVED = [
    *("contract", "contracts", "event", "events", "rules", "health", "ready", "metrics", "docs", "redoc"),
    *("openapi.json", "changes", "webhooks", "ui", "static", "Events", ".", ".."),
]


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    body: Any
    status: int
    code: str
    says: str = ""  # a fragment the message must contain


def event(**fields: Any) -> dict[str, Any]:
    return {**START, **fields}


def batch(index: int, **fields: Any) -> list[dict[str, Any]]:
    """Four good events with the fields of item ``index`` replaced."""
    items = [event(date=f"2024-03-0{n + 1}", created_at=f"2024-03-03T10:00:0{n}Z") for n in range(4)]
    items[index] = {**items[index], **fields}
    return items


def cases() -> Iterator[Case]:
    bad = "invalid_payload"
    for value in (20240303, "20240303", 1709460000.5, "1709460000", True, "2024-03-03"):
        yield Case(f"created_at={value!r}/event", "POST", "/event", event(created_at=value), 422, bad, "created_at")
        yield Case(f"created_at={value!r}/contract", "POST", "/contract/", {**CONTRACT, "created_at": value}, 422, bad)
    yield Case("created_at numeric/batch", "POST", "/events", batch(1, created_at="20240303"), 422, bad, "events[1]")
    for value in (EARLY, LATE):
        yield Case(f"{value}/event", "POST", "/event", event(created_at=value), 422, bad, "outside years")
        yield Case(f"{value}/event dry run", "POST", "/event?dry_run=true", event(created_at=value), 422, bad)
        yield Case(f"{value}/batch", "POST", "/events", batch(2, created_at=value), 422, bad, "events[2].created_at")
        yield Case(f"{value}/contract", "POST", "/contract/", {**CONTRACT, "created_at": value}, 422, bad)
    future = "2999-01-01T00:00:00Z"
    yield Case("future/event", "POST", "/event", event(created_at=future), 422, "created_at_in_future")
    yield Case("future/batch", "POST", "/events", batch(3, created_at=future), 422, "created_at_in_future")
    for name, char in CONTROLS.items():
        yield Case(f"{name}/event type", "POST", "/event", event(type=f"battery{char}"), 422, bad, "control")
        yield Case(f"{name}/event_id", "POST", "/event", event(event_id=f"id{char}"), 422, bad, "event_id")
        yield Case(f"{name}/event number", "POST", "/event", event(contract_number=f"12{char}"), 422, bad)
        yield Case(f"{name}/batch", "POST", "/events", batch(3, event_id=char), 422, bad, "events[3].event_id")
        components = ["energy_supply", f"x{char}"]
        yield Case(f"{name}/component", "POST", "/contract/", {**CONTRACT, "components": components}, 422, bad)
        yield Case(f"{name}/number", "POST", "/contract/", {**CONTRACT, "contract_number": f"9{char}"}, 422, bad)
    for number in RESERVED:
        body = {**CONTRACT, "contract_number": number}
        yield Case(f"reserved {number}", "POST", "/contract/", body, 422, "reserved_contract_number", "reserved")
    yield Case("malformed item/batch", "POST", "/events", batch(3, date="03/03/2024"), 422, bad, "events[3].date")
    yield Case("missing field/batch", "POST", "/events", batch(0, type=None), 422, bad, "events[0].type")


CASES = list(cases())


def stored_rows(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    engine = create_engine(normalise_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {
                table.name: sorted(map(tuple, conn.execute(select(table))), key=repr)
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def api_reads(client: TestClient) -> list[Any]:
    return [client.get(path).json() for path in ("/contract/1234", "/1234/contract_timeline", "/1234/events")]


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    make_contract(client, "1234", ALL_COMPONENTS)
    assert client.post("/event", json=event(created_at="2024-03-03T10:00:00Z")).status_code == 200
    end = {**START, "type": "battery_optimization_end", "date": "2024-01-01", "created_at": "2024-03-03T11:00:00Z"}
    assert client.post("/event", json=end).status_code == 409
    return client


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_and_changes_nothing(seeded: TestClient, database_url: str, case: Case) -> None:
    rows, reads = stored_rows(database_url), api_reads(seeded)
    # json.dumps escapes a lone surrogate as \ud800, as a hostile client would; httpx would refuse it.
    response = seeded.request(case.method, case.path, content=json.dumps(case.body), headers=JSON)
    body = response.json()
    assert (response.status_code, body.get("code")) == (case.status, case.code), response.text
    assert set(body) == {"status", "message", "code"}
    assert body["status"] == "error"
    assert case.says in body["message"]
    assert stored_rows(database_url) == rows
    assert api_reads(seeded) == reads


def test_control_characters_in_a_path_are_refused(seeded: TestClient) -> None:
    for path in ("/contract/12%00", "/12%00/contract_timeline", "/12%C2%85/events"):
        response = seeded.get(path)
        assert response.status_code == 422, path
        assert response.json()["code"] == "invalid_payload"


def test_a_reserved_number_is_derived_from_the_routes(settings: Settings) -> None:
    """A route added to the app reserves its first segment with no list to update."""
    app = create_app(settings)
    app.add_api_route("/brand-new/{x}", lambda x: x)
    with TestClient(app) as client:
        refused = client.post("/contract/", json={**CONTRACT, "contract_number": "brand-new"})
        assert refused.json()["code"] == "reserved_contract_number"
        assert client.post("/contract/", json={**CONTRACT, "contract_number": "brand-old"}).status_code == 201


def _strings(schema: dict[str, Any], components: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if "$ref" in schema:
        yield from _strings(components[schema["$ref"].rsplit("/", 1)[1]], components, where)
    if schema.get("type") == "string":
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _strings(option, components, where)
    for name, sub in schema.get("properties", {}).items():
        yield from _strings(sub, components, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _strings(schema["items"], components, f"{where}[]")


def test_every_request_string_is_documented_without_control_characters(client: TestClient) -> None:
    """Every string a request body or path can carry goes through the checked types: the schema
    says so, and a string field added without them fails here."""
    document = client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            # Query strings are excluded: the paging cursor is opaque and checked by its decoder.
            sources = [(p["name"], p["schema"]) for p in operation.get("parameters", []) if p["in"] == "path"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            sources += [("body", body["schema"])] if body else []
            for name, schema in sources:
                for where, string in _strings(schema, components, f"{method} {path} {name}"):
                    found.append(where)
                    if string.get("format") in ("date", "date-time"):
                        continue
                    assert string.get("pattern") in (PRINTABLE_PATTERN, "^[A-Za-z0-9._-]+$"), where
    assert any(".event_id" in where for where in found)
    assert any(".components[]" in where for where in found)
