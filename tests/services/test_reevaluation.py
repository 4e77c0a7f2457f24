"""Impact of a rule change on stored contracts, and the explicit re-evaluation."""

import shutil
import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db import queries
from app.db.engines import create_engines
from app.domain.engine import RulesEngine
from app.domain.fold import chooser
from app.domain.rules import load_rulebook
from app.services.commands import EventCommand
from app.services.event_log import record_events
from app.services.reevaluation import ImpactReport, assess, reevaluate
from app.settings import Settings
from tests.api.test_events import event, history
from tests.conftest import RULES, make_contract


def lenient_rules(tmp_path: Path) -> Path:
    """A copy of the rules where an ended component may be restarted (start → started)."""
    target = tmp_path / "lenient"
    shutil.copytree(RULES, target)
    text = (target / "lifecycles.yaml").read_text()
    text = text.replace("      - {trigger: start, source: ended, code: restart_after_end}\n", "")
    text = text.replace(
        "      - {trigger: start, source: started, dest: started, set: start}\n",
        "      - {trigger: start, source: started, dest: started, set: start}\n"
        "      - {trigger: start, source: ended, dest: started, set: start}\n",
    )
    text = text.replace("  restart_after_end: A terminated component cannot be restarted.\n", "")
    (target / "lifecycles.yaml").write_text(text)
    return target


def _seed(client: TestClient) -> None:
    make_contract(client)
    for body in (
        event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00"),
        event("supply_energy_end", "2024-02-01", "2024-01-02T00:00:00"),
        event("supply_energy_start", "2024-03-01", "2024-01-03T00:00:00"),
    ):
        client.post("/event", json=body)


def test_assess_reports_changes_and_writes_nothing(client: TestClient, settings: Settings, tmp_path: Path) -> None:
    _seed(client)
    stored = history(client)
    engines = create_engines(settings.database_url)
    try:
        with engines.reader.connect() as conn:
            same = assess(conn, RulesEngine(load_rulebook(RULES)))
            report = assess(conn, RulesEngine(load_rulebook(lenient_rules(tmp_path))))
    finally:
        engines.dispose()
    assert (same.contracts, same.events, same.verdicts_changed, same.timelines_changed) == (1, 3, 0, 0)
    assert (report.verdicts_changed, report.timelines_changed) == (1, 1)
    [change] = report.verdict_examples
    assert (change.type, change.before, change.after) == ("supply_energy_start", "restart_after_end", "accepted")
    assert report.timeline_examples[0].after.state == "started"
    assert history(client) == stored


def test_reevaluate_writes_new_verdicts_and_version(client: TestClient, settings: Settings, tmp_path: Path) -> None:
    _seed(client)
    lenient = RulesEngine(load_rulebook(lenient_rules(tmp_path)))
    engines = create_engines(settings.database_url)
    try:
        report = reevaluate(engines.writer, lenient)
    finally:
        engines.dispose()
    assert report.verdicts_changed == 1
    assert [e["code"] for e in history(client)] == ["accepted", "accepted", "accepted"]
    assert {e["rules_version"] for e in history(client)} == {lenient.rulebook.version}
    assert client.get("/1234/contract_timeline").json()["components"]["energy_supply"] == {
        "start": "2024-03-01",
        "end": "2024-02-01",
        "state": "started",
    }


def test_impact_and_backdated_publish_commands(
    client: TestClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backdated publish shows its impact, asks, and re-judges what it affects, logged."""
    from typer.testing import CliRunner

    from app.cli.main import app as cli

    monkeypatch.setenv("RULES_POLL_SECONDS", "0")
    _seed(client)
    lenient = lenient_rules(tmp_path)
    runner = CliRunner()
    impact = runner.invoke(cli, ["impact", "--rules", str(lenient), "--database-url", settings.database_url])
    assert impact.exit_code == 0, impact.output
    assert "1 event verdict(s) would change; 1 timeline(s) would change." in impact.output
    assert "restart_after_end" in impact.output
    assert [e["code"] for e in history(client)][-1] == "restart_after_end"
    publish = ["publish", "--rules", str(lenient), "--database-url", settings.database_url]
    too_early = runner.invoke(cli, [*publish, "--effective-from", "2000-01-01"])
    assert too_early.exit_code == 1
    assert "--backdate" in too_early.output
    refused = runner.invoke(cli, [*publish, "--effective-from", "2000-01-01", "--backdate"], input="n\n")
    assert refused.exit_code == 1
    assert "1 event verdict(s) would change" in refused.output
    assert [e["code"] for e in history(client)][-1] == "restart_after_end"
    done = runner.invoke(cli, [*publish, "--effective-from", "2000-01-01", "--backdate", "--yes"])
    assert done.exit_code == 0, done.output
    assert [e["code"] for e in history(client)][-1] == "accepted"
    assert history(client)[-1]["rules_version"] == load_rulebook(lenient).version
    settled = runner.invoke(cli, ["reevaluate", "--database-url", settings.database_url, "--yes"])
    assert settled.exit_code == 0, settled.output
    assert "0 event verdict(s) changed" in settled.output


def test_reevaluate_waits_for_a_request_holding_the_contract_and_judges_its_event(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    """A request that holds the contract's lock commits first; reevaluate reads after it."""
    _seed(client)
    lenient = RulesEngine(load_rulebook(lenient_rules(tmp_path)))
    request, tool = create_engines(settings.database_url), create_engines(settings.database_url)
    try:
        with request.writer.begin() as conn:
            # What a request does: lock the contract, then judge and store an event (old tables).
            assert queries.lock_contracts(conn, ["1234"])
            late_end = EventCommand(
                "supply_energy_end", "1234", date(2024, 4, 1), datetime(2024, 1, 4), datetime(2024, 1, 4)
            )
            [outcome] = record_events(conn, [late_end], rules=chooser(RulesEngine(load_rulebook(RULES))))
            assert outcome.verdict.accepted
            done: list[ImpactReport] = []
            worker = threading.Thread(target=lambda: done.append(reevaluate(tool.writer, lenient)))
            worker.start()
            worker.join(0.5)
            assert worker.is_alive(), "reevaluate did not wait for the request's lock"
        worker.join(60)
        assert not worker.is_alive()
    finally:
        request.dispose()
        tool.dispose()
    [report] = done
    assert (report.contracts, report.events) == (1, 4)
    stored = history(client)
    assert [e["code"] for e in stored] == ["accepted"] * 4
    assert {e["rules_version"] for e in stored} == {lenient.rulebook.version}
    assert client.get("/1234/contract_timeline").json()["components"]["energy_supply"] == {
        "start": "2024-03-01",
        "end": "2024-04-01",
        "state": "ended",
    }
