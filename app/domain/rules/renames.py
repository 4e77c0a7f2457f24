"""The ``renamed:`` and ``removed:`` sections: how names stored under earlier versions map
onto these tables. Here they are checked against the tables alone; whether they cover what
is really stored is ``app.domain.orphans``' question, asked against the database."""

from __future__ import annotations

from collections.abc import Iterator

from app.domain.rules.findings import Finding
from app.domain.rules.schema_errors import words
from app.domain.rules.tables import Tables


def defined_names(tables: Tables) -> dict[str, set[str]]:
    """The states, event types and components these tables define."""
    lifecycles, components = tables.sections["lifecycles"], tables.sections["components"]
    return {
        "states": {state for e in lifecycles.values() for state in e.value.get("states", [])},
        "event_types": {t for e in components.values() for t in e.value.get("events", {})},
        "components": set(components),
    }


def check_renames(tables: Tables) -> Iterator[Finding]:
    defined = defined_names(tables)
    for kind, entry in tables.sections["renamed"].items():
        for old, new in entry.value.items():
            line = entry.value.line_of(old)
            if new not in defined[kind]:
                yield Finding(
                    entry.file,
                    line,
                    "error",
                    f"'renamed: {kind}' maps '{old}' to '{new}', which these tables do not define.",
                    f"Map it to one of {words(sorted(defined[kind]))}.",
                )
            if old in defined[kind]:
                yield Finding(
                    entry.file,
                    line,
                    "error",
                    f"'renamed: {kind}' maps '{old}', which these tables still define.",
                    "Remove the mapping, or remove the old name from the tables.",
                )
    for kind, entry in tables.sections["removed"].items():
        for index, name in enumerate(entry.value):
            if name in defined[kind]:
                yield Finding(
                    entry.file,
                    entry.value.line_of(index),
                    "error",
                    f"'removed: {kind}' lists '{name}', which these tables still define.",
                    "Remove it from the list, or from the tables.",
                )
