"""Property: any arrival order gives the timeline and verdicts of ``created_at`` order."""

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.engine import RulesEngine
from app.domain.fold import EventFacts, fold_contract
from app.domain.rules import load_rulebook
from tests.conftest import ALL_COMPONENTS, RULES

ENGINE = RulesEngine(load_rulebook(RULES))
TYPES = sorted(ENGINE.rulebook.event_types)
BASE_DAY, BASE_TIME = date(2024, 1, 1), datetime(2024, 1, 1)
_numbers = itertools.count()

events = st.lists(
    st.tuples(st.sampled_from(TYPES), st.integers(0, 40), st.integers(0, 12)),
    min_size=1,
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=events, data=st.data())
def test_any_arrival_order_gives_the_created_at_fold(
    client: TestClient, raw: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    number = f"prop-{next(_numbers)}"
    client.post("/contract/", json={"contract_number": number, "components": ALL_COMPONENTS})
    facts = [EventFacts(t, BASE_DAY + timedelta(days=d), BASE_TIME + timedelta(hours=h)) for t, d, h in raw]
    arrival = data.draw(st.permutations(range(len(facts))))
    batched = data.draw(st.booleans())
    bodies: list[dict[str, Any]] = [
        {"type": f.type, "contract_number": number, "date": f.day.isoformat(), "created_at": f.created_at.isoformat()}
        for f in facts
    ]
    if batched:
        client.post("/events", json=[bodies[i] for i in arrival])
    else:
        for i in arrival:
            client.post("/event", json=bodies[i])

    expected = fold_contract(ENGINE, ALL_COMPONENTS, facts)
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
        (e["type"], e["date"], e["created_at"]): e["code"] for e in client.get(f"/{number}/events").json()["events"]
    }
    wanted = {
        (f.type, f.day.isoformat(), f.created_at.isoformat() + "Z"): v.code
        for f, v in zip(facts, expected.verdicts, strict=True)
        if v is not None
    }
    assert stored == wanted
