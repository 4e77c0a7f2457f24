"""JSON Schema errors of a rule file, said as sentences about the product owner's file.

``jsonschema`` messages are written for programmers: ``False is not of type 'string'`` or
``Additional properties are not allowed ('colour' was unexpected)``, with paths such as
``lifecycles/standard/transitions/0/set``. A product owner reads "In lifecycle 'standard',
transition row 1, key 'set': ..." more easily, and never needs to see a Python list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import jsonschema

_SINGULAR = {"lifecycles": "lifecycle", "components": "component", "guards": "guard", "messages": "message"}
_ROW_NAMES = {"transitions": "transition row", "rejections": "rejection row", "states": "state", "triggers": "trigger"}
_TYPE_WORDS = {
    "string": "a name or a text",
    "object": "a mapping of keys to values",
    "array": "a list in [brackets] or one '- item' per line",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def words(names: Iterable[Any]) -> str:
    """``'a', 'b' or 'c'``: names listed for a reader, never as a Python list."""
    quoted = [f"'{name}'" for name in names]
    if not quoted:
        return "nothing"
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def place(path: Sequence[Any]) -> str:
    """Where a value sits, in the file's own words: ``lifecycle 'standard', transition row 1, key 'set'``."""
    parts: list[str] = []
    steps = list(path)
    if len(steps) >= 2 and steps[0] in _SINGULAR:
        parts.append(f"{_SINGULAR[steps[0]]} '{steps[1]}'")
        steps = steps[2:]
    elif steps:
        parts.append(f"section '{steps[0]}'")
        steps = steps[1:]
    parent = path[0] if path else ""
    for index, step in enumerate(steps):
        if isinstance(step, int):
            parts.append(f"{_ROW_NAMES.get(str(parent), 'item')} {step + 1}")
        elif not (index + 1 < len(steps) and isinstance(steps[index + 1], int)):
            parts.append(f"key '{step}'")  # a list's key is said by its rows: "transition row 1"
        parent = step
    return ", ".join(parts) or "the top level of the file"


def _shown(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"the number {value}"


def sentence(error: jsonschema.ValidationError, extra_key: str | None = None) -> tuple[str, str]:
    """The message and the fix for one schema error."""
    where = place(list(error.absolute_path))
    kind, value, schema = error.validator, error.instance, error.schema
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {})) if isinstance(schema, dict) else []
        fix = f"Remove or correct it; the keys allowed here are {words(allowed)}." if allowed else "Remove it."
        return f"Unknown key '{extra_key}' in {where}.", fix
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in str(error.message) else str(error.validator_value)
        return f"In {where}, the required key '{missing}' is missing.", f"Add '{missing}: ...' there."
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else "string"
        return (
            f"In {where}, expected {_TYPE_WORDS.get(expected, expected)}, but found {_shown(value)}.",
            "Write the value as the guide shows; put a name in quotes if it could be read as a number.",
        )
    if kind == "enum":
        allowed = error.validator_value if isinstance(error.validator_value, list) else []
        return f"In {where}, {_shown(value)} is not allowed.", f"Use {words(allowed)}."
    if kind == "pattern":
        return (
            f"Bad name '{value}' in {where}.",
            "Use lower-case letters, digits and underscores, starting with a letter.",
        )
    if kind in ("minItems", "minProperties", "minLength"):
        return f"In {where}, the value is empty.", "Give at least one entry."
    if kind == "uniqueItems":
        counts = Counter(str(v) for v in (value if isinstance(value, list) else []))
        repeated = next((name for name, n in counts.items() if n > 1), "?")
        return f"In {where}, '{repeated}' is listed more than once.", "List each name once."
    return (
        f"In {where}, {_shown(value)} does not have the expected shape.",
        "See GET /rules/schema, or rules/README.md, for the expected shape.",
    )
