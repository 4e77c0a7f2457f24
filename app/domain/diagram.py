"""Mermaid ``stateDiagram-v2`` text for a lifecycle, or for one component's view of it.

The text is written here rather than by ``transitions.extensions.diagrams.GraphMachine``
(``graph_engine="mermaid"``). That class can label edges with their guards, but:

* rejections are not transitions in ``transitions`` (a rejected trigger is a ``MachineError``),
  so it cannot draw the rejection cells, which are half of a rule table;
* it cannot show what happens when a guard fails (the guard's rejection code);
* it needs a model, styles that model's current state as "active" and adds style classes,
  which is noise in a picture of the table itself;
* it is heavy for what is a few lines of text.

Drawing, so that every row and every rejection stays visible once rendered: Mermaid draws one
edge per pair of states, so rows sharing a source and a dest (above all the self-loops, which
rejections are) were merged into one and their labels lost; the standard lifecycle's 8 edges
showed as 5. Therefore:

* ``[*] --> initial``;
* transition rows are edges labelled with their trigger, guards in brackets and the date they set
  (``started --> ended : end [date_not_before_start] / sets end``); rows that share a source and a
  dest become one edge whose label lists each row on its own line (``<br/>``);
* each rejection cell and each guard failure gets a node of its own, ``✗`` and its code, styled
  ``rejected``, reached by an edge labelled with the trigger (``not_started --> R1 : end`` with
  ``R1`` shown as ``✗ end_without_start``). Node ids are upper case, which no state name can be.

So no two edges ever join the same pair of nodes. The output depends only on the tables, in
table order, so it is deterministic; each call returns one complete, valid document.
"""

from __future__ import annotations

from app.domain.rules.model import Lifecycle, Rulebook

REJECTED = "✗"


def _label(trigger: str, names: dict[str, str]) -> str:
    return names.get(trigger, trigger)


def _lines(rulebook: Rulebook, lifecycle: Lifecycle, names: dict[str, str]) -> list[str]:
    edges: dict[tuple[str, str], list[str]] = {}
    for row in lifecycle.transitions:
        label = _label(row.trigger, names)
        if row.guards:
            label += f" [{', '.join(row.guards)}]"
        if row.set:
            label += f" / sets {row.set}"
        edges.setdefault((row.source, row.dest), []).append(label)
    lines = [f"    [*] --> {lifecycle.initial}"]
    lines.extend(f"    {source} --> {dest} : {'<br/>'.join(labels)}" for (source, dest), labels in edges.items())
    refusals: list[tuple[str, str, str]] = []
    for row in lifecycle.transitions:
        for guard in row.guards:
            label = f"{_label(row.trigger, names)} [not {guard}]"
            refusals.append((row.source, label, rulebook.guards[guard].code))
    for rejection in lifecycle.rejections:
        refusals.append((rejection.source, _label(rejection.trigger, names), rejection.code))
    for number, (source, label, code) in enumerate(refusals, start=1):
        node = f"R{number}"
        lines.append(f'    state "{REJECTED} {code}" as {node}')
        lines.append(f"    {source} --> {node} : {label}")
    if refusals:
        lines.append("    classDef rejected fill:#fde8e8,stroke:#b42318,color:#7a271a")
        lines.append(f"    class {','.join(f'R{n}' for n in range(1, len(refusals) + 1))} rejected")
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
