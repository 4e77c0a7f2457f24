"""``rules impact`` (read only) and ``rules reevaluate`` (writes): rule changes against stored data."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import fail, load_or_exit, parse_instant, text_table
from app.cli.database import DatabaseOption, opened
from app.domain.engine import RulesEngine
from app.domain.timeline import ComponentTimeline
from app.services.reevaluation import ImpactReport, assess, reevaluate
from app.services.rule_versions import load_catalog, plan_publish

NewRulesOption = Annotated[Path, typer.Option("--rules", show_default=False, help="Folder of the new rule tables.")]
ExamplesOption = Annotated[int, typer.Option("--examples", min=0, help="How many changes to show of each kind.")]


def impact(
    rules: NewRulesOption,
    database_url: DatabaseOption = None,
    examples: ExamplesOption = 10,
    effective_from: Annotated[
        str | None,
        typer.Option(
            "--effective-from",
            show_default=False,
            help="Measure publishing --rules effective from this instant, beside the stored versions. "
            "Default: as if these tables had judged everything stored.",
        ),
    ] = None,
) -> None:
    """Replay stored contracts under the tables in --rules, reading only, and report which events
    would change verdict and which timelines would change. Nothing is written, nothing is created."""
    rulebook = load_or_exit(rules)
    with opened(database_url) as engines, engines.reader.connect() as conn:
        if effective_from is None:
            report = assess(conn, RulesEngine(rulebook), examples=examples)
        else:
            plan = plan_publish(conn, rulebook, parse_instant(effective_from), lead=timedelta(0), backdate=True)
            report = assess(conn, plan.catalog.engine_at, examples=examples, contracts=plan.affected)
    print_report(report, f"Under the rules in {rules} (version {rulebook.version})", "would change")


def reevaluate_command(
    database_url: DatabaseOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Re-judge every stored event under the published version in force at its created_at, and
    WRITE the new verdicts and timelines.

    Stored verdicts never change by themselves; a backdated `rules publish` runs this for the
    events it affects. Run it yourself to settle everything, for example after a publish that
    ran while services were still picking the version up. It may run beside the live service:
    each contract is re-judged in a transaction of its own that holds the lock a request takes,
    so no request's update is lost. Stopped halfway, it leaves each contract re-judged or
    untouched; run it again to finish."""
    with opened(database_url, writes=True) as engines:
        with engines.reader.connect() as conn:
            catalog = load_catalog(conn)
        if catalog is None:
            fail("No rule version is published in this database yet; start the service or run 'rules publish'.", 2)
        if not yes and not typer.confirm(f"Re-judge stored verdicts under the {len(catalog.versions)} version(s)?"):
            fail("Nothing changed.", 1)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        report = reevaluate(engines.writer, catalog.engine_at, label=", ".join(catalog.hashes))
    print_report(report, f"Re-evaluated under rule versions {', '.join(catalog.hashes)}", "changed")


def print_report(report: ImpactReport, heading: str, verb: str) -> None:
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
