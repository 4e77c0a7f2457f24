"""``rules simulate``: replay an events file through the rule tables, with no database.

Contracts are implied by the file: every ``contract_number`` seen is taken to hold every
component of the tables, unless ``--contract NUMBER=comp1,comp2`` says which it holds.
Each contract's events are folded with ``app.domain.fold.fold_contract``, exactly as the
service orders and applies them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import RulesOption, fail, load_or_exit, rules_dir, text_table
from app.cli.events_file import EventsFileError, FileEvent, read_events
from app.domain.engine import RulesEngine
from app.domain.fold import fold_contract
from app.domain.rules import Rulebook
from app.domain.timeline import ComponentTimeline, Verdict

EventsArgument = Annotated[
    Path,
    typer.Argument(
        show_default=False,
        metavar="EVENTS_FILE",
        help='JSON list of events: {"type", "contract_number", "date", "created_at"?}.',
    ),
]
ContractOption = Annotated[
    list[str] | None,
    typer.Option(
        "--contract",
        metavar="NUMBER=COMP1,COMP2",
        show_default=False,
        help="Components a contract holds (repeatable). Contracts not named hold every component.",
    ),
]


def simulate(events_file: EventsArgument, rules: RulesOption = None, contract: ContractOption = None) -> None:
    """Apply the events of EVENTS_FILE to implied contracts and print verdicts and final timelines.

    Every contract number in the file is taken to hold every component, unless --contract
    names its components. Events without created_at are stamped as the service stamps them:
    the time of receipt (now) plus their position in the file, as if the file were posted
    as one batch now; so they apply after events with an earlier created_at.
    Exit 0 when the simulation ran (rejections are results), 1 on rule table errors, 2 on bad input.
    """
    rulebook = load_or_exit(rules_dir(rules))
    try:
        holdings = parse_holdings(contract or [], rulebook)
    except ValueError as exc:
        fail(str(exc), 2)
    try:
        events = read_events(events_file, datetime.now(UTC).replace(tzinfo=None))
    except EventsFileError as exc:
        fail(str(exc), 2)
    verdicts, timelines = run_simulation(rulebook, events, holdings)
    typer.echo("Verdicts (in file order)")
    typer.echo(
        text_table(
            ["#", "contract", "type", "date", "verdict"],
            [
                [str(i + 1), e.contract_number, e.facts.type, e.facts.day.isoformat(), verdict_text(verdicts[i])]
                for i, e in enumerate(events)
            ],
        )
    )
    for number, components in timelines.items():
        typer.echo(f"\nContract {number}: final timeline")
        typer.echo(
            text_table(
                ["component", "state", "start", "end"],
                [[name, t.state, _day(t.start), _day(t.end)] for name, t in components.items()],
            )
        )


def run_simulation(
    rulebook: Rulebook, events: list[FileEvent], holdings: dict[str, list[str]]
) -> tuple[list[Verdict | None], dict[str, dict[str, ComponentTimeline]]]:
    """Verdicts in input order (``None`` for a duplicate) and the final timelines per contract."""
    engine = RulesEngine(rulebook)
    by_contract: dict[str, list[int]] = {}
    for index, event in enumerate(events):
        by_contract.setdefault(event.contract_number, []).append(index)
    verdicts: list[Verdict | None] = [None] * len(events)
    timelines: dict[str, dict[str, ComponentTimeline]] = {}
    for number, indexes in by_contract.items():
        components = holdings.get(number, list(rulebook.components))
        fold = fold_contract(engine, components, [events[i].facts for i in indexes])
        for index, verdict in zip(indexes, fold.verdicts, strict=True):
            verdicts[index] = verdict
        timelines[number] = fold.timelines
    return verdicts, timelines


def parse_holdings(options: list[str], rulebook: Rulebook) -> dict[str, list[str]]:
    """``NUMBER=comp1,comp2`` options as components by contract; ValueError names a bad one."""
    holdings: dict[str, list[str]] = {}
    for option in options:
        number, sep, names = option.partition("=")
        components = [name.strip() for name in names.split(",") if name.strip()]
        if not sep or not number.strip() or not components:
            raise ValueError(f"--contract {option!r}: expected NUMBER=COMPONENT[,COMPONENT...].")
        unknown = [name for name in components if name not in rulebook.components]
        if unknown:
            raise ValueError(
                f"--contract {option!r}: unknown component(s) {', '.join(unknown)}; "
                f"known: {', '.join(rulebook.components)}."
            )
        holdings[number.strip()] = components
    return holdings


def verdict_text(verdict: Verdict | None) -> str:
    if verdict is None:
        return "duplicate of an earlier event (ignored)"
    return verdict.code if verdict.accepted else f"rejected {verdict.code}: {verdict.message}"


def _day(day: date | None) -> str:
    return "-" if day is None else day.isoformat()
