"""Unit-test plumbing: the cases generated from the rule tables, and the table-coverage gate.

``test_generated_rules.py`` asks for the ``rules_label`` and ``case`` arguments; they are
parametrized here, once per case of ``app.domain.paths.generate_cases`` for every rule set in
``GENERATED_RULE_SETS``. Each passing case records the part of the table it exercised. At the
end of the session one coverage line per lifecycle is printed, and the run FAILS if any
transition row or rejection cell has no generated case (a guard that cannot be made to fail
from the states the generator reaches is only reported).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from app.domain.paths import Case, Target, generate_cases, targets, uncovered
from app.domain.rules import Rulebook, load_rulebook

ROOT = Path(__file__).resolve().parents[2]
GENERATED_RULE_SETS = {
    "rules": ROOT / "rules",
    "rules_ev": ROOT / "tests" / "fixtures" / "rules_ev",
    "rules_policies": ROOT / "tests" / "fixtures" / "rules_policies",
}

_HITS = pytest.StashKey[dict[str, set[Target]]]()
_ACTIVE = pytest.StashKey[bool]()
_REPORT = pytest.StashKey[list[str]]()


@cache
def rulebook_of(label: str) -> Rulebook:
    return load_rulebook(GENERATED_RULE_SETS[label])


@cache
def cases_of(label: str) -> tuple[Case, ...]:
    return tuple(generate_cases(rulebook_of(label)))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_HITS] = {}
    config.stash[_ACTIVE] = False
    config.stash[_REPORT] = []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames and "rules_label" in metafunc.fixturenames:
        params = [(label, case) for label in GENERATED_RULE_SETS for case in cases_of(label)]
        metafunc.parametrize(("rules_label", "case"), params, ids=[f"{label}/{case.id}" for label, case in params])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[_ACTIVE] = any("case" in getattr(item, "fixturenames", ()) for item in items)


@pytest.fixture
def rulebooks() -> Callable[[str], Rulebook]:
    """The rulebook of a generated rule set, by label."""
    return rulebook_of


@pytest.fixture
def record_table_hit(request: pytest.FixtureRequest) -> Callable[[str, Target], None]:
    """Call with the rule set label and the target once a generated case has passed."""
    hits = request.config.stash[_HITS]
    return lambda label, target: hits.setdefault(label, set()).add(target)


def _coverage_lines(label: str, hits: set[Target]) -> tuple[list[str], list[Target]]:
    rulebook, cases = rulebook_of(label), cases_of(label)
    all_targets, missing = targets(rulebook), uncovered(rulebook, cases)
    lines = []
    for lifecycle in dict.fromkeys(t.lifecycle for t in all_targets):
        parts = []
        for kind, title in (
            ("row", "rows hit"),
            ("guard", "guards failed"),
            ("limit", "guard limits met"),
            ("rejection", "rejection cells hit"),
        ):
            mine = [t for t in all_targets if t.lifecycle == lifecycle and t.kind == kind]
            parts.append(f"{title} {sum(t in hits for t in mine)}/{len(mine)}")
        lines.append(f"{label}/{lifecycle}: {', '.join(parts)}")
    lines.extend(
        f"{label}/{t.lifecycle}: no case for {t.kind} {t.source} x {t.trigger}"
        + (f" (row {t.row})" if t.row is not None else "")
        + (f" guard {t.guard}" + (" at its limit" if t.limit else "") if t.guard else "")
        for t in missing
    )
    return lines, [t for t in missing if t.kind not in ("guard", "limit")]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not config.stash.get(_ACTIVE, False):
        return
    report, gaps = config.stash[_REPORT], []
    for label in GENERATED_RULE_SETS:
        lines, missing = _coverage_lines(label, config.stash[_HITS].get(label, set()))
        report.extend(lines)
        gaps.extend(missing)
    if gaps:
        report.append(f"FAILED: {len(gaps)} table row(s) have no generated case; see the lines above.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(_REPORT, [])
    if lines:
        terminalreporter.write_sep("-", "rule table coverage (generated cases)")
        for line in lines:
            terminalreporter.write_line(line)
