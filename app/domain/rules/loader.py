"""Turning a rules directory into a checked, immutable ``Rulebook``."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from app.domain.guards import GUARDS
from app.domain.rules.checks import check_tables
from app.domain.rules.findings import Finding, RulesError
from app.domain.rules.model import Component, GuardRule, Lifecycle, Rejection, Rulebook, TransitionRule
from app.domain.rules.tables import Tables, read_tables

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inspection:
    """What checking a rules directory found, and the rulebook when there was no error."""

    findings: list[Finding]
    rulebook: Rulebook | None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def inspect_rules(directory: Path, implemented_guards: Collection[str] = GUARDS.keys()) -> Inspection:
    tables, findings = read_tables(directory)
    if not any(f.severity == "error" for f in findings):
        findings.extend(check_tables(tables, implemented_guards))
    errors = any(f.severity == "error" for f in findings)
    return Inspection(findings, None if errors else _build(tables))


def load_rulebook(directory: Path) -> Rulebook:
    """Load and check the tables; raise ``RulesError`` naming every problem, log the warnings."""
    inspection = inspect_rules(directory)
    for warning in inspection.warnings:
        logger.warning("rules: %s", warning)
    if inspection.rulebook is None:
        raise RulesError(inspection.findings)
    return inspection.rulebook


def _build(tables: Tables) -> Rulebook:
    sections = tables.sections
    lifecycles = {
        name: Lifecycle(
            name=name,
            initial=v["initial"],
            states=tuple(v["states"]),
            triggers=tuple(v["triggers"]),
            transitions=tuple(
                TransitionRule(t["trigger"], t["source"], t["dest"], tuple(t.get("guards", [])), t.get("set"))
                for t in v["transitions"]
            ),
            rejections=tuple(Rejection(r["trigger"], r["source"], r["code"]) for r in v.get("rejections", [])),
            description=v.get("description", ""),
        )
        for name, v in ((n, e.value) for n, e in sections["lifecycles"].items())
    }
    plain = tables.plain()
    version = hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()[:12]
    return Rulebook(
        lifecycles=lifecycles,
        components={
            n: Component(n, e.value["lifecycle"], dict(e.value["events"])) for n, e in sections["components"].items()
        },
        guards={n: GuardRule(n, e.value["code"]) for n, e in sections["guards"].items()},
        messages={n: e.value for n, e in sections["messages"].items()},
        version=version,
    )
