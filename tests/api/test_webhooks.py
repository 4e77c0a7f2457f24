"""Webhook management through the ASGI app: secrets shown once, SSRF refusals, write keys, 404s."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import RULES


@pytest.fixture
def open_client(database_url: str) -> TestClient:
    settings = Settings(
        database_url=database_url, rules_dir=RULES, webhook_allow_private_networks=True, event_writer="thread"
    )
    return TestClient(create_app(settings), raise_server_exceptions=False)


def test_a_subscription_shows_its_secret_once(open_client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with open_client as client:
        created = client.post("/webhooks", json={"url": "http://127.0.0.1:9/hook", "components": ["energy_supply"]})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["secret"].startswith("whsec_")
        assert body["components"] == ["energy_supply"]
        assert body["status"] == "active"
        assert body["position"] == 0
        listed = client.get("/webhooks").json()["webhooks"]
        assert [w["id"] for w in listed] == [body["id"]]
        assert "secret" not in listed[0]
        assert "secret" not in client.get(f"/webhooks/{body['id']}").json()
        assert client.get(f"/webhooks/{body['id']}/deliveries").json() == {"deliveries": []}
        replayed = client.post(f"/webhooks/{body['id']}/replay", json={"from_seq": 1})
        assert replayed.status_code == 200
        assert replayed.json()["position"] == 0
        assert client.post(f"/webhooks/{body['id']}/replay", json={"from_seq": "1"}).status_code == 422
        deleted = client.delete(f"/webhooks/{body['id']}")
        assert deleted.json() == {
            "status": "ok",
            "message": f"Webhook {body['id']} deleted.",
            "code": "webhook_deleted",
        }
        for answer in (client.get(f"/webhooks/{body['id']}"), client.delete(f"/webhooks/{body['id']}")):
            assert answer.status_code == 404
            assert answer.json()["code"] == "webhook_not_found"
    assert body["secret"] not in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://localhost/x",
        "http://10.0.0.5/",
        "http://[::1]/",
        "http://169.254.169.254/latest",
        "ftp://example.com/",
    ],
)
def test_private_and_non_http_targets_are_refused(client: TestClient, url: str) -> None:
    answer = client.post("/webhooks", json={"url": url})
    assert answer.status_code == 422
    assert answer.json()["code"] == "webhook_url_refused"


def test_unknown_components_are_refused(open_client: TestClient) -> None:
    with open_client as client:
        answer = client.post("/webhooks", json={"url": "http://127.0.0.1/x", "components": ["solar"]})
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_components"


def test_managing_webhooks_needs_a_write_key(database_url: str) -> None:
    settings = Settings(database_url=database_url, rules_dir=RULES, api_keys="r:read,w:write", event_writer="thread")
    with TestClient(create_app(settings)) as client:
        assert client.get("/webhooks", headers={"X-API-Key": "r"}).status_code == 403
        assert client.get("/webhooks", headers={"X-API-Key": "w"}).status_code == 200
        assert client.get("/changes", headers={"X-API-Key": "r"}).status_code == 200
