"""The Changes page: the change feed as the API serves it, and webhook subscriptions with their
delivery attempts and a replay, which need a write key (the API keeps /webhooks to write keys)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import RULES, make_contract
from tests.web.conftest import READ_KEY, WRITE_KEY
from tests.web.test_access import sign_in

HOOK_URL = "http://127.0.0.1:9/hooks/billing"
"""Nothing listens on the discard port: every attempt fails, quickly."""


@pytest.fixture
def hooked(database_url: str) -> Iterator[TestClient]:
    """Keys configured, and private-network webhook targets allowed (the receiver is local)."""
    settings = Settings(
        database_url=database_url,
        rules_dir=RULES,
        api_keys=f"{WRITE_KEY}:write,{READ_KEY}:read",
        webhook_allow_private_networks=True,
        webhook_retry_schedule="0.2,0.5",
        event_writer="thread",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def subscribe(client: TestClient) -> str:
    answer = client.post(
        "/webhooks",
        json={"url": HOOK_URL, "components": ["energy_supply"], "description": "billing"},
        headers={"X-API-Key": WRITE_KEY},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_the_feed_shows_the_latest_changes_with_their_cause_and_flipped_verdicts(client: TestClient) -> None:
    make_contract(client, "late")
    events = [
        {
            "type": "supply_energy_start",
            "contract_number": "late",
            "date": "2024-03-01",
            "created_at": "2024-03-01T09:00:00Z",
        },
        {
            "type": "supply_energy_start",
            "contract_number": "late",
            "date": "2024-03-10",
            "created_at": "2024-03-05T09:00:00Z",
        },
        {
            "type": "supply_energy_end",
            "contract_number": "late",
            "date": "2024-03-20",
            "created_at": "2024-03-03T09:00:00Z",
        },
    ]
    for event in events:
        assert client.post("/event", json=event).status_code == 200
    model = client.get("/ui/changes", params={"format": "json"}).json()
    assert model["error"] is None
    assert model["live"] is True
    rows = model["changes"]
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["kind"] == "contract_created"
    assert rows[0]["after"].startswith("energy_supply: not_started")
    last = rows[-1]
    assert (last["component"], last["after"], last["cause"]) == (
        "energy_supply",
        "ended (2024-03-01 → 2024-03-20)",
        "late_event ev_3",
    )
    assert last["verdicts"] == ["ev_2: accepted → rejected (restart_after_end)"]
    page = client.get("/ui/changes").text
    assert 'data-stream="/ui/changes/stream"' in page
    assert "ev_2: accepted → rejected (restart_after_end)" in page
    later = client.get("/ui/changes", params={"after": "1", "format": "json"}).json()
    assert later["changes"][0]["seq"] == 2
    assert later["earlier"] == 0


def test_the_stream_relay_carries_the_apis_server_sent_events(client: TestClient) -> None:
    make_contract(client, "s1")
    with client.stream("GET", "/ui/changes/stream", params={"after": "0"}) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in answer.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    assert "id: 1" in lines
    assert "event: change" in lines
    assert '"contract_number":"s1"' in lines[-1]


def test_a_read_key_sees_the_feed_and_is_told_webhooks_need_a_write_key(hooked: TestClient) -> None:
    subscribe(hooked)
    sign_in(hooked, READ_KEY)
    page = hooked.get("/ui/changes")
    assert page.status_code == 200
    assert "need a write key" in page.text
    assert HOOK_URL not in page.text
    assert 'role="alert"' not in page.text  # no error: the page does not ask what it may not read


def test_subscriptions_list_their_delivery_attempts_and_replay_needs_a_confirmed_form(hooked: TestClient) -> None:
    hook = subscribe(hooked)
    hooked.headers["X-API-Key"] = WRITE_KEY
    make_contract(hooked, "hooked")
    del hooked.headers["X-API-Key"]
    sign_in(hooked, WRITE_KEY)
    hooks: list[dict[str, Any]] = []
    for _ in range(100):  # the dispatcher tries the closed port within a second or so
        hooks = hooked.get("/ui/changes", params={"format": "json"}).json()["webhooks"]
        if hooks and hooks[0]["deliveries"]:
            break
        time.sleep(0.1)
    (row,) = hooks
    assert (row["id"], row["url"], row["components"], row["description"]) == (
        hook,
        HOOK_URL,
        "energy_supply",
        "billing",
    )
    attempt = row["deliveries"][0]
    assert (attempt["seq"], attempt["outcome"], attempt["response"]) == (1, "failed", "")
    assert attempt["error"]
    assert attempt["at"].endswith(" UTC")
    page = hooked.get("/ui/changes").text
    assert f'<dialog id="replay-{hook}"' in page
    assert "Redeliver to http://127.0.0.1:9/hooks/billing?" in page
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    refused = hooked.post(f"/ui/webhooks/{hook}/replay", data={"from_seq": "1"})
    assert "security token is missing or stale" in refused.text
    done = hooked.post(f"/ui/webhooks/{hook}/replay", data={"from_seq": "1", "csrf": token[1]})
    assert done.status_code == 200
    assert f"Webhook {hook}: redelivery from seq 1 on is queued" in done.text
    missing = hooked.post("/ui/webhooks/wh_nope/replay", data={"from_seq": "1", "csrf": token[1]})
    assert "(webhook_not_found, HTTP 404)" in missing.text
    hooked.cookies.clear()
    sign_in(hooked, READ_KEY)
    read_only = hooked.get("/ui/changes").text
    read_token = re.search(r'name="csrf" value="([^"]+)"', read_only)
    assert (
        read_token is None
        or "may only read"
        in hooked.post(f"/ui/webhooks/{hook}/replay", data={"from_seq": "1", "csrf": read_token[1]}).text
    )
