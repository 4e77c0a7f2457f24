"""MAX_REJUDGE: a late event that would judge too many stored events again is refused whole.

The limit bounds what one write holds the writer for (issue 8, fairness). These tests use a limit
of 5 on a component holding a start and 8 ends, so that a late start can flip 8 verdicts."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.errors import DomainError
from app.domain.replay import Recorded, RejudgeLimitReached
from app.main import create_app
from app.settings import Settings
from tests.api.test_events import event, history
from tests.conftest import make_contract

LIMIT = 5


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    limited_settings = settings.model_copy(update={"max_rejudge": LIMIT})
    with TestClient(create_app(limited_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def _seed(client: TestClient, ends: int) -> None:
    """A start on 2024-01-01, then ``ends`` ends on 2024-06-01 created one minute apart."""
    make_contract(client)
    items = [event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00")] + [
        event("supply_energy_end", "2024-06-01", f"2024-01-02T{n // 60:02d}:{n % 60:02d}:00") for n in range(ends)
    ]
    assert client.post("/events", json=items).status_code == 200


def _state(client: TestClient) -> tuple[Any, ...]:
    timeline = client.get("/1234/contract_timeline").json()
    feed = client.get("/changes", params={"after": 0, "limit": 1000}).json()
    return timeline, [(e["id"], e["code"]) for e in history(client)], feed["next"]


def test_a_late_event_flipping_more_than_the_limit_is_refused_and_stores_nothing(limited: TestClient) -> None:
    _seed(limited, ends=8)
    before = _state(limited)
    late = event("supply_energy_start", "2024-07-01", "2024-01-01T12:00:00")  # after every end's date: all 8 flip
    refused = limited.post("/event", json=late)
    assert refused.status_code == 409
    body = refused.json()
    assert (body["status"], body["code"]) == ("error", "rejudge_limit_exceeded")
    assert "contract 1234" in body["message"]
    assert "more than 5 stored events of energy_supply" in body["message"]
    assert "MAX_REJUDGE=5" in body["message"]
    assert _state(limited) == before, "timeline, history and feed unchanged"

    dry = limited.post("/event", params={"dry_run": "true"}, json=late)
    assert (dry.status_code, dry.json()["code"]) == (409, "rejudge_limit_exceeded"), "a dry run answers the same"

    in_batch = limited.post("/events", json=[event("supply_energy_start", "2024-01-01", "2024-03-01T00:00:00"), late])
    assert (in_batch.status_code, in_batch.json()["code"]) == (409, "rejudge_limit_exceeded")
    assert in_batch.json()["message"].startswith("events[1]: "), "names the batch item"
    assert _state(limited) == before, "the batch's valid item is not stored either"


def test_a_late_event_within_the_limit_goes_through(limited: TestClient) -> None:
    _seed(limited, ends=LIMIT)
    answer = limited.post("/event", json=event("supply_energy_start", "2024-07-01", "2024-01-01T12:00:00"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["changed_total"] == LIMIT, "every end now comes before the start"
    assert limited.get("/1234/contract_timeline").json()["components"]["energy_supply"]["start"] == "2024-07-01"


def test_a_late_event_that_changes_nothing_is_never_refused_whatever_the_tail(limited: TestClient) -> None:
    """The replay stops where the recomputed timeline meets the stored one, before the limit counts."""
    _seed(limited, ends=40)
    answer = limited.post("/event", json=event("supply_energy_start", "2024-01-01", "2024-01-01T12:00:00"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["changed_total"] == 0


def test_no_limit_when_set_to_zero(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"max_rejudge": 0}))) as client:
        _seed(client, ends=8)
        answer = client.post("/event", json=event("supply_energy_start", "2024-07-01", "2024-01-01T12:00:00"))
        assert answer.status_code == 200, answer.text


def test_a_refusal_leaves_nothing_for_the_garbage_collector(limited: TestClient) -> None:
    """A refusal used to keep the replay's exception as its context, and with it the replay's
    frames and every record judged so far, in reference cycles that only the collector freed. A
    client looping refusals then caused collections of 100,000 to 400,000 objects, 100-300 ms
    each, during which no other request moved: in the fairness benchmark, the other clients' p99
    was about 200 ms (19.6 ms once fixed)."""
    _seed(limited, ends=8)
    late = event("supply_energy_start", "2024-07-01", "2024-01-01T12:00:00")
    gc.collect()
    flags = gc.get_debug()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what the collection finds, to look at it
    try:
        for _ in range(5):
            assert limited.post("/event", json=late).status_code == 409
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, DomainError | RejudgeLimitReached | Recorded)]
    finally:
        gc.garbage.clear()
        gc.set_debug(flags)
        gc.enable()
    assert left == [], f"{len(left)} objects of refusals freed only by the collector"
