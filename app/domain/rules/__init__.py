"""Rule tables: loading, checking and the typed rulebook they become."""

from app.domain.rules.findings import Finding, RulesError
from app.domain.rules.loader import Inspection, inspect_rules, load_rulebook
from app.domain.rules.model import Component, EventType, Lifecycle, Rejection, Rulebook, TransitionRule

__all__ = [
    "Component",
    "EventType",
    "Finding",
    "Inspection",
    "Lifecycle",
    "Rejection",
    "Rulebook",
    "RulesError",
    "TransitionRule",
    "inspect_rules",
    "load_rulebook",
]
