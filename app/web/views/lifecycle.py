"""A lifecycle drawn so that every row of its table is visible: one lane per row.

Mermaid merges repeated self-loops on one state (issue 9: 8 edges in the text, 5 drawn). Here
states are columns and every transition row, every guard failure and every rejection cell gets
its own horizontal lane, drawn as an arrow from its source column to its destination column (a
loop for a row that stays, a cross for a rejection), so nothing can overlap or merge. The lanes
follow table order, so the drawing reads like the YAML.
"""

from __future__ import annotations

from typing import Any

from app.web.views.palette import colour_of

COLUMN, MARGIN, HEADER, LANE = 200, 110, 56, 40
REJECTED = "✗"


def transition_label(row: dict[str, Any]) -> str:
    label = str(row["trigger"])
    if row.get("guards"):
        label += f" [{', '.join(row['guards'])}]"
    if row.get("set"):
        label += f" / sets {row['set']}"
    return label


def lanes(lifecycle: dict[str, Any], guards: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the drawing, in table order: transitions, then guard failures, then rejections."""
    result: list[dict[str, Any]] = [
        {"kind": "transition", "source": row["source"], "dest": row["dest"], "label": transition_label(row)}
        for row in lifecycle["transitions"]
    ]
    for row in lifecycle["transitions"]:
        for guard in row.get("guards", []):
            code = guards.get(guard, {}).get("code", guard)
            label = f"{row['trigger']} {REJECTED} {code} (when {guard} fails)"
            result.append({"kind": "guard", "source": row["source"], "dest": row["source"], "label": label})
    for rejection in lifecycle["rejections"]:
        label = f"{rejection['trigger']} {REJECTED} {rejection['code']}"
        result.append({"kind": "rejection", "source": rejection["source"], "dest": rejection["source"], "label": label})
    return result


def diagram(name: str, lifecycle: dict[str, Any], guards: dict[str, Any]) -> dict[str, Any]:
    states: list[str] = list(lifecycle["states"])
    column = {state: MARGIN + i * COLUMN for i, state in enumerate(states)}
    drawn = []
    for index, lane in enumerate(lanes(lifecycle, guards)):
        x1, x2 = column[lane["source"]], column[lane["dest"]]
        drawn.append({**lane, "x1": x1, "x2": x2, "y": HEADER + 22 + index * LANE, "loop": x1 == x2})
    # Labels run right of their source column; the widest sets the width (about 7 px a character).
    reach = max(
        [MARGIN + (len(states) - 1) * COLUMN + 80, *(lane["x1"] + 60 + 7 * len(lane["label"]) for lane in drawn)]
    )
    return {
        "name": name,
        "description": lifecycle.get("description", ""),
        "width": reach,
        "height": HEADER + 22 + len(drawn) * LANE,
        "header": HEADER,
        "initial": lifecycle["initial"],
        "columns": [
            {"state": s, "x": column[s], "colour": colour_of(s, states), "initial": s == lifecycle["initial"]}
            for s in states
        ],
        "lanes": drawn,
    }
