"""Mermaid ``stateDiagram-v2`` text for a lifecycle, or for one component's view of it.

The text is written here rather than by ``transitions.extensions.diagrams.GraphMachine``
(``graph_engine="mermaid"``). That class can label edges with their guards, but:

* rejections are not transitions in ``transitions`` (a rejected trigger is a ``MachineError``),
  so it cannot draw the rejection cells, which are half of a rule table;
* it cannot show what happens when a guard fails (the guard's rejection code);
* it needs a model, styles that model's current state as "active" and adds style classes,
  which is noise in a picture of the table itself;
* it is heavy for what is a few lines of text.

Drawing: ``[*] --> initial``; each transition row is an edge labelled with its trigger, its
guards in brackets and the date it sets (``started --> ended : end [date_not_before_start] / sets end date``);
each rejection cell and each guard failure is a self-loop marked with ``✗`` and its code
(``not_started --> not_started : end ✗ end_without_start``). The output depends only on the
tables, in table order, so it is deterministic.
"""

from __future__ import annotations

from app.domain.rules.model import Lifecycle, Rulebook

REJECTED = "✗"


def _label(trigger: str, names: dict[str, str]) -> str:
    return names.get(trigger, trigger)


def _lines(rulebook: Rulebook, lifecycle: Lifecycle, names: dict[str, str]) -> list[str]:
    lines = [f"    [*] --> {lifecycle.initial}"]
    for row in lifecycle.transitions:
        label = _label(row.trigger, names)
        if row.guards:
            label += f" [{', '.join(row.guards)}]"
        if row.set:
            label += f" / sets {row.set} date"
        lines.append(f"    {row.source} --> {row.dest} : {label}")
    for row in lifecycle.transitions:
        for guard in row.guards:
            code = rulebook.guards[guard].code
            lines.append(
                f"    {row.source} --> {row.source} : {_label(row.trigger, names)} {REJECTED} {code} [not {guard}]"
            )
    for rejection in lifecycle.rejections:
        lines.append(
            f"    {rejection.source} --> {rejection.source} : "
            f"{_label(rejection.trigger, names)} {REJECTED} {rejection.code}"
        )
    return lines


def _diagram(title: str, comment: str, body: list[str]) -> str:
    header = ["---", f"title: {title}", "---", "stateDiagram-v2"]
    return "\n".join([*header, f"    %% {comment}", *body]) + "\n"


def lifecycle_diagram(rulebook: Rulebook, lifecycle: str) -> str:
    """The lifecycle with trigger names; the comment lists the components that follow it."""
    lc = rulebook.lifecycles[lifecycle]
    users = [c.name for c in rulebook.components.values() if c.lifecycle == lifecycle]
    comment = f"followed by: {', '.join(users) or 'no component'}"
    return _diagram(f"lifecycle {lifecycle}", comment, _lines(rulebook, lc, {}))


def component_diagram(rulebook: Rulebook, component: str) -> str:
    """The component's lifecycle with each trigger named by the event type(s) that fire it."""
    comp = rulebook.components[component]
    names: dict[str, list[str]] = {}
    for event_type, trigger in comp.events.items():
        names.setdefault(trigger, []).append(event_type)
    labels = {trigger: " / ".join(events) for trigger, events in names.items()}
    comment = f"lifecycle {comp.lifecycle}"
    return _diagram(f"component {component}", comment, _lines(rulebook, rulebook.lifecycles[comp.lifecycle], labels))


def all_diagrams(rulebook: Rulebook) -> dict[str, str]:
    """One diagram per lifecycle, by lifecycle name, in table order."""
    return {name: lifecycle_diagram(rulebook, name) for name in rulebook.lifecycles}
