"""Every answer, errors included, carries ``X-Request-ID`` and ``X-Content-Type-Options: nosniff``;
HEAD answers every GET endpoint with the GET's status and headers and no body."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import partial

import pytest
from fastapi.testclient import TestClient

from app.domain.errors import Unavailable
from app.main import create_app
from app.settings import Settings
from app.webhooks import service as webhooks
from tests.conftest import make_contract

CAP = 1024
READ_KEY = "r3ad-k3y-0123456789"
REQUEST_ID = re.compile(r"[0-9a-f]{12}-[0-9a-f]+")
PLAIN_GET_ROUTES = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/metrics")


@pytest.fixture
def faulty(settings: Settings) -> Iterator[TestClient]:
    """The service with a small body cap and routes that fail in the two ways a route can."""
    app = create_app(settings.model_copy(update={"max_body_bytes": CAP}))

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("boom")

    @app.get("/unavailable", include_in_schema=False)
    def unavailable() -> None:
        raise Unavailable("The database does not take writes.", "storage_unavailable")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def keyed(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"api_keys": f"{READ_KEY}:read"}))) as test_client:
        yield test_client


def oversized() -> Iterator[bytes]:
    """A streamed body (no Content-Length) over the cap: refused while it is read."""
    for _ in range(4):
        yield b" " * CAP


CASES = [
    ("faulty", "GET", "/health", {}, 200),
    ("faulty", "HEAD", "/health", {}, 200),
    ("faulty", "GET", "/contract/nope", {}, 404),
    ("faulty", "GET", "/no/such/path", {}, 404),
    ("faulty", "DELETE", "/health", {}, 405),
    ("faulty", "POST", "/event", {"content": b"{", "headers": {"content-type": "application/json"}}, 422),
    ("faulty", "POST", "/contract/", {"content": b" " * (CAP + 1)}, 413),
    ("faulty", "POST", "/contract/", {"content": oversized}, 413),
    ("faulty", "GET", "/unavailable", {}, 503),
    ("faulty", "GET", "/boom", {}, 500),
    ("faulty", "HEAD", "/boom", {}, 500),
    ("keyed", "GET", "/contract/1234", {}, 401),
    ("keyed", "POST", "/contract/", {"headers": {"X-API-Key": READ_KEY}, "json": {}}, 403),
]


@pytest.mark.parametrize(("which", "method", "path", "options", "status"), CASES)
def test_every_answer_carries_a_request_id_and_nosniff(
    request: pytest.FixtureRequest, which: str, method: str, path: str, options: dict[str, object], status: int
) -> None:
    client: TestClient = request.getfixturevalue(which)
    if callable(options.get("content")):
        options = {**options, "content": options["content"]()}  # type: ignore[operator]
    response = client.request(method, path, **options)  # type: ignore[arg-type]
    assert response.status_code == status
    assert REQUEST_ID.fullmatch(response.headers["X-Request-ID"])
    assert response.headers.get_list("X-Content-Type-Options") == ["nosniff"]
    if method == "HEAD":
        assert response.content == b""
    else:
        assert response.json()["code"]


def test_an_unhandled_error_is_a_500_envelope_logged_with_the_answers_request_id(
    faulty: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = faulty.get("/boom", headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert response.json() == {
        "status": "error",
        "message": "Internal error; it has been logged.",
        "code": "internal_error",
    }
    assert response.headers["X-Request-ID"] == "trace-500"
    faulty.app.state.access_log.flush()  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [error] = [line for line in lines if line["message"] == "unhandled error"]
    assert error["request_id"] == "trace-500"
    assert "RuntimeError: boom" in error["exc"]
    [access] = [line for line in lines if line["logger"] == "app.access" and line["path"] == "/boom"]
    assert (access["status"], access["request_id"]) == (500, "trace-500")


def test_the_test_client_still_raises_an_unhandled_error(settings: Settings) -> None:
    """The middleware answers the 500 and re-raises, so tests and servers still see the error."""
    app = create_app(settings)

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app) as strict, pytest.raises(RuntimeError, match="boom"):
        strict.get("/boom")


def get_endpoints(client: TestClient) -> list[str]:
    """Every GET path: the documented operations and the plain routes (docs, schema, metrics)."""
    paths = client.get("/openapi.json").json()["paths"]
    return [path for path, operations in paths.items() if "get" in operations] + list(PLAIN_GET_ROUTES)


def test_head_answers_every_get_endpoint_like_its_get(faulty: TestClient) -> None:
    make_contract(faulty)
    event = {"type": "supply_energy_start", "contract_number": "1234", "date": "2024-01-01"}
    assert faulty.post("/event", json=event).status_code == 200
    writer = faulty.app.state.runtime.writer  # type: ignore[attr-defined]
    assert faulty.portal is not None
    made = faulty.portal.call(
        writer.run, partial(webhooks.create, url="https://example.com/", components=None, description=None)
    )
    # The event stream never ends: its HEAD is checked in test_head_of_the_stream_answers_without_a_body.
    endpoints = [e for e in get_endpoints(faulty) if e != "/changes/stream"]
    assert {"/health", "/{contract_number}/contract_timeline", "/{contract_number}/events", "/rules"} <= set(endpoints)
    for template in endpoints:
        path = template.replace("{contract_number}", "1234").replace("{webhook_id}", made[0].id)
        head, get = faulty.head(path), faulty.get(path)
        assert (path, head.status_code) == (path, get.status_code)
        assert get.status_code == 200, path
        assert head.content == b""
        varying = {"x-request-id"} | ({"content-length"} if path == "/metrics" else set())
        head_headers = {k: v for k, v in head.headers.items() if k not in varying}
        get_headers = {k: v for k, v in get.headers.items() if k not in varying}
        assert (path, head_headers) == (path, get_headers)


def test_head_of_the_stream_answers_without_a_body(faulty: TestClient) -> None:
    head = faulty.head("/changes/stream")
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/event-stream")
    assert head.content == b""


def test_head_on_an_unknown_contract_answers_like_get(faulty: TestClient) -> None:
    head, get = faulty.head("/404/contract_timeline"), faulty.get("/404/contract_timeline")
    assert head.status_code == get.status_code == 404
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.content == b""


def test_head_is_not_allowed_where_get_is_not(faulty: TestClient) -> None:
    assert faulty.head("/event").status_code == 405
