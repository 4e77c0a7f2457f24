"""Static checks of merged rule tables: names, completeness, reachability and leftovers.

The ``transitions`` library checks none of this: a misspelled ``dest`` only fails when that
transition fires. Every problem is reported with its file, line and a plain-language fix.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from typing import Any

from app.domain.guards import REFERENCES, read_guard
from app.domain.rules.findings import Finding
from app.domain.rules.renames import check_renames
from app.domain.rules.schema_errors import words
from app.domain.rules.tables import Entry, Tables
from app.domain.timeline import DEFAULT_DATES


def check_tables(tables: Tables) -> list[Finding]:
    findings: list[Finding] = []
    sections = tables.sections
    if not sections["components"]:
        findings.append(
            Finding(
                _first(tables),
                1,
                "error",
                "No component is defined.",
                "Add a 'components:' section with at least one component.",
            )
        )
    for entry in sections["lifecycles"].values():
        findings.extend(_check_lifecycle(entry, tables))
    findings.extend(_check_components(tables))
    findings.extend(_check_guards(tables))
    findings.extend(check_renames(tables))
    findings.extend(_check_unused(tables))
    return findings


def _first(tables: Tables) -> str:
    return tables.files[0] if tables.files else "rules"


def _items(entry: Entry, key: str) -> Iterator[tuple[int, dict[str, Any], int]]:
    items = entry.value.get(key, [])
    for index, item in enumerate(items):
        yield index, item, items.line_of(index)


def _check_lifecycle(entry: Entry, tables: Tables) -> Iterator[Finding]:
    lc, file, name = entry.value, entry.file, entry.name
    states, triggers = list(lc["states"]), list(lc["triggers"])
    if lc["initial"] not in states:
        yield Finding(
            file,
            lc.line_of("initial"),
            "error",
            f"Lifecycle '{name}': initial state '{lc['initial']}' is not one of its states {words(states)}.",
            "Add it to 'states' or correct the spelling.",
        )
    cells: dict[tuple[str, str], list[tuple[str, int, dict[str, Any]]]] = {}
    for kind in ("transitions", "rejections"):
        for _, row, line in _items(entry, kind):
            ok = True
            for key in ("source", "dest") if kind == "transitions" else ("source",):
                if row[key] not in states:
                    ok = ok and key == "dest"  # a bad dest still gives its cell an outcome
                    yield Finding(
                        file,
                        line,
                        "error",
                        f"Lifecycle '{name}': unknown state '{row[key]}' in {key}.",
                        f"Use {words(states)}, or add the state to 'states'.",
                    )
            if row["trigger"] not in triggers:
                ok = False
                yield Finding(
                    file,
                    line,
                    "error",
                    f"Lifecycle '{name}': unknown trigger '{row['trigger']}'.",
                    f"Use {words(triggers)}, or add the trigger to 'triggers'.",
                )
            yield from _check_row_dates(entry, row, line, tables)
            if kind == "rejections" and row["code"] not in tables.sections["messages"]:
                yield Finding(
                    file,
                    line,
                    "error",
                    f"Lifecycle '{name}': rejection code '{row['code']}' has no message.",
                    "Add the code with its message under 'messages'.",
                )
            if ok:
                cells.setdefault((row["source"], row["trigger"]), []).append((kind, line, row))
    yield from _check_cells(entry, states, triggers, cells)
    yield from _check_reachable(entry, states)


def _check_cells(
    entry: Entry,
    states: list[str],
    triggers: list[str],
    cells: dict[tuple[str, str], list[tuple[str, int, dict[str, Any]]]],
) -> Iterator[Finding]:
    name, file = entry.name, entry.file
    for state in states:
        for trigger in triggers:
            outcomes = cells.get((state, trigger), [])
            where = f"Lifecycle '{name}', state '{state}' x trigger '{trigger}'"
            if not outcomes:
                yield Finding(
                    file,
                    entry.line,
                    "error",
                    f"{where} has no outcome.",
                    "Add a transition or a rejection (with a code) for this cell.",
                )
                continue
            rejections = [o for o in outcomes if o[0] == "rejections"]
            moves = [o for o in outcomes if o[0] == "transitions"]
            if rejections and moves:
                yield Finding(
                    file,
                    rejections[0][1],
                    "error",
                    f"{where} has both a rejection and a transition (line {moves[0][1]}).",
                    "Keep one: a cell is either allowed or rejected.",
                )
            elif len(rejections) > 1:
                yield Finding(
                    file,
                    rejections[1][1],
                    "error",
                    f"{where} has more than one rejection.",
                    "Keep a single rejection for the cell.",
                )
            for (_, line, row), (_, next_line, _) in itertools.pairwise(moves):
                if not row.get("guards"):
                    yield Finding(
                        file,
                        next_line,
                        "error",
                        f"{where}: this transition can never fire, because the one on line {line} "
                        "has no guard and always applies first.",
                        "Give the earlier transition guards that say when it applies, or delete one.",
                    )


def _check_reachable(entry: Entry, states: list[str]) -> Iterator[Finding]:
    lc = entry.value
    graph: dict[str, set[str]] = {}
    for _, row, _ in _items(entry, "transitions"):
        graph.setdefault(row["source"], set()).add(row["dest"])
    seen, queue = {lc["initial"]}, deque([lc["initial"]])
    while queue:
        for dest in graph.get(queue.popleft(), ()):
            if dest not in seen:
                seen.add(dest)
                queue.append(dest)
    for index, state in enumerate(states):
        if state not in seen:
            yield Finding(
                entry.file,
                lc["states"].line_of(index),
                "error",
                f"Lifecycle '{entry.name}': state '{state}' cannot be reached from '{lc['initial']}'.",
                "Add a transition into it, or remove the state.",
            )


def _check_components(tables: Tables) -> Iterator[Finding]:
    lifecycles = tables.sections["lifecycles"]
    owners: dict[str, str] = {}
    for entry in tables.sections["components"].values():
        component = entry.value
        lifecycle = lifecycles.get(component["lifecycle"])
        if lifecycle is None:
            yield Finding(
                entry.file,
                component.line_of("lifecycle"),
                "error",
                f"Component '{entry.name}': lifecycle '{component['lifecycle']}' is not defined.",
                f"Use {words(sorted(lifecycles))}, or define it under 'lifecycles'.",
            )
        events = component["events"]
        for event_type, trigger in events.items():
            line = events.line_of(event_type)
            if event_type in owners:
                yield Finding(
                    entry.file,
                    line,
                    "error",
                    f"Event type '{event_type}' is mapped by both '{owners[event_type]}' and '{entry.name}'.",
                    "An event type acts on one component: rename one of them.",
                )
            owners[event_type] = entry.name
            if lifecycle is not None and trigger not in lifecycle.value["triggers"]:
                yield Finding(
                    entry.file,
                    line,
                    "error",
                    f"Event type '{event_type}' fires '{trigger}', which lifecycle '{lifecycle.name}' does not have.",
                    f"Use {words(lifecycle.value['triggers'])}.",
                )


def _check_row_dates(entry: Entry, row: dict[str, Any], line: int, tables: Tables) -> Iterator[Finding]:
    """A row's guards exist and compare with dates its lifecycle has; its ``set`` is such a date."""
    name, file = entry.name, entry.file
    dates = list(entry.value.get("dates", DEFAULT_DATES))
    if "set" in row and row["set"] not in dates:
        yield Finding(
            file,
            line,
            "error",
            f"Lifecycle '{name}': 'set: {row['set']}' names a date the lifecycle does not declare.",
            f"Use {words(dates)}, or add it to the lifecycle's 'dates'.",
        )
    for guard in row.get("guards", []):
        declared = tables.sections["guards"].get(guard)
        if declared is None:
            yield Finding(
                file,
                line,
                "error",
                f"Lifecycle '{name}': unknown guard '{guard}'.",
                f"Use {words(sorted(tables.sections['guards']))}, or declare it under 'guards'.",
            )
            continue
        window, _ = read_guard(guard, declared.value, declared.line)
        if window is not None and window.of not in REFERENCES and window.of not in dates:
            yield Finding(
                file,
                line,
                "error",
                f"Lifecycle '{name}': guard '{guard}' compares with the date '{window.of}', "
                "which this lifecycle does not declare.",
                f"Add '{window.of}' to the lifecycle's 'dates', or use a guard of {words([*REFERENCES, *dates])}.",
            )


def _check_guards(tables: Tables) -> Iterator[Finding]:
    for entry in tables.sections["guards"].values():
        _, problems = read_guard(entry.name, entry.value, entry.line)
        for line, message, fix in problems:
            yield Finding(entry.file, line or entry.line, "error", message, fix)
        if entry.value["code"] not in tables.sections["messages"]:
            yield Finding(
                entry.file,
                entry.value.line_of("code"),
                "error",
                f"Guard '{entry.name}': code '{entry.value['code']}' has no message.",
                "Add the code with its message under 'messages'.",
            )


def _check_unused(tables: Tables) -> Iterator[Finding]:
    used_guards: set[str] = set()
    used_codes = {g.value["code"] for g in tables.sections["guards"].values()}
    used_lifecycles = {c.value["lifecycle"] for c in tables.sections["components"].values()}
    for entry in tables.sections["lifecycles"].values():
        for _, row, _ in _items(entry, "transitions"):
            used_guards.update(row.get("guards", []))
        for _, row, _ in _items(entry, "rejections"):
            used_codes.add(row["code"])
    for kind, section, used in (
        ("Guard", "guards", used_guards),
        ("Message", "messages", used_codes),
        ("Lifecycle", "lifecycles", used_lifecycles),
    ):
        for entry in tables.sections[section].values():
            if entry.name not in used:
                yield Finding(
                    entry.file,
                    entry.line,
                    "warning",
                    f"{kind} '{entry.name}' is never used.",
                    f"Delete it, or reference it from a {'component' if section == 'lifecycles' else 'rule'}.",
                )
