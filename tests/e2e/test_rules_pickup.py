"""Hot pickup: a version published beside a running 2-worker server is used by every worker
within the documented delay (one RULES_POLL_SECONDS), with no restart."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.cli.main import app as cli
from app.domain.rules import load_rulebook
from tests.conftest import ALL_COMPONENTS
from tests.e2e.server import ServerFactory
from tests.services.test_reevaluation import lenient_rules

pytestmark = pytest.mark.e2e

POLL_SECONDS = 0.5


def test_a_published_version_reaches_every_worker(
    serve: ServerFactory, e2e_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RULES_POLL_SECONDS", str(POLL_SECONDS))
    monkeypatch.setenv("MAX_FUTURE_SKEW", "0")
    server = serve(2)
    new_rules = lenient_rules(tmp_path)
    new_version = load_rulebook(new_rules).version
    effective = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=3)
    done = CliRunner().invoke(
        cli,
        [
            "publish",
            "--rules",
            str(new_rules),
            "--database-url",
            e2e_database,
            "--effective-from",
            effective.isoformat(),
            "--yes",
        ],
    )
    assert done.exit_code == 0, done.output
    published = time.monotonic()

    # Every worker lists the new version within one poll interval (plus scheduling slack).
    seen_everywhere = None
    while time.monotonic() - published < 10 * POLL_SECONDS:
        answers = []
        for _ in range(12):  # a new connection each: the kernel spreads them over both workers
            with httpx.Client(base_url=server.base_url, timeout=10) as client:
                answers.append([v["hash"] for v in client.get("/rules/versions").json()["versions"]])
        if all(hashes[-1] == new_version for hashes in answers):
            seen_everywhere = time.monotonic() - published
            break
        time.sleep(0.1)
    assert seen_everywhere is not None, "some worker never picked the version up"
    assert seen_everywhere <= 2 * POLL_SECONDS + 1

    # From its effective_from on, events are judged by it: an ended component may start again.
    time.sleep(max(0.0, (effective - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) + 0.1)
    for n in range(8):
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            number = f"pickup-{n}"
            assert (
                client.post("/contract/", json={"contract_number": number, "components": ALL_COMPONENTS}).status_code
                == 201
            )
            for kind, day in (("start", "2025-01-01"), ("end", "2025-02-01"), ("start", "2025-03-01")):
                body = {"type": f"supply_energy_{kind}", "contract_number": number, "date": day}
                answer = client.post("/event", json=body).json()
                assert answer["code"] == "accepted", answer
            versions = {e["rules_version"] for e in client.get(f"/{number}/events").json()["events"]}
            assert versions == {new_version}
