"""What changes between two versions of the rule tables, row by row, said in words.

A product owner reads this before publishing: every transition row and rejection added or
removed, every guard, message, component and event type added, removed or changed, and the
renames the new version declares. Rows are compared as whole rows (trigger, source, dest,
guards, set): a row whose guard changed shows as one row removed and one added.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.domain.rules.model import Lifecycle, Rulebook, TransitionRule

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True, slots=True)
class Difference:
    section: str
    """``lifecycles``, ``transitions``, ``rejections``, ``guards``, ``messages``, ``components``,
    ``event_types`` or ``renamed``."""
    name: str
    change: Change
    message: str


def _row(row: TransitionRule) -> str:
    text = f"{row.source} --{row.trigger}--> {row.dest}"
    if row.guards:
        text += f" if {' and '.join(row.guards)}"
    return text + (f", sets {row.set}" if row.set else "")


def _mapping(section: str, old: Mapping[str, Any], new: Mapping[str, Any], what: str) -> Iterator[Difference]:
    for name in new.keys() - old.keys():
        yield Difference(section, name, "added", f"{what} '{name}' added: {new[name]}.")
    for name in old.keys() - new.keys():
        yield Difference(section, name, "removed", f"{what} '{name}' removed (was: {old[name]}).")
    for name in old.keys() & new.keys():
        if old[name] != new[name]:
            yield Difference(section, name, "changed", f"{what} '{name}' changed from {old[name]} to {new[name]}.")


def _lifecycle(old: Lifecycle, new: Lifecycle) -> Iterator[Difference]:
    name = new.name
    for label, before, after in (
        ("initial state", old.initial, new.initial),
        ("states", list(old.states), list(new.states)),
        ("triggers", list(old.triggers), list(new.triggers)),
        ("dates", list(old.dates), list(new.dates)),
    ):
        if before != after:
            yield Difference("lifecycles", name, "changed", f"Lifecycle '{name}': {label} {before} became {after}.")
    old_rows, new_rows = [_row(r) for r in old.transitions], [_row(r) for r in new.transitions]
    for row in new_rows:
        if row not in old_rows:
            yield Difference("transitions", name, "added", f"Lifecycle '{name}': row added: {row}.")
    for row in old_rows:
        if row not in new_rows:
            yield Difference("transitions", name, "removed", f"Lifecycle '{name}': row removed: {row}.")
    old_rej = {(r.source, r.trigger): r.code for r in old.rejections}
    new_rej = {(r.source, r.trigger): r.code for r in new.rejections}
    for (source, trigger), code in new_rej.items():
        cell = f"{source} x {trigger}"
        if (source, trigger) not in old_rej:
            yield Difference("rejections", name, "added", f"Lifecycle '{name}': {cell} now rejected with {code}.")
        elif old_rej[(source, trigger)] != code:
            before = old_rej[(source, trigger)]
            yield Difference(
                "rejections", name, "changed", f"Lifecycle '{name}': {cell} rejected {code}, was {before}."
            )
    for (source, trigger), code in old_rej.items():
        if (source, trigger) not in new_rej:
            yield Difference(
                "rejections", name, "removed", f"Lifecycle '{name}': {source} x {trigger} no longer rejected ({code})."
            )


def diff(old: Rulebook, new: Rulebook) -> list[Difference]:
    """Every difference from ``old`` to ``new``, lifecycles first, in a stable order."""
    found: list[Difference] = []
    for name in new.lifecycles.keys() - old.lifecycles.keys():
        found.append(Difference("lifecycles", name, "added", f"Lifecycle '{name}' added."))
    for name in old.lifecycles.keys() - new.lifecycles.keys():
        found.append(Difference("lifecycles", name, "removed", f"Lifecycle '{name}' removed."))
    for name in old.lifecycles.keys() & new.lifecycles.keys():
        found.extend(_lifecycle(old.lifecycles[name], new.lifecycles[name]))
    found.extend(
        _mapping(
            "components",
            {c.name: c.lifecycle for c in old.components.values()},
            {c.name: c.lifecycle for c in new.components.values()},
            "Component",
        )
    )
    found.extend(
        _mapping(
            "event_types",
            {e.name: f"{e.component}.{e.trigger}" for e in old.event_types.values()},
            {e.name: f"{e.component}.{e.trigger}" for e in new.event_types.values()},
            "Event type",
        )
    )
    found.extend(
        _mapping(
            "guards",
            {g.name: {"code": g.code, **g.params} for g in old.guards.values()},
            {g.name: {"code": g.code, **g.params} for g in new.guards.values()},
            "Guard",
        )
    )
    found.extend(_mapping("messages", old.messages, new.messages, "Message"))
    for kind in ("states", "event_types", "components"):
        mapping: Mapping[str, str] = getattr(new.renames, kind)
        for before, after in mapping.items():
            found.append(Difference("renamed", before, "added", f"Stored {kind} '{before}' read as '{after}'."))
    order = ["lifecycles", "transitions", "rejections", "guards", "messages", "components", "event_types", "renamed"]
    return sorted(found, key=lambda d: (order.index(d.section), d.name, d.change, d.message))
