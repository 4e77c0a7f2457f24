"""Test-case generation (``app.domain.paths``) and diagrams (``app.domain.diagram``) on odd tables."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from app.domain.diagram import all_diagrams, component_diagram, lifecycle_diagram
from app.domain.engine import RulesEngine
from app.domain.fold import EventFacts, fold_contract
from app.domain.paths import BASE_DATE, Case, Target, generate_cases, shortest_paths, targets, uncovered
from app.domain.rules import Rulebook, load_rulebook
from tests.unit.tables import ONE_COMPONENT_TABLE

ROOT = Path(__file__).resolve().parents[2]

TABLE = ONE_COMPONENT_TABLE
END_ROW = "      - {trigger: end, source: started, dest: ended, set: end, guards: [date_not_before_start]}\n"


def rulebook_from(tmp_path: Path, text: str) -> Rulebook:
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    return load_rulebook(tmp_path)


def run_case(rulebook: Rulebook, case: Case) -> tuple[bool, str, str]:
    moves = [*case.path, case.event]
    created = datetime(2024, 1, 1)
    events = [EventFacts(t, d, created + timedelta(seconds=n)) for n, (t, d) in enumerate(moves)]
    fold = fold_contract(RulesEngine(rulebook), [case.component], events)
    verdict, timeline = fold.verdicts[-1], fold.timelines[case.component]
    assert verdict is not None
    return verdict.accepted, verdict.code, timeline.state


@pytest.mark.parametrize("directory", [ROOT / "rules", ROOT / "tests" / "fixtures" / "rules_ev"], ids=["rules", "ev"])
def test_cases_are_stable_unique_and_cover_every_target(directory: Path) -> None:
    rulebook = load_rulebook(directory)

    cases = generate_cases(rulebook)

    assert cases == generate_cases(rulebook)
    assert len({c.id for c in cases}) == len(cases)
    assert uncovered(rulebook, cases) == []


def test_case_ids_read_as_the_table() -> None:
    ids = {c.id for c in generate_cases(load_rulebook(ROOT / "rules")) if c.component == "energy_supply"}

    assert ids == {
        "energy_supply:not_started--start-->started",
        "energy_supply:not_started--end--x end_without_start",
        "energy_supply:started--start-->started",
        "energy_supply:started--end-->ended",
        "energy_supply:started--end[!date_not_before_start]",
        "energy_supply:started--end[=date_not_before_start]",
        "energy_supply:ended--start--x restart_after_end",
        "energy_supply:ended--end-->ended",
        "energy_supply:ended--end[!date_not_before_start]",
        "energy_supply:ended--end[=date_not_before_start]",
    }


def test_shortest_paths_use_base_date_and_component_event_types() -> None:
    paths = shortest_paths(load_rulebook(ROOT / "tests" / "fixtures" / "rules_ev"), "ev_charging_optimization")

    assert {state: reached.path for state, reached in paths.items()} == {
        "not_started": (),
        "started": (("ev_charging_optimization_start", BASE_DATE),),
        "paused": (("ev_charging_optimization_start", BASE_DATE), ("ev_charging_optimization_pause", BASE_DATE)),
        "ended": (("ev_charging_optimization_start", BASE_DATE), ("ev_charging_optimization_end", BASE_DATE)),
    }


def test_overwrite_case_uses_a_new_date() -> None:
    case = next(
        c for c in generate_cases(load_rulebook(ROOT / "rules")) if c.id == "energy_supply:started--start-->started"
    )

    assert case.event == ("supply_energy_start", BASE_DATE + timedelta(days=1))
    assert case.expected.start == BASE_DATE + timedelta(days=1)


def test_trigger_without_event_type_leaves_rows_uncovered(tmp_path: Path) -> None:
    rulebook = rulebook_from(tmp_path, TABLE.replace("      supply_energy_end: end\n", ""))

    missing = uncovered(rulebook, generate_cases(rulebook))

    assert {(t.kind, t.source, t.trigger) for t in missing} == {
        ("row", "started", "end"),
        ("guard", "started", "end"),
        ("limit", "started", "end"),
        ("row", "ended", "end"),
        ("guard", "ended", "end"),
        ("limit", "ended", "end"),
        ("rejection", "not_started", "end"),
        ("rejection", "ended", "start"),
    }


def test_guard_that_cannot_fail_is_reported_not_faked(tmp_path: Path) -> None:
    text = TABLE.replace(
        "dest: started, set: start}\n      - {trigger: start, source: started",
        "dest: started, set: start, guards: [date_not_after_end]}\n      - {trigger: start, source: started",
        1,
    )
    text = text.replace(
        "guards:\n  date_not_before_start",
        "guards:\n  date_not_after_end: {code: end_before_start}\n  date_not_before_start",
        1,
    )
    rulebook = rulebook_from(tmp_path, text)

    missing = uncovered(rulebook, generate_cases(rulebook))

    assert missing == [Target("standard", "not_started", "start", 0, "date_not_after_end")]


def test_cell_with_two_rows_gets_a_case_per_row_and_matches_the_engine(tmp_path: Path) -> None:
    fallback = "      - {trigger: end, source: started, dest: started}\n"
    rulebook = rulebook_from(tmp_path, TABLE.replace(END_ROW, END_ROW + fallback))

    cases = generate_cases(rulebook)

    assert uncovered(rulebook, cases) == []
    guard_case = next(c for c in cases if c.id == "energy_supply:started--end[!date_not_before_start]")
    assert (guard_case.expected.accepted, guard_case.expected.state) == (True, "started")
    for case in cases:
        assert run_case(rulebook, case) == (case.expected.accepted, case.expected.code, case.expected.state), case.id


def test_targets_skip_lifecycles_no_component_follows(tmp_path: Path) -> None:
    extra = (
        "  idle_only:\n    initial: idle\n    states: [idle]\n    triggers: [start]\n    transitions:\n"
        "      - {trigger: start, source: idle, dest: idle}\n"
    )
    rulebook = rulebook_from(tmp_path, TABLE.replace("guards:\n", extra + "guards:\n", 1))

    assert {t.lifecycle for t in targets(rulebook)} == {"standard"}


def test_diagrams_are_deterministic_and_show_every_row_once() -> None:
    rulebook = load_rulebook(ROOT / "tests" / "fixtures" / "rules_ev")

    text = lifecycle_diagram(rulebook, "pausable")

    assert text == all_diagrams(load_rulebook(ROOT / "tests" / "fixtures" / "rules_ev"))["pausable"]
    edges = [line.strip() for line in text.splitlines() if "-->" in line]
    lifecycle = rulebook.lifecycles["pausable"]
    guard_failures = sum(len(row.guards) for row in lifecycle.transitions)
    pairs = [edge.split(" : ")[0] for edge in edges]
    # Mermaid draws one edge per pair of nodes: no pair twice, or rows would vanish once rendered.
    assert len(pairs) == len(set(pairs))
    moves = [edge for edge in edges if " --> R" not in edge and not edge.startswith("[*]")]
    assert sum(edge.count("<br/>") + 1 for edge in moves) == len(lifecycle.transitions)
    assert len(edges) == 1 + len({(t.source, t.dest) for t in lifecycle.transitions}) + guard_failures + len(
        lifecycle.rejections
    )
    assert 'state "✗ start_while_paused" as R' in text
    assert text.startswith("---\ntitle: lifecycle pausable\n---\nstateDiagram-v2\n")


def test_component_diagram_joins_event_types_of_one_trigger(tmp_path: Path) -> None:
    text = TABLE.replace(
        "      supply_energy_end: end\n", "      supply_energy_end: end\n      supply_energy_stop: end\n"
    )
    rulebook = rulebook_from(tmp_path, text)

    diagram = component_diagram(rulebook, "energy_supply")

    assert "started --> ended : supply_energy_end / supply_energy_stop [date_not_before_start]" in diagram


def test_base_date_is_configurable() -> None:
    base = date(2030, 6, 1)

    cases = generate_cases(load_rulebook(ROOT / "rules"), base)

    assert {day for c in cases for _, day in c.path} == {base}
