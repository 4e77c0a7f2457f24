"""Schemathesis against the app's own OpenAPI schema: no input gives a 5xx, and every answer
(status code, headers, body) is one the schema documents.

The app runs with API keys, a real SQLite file (or PostgreSQL) and contract 1234, the number the
schema's examples use, so event requests get past "contract not found" too. Each operation gets
the same app; ``MAX_EXAMPLES`` keeps the whole module around a minute on a 2-core machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import CheckContext, Config, Response
from schemathesis.python import asgi

from app.main import create_app
from app.settings import Settings
from tests.conftest import ALL_COMPONENTS

MAX_EXAMPLES = 120
WRITE_KEY = "schemathesis-write-key"
AUTH = {"Authorization": f"Bearer {WRITE_KEY}"}
# Which component and event names exist is the rule tables' business, not the schema's: a
# schema-valid request may name one the tables do not know, and is then refused with a 422 and
# a specific code. So 422 counts as an answer to valid data, and ``passes_request_validation``
# below still insists that valid data is never refused as ``invalid_payload``.
CONFIG = Config.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "413", "422"]}}}
)


@schemathesis.check
def passes_request_validation(_: CheckContext, response: Response, case: schemathesis.Case[Any]) -> bool | None:
    """Data the schema calls valid gets past the app's own request validation."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    code = response.json().get("code")
    if code == "invalid_payload":
        raise AssertionError(f"Schema-valid data refused by request validation: {response.text}")
    return None


@pytest.fixture
def api_app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings.model_copy(update={"api_keys": f"{WRITE_KEY}:write", "max_batch_events": 50}))
    try:
        yield app
    finally:
        asgi.shutdown_lifespans()


@pytest.fixture
def api_schema(api_app: FastAPI) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", api_app, config=CONFIG)
    ensure_contract(api_app)
    return loaded


def ensure_contract(app: FastAPI) -> None:
    with asgi.get_client(app) as session:  # type: ignore[arg-type]
        created = session.post(
            "/contract/", json={"contract_number": "1234", "components": ALL_COMPONENTS}, headers=AUTH
        )
    assert created.status_code in (201, 409), created.text


# The event stream never ends by design (tests/e2e/test_feed_gapless.py reads it), and a long
# poll that waits for a commit nobody makes would only slow the run: ``wait`` is sent as 0.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(operation_id="stream_changes")


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case[Any], api_app: FastAPI) -> None:
    if case.query and "wait" in case.query:
        case.query["wait"] = 0
    response = case.call_and_validate(headers=AUTH, additional_checks=[passes_request_validation])
    if case.method == "DELETE" and response.status_code == 200:
        ensure_contract(api_app)
