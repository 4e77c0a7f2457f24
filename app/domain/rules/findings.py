"""Problems found in rule tables, each with a place and a plain-language fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    file: str
    line: int
    severity: Severity
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.severity}: {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text


class RulesError(Exception):
    """The rule tables cannot be used; ``findings`` says where and why."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        super().__init__("rule tables rejected:\n" + "\n".join(f"  {f}" for f in errors))
