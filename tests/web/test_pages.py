"""Console pages through the ASGI app: what they show, their JSON twins, and readable errors."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli.main import app as cli
from app.web.capabilities import AMEND, AS_KNOWN_AT, LISTING, REVOKE, VERSIONS
from tests.conftest import RULES, make_contract
from tests.web.conftest import require

EVENTS = [
    {
        "type": "supply_energy_start",
        "contract_number": "1234",
        "date": "2024-03-01",
        "created_at": "2024-03-01T09:00:00Z",
    },
    {
        "type": "battery_optimization_start",
        "contract_number": "1234",
        "date": "2024-03-10",
        "created_at": "2024-03-02T09:00:00Z",
    },
    {
        "type": "supply_energy_end",
        "contract_number": "1234",
        "date": "2024-02-01",
        "created_at": "2024-03-03T09:00:00Z",
    },
    {
        "type": "supply_energy_end",
        "contract_number": "1234",
        "date": "2024-06-30",
        "created_at": "2024-03-04T09:00:00Z",
    },
]


def seeded(client: TestClient) -> None:
    make_contract(client)
    assert client.post("/events", json=EVENTS).status_code == 200


def test_contract_page_draws_one_bar_per_started_component(client: TestClient) -> None:
    seeded(client)
    page = client.get("/ui/contracts/1234")
    assert page.status_code == 200
    bars = re.findall(r'<rect class="bar( open)?" data-start="([^"]*)" data-end="([^"]*)"', page.text)
    assert bars == [("", "2024-03-01", "2024-06-30"), (" open", "2024-03-10", "")]
    assert "heatpump_optimization" in page.text
    assert "not started" in page.text
    assert "All times are shown in UTC." in page.text
    assert "2024-03-03 09:00:00 UTC" in page.text
    assert "Open service" in page.text


def test_every_page_has_a_json_twin(client: TestClient) -> None:
    seeded(client)
    model = client.get("/ui/contracts/1234", params={"format": "json"}).json()
    assert [e["code"] for e in model["events"]] == ["accepted", "accepted", "end_before_start", "accepted"]
    assert {r["component"]: r["bar"] is not None for r in model["gantt"]["rows"]} == {
        "energy_supply": True,
        "battery_optimization": True,
        "heatpump_optimization": False,
    }
    rules = client.get("/ui/rules", params={"format": "json"}).json()
    assert len(rules["lifecycles"][0]["diagram"]["lanes"]) == 8
    assert client.get("/ui/changes", params={"format": "json"}).json()["title"] == "Changes"


def test_event_log_pages_through_the_history(client: TestClient) -> None:
    seeded(client)
    first = client.get("/ui/contracts/1234", params={"format": "json", "limit": 100}).json()
    assert first["next"] is None
    assert len(first["events"]) == 4


def test_api_errors_read_as_sentences_with_their_code(client: TestClient) -> None:
    page = client.get("/ui/contracts/9999")
    assert page.status_code == 404
    assert "Contract 9999 not found." in page.text
    assert "<code>contract_not_found</code>" in page.text
    assert '{"status"' not in page.text  # no raw JSON


def test_console_paths_are_never_contract_numbers(client: TestClient) -> None:
    page = client.get("/ui/events")
    assert page.status_code == 404
    assert "The console has no page at /ui/events." in page.text
    refused = client.post("/contract/", json={"contract_number": "ui", "components": ["energy_supply"]})
    assert refused.json()["code"] == "reserved_contract_number"


def test_rules_page_shows_every_row_of_the_default_lifecycle(client: TestClient) -> None:
    page = client.get("/ui/rules").text
    assert len(re.findall(r'<g class="row transition"', page)) == 4
    assert len(re.findall(r'<g class="row (guard|rejection)"', page)) == 4
    for code in ("end_without_start", "restart_after_end", "end_before_start"):
        assert code in page


def test_simulate_form_gives_what_rules_simulate_prints(client: TestClient, tmp_path: object) -> None:
    import json
    from pathlib import Path

    events = [dict(e, contract_number="sim") for e in EVENTS]
    model = client.post(
        "/ui/rules/simulate?format=json",
        data={"events": json.dumps(events), "contracts": "sim=energy_supply,battery_optimization"},
    ).json()["simulation"]
    assert model["error"] is None
    path = Path(str(tmp_path)) / "events.json"
    path.write_text(json.dumps(events))
    printed = (
        CliRunner()
        .invoke(
            cli, ["simulate", str(path), "--rules", str(RULES), "--contract", "sim=energy_supply,battery_optimization"]
        )
        .output
    )
    for verdict in model["verdicts"]:
        assert verdict["verdict"] in printed
    assert [v["verdict"] for v in model["verdicts"]][2].startswith("rejected end_before_start")
    for row in model["timelines"]["sim"]:
        assert re.search(rf"{row['component']}\s+{row['state']}\s+{row['start'] or '-'}\s+{row['end'] or '-'}", printed)


def test_simulate_form_names_bad_input(client: TestClient) -> None:
    model = client.post("/ui/rules/simulate?format=json", data={"events": "[{", "contracts": ""}).json()
    assert model["simulation"]["error"].startswith("pasted events: not valid JSON")


def test_docs_and_redoc_load_nothing_from_another_host(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path).text
        assert not re.findall(r"https?://", page), path
        for asset in re.findall(r'(?:src|href)="(/[^"]+)"', page) + re.findall(r"url: '(/[^']+)'", page):
            assert client.get(asset).status_code == 200, asset
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', client.get("/ui/contracts").text)


def test_search_by_prefix_lists_matching_contracts(client: TestClient) -> None:
    require(client.app, LISTING)  # type: ignore[arg-type]
    seeded(client)
    make_contract(client, "1299")
    make_contract(client, "5000")
    model = client.get("/ui/contracts", params={"format": "json", "prefix": "12"}).json()
    assert [item["contract_number"] for item in model["items"]] == ["1234", "1299"]


def test_listing_waits_for_its_endpoint_and_says_which(client: TestClient) -> None:
    model = client.get("/ui/contracts", params={"format": "json"}).json()
    if model["missing"]:
        assert model["missing"] == ["GET /contracts (issue 10)"]
        assert "needs GET /contracts (issue 10)" in client.get("/ui/contracts").text
    assert client.get("/ui/contracts", params={"open": "1234"}, follow_redirects=False).headers["location"] == (
        "/ui/contracts/1234"
    )


def test_looking_back_never_shows_the_present_as_the_past(client: TestClient) -> None:
    seeded(client)
    page = client.get("/ui/contracts/1234", params={"as_known_at": "2024-01-01T00:00"})
    if page.status_code == 501:
        assert "Looking back needs GET /{number}/contract_timeline?as_known_at= (issue 10)" in page.text
        assert "<rect" not in page.text
    require(client.app, AS_KNOWN_AT)  # type: ignore[arg-type]


def test_revoke_strikes_the_event_through_and_changes_the_bar(client: TestClient) -> None:
    require(client.app, REVOKE)  # type: ignore[arg-type]
    seeded(client)
    first = client.get("/ui/contracts/1234")
    csrf = re.search(r'name="csrf" value="([^"]+)"', first.text)
    assert csrf
    last = client.get("/ui/contracts/1234", params={"format": "json"}).json()["events"][-1]["id"]
    done = client.post("/ui/contracts/1234/revoke", data={"event": last, "reason": "sent by mistake", "csrf": csrf[1]})
    assert done.status_code == 200
    assert "revoked" in done.text
    model = client.get("/ui/contracts/1234", params={"format": "json"}).json()
    assert model["events"][-1]["revoked"] is True
    assert model["gantt"]["rows"][0]["end"] is None


def test_add_component_needs_a_confirmed_form(client: TestClient) -> None:
    require(client.app, AMEND)  # type: ignore[arg-type]
    make_contract(client, "77", ["energy_supply"])
    page = client.get("/ui/contracts/77")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    client.post("/ui/contracts/77/components", data={"component": "battery_optimization", "csrf": csrf[1]})
    assert "battery_optimization" in client.get("/ui/contracts/77", params={"format": "json"}).json()["components"]


def test_versions_and_their_diff(client: TestClient) -> None:
    require(client.app, VERSIONS)  # type: ignore[arg-type]
    model = client.get("/ui/rules", params={"format": "json"}).json()
    assert model["versions"]
    assert model["versions"][0]["version"]
