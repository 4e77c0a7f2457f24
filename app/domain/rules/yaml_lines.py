"""YAML loading that remembers the line of every mapping key and list item."""

from __future__ import annotations

import re
from typing import Any

import yaml


class LineMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _LineLoader(yaml.SafeLoader):
    """A safe loader with YAML 1.2 booleans: only ``true`` and ``false`` are booleans.

    PyYAML follows YAML 1.1, where ``off``, ``no``, ``yes`` and ``on`` are booleans too, so a
    state named ``off`` became ``False`` and failed the schema with a message about types that
    a product owner could not connect to the word they wrote. YAML 1.2 (the core schema, which
    editors and the JSON Schema tooling follow) reads those words as plain strings."""


_BOOL_TAG = "tag:yaml.org,2002:bool"
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.MarkedYAMLError(
                "while reading a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList()
    result.line = node.start_mark.line + 1
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.item_lines.append(item.start_mark.line + 1)
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_with_lines(text: str) -> Any:
    """Parse one YAML document; mappings become ``LineMap`` and lists ``LineList``."""
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass


def line_at(document: Any, path: list[str | int]) -> int:
    """The line of the deepest node on ``path`` that exists in ``document``."""
    node, line = document, getattr(document, "line", 1)
    for step in path:
        if isinstance(node, LineMap) and isinstance(step, str) and step in node:
            line, node = node.line_of(step), node[step]
            continue
        if isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line, node = node.line_of(step), node[step]
            continue
        break
    return line
