"""What changed between two versions of the rule tables, row by row (GET /rules?version=HASH, issue 9).

Rows are compared as values: a transition row is its trigger, source, dest, guards and date set;
a rejection cell is its state and trigger (its code may change); a message is its code (its text
may change). Components are compared by lifecycle and event types.
"""

from __future__ import annotations

from typing import Any


def _transition(row: dict[str, Any]) -> str:
    text = f"{row['source']} --{row['trigger']}--> {row['dest']}"
    if row.get("guards"):
        text += f" [{', '.join(row['guards'])}]"
    return text + (f" / sets {row['set']}" if row.get("set") else "")


def _keyed(old: dict[str, Any], new: dict[str, Any], what: str) -> list[dict[str, str]]:
    changes = []
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        kind = "added" if before is None else "removed" if after is None else "changed"
        changes.append(
            {
                "kind": kind,
                "what": f"{what} {key}",
                "before": "" if before is None else str(before),
                "after": "" if after is None else str(after),
            }
        )
    return changes


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    """Changes from ``old`` to ``new`` (two documents of GET /rules), in table order."""
    changes: list[dict[str, str]] = []
    for name in [*old["lifecycles"], *(n for n in new["lifecycles"] if n not in old["lifecycles"])]:
        a, b = old["lifecycles"].get(name), new["lifecycles"].get(name)
        if a is None or b is None:
            changes.append(
                {"kind": "added" if a is None else "removed", "what": f"lifecycle {name}", "before": "", "after": ""}
            )
            continue
        rows_a, rows_b = [_transition(r) for r in a["transitions"]], [_transition(r) for r in b["transitions"]]
        changes += [
            {"kind": "removed", "what": f"{name}: transition", "before": r, "after": ""}
            for r in rows_a
            if r not in rows_b
        ]
        changes += [
            {"kind": "added", "what": f"{name}: transition", "before": "", "after": r}
            for r in rows_b
            if r not in rows_a
        ]
        cells_a = {f"{r['source']} x {r['trigger']}": f"rejected {r['code']}" for r in a["rejections"]}
        cells_b = {f"{r['source']} x {r['trigger']}": f"rejected {r['code']}" for r in b["rejections"]}
        changes += _keyed(cells_a, cells_b, f"{name}: rejection")
        changes += _keyed({"states": ", ".join(a["states"])}, {"states": ", ".join(b["states"])}, f"{name}:")
    components_a = {
        n: f"{c['lifecycle']}: {', '.join(f'{e}={t}' for e, t in c['events'].items())}"
        for n, c in old["components"].items()
    }
    components_b = {
        n: f"{c['lifecycle']}: {', '.join(f'{e}={t}' for e, t in c['events'].items())}"
        for n, c in new["components"].items()
    }
    changes += _keyed(components_a, components_b, "component")
    changes += _keyed(
        {n: g["code"] for n, g in old["guards"].items()}, {n: g["code"] for n, g in new["guards"].items()}, "guard"
    )
    changes += _keyed(dict(old["messages"]), dict(new["messages"]), "message")
    return changes
