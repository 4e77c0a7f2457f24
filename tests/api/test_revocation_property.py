"""Property (issue 10 §2): revoking event X gives exactly the timeline and verdicts of the same
log without X, whatever the arrival order of X, of the other events and of the revocation."""

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
    st.tuples(st.sampled_from(TYPES), st.integers(0, 30), st.integers(0, 12)),
    min_size=1,
    max_size=12,
    unique=True,
)


def timeline_of(facts: list[EventFacts]) -> dict[str, Any]:
    expected = fold_contract(ENGINE, ALL_COMPONENTS, facts)
    return {
        c: {
            "start": t.start.isoformat() if t.start else None,
            "end": t.end.isoformat() if t.end else None,
            "state": t.state,
        }
        for c, t in expected.timelines.items()
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=events, data=st.data())
def test_revoking_an_event_equals_the_log_without_it(
    client: TestClient, raw: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    number = f"rev-{next(_numbers)}"
    client.post("/contract/", json={"contract_number": number, "components": ALL_COMPONENTS})
    facts = [EventFacts(t, BASE_DAY + timedelta(days=d), BASE_TIME + timedelta(hours=h)) for t, d, h in raw]
    revoked = data.draw(st.integers(0, len(facts) - 1))
    arrival: list[int] = list(data.draw(st.permutations(range(len(facts)))))
    # The revocation (-1) comes at any point after the revoked event arrived.
    after_x = arrival.index(revoked) + 1
    arrival.insert(data.draw(st.integers(after_x, len(arrival))), -1)
    by_client_id = data.draw(st.booleans())
    bodies = [
        {
            "type": f.type,
            "contract_number": number,
            "date": f.day.isoformat(),
            "created_at": f.created_at.isoformat(),
            "event_id": f"e{i}",
        }
        for i, f in enumerate(facts)
    ]
    ids: dict[int, str] = {}
    for i in arrival:
        if i >= 0:
            ids[i] = client.post("/event", json=bodies[i]).json()["id"]
        elif by_client_id:
            answer = client.post("/events/revoke", json={"contract_number": number, "event_id": f"e{revoked}"})
            assert (answer.status_code, answer.json()["code"]) == (200, "revoked"), answer.text
        else:
            answer = client.post(f"/events/{ids[revoked]}/revoke", json={"reason": "sent by mistake"})
            assert (answer.status_code, answer.json()["code"]) == (200, "revoked"), answer.text

    others = [f for i, f in enumerate(facts) if i != revoked]
    assert client.get(f"/{number}/contract_timeline").json()["components"] == timeline_of(others)
    history = client.get(f"/{number}/events").json()["events"]
    expected = fold_contract(ENGINE, ALL_COMPONENTS, others)
    wanted = {
        (f.type, f.day.isoformat(), f.created_at.isoformat() + "Z"): v.code
        for f, v in zip(others, expected.verdicts, strict=True)
        if v is not None
    }
    assert {(e["type"], e["date"], e["created_at"]): e["code"] for e in history if not e["revoked"]} == wanted
    [gone] = [e for e in history if e["revoked"]]
    assert gone["id"] == ids[revoked]
    # Revoking again changes nothing and says so.
    again = client.post(f"/events/{ids[revoked]}/revoke").json()
    assert (again["duplicate"], again["changed"]) == (True, [])
    assert client.get(f"/{number}/contract_timeline").json()["components"] == timeline_of(others)
