from fastapi.testclient import TestClient

from tests.conftest import ALL_COMPONENTS, make_contract


def test_create_read_delete(client: TestClient) -> None:
    created = client.post(
        "/contract/",
        json={"contract_number": "A-1.b_2", "components": ["energy_supply"], "created_at": "2024-01-01T01:00:00+01:00"},
    )
    assert created.status_code == 201
    assert created.json() == {
        "contract_number": "A-1.b_2",
        "created_at": "2024-01-01T00:00:00Z",
        "components": ["energy_supply"],
    }
    assert client.get("/contract/A-1.b_2").json()["created_at"] == "2024-01-01T00:00:00Z"
    assert client.get("/contract/A-1.b_2").json()["components"] == ["energy_supply"]
    deleted = client.delete("/contract/A-1.b_2")
    assert deleted.status_code == 200
    assert deleted.json()["code"] == "contract_deleted"
    assert deleted.json()["status"] == "ok"
    assert client.get("/contract/A-1.b_2").status_code == 404


def test_post_without_trailing_slash(client: TestClient) -> None:
    response = client.post("/contract", json={"contract_number": "1", "components": ALL_COMPONENTS})
    assert response.status_code == 201


def test_duplicate_number_is_409(client: TestClient) -> None:
    make_contract(client)
    response = client.post("/contract/", json={"contract_number": "1234", "components": ["energy_supply"]})
    assert response.status_code == 409
    assert response.json() == {"status": "error", "message": "Contract 1234 already exists.", "code": "contract_exists"}
    assert client.get("/contract/1234").json()["components"] == ALL_COMPONENTS


def test_bad_component_lists_are_422_and_name_supported(client: TestClient) -> None:
    for components in (["solar_panels"], [], ["energy_supply", "energy_supply"]):
        response = client.post("/contract/", json={"contract_number": "9", "components": components})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid_components"
        assert "energy_supply, battery_optimization, heatpump_optimization" in body["message"]
    assert client.get("/contract/9").status_code == 404


def test_bad_contract_numbers_are_422(client: TestClient) -> None:
    for number in ("", "a" * 65, "has space", "slash/", "ü"):
        response = client.post("/contract/", json={"contract_number": number, "components": ["energy_supply"]})
        assert response.status_code == 422, number
        assert set(response.json()) == {"status", "message", "code"}


def test_unknown_contract_is_404(client: TestClient) -> None:
    for response in (client.get("/contract/9999"), client.delete("/contract/9999")):
        assert response.status_code == 404
        assert response.json() == {
            "status": "error",
            "message": "Contract 9999 not found.",
            "code": "contract_not_found",
        }


def test_delete_removes_events_and_timeline(client: TestClient) -> None:
    make_contract(client)
    client.post("/event", json={"type": "supply_energy_start", "contract_number": "1234", "date": "2024-01-01"})
    assert client.delete("/contract/1234").status_code == 200
    assert client.get("/1234/events").status_code == 404
    make_contract(client)
    assert client.get("/1234/events").json()["events"] == []
    assert client.get("/1234/contract_timeline").json()["components"]["energy_supply"]["state"] == "not_started"
