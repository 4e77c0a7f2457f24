"""``rules impact`` (read only) and ``rules reevaluate`` (writes): rule changes against stored data."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import fail, load_or_exit, text_table
from app.db.engines import create_engines
from app.domain.engine import RulesEngine
from app.domain.timeline import ComponentTimeline
from app.services.reevaluation import ImpactReport, assess, reevaluate
from app.settings import Settings

NewRulesOption = Annotated[Path, typer.Option("--rules", show_default=False, help="Folder of the new rule tables.")]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="DATABASE_URL",
        show_default=False,
        help="Database to read. Default: $DATABASE_URL, or the service's default.",
    ),
]
ExamplesOption = Annotated[int, typer.Option("--examples", min=0, help="How many changes to show of each kind.")]


def impact(rules: NewRulesOption, database_url: DatabaseOption = None, examples: ExamplesOption = 10) -> None:
    """Replay every stored contract under the tables in --rules, reading only, and report which
    events would change verdict and which timelines would change. Nothing is written."""
    engine = RulesEngine(load_or_exit(rules))
    engines = create_engines(database_url or Settings().database_url)
    try:
        with engines.reader.connect() as conn:
            report = assess(conn, engine, examples=examples)
    finally:
        engines.dispose()
    _print(report, f"Under the rules in {rules} (version {engine.rulebook.version})", "would change")


def reevaluate_command(
    rules: Annotated[Path, typer.Option("--rules", envvar="RULES_DIR", help="Tables to judge with.")] = Path("rules"),
    database_url: DatabaseOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Re-judge every stored event under --rules and WRITE the new verdicts and timelines.

    Run `rules impact` first to see what changes. Stored verdicts never change by themselves
    when tables change; this is the explicit, logged way to do it. It may run beside the live
    service, which should already run on the same tables: each contract is re-judged in a
    transaction of its own that holds the lock a request takes, so no request's update is lost.
    Stopped halfway, it leaves each contract re-judged or untouched; run it again to finish."""
    engine = RulesEngine(load_or_exit(rules))
    if not yes and not typer.confirm(f"Rewrite stored verdicts under rules {engine.rulebook.version}?"):
        fail("Nothing changed.", 1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    engines = create_engines(database_url or Settings().database_url)
    try:
        report = reevaluate(engines.writer, engine)
    finally:
        engines.dispose()
    _print(report, f"Re-evaluated under rules {engine.rulebook.version}", "changed")


def _print(report: ImpactReport, heading: str, verb: str) -> None:
    typer.echo(f"{heading}: {report.contracts} contracts, {report.events} events.")
    typer.echo(f"  {report.verdicts_changed} event verdict(s) {verb}; {report.timelines_changed} timeline(s) {verb}.")
    if report.unknown_components:
        typer.echo(
            f"  Components no longer in the tables (left as stored): {', '.join(sorted(report.unknown_components))}."
        )
    if report.verdict_examples:
        typer.echo("\nEvents whose verdict changes:")
        typer.echo(
            text_table(
                ["contract", "type", "date", "created_at", "before", "after"],
                [
                    [c.contract_number, c.type, c.date.isoformat(), c.created_at.isoformat(), c.before, c.after]
                    for c in report.verdict_examples
                ],
            )
        )
    if report.timeline_examples:
        typer.echo("\nTimelines that change:")
        typer.echo(
            text_table(
                ["contract", "component", "before", "after"],
                [
                    [c.contract_number, c.component, _timeline(c.before), _timeline(c.after)]
                    for c in report.timeline_examples
                ],
            )
        )


def _timeline(t: ComponentTimeline) -> str:
    return f"{t.state} {t.start or '-'}..{t.end or '-'}"
