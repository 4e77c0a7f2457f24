"""Turning a rules directory into a checked, immutable ``Rulebook``."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.guards import read_guard
from app.domain.rules.checks import check_tables
from app.domain.rules.findings import Finding, RulesError
from app.domain.rules.model import Component, GuardRule, Lifecycle, Rejection, Renames, Rulebook, TransitionRule
from app.domain.rules.tables import Tables, plain_value, read_tables, tables_from_content
from app.domain.timeline import DEFAULT_DATES

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


def inspect_rules(directory: Path) -> Inspection:
    tables, findings = read_tables(directory)
    return _inspect(tables, findings)


def inspect_content(content: dict[str, Any], origin: str) -> Inspection:
    """Check tables given as their stored content (a version from the database), not as files."""
    return _inspect(tables_from_content(content, origin), [])


def _inspect(tables: Tables, findings: list[Finding]) -> Inspection:
    if not any(f.severity == "error" for f in findings):
        findings.extend(check_tables(tables))
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


def content_hash(content: dict[str, Any]) -> str:
    """The version of tables: a hash of their merged content, whatever the files and comments."""
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]


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
            dates=tuple(v.get("dates", DEFAULT_DATES)),
        )
        for name, v in ((n, e.value) for n, e in sections["lifecycles"].items())
    }
    guards = {}
    for name, entry in sections["guards"].items():
        window, _ = read_guard(name, entry.value, entry.line)
        assert window is not None, "checked tables give every guard a window"
        params = {k: plain_value(v) for k, v in entry.value.items() if k not in ("code", "description")}
        guards[name] = GuardRule(name, entry.value["code"], window, params)
    return Rulebook(
        lifecycles=lifecycles,
        components={
            n: Component(n, e.value["lifecycle"], dict(e.value["events"])) for n, e in sections["components"].items()
        },
        guards=guards,
        messages={n: e.value for n, e in sections["messages"].items()},
        version=content_hash(tables.plain()),
        renames=_renames(tables),
        content=tables.plain(),
    )


def _renames(tables: Tables) -> Renames:
    renamed = {n: dict(e.value) for n, e in tables.sections["renamed"].items()}
    removed = {n: frozenset(e.value) for n, e in tables.sections["removed"].items()}
    return Renames(
        states=renamed.get("states", {}),
        event_types=renamed.get("event_types", {}),
        components=renamed.get("components", {}),
        removed_event_types=removed.get("event_types", frozenset()),
        removed_components=removed.get("components", frozenset()),
    )
