"""The ``rules`` command (Poetry script ``rules = "app.cli.main:run"``).

Commands: ``check``, ``diagram`` and ``simulate`` need no database; ``impact`` reads the
stored contracts and ``reevaluate`` rewrites their verdicts.
"""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import RulesDirArgument, RulesOption, fail, load_or_exit, rules_dir
from app.cli.database import opened
from app.cli.impact import impact, reevaluate_command
from app.cli.simulate import simulate
from app.cli.versions import diff_command, publish, versions
from app.domain.diagram import all_diagrams, component_diagram, lifecycle_diagram
from app.domain.rules import inspect_rules
from app.services.rule_versions import load_catalog, orphans_against

app = typer.Typer(
    name="rules",
    help="Check, draw, simulate and measure the impact of the contract-lifecycle rule tables (rules/*.yaml).",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def check(
    directory: RulesDirArgument = None,
    rules: RulesOption = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            show_default=False,
            help="Also compare with this database's stored data: names it uses that these tables would orphan.",
        ),
    ] = None,
) -> None:
    """Check the rule tables and print every problem as file:line: severity: message Fix: ...

    With --database-url, also list each stored state, event type and component that the tables
    neither define nor map (renamed:/removed:), with how many contracts and events use it.
    Exit 0 when there is no error (warnings are printed but allowed), 1 otherwise.
    """
    folder = rules_dir(directory, rules)
    inspection = inspect_rules(folder)
    for finding in inspection.findings:
        typer.echo(str(finding))
    errors, warnings = len(inspection.errors), len(inspection.warnings)
    if inspection.rulebook is None:
        typer.echo(f"{folder}: {errors} error(s), {warnings} warning(s). The service would refuse these tables.")
        raise typer.Exit(1)
    if database_url is not None:
        with opened(database_url) as engines, engines.reader.connect() as conn:
            found = orphans_against(conn, load_catalog(conn), inspection.rulebook)
        for orphan in found:
            typer.echo(f"{database_url}: error: {orphan}")
        if found:
            typer.echo(
                f"{folder}: {len(found)} stored name(s) would be orphaned. The service would refuse these tables."
            )
            raise typer.Exit(1)
    typer.echo(f"{folder}: no errors, {warnings} warning(s). Rules version {inspection.rulebook.version}.")


@app.command()
def diagram(
    directory: RulesDirArgument = None,
    rules: RulesOption = None,
    lifecycle: Annotated[
        str | None,
        typer.Option("--lifecycle", "-l", show_default=False, help="Draw only this lifecycle."),
    ] = None,
    component: Annotated[
        str | None,
        typer.Option(
            "--component",
            "-c",
            show_default=False,
            help="Draw only this component's lifecycle, labelled with its event types.",
        ),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Wrap each diagram in a ```mermaid block with a heading.")
    ] = False,
) -> None:
    """Print the lifecycles as Mermaid state diagrams (paste into https://mermaid.live or a Markdown file).

    Arrows are transitions with their guards; an arrow to a box marked ✗ is a rejection with its
    code. Each diagram is one complete Mermaid document: paste one at a time, or use --markdown.
    """
    rulebook = load_or_exit(rules_dir(directory, rules))
    if component is not None and component not in rulebook.components:
        fail(f"Unknown component '{component}'. Known: {', '.join(rulebook.components)}.", 2)
    if lifecycle is not None and lifecycle not in rulebook.lifecycles:
        fail(f"Unknown lifecycle '{lifecycle}'. Known: {', '.join(rulebook.lifecycles)}.", 2)
    if component is not None:
        diagrams = {component: component_diagram(rulebook, component)}
    elif lifecycle is not None:
        diagrams = {lifecycle: lifecycle_diagram(rulebook, lifecycle)}
    else:
        diagrams = all_diagrams(rulebook)
    for name, text in diagrams.items():
        typer.echo(f"## {name}\n\n```mermaid\n{text}```\n" if markdown else text)
    if len(diagrams) > 1 and not markdown:
        typer.echo(f"{len(diagrams)} diagrams above, each a document of its own: paste one at a time.", err=True)


app.command("simulate")(simulate)


app.command("impact")(impact)
app.command("reevaluate")(reevaluate_command)
app.command("publish")(publish)
app.command("versions")(versions)
app.command("diff")(diff_command)


def run() -> None:
    """Entry point of the ``rules`` Poetry script."""
    app()


if __name__ == "__main__":
    run()
