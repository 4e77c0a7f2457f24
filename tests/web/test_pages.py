"""Console pages through the ASGI app: what they show, their JSON twins, and readable errors."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli.main import app as cli
from app.services.rule_versions import now_utc
from tests.api.versioned import lenient, publish_into
from tests.conftest import RULES, make_contract

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
    seeded(client)
    make_contract(client, "1299")
    make_contract(client, "5000")
    model = client.get("/ui/contracts", params={"format": "json", "prefix": "12"}).json()
    assert [item["contract_number"] for item in model["items"]] == ["1234", "1299"]


def test_the_console_finds_every_endpoint_it_reads(client: TestClient) -> None:
    for page in ("/ui/contracts", "/ui/contracts/1234", "/ui/rules", "/ui/changes"):
        assert "which this service does not serve yet" not in client.get(page).text, page
    assert client.get("/ui/contracts", params={"open": "1234"}, follow_redirects=False).headers["location"] == (
        "/ui/contracts/1234"
    )


def test_looking_back_shows_the_log_as_it_was_known(client: TestClient) -> None:
    seeded(client)
    before = client.get("/ui/contracts/1234", params={"as_known_at": "2024-01-01T00:00"})
    assert before.status_code == 404  # the service did not know the contract yet: said, never drawn empty
    assert "<code>contract_not_found</code>" in before.text
    assert "<rect" not in before.text
    page = client.get("/ui/contracts/1234", params={"as_known_at": "2099-01-01T00:00"})
    assert page.status_code == 200
    assert "As known at 2099-01-01 00:00:00 UTC." in page.text
    assert len(re.findall(r'<rect class="bar', page.text)) == 2
    assert "Revoke…" not in page.text  # actions act on the present


def test_revoke_strikes_the_event_through_and_changes_the_bar(client: TestClient) -> None:
    seeded(client)
    first = client.get("/ui/contracts/1234")
    csrf = re.search(r'name="csrf" value="([^"]+)"', first.text)
    assert csrf
    last = client.get("/ui/contracts/1234", params={"format": "json"}).json()["events"][-1]["id"]
    done = client.post("/ui/contracts/1234/revoke", data={"event": last, "reason": "sent by mistake", "csrf": csrf[1]})
    assert done.status_code == 200
    assert f"Event {last} revoked; 0 other verdict(s) changed." in done.text
    model = client.get("/ui/contracts/1234", params={"format": "json"}).json()
    assert model["events"][-1]["revoked"] is True
    assert model["events"][-1]["revocation_reason"] == "sent by mistake"
    assert model["gantt"]["rows"][0]["end"] is None
    row = re.search(rf'<tr class="accepted revoked" data-id="{last}">(.*?)</tr>', done.text, re.S)
    assert row, "the revoked event stays in the log"
    assert "<del>supply_energy_end</del>" in row[1]
    assert re.search(r"revoked \d{4}-\d\d-\d\d [\d:.]+ UTC: sent by mistake", row[1])


def test_add_component_needs_a_confirmed_form(client: TestClient) -> None:
    make_contract(client, "77", ["energy_supply"])
    page = client.get("/ui/contracts/77")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    client.post("/ui/contracts/77/components", data={"component": "battery_optimization", "csrf": csrf[1]})
    assert "battery_optimization" in client.get("/ui/contracts/77", params={"format": "json"}).json()["components"]


def test_versions_and_their_diff(client: TestClient, tmp_path: Path) -> None:
    first = client.get("/ui/rules", params={"format": "json"}).json()
    assert [(v["effective_from"], v["in_force"]) for v in first["versions"]] == [("the beginning (all history)", True)]
    second = lenient(tmp_path)
    publish_into(client, second, now_utc() + timedelta(days=1))
    old = first["versions"][0]["version"]
    model = client.get("/ui/rules", params={"format": "json", "from": old, "to": second.version}).json()
    assert [v["version"] for v in model["versions"]] == [old, second.version]
    assert [v["in_force"] for v in model["versions"]] == [True, False]  # effective tomorrow
    assert (model["diff"]["from"], model["diff"]["to"]) == (old, second.version)
    messages = [c["message"] for c in model["diff"]["changes"]]
    assert "Lifecycle 'standard': row added: ended --start--> started, sets start." in messages
    assert "Lifecycle 'standard': ended x start no longer rejected (restart_after_end)." in messages
    page = client.get("/ui/rules", params={"from": old, "to": second.version}).text
    assert "0001-01-01" not in page
    assert "the beginning (all history)" in page
    assert "ended --start--&gt; started" in page
    same = client.get("/ui/rules", params={"format": "json", "from": old, "to": old}).json()
    assert same["diff"]["changes"] == []
    unknown = client.get("/ui/rules", params={"from": old, "to": "0123456789ab"}).text
    assert "<code>rule_version_not_found</code>" in unknown


def test_rules_page_offers_the_services_mermaid_text(client: TestClient) -> None:
    model = client.get("/ui/rules", params={"format": "json"}).json()
    mermaid = model["lifecycles"][0]["mermaid"]
    assert mermaid == client.get("/rules/diagram", params={"lifecycle": "standard"}).text
    assert "stateDiagram-v2" in client.get("/ui/rules").text


def test_a_verdict_changed_by_a_late_event_shows_its_previous_verdict(client: TestClient) -> None:
    make_contract(client, "late")
    early = [
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
    ]
    assert client.post("/events", json=early).status_code == 200
    late = {
        "type": "supply_energy_end",
        "contract_number": "late",
        "date": "2024-03-20",
        "created_at": "2024-03-03T09:00:00Z",
    }
    assert client.post("/event", json=late).status_code == 200
    history = client.get("/late/events").json()["events"]
    flipped = next(e for e in history if e["previous_verdict"])
    model = client.get("/ui/contracts/late", params={"format": "json"}).json()
    row = next(e for e in model["events"] if e["id"] == flipped["id"])
    assert (row["status"], row["code"]) == ("rejected", "restart_after_end")
    assert row["previous"]["verdict"] == "accepted"
    assert row["previous"]["changed_at"].endswith(" UTC")
    assert [e["previous"] for e in model["events"] if e["id"] != flipped["id"]] == [None, None]
    page = client.get("/ui/contracts/late").text
    assert f"changed: was accepted until {row['previous']['changed_at']}" in page


def test_listing_filters_and_pages_through_contracts(client: TestClient) -> None:
    seeded(client)  # 1234: energy_supply ended 2024-03-01..06-30, battery_optimization started 03-10
    make_contract(client, "1299")
    make_contract(client, "5000", ["energy_supply"])
    assert client.post("/event", json=dict(EVENTS[0], contract_number="5000", date="2024-08-01")).status_code == 200

    def numbers(**query: str) -> list[str]:
        model = client.get("/ui/contracts", params={"format": "json", **query}).json()
        assert model["error"] is None, model["error"]
        return [item["contract_number"] for item in model["items"]]

    assert numbers() == ["1234", "1299", "5000"]
    assert numbers(component="energy_supply", state="ended") == ["1234"]
    assert numbers(component="energy_supply", state="started") == ["5000"]
    assert numbers(state="not_started", prefix="12") == ["1234", "1299"]
    assert numbers(active_on="2024-04-01") == ["1234"]
    assert numbers(component="energy_supply", active_on="2024-08-02") == ["5000"]
    first = client.get("/ui/contracts", params={"format": "json", "limit": "2"}).json()
    assert [i["contract_number"] for i in first["items"]] == ["1234", "1299"]
    assert first["next"]
    page = client.get("/ui/contracts", params={"limit": "2"}).text
    assert 'rel="next"' in page
    second = client.get("/ui/contracts", params={"format": "json", "limit": "2", "after": first["next"]}).json()
    assert [i["contract_number"] for i in second["items"]] == ["5000"]
    assert second["next"] is None
    item = first["items"][0]
    assert {c["component"]: (c["state"], c["start"], c["end"]) for c in item["components"]} == {
        "energy_supply": ("ended", "2024-03-01", "2024-06-30"),
        "battery_optimization": ("started", "2024-03-10", None),
        "heatpump_optimization": ("not_started", None, None),
    }
    wrong = client.get("/ui/contracts", params={"active_on": "2024-13-01"}).text
    assert "<code>invalid_payload</code>" in wrong
