"""The console's pure formatting, without a server or a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.rules import load_rulebook
from app.web.capabilities import AS_KNOWN_AT, LISTING, REVOKE, Capabilities
from app.web.views.cells import table
from app.web.views.gantt import gantt
from app.web.views.history import event_row
from app.web.views.lifecycle import diagram, lanes
from app.web.views.times import instant_from_form, show_instant
from tests.conftest import RULES

FIXTURE_EV = Path(__file__).resolve().parents[1] / "fixtures" / "rules_ev"


def test_one_bar_per_started_component_open_to_the_right_edge() -> None:
    model = gantt(
        {
            "energy_supply": {"start": "2024-03-01", "end": "2024-03-31", "state": "ended"},
            "battery_optimization": {"start": "2024-03-10", "end": None, "state": "started"},
            "heatpump_optimization": {"start": None, "end": None, "state": "not_started"},
        },
        {},
    )
    ended, running, idle = model["rows"]
    assert idle["bar"] is None
    assert ended["bar"]["open"] is False
    assert running["bar"]["open"] is True
    assert running["bar"]["x"] + running["bar"]["width"] == model["width"] - 4
    # Whole days: March has 31 days, the bar from the 10th starts 9/31 of March's width later.
    march = ended["bar"]["width"]
    assert running["bar"]["x"] - ended["bar"]["x"] == pytest.approx(march * 9 / 31, abs=0.2)
    assert ended["colour"] != running["colour"]


def test_an_end_on_the_start_day_is_a_one_day_bar() -> None:
    model = gantt({"energy_supply": {"start": "2024-03-01", "end": "2024-03-01", "state": "ended"}}, {})
    assert model["rows"][0]["bar"]["width"] > 2


def test_history_rows_mark_revocations_and_earlier_verdicts() -> None:
    row = event_row(
        {
            "id": "ev_3",
            "created_at": "2024-03-03T10:00:00Z",
            "received_at": "2024-03-03T10:00:00.250000Z",
            "status": "accepted",
            "code": "accepted",
            "revoked": True,
            "revoked_at": "2024-03-05T08:00:00Z",
            "revocation_reason": "sent twice",
            "previous_verdict": {
                "status": "rejected",
                "code": "end_before_start",
                "message": "End event cannot occur before start event.",
                "changed_at": "2024-03-04T00:00:00Z",
            },
        }
    )
    assert row["revoked"]
    assert row["revocation_reason"] == "sent twice"
    assert row["revoked_at"] == "2024-03-05 08:00:00 UTC"
    assert row["received_at"] == "2024-03-03 10:00:00.250000 UTC"
    assert row["previous"] == {
        "verdict": "rejected (end_before_start)",
        "message": "End event cannot occur before start event.",
        "changed_at": "2024-03-04 00:00:00 UTC",
    }
    assert event_row({"id": "ev_1", "status": "accepted", "previous_verdict": None})["previous"] is None


@pytest.mark.parametrize("rules", [RULES, FIXTURE_EV], ids=["default", "ev"])
def test_every_row_guard_failure_and_rejection_has_its_own_lane(rules: Path) -> None:
    document = load_rulebook(rules).as_document()
    for name, lifecycle in document["lifecycles"].items():
        drawn = diagram(name, lifecycle, document["guards"])["lanes"]
        guard_failures = sum(len(row["guards"]) for row in lifecycle["transitions"])
        assert len(drawn) == len(lifecycle["transitions"]) + guard_failures + len(lifecycle["rejections"])
        assert len({lane["y"] for lane in drawn}) == len(drawn)  # no two rows share a lane


def test_the_default_lifecycle_reads_as_the_readme_table() -> None:
    document = load_rulebook(RULES).as_document()
    standard = document["lifecycles"]["standard"]
    labels = [lane["label"] for lane in lanes(standard, document["guards"])]
    assert labels[:4] == [
        "start / sets start",
        "start / sets start",
        "end [date_not_before_start] / sets end",
        "end [date_not_before_start] / sets end",
    ]
    cells = table(standard, document["guards"], document["messages"])
    by_state = {row["state"]: row["cells"] for row in cells["rows"]}
    assert cells["triggers"] == ["start", "end"]
    assert [o["text"] for o in by_state["not_started"][1]] == [
        "✗ end_without_start: End event cannot occur without a prior start event."
    ]
    assert next(o["text"] for o in by_state["started"][1]) == "→ ended; end = date"
    assert by_state["ended"][0][0]["kind"] == "rejection"


def test_capabilities_are_read_from_the_openapi_schema() -> None:
    schema = {
        "paths": {
            "/events/{event_id}/revoke": {"post": {}},
            "/{contract_number}/contract_timeline": {"get": {"parameters": [{"name": "as_known_at"}]}},
        }
    }
    caps = Capabilities(schema)
    assert caps.serves(REVOKE)
    assert caps.serves(AS_KNOWN_AT)
    assert caps.missing(LISTING) == ["GET /contracts (issue 10)"]


def test_times_are_utc_and_say_so() -> None:
    assert show_instant("2024-03-03T10:00:00Z") == "2024-03-03 10:00:00 UTC"
    assert show_instant("0001-01-01T00:00:00Z") == "0001-01-01 00:00:00 UTC"  # the first rule version
    assert instant_from_form("2024-03-03T10:00") == "2024-03-03T10:00:00Z"
    assert instant_from_form("2024-03-03T12:00:00+02:00") == "2024-03-03T10:00:00Z"
    with pytest.raises(ValueError, match="not a date and time"):
        instant_from_form("yesterday")
