"""Reading the YAML files of a rules directory into one merged, line-aware document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from app.domain.rules.findings import Finding
from app.domain.rules.schema_errors import sentence
from app.domain.rules.yaml_lines import LineList, LineMap, line_at, load_with_lines

SECTIONS = ("lifecycles", "components", "guards", "messages", "renamed", "removed")
OPTIONAL_SECTIONS = ("renamed", "removed")
"""Sections left out of the content (and so of the version hash) when empty: tables written
before they existed keep their version."""


@cache
def rules_schema() -> dict[str, Any]:
    """The JSON Schema that every rule file must satisfy."""
    text = resources.files("app.domain.rules").joinpath("rules.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass(frozen=True, slots=True)
class Entry:
    """One named definition in a section, with where it was written."""

    name: str
    value: Any
    file: str
    line: int


@dataclass
class Tables:
    """All sections of all files, merged by name."""

    sections: dict[str, dict[str, Entry]] = field(default_factory=lambda: {s: {} for s in SECTIONS})
    files: list[str] = field(default_factory=list)

    def plain(self) -> dict[str, Any]:
        """The merged content as plain JSON data, in table order; its hash (keys sorted) is
        independent of files, order and comments."""
        return {
            s: {n: plain_value(e.value) for n, e in self.sections[s].items()}
            for s in SECTIONS
            if self.sections[s] or s not in OPTIONAL_SECTIONS
        }


def plain_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    return value


def _lined(value: Any) -> Any:
    """Plain data as the loader's line-aware containers (every line 0), for the checks."""
    if isinstance(value, dict):
        mapping = LineMap()
        for key, item in value.items():
            mapping[key] = _lined(item)
        return mapping
    if isinstance(value, list):
        items = LineList()
        items.extend(_lined(item) for item in value)
        return items
    return value


def tables_from_content(content: dict[str, Any], origin: str) -> Tables:
    """Tables from their stored content (``Tables.plain()`` of a published version)."""
    tables = Tables(files=[origin])
    for section in SECTIONS:
        for name, value in content.get(section, {}).items():
            tables.sections[section][name] = Entry(name, _lined(value), origin, 0)
    return tables


def read_tables(directory: Path) -> tuple[Tables, list[Finding]]:
    tables, findings = Tables(), []
    if not directory.is_dir():
        return tables, [
            Finding(
                str(directory),
                0,
                "error",
                "The rules directory does not exist.",
                "Point RULES_DIR at a folder holding the *.yaml rule files.",
            )
        ]
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not paths:
        findings.append(
            Finding(
                str(directory),
                0,
                "error",
                "The rules directory holds no *.yaml files.",
                "Add the rule files, or point RULES_DIR at the right folder.",
            )
        )
    validator = jsonschema.Draft202012Validator(rules_schema())
    for path in paths:
        name = str(path)
        tables.files.append(name)
        try:
            document = load_with_lines(path.read_text(encoding="utf-8"))
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else 0
            findings.append(
                Finding(
                    name,
                    line,
                    "error",
                    f"This is not valid YAML: {exc.problem}.",
                    "Check indentation, colons and quotes on that line.",
                )
            )
            continue
        if document is None:
            continue
        schema_errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        for error in schema_errors:
            findings.append(_schema_finding(name, document, error))
        if schema_errors or not isinstance(document, LineMap):
            continue
        for section in SECTIONS:
            for key, value in document.get(section, {}).items():
                line = document[section].line_of(key)
                previous = tables.sections[section].get(key)
                if previous is not None:
                    findings.append(
                        Finding(
                            name,
                            line,
                            "error",
                            f"{section[:-1].capitalize()} '{key}' is already defined in "
                            f"{previous.file}:{previous.line}.",
                            "Keep one definition and delete or rename the other.",
                        )
                    )
                    continue
                tables.sections[section][key] = Entry(key, value, name, line)
    return tables, findings


def _schema_finding(file: str, document: Any, error: jsonschema.ValidationError) -> Finding:
    path = list(error.absolute_path)
    line, extra = line_at(document, path), None
    if error.validator == "additionalProperties":
        line, extra = _extra_key(document, path, error)
    elif error.validator == "pattern":
        node = _node_at(document, path)
        if isinstance(node, LineMap) and str(error.instance) in node:  # a bad key (propertyNames): its line
            line = node.line_of(str(error.instance))
    message, fix = sentence(error, extra)
    return Finding(file, line, "error", message, fix)


def _allowed_keys(error: jsonschema.ValidationError) -> list[str]:
    schema = error.schema
    return sorted(schema.get("properties", {})) if isinstance(schema, dict) else []


def _node_at(document: Any, path: list[Any]) -> Any:
    node = document
    for step in path:
        node = node[step]
    return node


def _extra_key(document: Any, path: list[Any], error: jsonschema.ValidationError) -> tuple[int, str]:
    node = _node_at(document, path)
    allowed = set(_allowed_keys(error))
    if isinstance(node, LineMap):
        for key in node:
            if key not in allowed:
                return node.line_of(key), str(key)
    return line_at(document, path), "?"
