"""State colours: fixed for the default states, by position in the lifecycle for any other."""

from __future__ import annotations

NAMED = {"not_started": "#9aa5b1", "started": "#2f855a", "ended": "#4a5568"}
CYCLE = ("#2b6cb0", "#b7791f", "#6b46c1", "#c05621", "#2c7a7b", "#97266d")


def colour_of(state: str, states: list[str]) -> str:
    if state in NAMED:
        return NAMED[state]
    position = states.index(state) if state in states else len(states)
    return CYCLE[position % len(CYCLE)]


def legend(states: list[str]) -> list[dict[str, str]]:
    return [{"state": state, "colour": colour_of(state, states)} for state in states]
