"""Tests generated from the rule tables, run through the API.

One test per transition row, per guard of a row and per rejection cell (``app.domain.paths``),
for the default rules and for the ``rules_ev`` fixture, whose extra lifecycle is built from YAML
alone. Each test creates a contract, reaches the source state with the API, sends the event and
checks the answer and the stored timeline. Adding a row to a table adds a test here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.domain.paths import Case, generate_cases
from app.domain.rules import load_rulebook
from app.main import create_app
from app.settings import Settings
from tests.databases import ScratchDatabases, postgres_server

ROOT = Path(__file__).resolve().parents[2]
RULE_SETS = {"rules": ROOT / "rules", "rules_ev": ROOT / "tests" / "fixtures" / "rules_ev"}
CASES = [(label, case) for label, path in RULE_SETS.items() for case in generate_cases(load_rulebook(path))]
_numbers = itertools.count()


@pytest.fixture(scope="module")
def clients(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, TestClient]]:
    """One running app per rule set, each on a database of its own."""
    databases: ScratchDatabases | None = request.getfixturevalue("scratch_databases") if postgres_server() else None
    urls = {
        label: databases.create() if databases else f"sqlite:///{tmp_path_factory.mktemp(label) / 'db.sqlite'}"
        for label in RULE_SETS
    }
    apps = {
        label: TestClient(create_app(Settings(database_url=urls[label], rules_dir=path, event_writer="thread")))
        for label, path in RULE_SETS.items()
    }
    for app in apps.values():
        app.__enter__()
    try:
        yield apps
    finally:
        for app in apps.values():
            app.__exit__(None, None, None)
        if databases:
            for url in urls.values():
                databases.drop(url)


@pytest.mark.parametrize(("label", "case"), CASES, ids=[f"{label}/{case.id}" for label, case in CASES])
def test_generated_case_through_the_api(clients: dict[str, TestClient], label: str, case: Case) -> None:
    client, number = clients[label], f"gen-{next(_numbers)}"
    assert (
        client.post("/contract/", json={"contract_number": number, "components": [case.component]}).status_code == 201
    )
    moves = [*case.path, case.event]
    answers = [
        client.post(
            "/event",
            json={
                "type": event_type,
                "contract_number": number,
                "date": day.isoformat(),
                "created_at": f"2024-01-01T08:00:{second:02d}",
            },
        )
        for second, (event_type, day) in enumerate(moves)
    ]

    *setup, answer = answers
    assert all(a.status_code == 200 for a in setup), [a.json() for a in setup]
    expected = case.expected
    assert answer.status_code == (200 if expected.accepted else 409)
    body = answer.json()
    assert (body["status"], body["message"], body["code"]) == (
        "accepted" if expected.accepted else "rejected",
        expected.message,
        expected.code,
    )
    timeline = client.get(f"/{number}/contract_timeline").json()["components"][case.component]
    assert timeline == {
        "state": expected.state,
        "start": expected.start.isoformat() if expected.start else None,
        "end": expected.end.isoformat() if expected.end else None,
        **{name: day.isoformat() for name, day in expected.others},
    }
