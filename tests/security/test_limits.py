"""Hostile input: oversized bodies, long lists, odd JSON, and errors that never show a stack trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import ALL_COMPONENTS, make_contract

CAP = 2048


@pytest.fixture
def capped(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"max_body_bytes": CAP, "max_batch_events": 3}))

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret internals /srv/app.py line 12")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def contract_body(padding: int) -> bytes:
    return b'{"contract_number": "1234", "components": ["energy_supply"]' + b" " * padding + b"}"


def chunks(body: bytes, size: int = 500) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def assert_too_large(response_json: dict[str, str]) -> None:
    assert response_json == {
        "status": "error",
        "message": f"Request body larger than {CAP} bytes.",
        "code": "body_too_large",
    }


def test_declared_length_over_the_cap_is_413(capped: TestClient) -> None:
    response = capped.post("/contract/", content=contract_body(CAP), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert_too_large(response.json())
    assert capped.get("/contract/1234").status_code == 404


def test_body_at_the_cap_passes(capped: TestClient) -> None:
    body = contract_body(0)
    body = contract_body(CAP - len(body))
    assert len(body) == CAP
    response = capped.post("/contract/", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 201


def test_chunked_body_over_the_cap_is_413(capped: TestClient) -> None:
    response = capped.post(
        "/contract/", content=chunks(contract_body(3 * CAP)), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert_too_large(response.json())
    assert capped.get("/contract/1234").status_code == 404


def test_chunked_body_under_the_cap_passes(capped: TestClient) -> None:
    response = capped.post(
        "/contract/", content=chunks(contract_body(CAP // 2)), headers={"Content-Type": "application/json"}
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 201


def test_lists_are_bounded(capped: TestClient) -> None:
    make_contract(capped)
    too_many_components = {"contract_number": "55", "components": ALL_COMPONENTS * 22}
    assert capped.post("/contract/", json=too_many_components).json()["code"] == "invalid_payload"
    event = {"type": "supply_energy_start", "contract_number": "1234", "date": "2024-01-01"}
    response = capped.post("/events", json=[event] * 4)
    assert response.status_code == 413
    assert response.json()["code"] == "too_many_events"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 1500 + b"]" * 1500,
        b'{"contract_number": "1',
        b"\xff\xfe",
        b"null",
        b'{"contract_number": "1234", "components": [], "x": 1}',
    ],
)
def test_malformed_json_is_a_4xx_envelope(capped: TestClient, body: bytes) -> None:
    response = capped.post("/contract/", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"status", "message", "code"}


def test_unexpected_errors_carry_no_stack_trace(capped: TestClient) -> None:
    response = capped.get("/boom")
    assert response.status_code == 500
    assert response.json() == {
        "status": "error",
        "message": "Internal error; it has been logged.",
        "code": "internal_error",
    }
    assert "Traceback" not in response.text
    assert "secret internals" not in response.text
