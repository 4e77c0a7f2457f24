"""A backdated ``rules publish`` re-judges the events created since its ``effective_from``, each
under the version in force at its ``created_at``: the history shows the new verdict with the
version that gave it and the verdict it replaced, the change feed a ``reevaluation`` record
naming the version, and ``as_known_at`` before the publish still answers what it did then."""

from __future__ import annotations

import time
from pathlib import Path

from typer.testing import CliRunner

from app.cli.main import app as cli
from app.runtime import Runtime
from app.services.rule_versions import now_utc
from app.settings import Settings
from tests.api.test_events import event
from tests.api.test_rule_versions import history_of, serving
from tests.api.versioned import lenient
from tests.conftest import RULES, make_contract


def test_a_backdated_publish_rejudges_events_and_history_and_feed_show_it(settings: Settings, tmp_path: Path) -> None:
    with serving(settings, RULES) as client:
        make_contract(client)
        for body, code in (
            (event("supply_energy_start", "2024-01-01", "2024-01-01T00:00:00"), "accepted"),
            (event("supply_energy_end", "2024-01-15", "2024-01-02T00:00:00"), "accepted"),
            (event("battery_optimization_start", "2024-02-10", "2024-02-10T00:00:00"), "accepted"),
            (event("supply_energy_start", "2024-03-01", "2024-03-01T00:00:00"), "restart_after_end"),
        ):
            assert client.post("/event", json=body).json()["code"] == code
        first = client.get("/rules").json()["version"]
        feed_from = client.get("/changes").json()["next"]
        time.sleep(0.01)
        before_publish = now_utc().isoformat() + "Z"
        time.sleep(0.01)

        second = lenient(tmp_path)  # an ended component may start again
        done = CliRunner().invoke(
            cli,
            [
                *(
                    "publish",
                    "--rules",
                    str(tmp_path / "lenient"),
                    "--effective-from",
                    "2024-02-01",
                    "--backdate",
                    "--yes",
                ),
                *("--database-url", settings.database_url),
            ],
            env={"RULES_POLL_SECONDS": "0"},
        )
        assert done.exit_code == 0, done.output
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert runtime.watcher.poll()

        events = history_of(client)
        by_type = [(e["type"], e["code"], e["rules_version"]) for e in events]
        assert by_type == [
            ("supply_energy_start", "accepted", first),  # created before 2024-02-01: the old version
            ("supply_energy_end", "accepted", first),
            ("battery_optimization_start", "accepted", second.version),
            ("supply_energy_start", "accepted", second.version),
        ]
        assert [e["previous_verdict"] and e["previous_verdict"]["code"] for e in events] == [
            None,
            None,
            None,
            "restart_after_end",
        ]
        timeline = client.get("/1234/contract_timeline").json()["components"]["energy_supply"]
        assert timeline == {"start": "2024-03-01", "end": "2024-01-15", "state": "started"}

        changes = client.get(f"/changes?after={feed_from}").json()["changes"]
        [change] = [c for c in changes if c["component"] == "energy_supply"]
        assert change["cause"] == {"kind": "reevaluation", "id": second.version}
        assert [(v["event_id"], v["previous"]["code"], v["current"]["code"]) for v in change["verdicts"]] == [
            (events[3]["id"], "restart_after_end", "accepted")
        ]
        assert (change["before"]["state"], change["after"]["state"]) == ("ended", "started")

        # Time travel: now, the fold gives what is stored; before the publish, what was answered then.
        now = now_utc().isoformat() + "Z"
        known_now = client.get(f"/1234/events?as_known_at={now}").json()["events"]
        assert [(e["code"], e["rules_version"]) for e in known_now] == [(e["code"], e["rules_version"]) for e in events]
        known_then = client.get(f"/1234/events?as_known_at={before_publish}").json()["events"]
        assert [(e["code"], e["rules_version"]) for e in known_then] == [
            ("accepted", first),
            ("accepted", first),
            ("accepted", first),
            ("restart_after_end", first),
        ]
        then = client.get(f"/1234/contract_timeline?as_known_at={before_publish}").json()["components"]
        assert then["energy_supply"]["state"] == "ended"
