"""Property: across a rule-version boundary, any arrival order gives the result of judging
each event, in ``created_at`` order, by the version in force at its ``created_at``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.catalog import Catalog, Version
from app.domain.fold import EventFacts, fold_contract
from app.domain.rules import load_rulebook
from app.main import create_app
from app.settings import Settings
from tests.api.versioned import lenient, publish_into
from tests.conftest import ALL_COMPONENTS, RULES

BASE_DAY, BASE_TIME = date(2024, 1, 1), datetime(2024, 1, 1)
BOUNDARY = BASE_TIME + timedelta(hours=6)
"""Events created from here on are judged by the lenient version (an ended component may restart)."""
TYPES = sorted(load_rulebook(RULES).event_types)
_numbers = itertools.count()


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Catalog]]:
    folder = tmp_path_factory.mktemp("boundary")
    url = f"sqlite:///{folder / 'db.sqlite'}"
    settings = Settings(database_url=url, rules_dir=RULES, rules_poll_seconds=0, event_writer="thread")
    with TestClient(create_app(settings)) as client:
        second = lenient(folder)
        publish_into(client, second, BOUNDARY)
        first = load_rulebook(RULES)
        catalog = Catalog([Version(first, datetime.min, datetime.min), Version(second, BOUNDARY, BOUNDARY)])
        yield client, catalog


events = st.lists(st.tuples(st.sampled_from(TYPES), st.integers(0, 40), st.integers(0, 12)), min_size=1, max_size=14)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=events, data=st.data())
def test_any_arrival_order_across_a_version_boundary(
    two_versions: tuple[TestClient, Catalog], raw: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    client, catalog = two_versions
    number = f"vb-{next(_numbers)}"
    client.post("/contract/", json={"contract_number": number, "components": ALL_COMPONENTS})
    facts = [EventFacts(t, BASE_DAY + timedelta(days=d), BASE_TIME + timedelta(hours=h)) for t, d, h in raw]
    arrival = data.draw(st.permutations(range(len(facts))))
    bodies: list[dict[str, Any]] = [
        {"type": f.type, "contract_number": number, "date": f.day.isoformat(), "created_at": f.created_at.isoformat()}
        for f in facts
    ]
    if data.draw(st.booleans()):
        client.post("/events", json=[bodies[i] for i in arrival])
    else:
        for i in arrival:
            assert client.post("/event", json=bodies[i]).status_code in (200, 409)

    expected = fold_contract(catalog.engine_at, ALL_COMPONENTS, facts)
    timeline = client.get(f"/{number}/contract_timeline").json()["components"]
    assert timeline == {
        c: {
            "start": t.start.isoformat() if t.start else None,
            "end": t.end.isoformat() if t.end else None,
            "state": t.state,
        }
        for c, t in expected.timelines.items()
    }
    stored = {
        (e["type"], e["date"], e["created_at"]): (e["code"], e["rules_version"])
        for e in client.get(f"/{number}/events").json()["events"]
    }
    wanted = {
        (f.type, f.day.isoformat(), f.created_at.isoformat() + "Z"): (v.code, catalog.engine_at(f.created_at).version)
        for f, v in zip(facts, expected.verdicts, strict=True)
        if v is not None
    }
    assert stored == wanted


def test_the_boundary_changes_verdicts(two_versions: tuple[TestClient, Catalog]) -> None:
    """The two versions really differ: a restart is refused before the boundary, accepted after."""
    client, _ = two_versions
    client.post("/contract/", json={"contract_number": "vb-x", "components": ALL_COMPONENTS})
    send = [
        ("supply_energy_start", 0),
        ("supply_energy_end", 1),
        ("supply_energy_start", 2),
        ("supply_energy_start", 7),
    ]
    codes = [
        client.post(
            "/event",
            json={
                "type": t,
                "contract_number": "vb-x",
                "date": (BASE_DAY + timedelta(days=h)).isoformat(),
                "created_at": (BASE_TIME + timedelta(hours=h)).isoformat(),
            },
        ).json()["code"]
        for t, h in send
    ]
    assert codes == ["accepted", "accepted", "restart_after_end", "accepted"]
