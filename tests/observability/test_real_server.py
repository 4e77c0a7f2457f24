"""Against a real ``uvicorn --http h11`` process, over raw sockets: metric labels stay bounded under
random methods, and errors (an unhandled one included) and HEAD answers carry the right headers."""

from __future__ import annotations

import json
import random
import re
import string
import time
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.observability.metrics import METHODS, OTHER
from tests.conftest import RULES
from tests.observability.served import TargetServer, exchange, status_and_headers

REQUEST_ID = re.compile(r"[0-9a-f]{12}-[0-9a-f]+")
RANDOM_METHODS = 300
MAX_METRICS_GROWTH = 16 * 1024
"""Bytes /metrics may grow by over the random methods: a few new series. Before labels were
bounded, 3,000 random methods grew it to 4.9 MB (about 1.6 kB per method)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TargetServer]:
    """One server for the module (a start costs seconds), on a SQLite file: nothing here is about
    the database, and no test depends on another's requests."""
    folder = tmp_path_factory.mktemp("real-server")
    served = TargetServer(
        target="tests.observability.faulty_app:app",
        options=["--http", "h11"],
        database_url=f"sqlite:///{folder / 'contracts.db'}",
        rules_dir=RULES,
        log_path=folder / "uvicorn.log",
    )
    served.start()
    try:
        yield served
    finally:
        served.stop()


def get(server: TargetServer, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    head, body = exchange(server.port, method, path)
    status, headers = status_and_headers(head)
    return status, headers, body


def test_random_methods_leave_metrics_bounded(server: TargetServer) -> None:
    rng = random.Random(4)
    before = get(server, "GET", "/metrics")[2]
    sent = set()
    for index in range(RANDOM_METHODS):
        method = "".join(rng.choices(string.ascii_uppercase + "-_", k=rng.randint(3, 24)))
        sent.add(method)
        path = ("/health", "/contract/42", f"/nowhere/{rng.randrange(10**9)}")[index % 3]
        status, headers, _ = get(server, method, path)
        # The app answered (h11 passed the method on): httptools would have refused it with a 400.
        assert status in (404, 405), (method, path, status)
        assert REQUEST_ID.fullmatch(headers["x-request-id"])
    after = get(server, "GET", "/metrics")[2]
    assert len(after) - len(before) < MAX_METRICS_GROWTH
    methods = {
        sample.labels["method"]
        for family in text_string_to_metric_families(after.decode())
        for sample in family.samples
        if "method" in sample.labels
    }
    assert OTHER in methods
    assert methods <= METHODS | {OTHER}


def test_an_unhandled_error_answers_the_500_envelope_with_headers(server: TargetServer) -> None:
    status, headers, body = get(server, "GET", "/boom")
    assert status == 500
    assert json.loads(body) == {
        "status": "error",
        "message": "Internal error; it has been logged.",
        "code": "internal_error",
    }
    request_id = headers["x-request-id"]
    assert REQUEST_ID.fullmatch(request_id)
    assert headers["x-content-type-options"] == "nosniff"
    # The error is logged, after the answer, with the same request id.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
        errors = [line for line in lines if line.get("message") == "unhandled error"]
        if errors:
            break
        time.sleep(0.1)
    assert [line["request_id"] for line in errors] == [request_id]
    assert "RuntimeError: boom" in errors[0]["exc"]


def test_a_domain_503_and_a_head_500_carry_the_headers(server: TargetServer) -> None:
    status, headers, body = get(server, "GET", "/unavailable")
    assert (status, json.loads(body)["code"]) == (503, "storage_unavailable")
    assert REQUEST_ID.fullmatch(headers["x-request-id"])
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, body = get(server, "HEAD", "/boom")
    assert (status, body) == (500, b"")
    assert REQUEST_ID.fullmatch(headers["x-request-id"])


@pytest.mark.parametrize("path", ["/health", "/ready", "/rules", "/openapi.json", "/404/contract_timeline"])
def test_head_sends_the_gets_headers_and_no_body(server: TargetServer, path: str) -> None:
    get_status, get_headers, get_body = get(server, "GET", path)
    head_status, head_headers, head_body = get(server, "HEAD", path)
    assert head_status == get_status
    assert head_body == b""
    assert int(head_headers["content-length"]) == len(get_body) > 0
    assert head_headers["content-type"] == get_headers["content-type"]
    assert head_headers["x-content-type-options"] == "nosniff"
    assert head_headers["x-request-id"] != get_headers["x-request-id"]
