"""``rules publish``, ``rules versions`` and ``rules diff``: rule-table versions in the database."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import RulesOption, fail, load_or_exit, parse_instant, rules_dir, text_table
from app.cli.database import DatabaseOption, opened
from app.cli.impact import print_report
from app.domain.diff import diff
from app.domain.rules import Rulebook
from app.services.reevaluation import assess, reevaluate
from app.services.rule_versions import RulesRefused, load_catalog, plan_publish, store_version
from app.settings import Settings


def publish(
    effective_from: Annotated[
        str,
        typer.Option(
            "--effective-from",
            show_default=False,
            help="UTC instant (or date: its midnight UTC) from which events are judged by these tables.",
        ),
    ],
    rules: RulesOption = None,
    database_url: DatabaseOption = None,
    backdate: Annotated[
        bool, typer.Option("--backdate", help="Allow an instant in the past; re-judges the events it affects.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Publish the tables in --rules as a new version, in force for events created from --effective-from.

    Refuses an instant earlier than now plus the pickup delay (RULES_POLL_SECONDS plus
    MAX_FUTURE_SKEW) unless --backdate is given, and refuses tables that would orphan stored
    names. A backdated version re-judges the events created since that instant: their impact is
    shown first and confirmed. Running services pick the version up within RULES_POLL_SECONDS."""
    rulebook = load_or_exit(rules_dir(None, rules))
    settings = Settings()
    lead = settings.max_future_skew + _pickup(settings)
    with opened(database_url, writes=True) as engines:
        with engines.reader.connect() as conn:
            try:
                plan = plan_publish(conn, rulebook, parse_instant(effective_from), lead=lead, backdate=backdate)
            except RulesRefused as exc:
                fail(str(exc), 1)
            report = assess(conn, plan.catalog.engine_at, contracts=plan.affected) if plan.affected else None
        when = plan.effective_from.isoformat(timespec="seconds") + "Z"
        if report is not None:
            print_report(report, f"Publishing {rulebook.version} effective from {when} re-judges", "would change")
            if not yes and not typer.confirm("Publish, and rewrite these verdicts?"):
                fail("Nothing published.", 1)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        with engines.writer.begin() as conn:
            store_version(conn, plan)
        typer.echo(f"Published rules {rulebook.version}, effective from {when}.")
        if plan.affected:
            time.sleep(_pickup(settings).total_seconds())  # every running service judges by it from now on
            done = reevaluate(engines.writer, plan.catalog.engine_at, contracts=plan.affected, label=rulebook.version)
            print_report(done, "Re-judged", "changed")


def _pickup(settings: Settings) -> timedelta:
    """How long running services may take to see a new version (one poll of the versions table)."""
    return timedelta(seconds=settings.rules_poll_seconds)


def versions(database_url: DatabaseOption = None) -> None:
    """List the published versions: hash, effective from, published at."""
    with opened(database_url) as engines, engines.reader.connect() as conn:
        catalog = load_catalog(conn)
    if catalog is None:
        fail("No rule version is published in this database yet.", 1)
    typer.echo(
        text_table(
            ["hash", "effective_from (UTC)", "published_at (UTC)"],
            [
                [v.hash, v.effective_from.isoformat(timespec="seconds"), v.published_at.isoformat(timespec="seconds")]
                for v in catalog.versions
            ],
        )
    )


def diff_command(
    rules: RulesOption = None,
    against: Annotated[
        Path | None,
        typer.Option("--against", show_default=False, help="Compare with the tables in this folder instead."),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """What the tables in --rules change compared with the latest published version (or --against DIR)."""
    new = load_or_exit(rules_dir(None, rules))
    old: Rulebook
    if against is not None:
        old = load_or_exit(against)
    else:
        with opened(database_url) as engines, engines.reader.connect() as conn:
            catalog = load_catalog(conn)
        if catalog is None:
            fail("No rule version is published in this database yet; use --against DIR.", 1)
        old = catalog.versions[-1].rulebook if catalog.versions else new
    differences = diff(old, new)
    typer.echo(f"From {old.version} to {new.version}: {len(differences)} difference(s).")
    for d in differences:
        typer.echo(f"  {d.change:8} {d.message}")
