"""The results: one table on the terminal and the same rows as JSON for the README."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Row:
    scenario: str
    unit: str
    """``req/s``, ``events/s`` or ``ms`` (then ``rate`` is empty and the latencies are the figure)."""
    rate: float | None
    p50_ms: float | None
    p99_ms: float | None
    trivial_rate: float | None = None
    ok_fraction: float = 1.0
    target: str = ""
    met: bool | None = None
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        return self.rate / self.trivial_rate if self.rate and self.trivial_rate else None


@dataclass
class Report:
    settings: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def add_all(self, rows: list[Row]) -> None:
        for row in rows:
            self.add(row)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(f"  {format_row(row)}", flush=True)
        return row


COLUMNS = f"{'scenario':<58} {'rate':>14} {'p50 ms':>8} {'p99 ms':>8} {'trivial':>9} {'ratio':>6} {'ok %':>6}  target"


def format_row(row: Row) -> str:
    rate = f"{row.rate:,.0f} {row.unit}" if row.rate is not None else "-"
    trivial = f"{row.trivial_rate:,.0f}" if row.trivial_rate else "-"
    ratio = f"{row.ratio:.0%}" if row.ratio is not None else "-"
    verdict = "" if row.met is None else ("  ok" if row.met else "  MISSED")
    p50, p99 = (f"{v:.2f}" if v is not None else "-" for v in (row.p50_ms, row.p99_ms))
    return (
        f"{row.scenario:<58} {rate:>14} {p50:>8} {p99:>8} {trivial:>9} {ratio:>6} "
        f"{row.ok_fraction:>6.1%}  {row.target}{verdict}"
    )


def print_table(report: Report) -> None:
    print()
    print(COLUMNS)
    print("-" * len(COLUMNS))
    for row in report.rows:
        print(format_row(row))
        if row.notes:
            print(f"{'':<4}{row.notes}")
    for name, value in report.facts.items():
        print(f"{name}: {value}")


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "settings": report.settings,
        "facts": report.facts,
        "rows": [{**asdict(row), "ratio": row.ratio} for row in report.rows],
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
