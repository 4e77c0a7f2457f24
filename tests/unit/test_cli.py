"""The ``rules`` command line through typer's ``CliRunner``: check, diagram and simulate."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import app, run

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
EV_RULES = ROOT / "tests" / "fixtures" / "rules_ev"
BROKEN = ROOT / "tests" / "fixtures" / "rules_broken"
SEED_EVENTS = ROOT / "tests" / "fixtures" / "seed_events.json"

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_rules_dir_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RULES_DIR", raising=False)


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize("command", ["check", "diagram", "simulate"])
def test_every_command_has_help(command: str) -> None:
    code, output = invoke(command, "--help")

    assert code == 0
    assert "Usage" in output


def test_check_default_rules_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)

    code, output = invoke("check")

    assert code == 0
    assert "rules: no errors, 0 warning(s)" in output


@pytest.mark.parametrize(
    ("folder", "line"), [("dest_typo", 12), ("unknown_guard", 12), ("missing_cell", 4), ("unknown_key", 12)]
)
def test_check_broken_tables_exit_1_with_file_and_line(folder: str, line: int) -> None:
    code, output = invoke("check", BROKEN / folder)

    assert code == 1
    assert f"{BROKEN / folder / 'rules.yaml'}:{line}: error: " in output
    assert " Fix: " in output


def test_check_reads_rules_dir_from_environment() -> None:
    code, output = invoke("check", env={"RULES_DIR": str(BROKEN / "unknown_guard")})

    assert code == 1
    assert "unknown guard 'date_after_start'" in output


def test_check_passes_with_warnings(tmp_path: Path) -> None:
    text = (RULES / "lifecycles.yaml").read_text(encoding="utf-8") + "  spare_code: Never used.\n"
    (tmp_path / "lifecycles.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "components.yaml").write_text((RULES / "components.yaml").read_text(encoding="utf-8"), encoding="utf-8")

    code, output = invoke("check", tmp_path)

    assert code == 0
    assert ": warning: Message 'spare_code' is never used." in output
    assert "no errors, 1 warning(s)" in output


def test_diagram_shows_transitions_guards_and_rejections() -> None:
    code, output = invoke("diagram", RULES)

    assert code == 0
    assert output.count("stateDiagram-v2") == 1
    for edge in [
        "[*] --> not_started",
        "not_started --> started : start",
        "started --> ended : end [date_not_before_start]",
        'state "✗ end_before_start" as R1',
        "started --> R1 : end [not date_not_before_start]",
        'state "✗ end_without_start" as R3',
        "not_started --> R3 : end",
        'state "✗ restart_after_end" as R4',
        "ended --> R4 : start",
    ]:
        assert edge in output


def test_diagram_takes_rules_option_and_one_lifecycle() -> None:
    code, output = invoke("diagram", "--rules", EV_RULES, "--lifecycle", "pausable")

    assert code == 0
    assert output.count("stateDiagram-v2") == 1
    assert "title: lifecycle pausable" in output


def test_diagram_of_one_component_uses_its_event_types() -> None:
    code, output = invoke("diagram", EV_RULES, "--component", "ev_charging_optimization", "--markdown")

    assert code == 0
    assert output.startswith("## ev_charging_optimization\n\n```mermaid\n")
    assert "started --> paused : ev_charging_optimization_pause" in output
    assert "paused --> started : ev_charging_optimization_resume" in output
    assert "supply_energy" not in output


def test_diagram_of_unknown_component_exits_2() -> None:
    code, output = invoke("diagram", RULES, "--component", "solar")

    assert code == 2
    assert "Unknown component 'solar'" in output


def test_diagram_refuses_broken_tables() -> None:
    code, output = invoke("diagram", BROKEN / "dest_typo")

    assert code == 1
    assert "unknown state 'endded'" in output


def section(output: str, title: str) -> list[list[str]]:
    """The rows of the plain-text table under ``title``, split on whitespace."""
    lines = output.split(title, 1)[1].strip("\n").split("\n\n")[0].splitlines()
    return [line.split() for line in lines[2:]]


def test_simulate_seed_example() -> None:
    code, output = invoke("simulate", SEED_EVENTS, "--rules", RULES)

    assert code == 0
    verdicts = section(output, "Verdicts (in file order)")
    assert [row[4] for row in verdicts] == ["accepted"] * 6 + ["rejected"] * 2 + [
        "accepted",
        "rejected",
        "accepted",
        "rejected",
    ]
    assert [row[5].rstrip(":") for row in verdicts if row[4] == "rejected"] == [
        "end_before_start",
        "restart_after_end",
        "restart_after_end",
        "end_before_start",
    ]
    assert "rejected end_before_start: End event cannot occur before start event." in output
    assert section(output, "Contract 1234: final timeline") == [
        ["energy_supply", "ended", "2024-12-01", "2024-12-31"],
        ["battery_optimization", "ended", "2024-03-03", "2024-04-15"],
        ["heatpump_optimization", "ended", "2025-03-03", "2025-04-04"],
    ]
    assert section(output, "Contract 9999: final timeline")[0] == ["energy_supply", "started", "2024-12-01", "-"]


def write_events(tmp_path: Path, events: object) -> Path:
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events), encoding="utf-8")
    return path


def test_simulate_orders_by_created_at_not_file_position(tmp_path: Path) -> None:
    events = write_events(
        tmp_path,
        [
            {
                "type": "supply_energy_end",
                "contract_number": "1",
                "date": "2024-05-01",
                "created_at": "2024-05-02T09:00:00",
            },
            {
                "type": "supply_energy_start",
                "contract_number": "1",
                "date": "2024-04-01",
                "created_at": "2024-05-02T08:00:00+01:00",
            },
        ],
    )

    code, output = invoke("simulate", events, "--rules", RULES)

    assert code == 0
    assert [row[4] for row in section(output, "Verdicts (in file order)")] == ["accepted", "accepted"]
    assert section(output, "Contract 1: final timeline")[0] == ["energy_supply", "ended", "2024-04-01", "2024-05-01"]


def test_simulate_contract_option_restricts_components(tmp_path: Path) -> None:
    events = write_events(
        tmp_path, [{"type": "battery_optimization_start", "contract_number": "7", "date": "2024-01-01"}]
    )

    code, output = invoke("simulate", events, "--rules", RULES, "--contract", "7=energy_supply")

    assert code == 0
    assert "rejected component_not_in_contract" in output
    assert [row[0] for row in section(output, "Contract 7: final timeline")] == ["energy_supply"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"type": "supply_energy_start"}', "expected a JSON list of events"),
        ('[{"type": "supply_energy_start", "date": "2024-01-01"}]', "event 1: 'contract_number' is missing"),
        ('[{"type": "supply_energy_start", "contract_number": "1", "date": "01/02/2024"}]', "is not a YYYY-MM-DD date"),
        (
            '[{"type": "supply_energy_start", "contract_number": "1", "date": "2024-01-01", "created_at": "noon"}]',
            "is not an ISO date-time",
        ),
        ("[42]", "event 1: expected an object"),
    ],
    ids=["not_json", "not_a_list", "missing_key", "bad_date", "bad_created_at", "not_an_object"],
)
def test_simulate_bad_input_exits_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "events.json"
    path.write_text(content, encoding="utf-8")

    code, output = invoke("simulate", path, "--rules", RULES)

    assert code == 2
    assert message in output


@pytest.mark.parametrize("option", ["7", "7=", "7=solar"])
def test_simulate_bad_contract_option_exits_2(option: str) -> None:
    code, output = invoke("simulate", SEED_EVENTS, "--rules", RULES, "--contract", option)

    assert code == 2
    assert "--contract" in output


def test_simulate_missing_file_exits_2(tmp_path: Path) -> None:
    code, output = invoke("simulate", tmp_path / "absent.json", "--rules", RULES)

    assert code == 2
    assert "cannot read the file" in output


def test_run_is_the_poetry_entry_point(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["rules", "check", str(RULES)])

    with pytest.raises(SystemExit) as exit_info:
        run()

    assert exit_info.value.code == 0
    assert "no errors" in capsys.readouterr().out


def test_impact_on_a_missing_database_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "typo" / "contracts.db"

    code, output = invoke("impact", "--rules", RULES, "--database-url", f"sqlite:///{target}")

    assert code == 2
    assert output.strip().count("\n") == 0
    assert output.startswith(f"No database at {target}")
    assert not target.exists()
    assert not target.parent.exists()


@pytest.mark.parametrize("command", ["check", "diagram", "simulate", "impact", "publish", "diff"])
def test_every_rules_command_takes_the_rules_option(command: str) -> None:
    code, output = invoke(command, "--help")

    assert code == 0
    assert "--rules" in output
