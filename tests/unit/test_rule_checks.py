"""Every check of ``app.domain.rules`` (reading in ``tables.py``, static checks in ``checks.py``)
reports the right file and line. Each case edits a small valid table and names the line the
finding must point at by a fragment of that line's text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.domain.rules import Finding, inspect_rules
from tests.unit.tables import ONE_COMPONENT_TABLE

ROOT = Path(__file__).resolve().parents[2]

VALID = ONE_COMPONENT_TABLE

ROW_START = "      - {trigger: start, source: not_started, dest: started, set: start}\n"
ROW_END = "      - {trigger: end, source: started, dest: ended, set: end, guards: [date_not_before_start]}\n"
REJECT_RESTART = "      - {trigger: start, source: ended, code: restart_after_end}\n"
GUARD = "  date_not_before_start: {code: end_before_start}\n"
MESSAGE = "  restart_after_end: A terminated component cannot be restarted.\n"
COMPONENT_END = "      supply_energy_end: end\n"
OTHER_LIFECYCLE = (
    "  other:\n    initial: idle\n    states: [idle]\n    triggers: [go]\n    transitions:\n"
    "      - {trigger: go, source: idle, dest: idle}\nguards:\n"
)


def edit(old: str, new: str, text: str = VALID) -> str:
    assert text.count(old) == 1, f"fragment must occur once: {old!r}"
    return text.replace(old, new)


def line_with(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def findings_for(directory: Path, text: str) -> tuple[Path, list[Finding], bool]:
    path = directory / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    inspection = inspect_rules(directory)
    return path, inspection.findings, inspection.rulebook is not None


# (id, edited text, fragment of the line the finding points at, fragment of its message, severity)
CASES = [
    (
        "invalid_yaml",
        edit("    initial: not_started\n", "    initial: not_started: x\n"),
        "initial: not_started: x",
        "not valid YAML",
        "error",
    ),
    (
        "duplicate_key",
        edit("    initial: not_started\n", "    initial: not_started\n    initial: started\n"),
        "initial: started",
        "not valid YAML: duplicate key 'initial'",
        "error",
    ),
    (
        "unknown_key",
        edit("    initial: not_started\n", "    initial: not_started\n    colour: red\n"),
        "colour: red",
        "Unknown key 'colour' in lifecycle 'standard'.",
        "error",
    ),
    (
        "missing_key",
        edit("    initial: not_started\n", ""),
        "  standard:",
        "In lifecycle 'standard', the required key 'initial' is missing.",
        "error",
    ),
    (
        "bad_name",
        edit("  energy_supply:\n", "  Energy_Supply:\n"),
        "Energy_Supply:",
        "Bad name 'Energy_Supply' in section 'components'",
        "error",
    ),
    (
        "invalid_value",
        edit(ROW_START, ROW_START.replace("set: start", "set: begin")),
        "set: begin",
        "'set: begin' names a date the lifecycle does not declare",
        "error",
    ),
    ("no_component", VALID.partition("components:")[0], "lifecycles:", "No component is defined", "error"),
    (
        "initial_not_a_state",
        edit("    initial: not_started\n", "    initial: begun\n"),
        "initial: begun",
        "initial state 'begun' is not one of its states",
        "error",
    ),
    (
        "unknown_source",
        edit(ROW_END, ROW_END.replace("source: started", "source: startd")),
        "source: startd",
        "unknown state 'startd' in source",
        "error",
    ),
    (
        "unknown_dest",
        edit(ROW_END, ROW_END.replace("dest: ended", "dest: endded")),
        "dest: endded",
        "unknown state 'endded' in dest",
        "error",
    ),
    (
        "unknown_trigger",
        edit(REJECT_RESTART, REJECT_RESTART + "      - {trigger: finish, source: ended, code: x}\n"),
        "trigger: finish",
        "unknown trigger 'finish'",
        "error",
    ),
    (
        "unknown_guard",
        edit(ROW_END, ROW_END.replace("[date_not_before_start]", "[date_after_start]")),
        "date_after_start",
        "unknown guard 'date_after_start'",
        "error",
    ),
    (
        "rejection_without_message",
        edit(REJECT_RESTART, REJECT_RESTART.replace("restart_after_end", "no_restart")),
        "code: no_restart",
        "rejection code 'no_restart' has no message",
        "error",
    ),
    (
        "cell_without_outcome",
        edit(REJECT_RESTART, ""),
        "  standard:",
        "state 'ended' x trigger 'start' has no outcome",
        "error",
    ),
    (
        "rejection_and_transition",
        edit(REJECT_RESTART, REJECT_RESTART.replace("ended", "started") + REJECT_RESTART),
        "source: started, code: restart_after_end",
        "has both a rejection and a transition",
        "error",
    ),
    (
        "two_rejections",
        edit(REJECT_RESTART, REJECT_RESTART + REJECT_RESTART.replace("restart_after_end", "end_without_start")),
        "source: ended, code: end_without_start",
        "has more than one rejection",
        "error",
    ),
    (
        "transition_never_fires",
        edit(ROW_START, ROW_START + ROW_START.replace("dest: started", "dest: ended")),
        "dest: ended, set: start",
        "can never fire",
        "error",
    ),
    (
        "unreachable_state",
        edit("    states: [not_started, started, ended]\n", "    states: [not_started, started, ended,\n      lost]\n"),
        "      lost]",
        "state 'lost' cannot be reached",
        "error",
    ),
    (
        "unknown_lifecycle",
        edit("    lifecycle: standard\n", "    lifecycle: standrd\n"),
        "lifecycle: standrd",
        "lifecycle 'standrd' is not defined",
        "error",
    ),
    (
        "event_type_twice",
        VALID + "  energy_supply_copy:\n    lifecycle: standard\n    events:\n      supply_energy_start:  start\n",
        "supply_energy_start:  start",
        "mapped by both 'energy_supply' and 'energy_supply_copy'",
        "error",
    ),
    (
        "event_fires_unknown_trigger",
        edit(COMPONENT_END, "      supply_energy_end: finish\n"),
        "supply_energy_end: finish",
        "fires 'finish', which lifecycle 'standard' does not have",
        "error",
    ),
    (
        "guard_not_implemented",
        edit(GUARD, GUARD + "  date_is_weekday: {code: end_before_start}\n"),
        "date_is_weekday",
        "Guard 'date_is_weekday' has no 'kind",
        "error",
    ),
    (
        "guard_code_without_message",
        edit(GUARD, "  date_not_before_start: {code: too_early}\n"),
        "code: too_early",
        "code 'too_early' has no message",
        "error",
    ),
    (
        "unused_guard",
        edit(GUARD, GUARD + "  date_not_after_end: {code: end_before_start}\n"),
        "date_not_after_end",
        "Guard 'date_not_after_end' is never used",
        "warning",
    ),
    (
        "unused_message",
        edit(MESSAGE, MESSAGE + "  spare: Not used by any rule.\n"),
        "spare:",
        "Message 'spare' is never used",
        "warning",
    ),
    ("unused_lifecycle", edit("guards:\n", OTHER_LIFECYCLE), "  other:", "Lifecycle 'other' is never used", "warning"),
]


@pytest.mark.parametrize(
    ("text", "line_fragment", "message", "severity"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_finding_points_at_file_and_line(
    tmp_path: Path, text: str, line_fragment: str, message: str, severity: str
) -> None:
    path, findings, usable = findings_for(tmp_path, text)

    matching = [f for f in findings if message in f.message]
    assert matching, f"no finding mentions {message!r}; got {[str(f) for f in findings]}"
    finding = matching[0]
    assert (finding.file, finding.line, finding.severity) == (str(path), line_with(text, line_fragment), severity)
    assert usable == (severity == "warning")
    assert str(finding).startswith(f"{path}:{finding.line}: {severity}: ")


def test_valid_table_has_no_finding(tmp_path: Path) -> None:
    _, findings, usable = findings_for(tmp_path, VALID)

    assert findings == []
    assert usable


def test_definition_repeated_in_another_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    second = "messages:\n  other: Something.\n  end_without_start: Said twice.\n"
    (tmp_path / "b.yaml").write_text(second, encoding="utf-8")

    findings = inspect_rules(tmp_path).findings

    repeated = [f for f in findings if "already defined" in f.message]
    assert [(f.file, f.line) for f in repeated] == [(str(tmp_path / "b.yaml"), 3)]
    assert f"{tmp_path / 'a.yaml'}:17" in repeated[0].message


@pytest.mark.parametrize(
    ("make_dir", "message"),
    [
        (lambda tmp: tmp / "missing", "does not exist"),
        (lambda tmp: tmp, "holds no *.yaml files"),
    ],
    ids=["missing_directory", "empty_directory"],
)
def test_directory_problems(tmp_path: Path, make_dir: Callable[[Path], Path], message: str) -> None:
    directory = make_dir(tmp_path)

    findings = inspect_rules(directory).findings

    assert [(f.file, f.line, f.severity) for f in findings] == [(str(directory), 0, "error")]
    assert message in findings[0].message


@pytest.mark.parametrize(
    "directory", [ROOT / "rules", ROOT / "tests" / "fixtures" / "rules_ev"], ids=["rules", "rules_ev"]
)
def test_shipped_tables_are_clean(directory: Path) -> None:
    inspection = inspect_rules(directory)

    assert [str(f) for f in inspection.findings] == []
    assert inspection.rulebook is not None


@pytest.mark.parametrize(
    ("folder", "line", "message"),
    [
        ("dest_typo", 12, "unknown state 'endded' in dest"),
        ("unknown_guard", 12, "unknown guard 'date_after_start'"),
        ("missing_cell", 4, "state 'ended' x trigger 'start' has no outcome"),
        ("unknown_key", 12, "Unknown key 'destination' in lifecycle 'standard', transition row 3."),
    ],
)
def test_broken_fixtures(folder: str, line: int, message: str) -> None:
    directory = ROOT / "tests" / "fixtures" / "rules_broken" / folder

    inspection = inspect_rules(directory)

    assert inspection.rulebook is None
    assert (str(directory / "rules.yaml"), line) in [
        (f.file, f.line) for f in inspection.errors if message in f.message
    ]
