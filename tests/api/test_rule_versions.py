"""Rule versions against stored data: start-up publishing and refusals, renames that never
become a 500, and the versions, diff and diagram endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.services.rule_versions import RulesRefused, now_utc
from app.settings import Settings
from tests.api.test_events import event
from tests.api.versioned import edited_rules, lenient, publish_into
from tests.conftest import RULES, make_contract


@contextmanager
def serving(settings: Settings, rules: Path) -> Iterator[TestClient]:
    with TestClient(
        create_app(settings.model_copy(update={"rules_dir": rules, "rules_poll_seconds": 0})),
        raise_server_exceptions=False,
    ) as client:
        yield client


def seed(client: TestClient) -> None:
    make_contract(client)
    for body in (
        event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00"),
        event("supply_energy_end", "2024-02-01", "2024-01-02T00:00:00"),
    ):
        assert client.post("/event", json=body).status_code == 200


RENAMED_STATE = {
    "lifecycles.yaml": {
        "states: [not_started, started, ended]": "states: [not_started, started, terminated]",
        "dest: ended": "dest: terminated",
        "source: ended": "source: terminated",
    }
}
RENAMED_TYPE = {"components.yaml": {"supply_energy_end: end": "supply_energy_stop: end"}}


def with_mapping(edits: dict[str, dict[str, str]], mapping: str) -> dict[str, dict[str, str]]:
    first = next(iter(edits))
    header = "# yaml-language-server: $schema=../app/domain/rules/rules.schema.json\n"
    return {**edits, first: {**edits[first], header: header + mapping}}


def test_first_version_is_in_force_from_the_beginning(client: TestClient) -> None:
    body = client.get("/rules/versions").json()
    [version] = body["versions"]
    assert version["effective_from"] == "0001-01-01T00:00:00Z"
    assert body["in_force"] == version["hash"] == client.get("/rules").json()["version"]


def test_unseen_tables_are_published_at_start_and_stale_ones_refused(settings: Settings, tmp_path: Path) -> None:
    with serving(settings, RULES):
        pass
    newer = lenient(tmp_path).version
    with serving(settings, tmp_path / "lenient") as client:
        versions = client.get("/rules/versions").json()["versions"]
    assert [v["hash"] for v in versions][-1] == newer
    assert versions[-1]["effective_from"] != "0001-01-01T00:00:00Z"
    with pytest.raises(RulesRefused, match="older than the latest published version"), serving(settings, RULES):
        pass


@pytest.mark.parametrize(
    ("edits", "mapping", "orphan"),
    [
        (RENAMED_STATE, "renamed: {states: {ended: terminated}}\n", "stored state 'ended' (1 contract(s), 1 event(s))"),
        (
            RENAMED_TYPE,
            "renamed: {event_types: {supply_energy_end: supply_energy_stop}}\n",
            "stored event type 'supply_energy_end' (1 contract(s), 1 event(s))",
        ),
    ],
    ids=["state", "event_type"],
)
def test_a_rename_needs_a_mapping_and_then_never_answers_500(
    settings: Settings, tmp_path: Path, edits: dict[str, dict[str, str]], mapping: str, orphan: str
) -> None:
    with serving(settings, RULES) as client:
        seed(client)
    bare = edited_rules(tmp_path, "bare", edits)
    with pytest.raises(RulesRefused, match="would orphan stored data") as refused, serving(settings, bare):
        pass
    assert orphan in str(refused.value)

    mapped = edited_rules(tmp_path, "mapped", with_mapping(edits, mapping))
    with serving(settings, mapped) as client:
        # A late event replays the stored events: each under the version in force at its created_at.
        late = client.post("/event", json=event("supply_energy_start", "2023-12-01", "2023-12-31T00:00:00"))
        assert late.status_code == 200, late.text
        end = "supply_energy_stop" if "stop" in mapping else "supply_energy_end"
        now = client.post("/event", json=event(end, "2024-03-01"))  # judged by the new version
        assert now.status_code == 200, now.text
        restart = client.post("/event", json=event("supply_energy_start", "2024-04-01"))
        assert (restart.status_code, restart.json()["code"]) == (409, "restart_after_end")
        state = client.get("/1234/contract_timeline").json()["components"]["energy_supply"]["state"]
        assert state == ("terminated" if "terminated" in mapping else "ended")
        codes = [e["code"] for e in client.get("/1234/events").json()["events"]]
        assert codes == ["accepted", "accepted", "accepted", "accepted", "restart_after_end"]


def test_check_against_the_database_names_orphans(settings: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli.main import app as cli

    with serving(settings, RULES) as client:
        seed(client)
    bare = edited_rules(tmp_path, "bare", RENAMED_STATE)
    done = CliRunner().invoke(cli, ["check", "--rules", str(bare), "--database-url", settings.database_url])
    assert done.exit_code == 1
    assert "stored state 'ended' (1 contract(s), 1 event(s)) is neither defined nor mapped" in done.output


def test_a_version_published_to_a_running_service_is_used(client: TestClient, tmp_path: Path) -> None:
    make_contract(client)
    second = lenient(tmp_path)
    publish_into(client, second, now_utc() + timedelta(seconds=1))
    hashes = [v["hash"] for v in client.get("/rules/versions").json()["versions"]]
    assert hashes[-1] == second.version
    assert client.get(f"/rules?version={second.version}").json()["version"] == second.version
    missing = client.get("/rules?version=0123456789ab")
    assert (missing.status_code, missing.json()["code"], missing.json()["status"]) == (
        404,
        "rule_version_not_found",
        "error",
    )
    changes = client.get("/rules/diff").json()
    assert (changes["from"], changes["to"]) == (hashes[0], second.version)
    messages = [d["message"] for d in changes["differences"]]
    assert "Lifecycle 'standard': row added: ended --start--> started, sets start." in messages
    assert "Lifecycle 'standard': ended x start no longer rejected (restart_after_end)." in messages


def test_each_lifecycle_diagram_is_a_document_of_its_own(client: TestClient) -> None:
    listed = client.get("/rules/diagram").json()
    assert [d["lifecycle"] for d in listed["diagrams"]] == ["standard"]
    one = client.get("/rules/diagram?lifecycle=standard")
    assert one.headers["content-type"].startswith("text/plain")
    assert one.text == listed["diagrams"][0]["mermaid"]
    assert one.text.count("stateDiagram-v2") == 1
    assert client.get("/rules/diagram?component=energy_supply").text.count("supply_energy_end") >= 1
    unknown = client.get("/rules/diagram?lifecycle=nope")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "lifecycle_not_found")


RENAMED_COMPONENT = {"components.yaml": {"  energy_supply:\n": "  power_supply:\n"}}


def test_a_renamed_component_is_refused_without_a_mapping(settings: Settings, tmp_path: Path) -> None:
    with serving(settings, RULES) as client:
        seed(client)
    bare = edited_rules(tmp_path, "bare", RENAMED_COMPONENT)
    with pytest.raises(RulesRefused, match="would orphan stored data") as refused, serving(settings, bare):
        pass
    assert "stored component 'energy_supply' (1 contract(s), 2 event(s)) is neither defined nor mapped" in str(
        refused.value
    )


def test_a_renamed_component_answers_under_its_new_name_and_never_500(settings: Settings, tmp_path: Path) -> None:
    """Stored rows keep 'energy_supply'; once the version renaming it is in force every answer
    names it 'power_supply', and as_known_at before the rename answers as it did then."""
    with serving(settings, RULES) as client:
        seed(client)
        before_rename = now_utc().isoformat() + "Z"
    mapped = edited_rules(
        tmp_path, "mapped", with_mapping(RENAMED_COMPONENT, "renamed: {components: {energy_supply: power_supply}}\n")
    )
    with serving(settings, mapped) as client:
        answers = []

        def call(method: str, url: str, json: Any = None) -> Any:
            response = client.request(method, url, json=json)
            answers.append((method, url, response.status_code))
            assert response.status_code < 500, (method, url, response.text)
            return response.json()

        names = ["battery_optimization", "heatpump_optimization", "power_supply"]
        timeline = call("GET", "/1234/contract_timeline")["components"]
        assert sorted(timeline) == names
        assert timeline["power_supply"]["state"] == "ended"
        assert sorted(call("GET", "/contract/1234")["components"]) == names
        supply = [e for e in history_of(client) if e["type"].startswith("supply")]
        assert {e["component"] for e in supply} == {"power_supply"}
        now = now_utc().isoformat() + "Z"
        assert sorted(call("GET", f"/1234/contract_timeline?as_known_at={now}")["components"]) == names
        known = call("GET", f"/1234/events?as_known_at={now}")["events"]
        assert {e["component"] for e in known if e["type"].startswith("supply")} == {"power_supply"}
        then = call("GET", f"/1234/contract_timeline?as_known_at={before_rename}")["components"]
        assert "energy_supply" in then
        listed = call("GET", "/contracts?component=power_supply&state=ended")["items"]
        assert [i["contract_number"] for i in listed] == ["1234"]
        assert sorted(listed[0]["components"]) == names

        # Writes: a late event (old version), a new one (new version), amendments, a revocation.
        late = call("POST", "/event", json=event("supply_energy_start", "2023-12-01", "2023-12-31T00:00:00"))
        assert late["code"] == "accepted"
        assert call("POST", "/event", json=event("supply_energy_start", "2024-04-01"))["code"] == "restart_after_end"
        assert call("PATCH", "/contract/1234", json={"add_components": ["power_supply"]})["code"] == "component_exists"
        assert (
            call("PATCH", "/contract/1234", json={"add_components": ["energy_supply"]})["code"] == "invalid_components"
        )
        revoked = call("POST", f"/events/{history_of(client)[0]['id']}/revoke", json={"reason": "sent twice"})
        assert revoked["status"] != "error", revoked

        # A contract made after the rename holds the new name; an event dated before the rename is
        # judged by the version in force then, which knows the component by its old name.
        make_contract(client, "5678", ["power_supply"])
        backdated = call(
            "POST", "/event", json=event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00", "5678")
        )
        assert backdated["code"] == "accepted"
        assert call("GET", "/5678/contract_timeline")["components"] == {
            "power_supply": {"start": "2024-01-01", "end": None, "state": "started"}
        }
        assert {e["component"] for e in history_of(client, "5678")} == {"power_supply"}
        for path in ("/changes", "/ui/contracts/1234", "/ui/contracts?component=power_supply", "/rules/diff"):
            assert client.get(path).status_code < 500, path
        assert all(status < 500 for *_, status in answers)


def history_of(client: TestClient, number: str = "1234") -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = client.get(f"/{number}/events").json()["events"]
    return events
