"""One JSON line per request with a request id, also returned in ``X-Request-ID``."""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.observability.json_logs import JsonFormatter
from app.observability.request_ids import accept_or_make, current_request_id
from app.settings import Settings
from tests.conftest import make_contract

ACCESS_FIELDS = {"method", "path", "route", "status", "duration_ms", "request_id", "client"}


def access_lines(stderr: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "app.access"]


def test_a_request_id_is_made_and_returned(client: TestClient) -> None:
    first, second = client.get("/health"), client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{12}-[0-9a-f]+", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_sane_incoming_request_id_is_kept(client: TestClient) -> None:
    response = client.get("/contract/77", headers={"X-Request-ID": "edge-7f3a:01.b"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "edge-7f3a:01.b"


@pytest.mark.parametrize("incoming", ["x" * 129, "has space", "new\\nline", "<script>", ""])
def test_an_odd_incoming_request_id_is_replaced(client: TestClient, incoming: str) -> None:
    response = client.get("/health", headers={"X-Request-ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{12}-[0-9a-f]+", response.headers["X-Request-ID"])


def test_each_request_logs_one_json_line(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    make_contract(client)
    response = client.get("/contract/1234?token=hidden", headers={"X-Request-ID": "req-1"})
    client.get("/nowhere")
    client.get("/metrics")
    assert access_lines(capsys.readouterr().err) == [], "lines are buffered, not written per request"
    client.app.state.access_log.flush()  # type: ignore[attr-defined]
    lines = access_lines(capsys.readouterr().err)
    assert [(line["method"], line["path"], line["route"], line["status"]) for line in lines] == [
        ("POST", "/contract/", "/contract/", 201),
        ("GET", "/contract/1234", "/contract/{contract_number}", 200),
        ("GET", "/nowhere", "unrouted", 404),
        ("GET", "/metrics", "/metrics", 200),
    ]
    assert set(lines[1]) >= ACCESS_FIELDS
    assert lines[1]["request_id"] == response.headers["X-Request-ID"] == "req-1"
    assert lines[1]["client"] == "testclient"
    assert isinstance(lines[1]["duration_ms"], float)
    assert "hidden" not in json.dumps(lines)


def test_logs_written_while_serving_carry_the_request_id(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    @client.app.get("/noisy", include_in_schema=False)  # type: ignore[attr-defined, untyped-decorator]
    def noisy() -> dict[str, str]:
        logging.getLogger("app.noisy").warning("something odd")
        return {}

    capsys.readouterr()
    client.get("/noisy", headers={"X-Request-ID": "trace-42"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [warning] = [line for line in lines if line["logger"] == "app.noisy"]
    assert (warning["level"], warning["message"], warning["request_id"]) == ("WARNING", "something odd", "trace-42")


def test_uvicorn_access_log_is_silenced(client: TestClient) -> None:
    assert not logging.getLogger("uvicorn.access").isEnabledFor(logging.INFO)
    assert client.app.state.access_log.enabled  # type: ignore[attr-defined]


def test_buffered_lines_are_written_when_the_service_stops(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(create_app(settings)) as served:
        capsys.readouterr()
        served.get("/health")
    assert [line["path"] for line in access_lines(capsys.readouterr().err)] == ["/health"]


def test_access_log_can_be_turned_off(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with TestClient(create_app(settings.model_copy(update={"access_log": False}))) as quiet:
        capsys.readouterr()
        assert quiet.get("/health").status_code == 200
    assert access_lines(capsys.readouterr().err) == []


def test_formatter_writes_json_with_extras_and_exceptions() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        record = logging.LogRecord("app.x", logging.ERROR, __file__, 1, "failed %s", ("once",), sys.exc_info())
    record.status = 503
    token = current_request_id.set("rid-9")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        current_request_id.reset(token)
    assert (line["level"], line["logger"], line["message"], line["status"], line["request_id"]) == (
        "ERROR",
        "app.x",
        "failed once",
        503,
        "rid-9",
    )
    assert "ValueError: bad" in line["exc"]
    assert line["ts"].endswith("+00:00")


def test_accept_or_make() -> None:
    assert accept_or_make(b"abc-1") == "abc-1"
    assert accept_or_make(None) != accept_or_make(None)
    assert re.fullmatch(r"[0-9a-f]{12}-[0-9a-f]+", accept_or_make(b"\xff"))
