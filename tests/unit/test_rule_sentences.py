"""Rule files read as a product owner writes them: YAML 1.2 words, and errors as sentences."""

from __future__ import annotations

from pathlib import Path

from app.domain.rules import inspect_rules
from tests.unit.tables import ONE_COMPONENT_TABLE


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    return tmp_path


SWITCH = """\
lifecycles:
  switch:
    initial: off
    states: [off, on]
    triggers: [yes, no]
    transitions:
      - {trigger: yes, source: off, dest: on}
      - {trigger: yes, source: on, dest: on}
      - {trigger: no, source: on, dest: off}
      - {trigger: no, source: off, dest: off}
components:
  lamp:
    lifecycle: switch
    events:
      lamp_on: yes
      lamp_off: no
"""


def test_off_on_yes_no_are_names_not_booleans(tmp_path: Path) -> None:
    inspection = inspect_rules(write(tmp_path, SWITCH))

    assert inspection.errors == []
    assert inspection.rulebook is not None
    switch = inspection.rulebook.lifecycles["switch"]
    assert (switch.initial, switch.states, switch.triggers) == ("off", ("off", "on"), ("yes", "no"))


def test_a_wrong_type_is_a_sentence_about_the_file(tmp_path: Path) -> None:
    text = ONE_COMPONENT_TABLE.replace("    initial: not_started\n", "    initial: [not_started, started]\n")

    [error] = inspect_rules(write(tmp_path, text)).errors

    assert error.line == 3
    assert error.message == "In lifecycle 'standard', key 'initial', expected a name or a text, but found a list."
    assert "[" not in error.message
    assert "'string'" not in error.message


def test_a_true_is_named_as_such(tmp_path: Path) -> None:
    text = ONE_COMPONENT_TABLE.replace("    initial: not_started\n", "    initial: true\n")

    [error] = inspect_rules(write(tmp_path, text)).errors

    assert "found the boolean true" in error.message


def test_checks_list_names_in_words(tmp_path: Path) -> None:
    text = ONE_COMPONENT_TABLE.replace("dest: ended, set: end, guards", "dest: endded, set: end, guards", 1)

    errors = [str(e) for e in inspect_rules(write(tmp_path, text)).errors]

    assert any("Use 'not_started', 'started' or 'ended'" in e for e in errors), errors
    assert not any("['" in e for e in errors)
