"""The state x trigger table a product owner reads: each cell's outcome, in words."""

from __future__ import annotations

from typing import Any

from app.web.views.lifecycle import REJECTED


def cell(
    lifecycle: dict[str, Any], guards: dict[str, Any], messages: dict[str, str], state: str, trigger: str
) -> list[dict[str, str]]:
    """The cell's outcomes, tried in table order: each row that may fire, then its rejection."""
    outcomes: list[dict[str, str]] = []
    for row in lifecycle["transitions"]:
        if row["source"] != state or row["trigger"] != trigger:
            continue
        text = "stays " + state if row["dest"] == state else f"→ {row['dest']}"
        if row.get("set"):
            text += f"; {row['set']} = date"
        outcomes.append({"kind": "transition", "text": text})
        for guard in row.get("guards", []):
            code = guards.get(guard, {}).get("code", guard)
            outcomes.append(
                {"kind": "guard", "text": f"{REJECTED} {code} if {guard} fails: {messages.get(code, '')}".rstrip(": ")}
            )
    for rejection in lifecycle["rejections"]:
        if rejection["source"] == state and rejection["trigger"] == trigger:
            code = rejection["code"]
            outcomes.append({"kind": "rejection", "text": f"{REJECTED} {code}: {messages.get(code, '')}".rstrip(": ")})
    return outcomes


def table(lifecycle: dict[str, Any], guards: dict[str, Any], messages: dict[str, str]) -> dict[str, Any]:
    return {
        "triggers": list(lifecycle["triggers"]),
        "rows": [
            {"state": state, "cells": [cell(lifecycle, guards, messages, state, t) for t in lifecycle["triggers"]]}
            for state in lifecycle["states"]
        ],
    }
