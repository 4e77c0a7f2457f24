"""What the ``rules`` commands share: where the tables are, loading them, and printing tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from app.domain.rules import Rulebook, inspect_rules

DEFAULT_RULES_DIR = Path("rules")

RulesDirArgument = Annotated[
    Path | None,
    typer.Argument(show_default=False, help="The same as --rules, kept for older scripts.", metavar="[DIR]"),
]
RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        envvar="RULES_DIR",
        show_default=False,
        help="Folder holding the *.yaml rule tables. Default: $RULES_DIR, or 'rules'.",
    ),
]
"""Every command takes the tables' folder as ``--rules DIR``; ``check`` and ``diagram`` also
accept it as their first argument, as they did before."""


def rules_dir(directory: Path | None, option: Path | None = None) -> Path:
    """The folder named by the argument, else by ``--rules`` (or $RULES_DIR), else ``rules``."""
    return directory or option or DEFAULT_RULES_DIR


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` to stderr and leave with exit ``code``."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def load_or_exit(directory: Path) -> Rulebook:
    """The checked rulebook; on errors print every finding and exit 1, as ``rules check`` would."""
    inspection = inspect_rules(directory)
    if inspection.rulebook is None:
        for finding in inspection.findings:
            typer.echo(str(finding), err=True)
        fail(f"The rule tables in {directory} have errors; run 'rules check --rules {directory}' for details.", 1)
    return inspection.rulebook


def parse_instant(text: str) -> datetime:
    """An instant given on the command line: ISO 8601 date-time (an offset is converted; none means
    UTC) or a date (its midnight UTC), as naive UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"'{text}' is not an ISO 8601 date or date-time, such as 2025-07-01 or 2025-07-01T00:00:00Z.", 2)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: columns padded to their widest cell, a dashed line under the headers."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=False)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)])
