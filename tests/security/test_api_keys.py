"""API keys: 401 without a valid key, 403 for a read key that writes, probes stay public."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.api.security import KeyRing, parse_api_keys, presented_key
from app.main import create_app
from app.settings import Settings
from tests.conftest import ALL_COMPONENTS

READ_KEY, WRITE_KEY = "r3ad-k3y-0123456789", "wr1te-k3y-9876543210"
CONTRACT = {"contract_number": "1234", "components": ALL_COMPONENTS}


@pytest.fixture
def keyed(settings: Settings) -> Iterator[TestClient]:
    keyed_settings = settings.model_copy(update={"api_keys": f"{READ_KEY}:read, {WRITE_KEY}:write"})
    with TestClient(create_app(keyed_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("nope"),
        {"X-API-Key": "nope"},
        {"Authorization": WRITE_KEY},
        {"Authorization": f"Basic {WRITE_KEY}"},
        bearer(""),
    ],
)
def test_missing_or_wrong_key_is_401_envelope(keyed: TestClient, headers: dict[str, str]) -> None:
    response = keyed.get("/contract/1234", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "A valid API key is required.", "code": "unauthorized"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_paths_are_refused_before_routing(keyed: TestClient) -> None:
    assert keyed.get("/no/such/path").status_code == 401
    assert keyed.get("/no/such/path", headers=bearer(READ_KEY)).status_code == 404


@pytest.mark.parametrize(
    "headers", [bearer(READ_KEY), {"X-API-Key": READ_KEY}, {"authorization": f"bearer {READ_KEY}"}]
)
def test_read_key_reads(keyed: TestClient, headers: dict[str, str]) -> None:
    assert keyed.post("/contract/", json=CONTRACT, headers=bearer(WRITE_KEY)).status_code == 201
    response = keyed.get("/contract/1234", headers=headers)
    assert response.status_code == 200
    assert response.json()["contract_number"] == "1234"


def test_read_key_may_not_write(keyed: TestClient) -> None:
    for response in (
        keyed.post("/contract/", json=CONTRACT, headers=bearer(READ_KEY)),
        keyed.delete("/contract/1234", headers={"X-API-Key": READ_KEY}),
    ):
        assert response.status_code == 403
        assert response.json() == {"status": "error", "message": "This API key may only read.", "code": "forbidden"}
    assert keyed.get("/contract/1234", headers=bearer(READ_KEY)).status_code == 404


def test_write_key_writes_and_reads(keyed: TestClient) -> None:
    assert keyed.post("/contract/", json=CONTRACT, headers={"X-API-Key": WRITE_KEY}).status_code == 201
    event = {"type": "supply_energy_start", "contract_number": "1234", "date": "2024-01-01"}
    assert keyed.post("/event", json=event, headers=bearer(WRITE_KEY)).status_code == 200
    assert keyed.get("/1234/events", headers=bearer(WRITE_KEY)).json()["events"][0]["code"] == "accepted"
    assert keyed.delete("/contract/1234", headers=bearer(WRITE_KEY)).status_code == 200


@pytest.mark.parametrize("path", ["/health", "/ready", "/openapi.json", "/docs", "/metrics"])
def test_probes_docs_and_metrics_need_no_key(keyed: TestClient, path: str) -> None:
    assert keyed.get(path).status_code == 200


def test_openapi_documents_the_schemes_when_keys_are_set(keyed: TestClient) -> None:
    schema = keyed.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"BearerKey", "ApiKeyHeader"}
    post_event = schema["paths"]["/event"]["post"]
    assert post_event["security"] == [{"BearerKey": []}, {"ApiKeyHeader": []}]
    assert {"401", "403"} <= set(post_event["responses"])
    get_contract = schema["paths"]["/contract/{contract_number}"]["get"]
    assert "401" in get_contract["responses"]
    assert "403" not in get_contract["responses"]
    assert "security" not in schema["paths"]["/health"]["get"]


def test_open_service_warns_and_documents_no_scheme(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="app.api.security"),
        TestClient(create_app(settings), raise_server_exceptions=False) as open_client,
    ):
        assert open_client.post("/contract/", json=CONTRACT).status_code == 201
        assert "securitySchemes" not in open_client.get("/openapi.json").json().get("components", {})
    assert any("open to anyone" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_keys_never_reach_the_logs(keyed: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    keyed.get("/contract/1234", headers=bearer(WRITE_KEY))
    keyed.post("/contract/", json=CONTRACT, headers={"X-API-Key": READ_KEY})
    keyed.get("/contract/1234", headers=bearer("wrong-but-secret"))
    keyed.app.state.access_log.flush()  # type: ignore[attr-defined]
    logged = capsys.readouterr().err
    assert '"status":403' in logged
    for secret in (READ_KEY, WRITE_KEY, "wrong-but-secret"):
        assert secret not in logged


def test_parse_api_keys_rejects_bad_entries_without_echoing_them() -> None:
    assert [k.scope for k in parse_api_keys(" a:read ,, b:c:write ")] == ["read", "write"]
    for spec in ("secret-value", "secret-value:admin", ":write"):
        with pytest.raises(ValueError, match="entry 1") as caught:
            parse_api_keys(spec)
        assert "secret-value" not in str(caught.value)


def test_bad_key_spec_stops_start_up(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"api_keys": "k:root"}))
    with pytest.raises(ValueError, match="API_KEYS entry 1"), TestClient(app):
        pass


def test_key_ring_grants_the_widest_scope_of_a_repeated_key() -> None:
    ring = KeyRing()
    ring.load("same:read,same:write,other:read")
    assert ring.scope_of(b"same") == "write"
    assert ring.scope_of(b"other") == "read"
    assert ring.scope_of(b"sam") is None
    assert ring.scope_of(b"") is None


def test_presented_key_prefers_the_first_credential_header() -> None:
    assert presented_key([(b"x-api-key", b"k1"), (b"authorization", b"Bearer k2")]) == b"k1"
    assert presented_key([(b"authorization", b"BEARER  k2 ")]) == b"k2"
    assert presented_key([(b"authorization", b"Token k3")]) is None
