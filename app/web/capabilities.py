"""Which endpoints the service under the console serves, read from its own OpenAPI schema.

The console is built against endpoints that issues 9, 10 and 11 specify. Where the service does
not serve one yet, a page says which endpoint it is waiting for instead of calling a path that
does not exist, or, worse, calling a path that ignores a parameter it does not know (today's
timeline would silently ignore ``as_known_at`` and show the present as the past).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Need:
    """An endpoint (or a parameter of one) that a feature of the console needs."""

    method: str
    path: str
    """As written in the issue; ``{...}`` matches any parameter name."""
    parameter: str | None
    issue: int

    def describe(self) -> str:
        what = f"{self.method} {self.path}" + (f"?{self.parameter}=" if self.parameter else "")
        return f"{what} (issue {self.issue})"


LISTING = Need("GET", "/contracts", None, 10)
REVOKE = Need("POST", "/events/{id}/revoke", None, 10)
AMEND = Need("PATCH", "/contract/{number}", None, 10)
AS_KNOWN_AT = Need("GET", "/{number}/contract_timeline", "as_known_at", 10)
HISTORY_AS_KNOWN_AT = Need("GET", "/{number}/events", "as_known_at", 10)
CHANGES = Need("GET", "/changes", None, 11)
STREAM = Need("GET", "/changes/stream", None, 11)
WEBHOOKS = Need("GET", "/webhooks", None, 11)
DELIVERIES = Need("GET", "/webhooks/{id}/deliveries", None, 11)
REPLAY = Need("POST", "/webhooks/{id}/replay", None, 11)
VERSIONS = Need("GET", "/rules/versions", None, 9)
DIFF = Need("GET", "/rules/diff", None, 9)
DIAGRAMS = Need("GET", "/rules/diagram", None, 9)


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]*\\\}", r"\\{[^}]+\\}", re.escape(path)) + "$")


class Capabilities:
    """Answers ``serves(need)`` from an OpenAPI document."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._operations: list[tuple[str, str, set[str]]] = []
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if not isinstance(operation, dict):
                    continue
                names = {str(p.get("name")) for p in operation.get("parameters", []) if isinstance(p, dict)}
                self._operations.append((method.upper(), path, names))

    def serves(self, need: Need) -> bool:
        pattern = _pattern(need.path)
        return any(
            method == need.method and pattern.match(path) and (need.parameter is None or need.parameter in names)
            for method, path, names in self._operations
        )

    def missing(self, *needs: Need) -> list[str]:
        """The needs not served, described for the operator."""
        return [need.describe() for need in needs if not self.serves(need)]
