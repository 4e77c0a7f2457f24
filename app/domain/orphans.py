"""Names that stored data uses and a new version would orphan: neither defined nor mapped.

Pure: the caller reads what is stored (``queries.name_usage``) and passes the counts. A name is
covered when the new tables define it, map it under ``renamed:``, or (event types and
components) list it under ``removed:``. A state has no "removed": a component is always in
some state, so a stored state must be defined or mapped onto one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.domain.engine import Aliases
from app.domain.rules.model import Rulebook


@dataclass(frozen=True, slots=True)
class Orphan:
    kind: str
    """``states``, ``event_types`` or ``components``."""
    name: str
    contracts: int
    events: int

    def __str__(self) -> str:
        singular = {"states": "state", "event_types": "event type", "components": "component"}[self.kind]
        return (
            f"stored {singular} '{self.name}' ({self.contracts} contract(s), {self.events} event(s)) is neither "
            f"defined nor mapped. Fix: add it under 'renamed: {self.kind}' with its new name"
            + (f", or list it under 'removed: {self.kind}'." if self.kind != "states" else ".")
        )


def orphans(rulebook: Rulebook, aliases: Aliases, usage: Mapping[str, Mapping[str, tuple[int, int]]]) -> list[Orphan]:
    """Stored names ``rulebook`` would orphan; ``aliases`` are the catalog's composed renames up to it."""
    defined = {
        "states": {s for lc in rulebook.lifecycles.values() for s in lc.states},
        "event_types": set(rulebook.event_types),
        "components": set(rulebook.components),
    }
    mapped = {"states": aliases.states, "event_types": aliases.event_types, "components": aliases.components}
    removed = {
        "states": frozenset[str](),
        "event_types": rulebook.renames.removed_event_types,
        "components": rulebook.renames.removed_components,
    }
    found = []
    for kind, names in usage.items():
        for name, (contracts, events) in sorted(names.items()):
            if name in defined[kind] or name in removed[kind] or mapped[kind].get(name) in defined[kind]:
                continue
            found.append(Orphan(kind, name, contracts, events))
    return found
