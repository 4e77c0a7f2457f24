"""Guards with parameters: working days from a holiday calendar, the three energy-market
policies of tests/fixtures/rules_policies at their limits, and parameter checks with file:line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.domain.engine import RulesEngine
from app.domain.guards import Facts, WorkingCalendar
from app.domain.rules import inspect_rules, load_rulebook
from app.domain.timeline import ComponentTimeline
from tests.conftest import ROOT
from tests.unit.tables import ONE_COMPONENT_TABLE

BW = WorkingCalendar("DE", "BW")
POLICIES = RulesEngine(load_rulebook(ROOT / "tests" / "fixtures" / "rules_policies"))


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2025, 1, 10), 3, date(2025, 1, 15)),  # Friday: the weekend is skipped
        (date(2025, 1, 3), 3, date(2025, 1, 9)),  # Friday, then Monday 6 January (Epiphany in BW) is skipped
        (date(2025, 4, 17), 3, date(2025, 4, 24)),  # Good Friday and Easter Monday are skipped
        (date(2025, 1, 9), -3, date(2025, 1, 3)),  # backwards over Epiphany and a weekend
        (date(2025, 1, 4), 0, date(2025, 1, 4)),  # no offset: the day itself, even a Saturday
    ],
)
def test_working_days_skip_weekends_and_regional_holidays(start: date, days: int, expected: date) -> None:
    assert BW.shift(start, days) == expected


def test_the_region_decides_the_holidays() -> None:
    assert BW.shift(date(2025, 1, 3), 1) == date(2025, 1, 7)
    assert WorkingCalendar("DE", "BE").shift(date(2025, 1, 3), 1) == date(2025, 1, 6)  # no Epiphany in Berlin


def judge(component: str, timeline: ComponentTimeline, event_type: str, day: date, received: date) -> str:
    verdict, _ = POLICIES.judge(component, timeline, event_type, Facts(day, received, received))
    return verdict.code


NOT_STARTED = ComponentTimeline("not_started")
STARTED = ComponentTimeline("started", date(2024, 12, 1))


@pytest.mark.parametrize(
    ("component", "timeline", "event_type", "day", "received", "code"),
    [
        # A supply start may not be dated before the day it was received.
        ("energy_supply", NOT_STARTED, "supply_energy_start", date(2025, 6, 6), date(2025, 6, 6), "accepted"),
        ("energy_supply", NOT_STARTED, "supply_energy_start", date(2025, 6, 5), date(2025, 6, 6), "backdated_start"),
        ("energy_supply", STARTED, "supply_energy_start", date(2025, 6, 5), date(2025, 6, 6), "backdated_start"),
        # An optimisation start may be dated at most 30 days before its receipt.
        (
            "battery_optimization",
            NOT_STARTED,
            "battery_optimization_start",
            date(2025, 3, 1),
            date(2025, 3, 31),
            "accepted",
        ),
        (
            "battery_optimization",
            NOT_STARTED,
            "battery_optimization_start",
            date(2025, 2, 28),
            date(2025, 3, 31),
            "start_too_far_back",
        ),
        (
            "heatpump_optimization",
            NOT_STARTED,
            "heatpump_optimization_start",
            date(2025, 2, 28),
            date(2025, 3, 31),
            "start_too_far_back",
        ),
        # An end needs 3 working days' notice in Baden-Württemberg, counted from receipt.
        ("energy_supply", STARTED, "supply_energy_end", date(2025, 1, 15), date(2025, 1, 10), "accepted"),
        ("energy_supply", STARTED, "supply_energy_end", date(2025, 1, 14), date(2025, 1, 10), "end_notice_too_short"),
        ("energy_supply", STARTED, "supply_energy_end", date(2025, 1, 9), date(2025, 1, 3), "accepted"),
        ("energy_supply", STARTED, "supply_energy_end", date(2025, 1, 8), date(2025, 1, 3), "end_notice_too_short"),
        ("energy_supply", STARTED, "supply_energy_end", date(2025, 4, 24), date(2025, 4, 17), "accepted"),
        ("energy_supply", STARTED, "supply_energy_end", date(2025, 4, 23), date(2025, 4, 17), "end_notice_too_short"),
        # The end's other guard still comes first.
        ("energy_supply", STARTED, "supply_energy_end", date(2024, 11, 30), date(2024, 11, 1), "end_before_start"),
    ],
)
def test_policies_at_their_limits(
    component: str, timeline: ComponentTimeline, event_type: str, day: date, received: date, code: str
) -> None:
    assert judge(component, timeline, event_type, day, received) == code


GUARD = "  date_not_before_start: {code: end_before_start}\n"


def guard_finding(tmp_path: Path, guard: str) -> list[str]:
    text = ONE_COMPONENT_TABLE.replace(GUARD, GUARD + guard)
    text = text.replace("guards: [date_not_before_start]}", "guards: [date_not_before_start, policy]}", 1)
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    inspection = inspect_rules(tmp_path)
    return [str(f) for f in inspection.errors]


def block(*lines: str) -> str:
    """A guard named ``policy`` written over several lines, starting at line 16 of the table."""
    return "  policy:\n    code: end_before_start\n    kind: not_before\n    of: received\n" + "".join(
        f"    {line}\n" for line in lines
    )


@pytest.mark.parametrize(
    ("guard", "line", "message"),
    [
        ("  policy: {code: end_before_start, kind: sooner, of: received, offset: {days_before: 0}}\n", 16, "'sooner'"),
        ("  policy: {code: end_before_start, kind: not_before, of: received}\n", 16, "Guard 'policy' has no offset"),
        (block("offset: {days_before: -2}"), 20, "is negative"),
        (block("offset: {working_days_after: 3}", "calendar: {country: XX}"), 21, "'XX' is not a country"),
        (block("offset: {working_days_after: 3}", "calendar: {country: DE, region: QQ}"), 21, "'QQ' is not a region"),
        (block("offset: {working_days_after: 3}"), 20, "names no calendar"),
        (
            "  policy: {code: end_before_start, kind: not_before, of: paused_from, offset: {days_before: 0}}\n",
            9,
            "does not declare",
        ),
    ],
)
def test_guard_parameters_are_checked_with_file_and_line(tmp_path: Path, guard: str, line: int, message: str) -> None:
    errors = guard_finding(tmp_path, guard)

    assert any(f"rules.yaml:{line}: error:" in e and message in e for e in errors), errors
