"""Command-line options of ``python -m tests.perf``."""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.perf.servers import ROOT

SCENARIOS = (
    "post_event",
    "timeline",
    "batch",
    "late",
    "fairness",
    "console",
    "sync_full",
    "scaling",
    "as_known_at",
    "listing",
)
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _csv_ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def _scenarios(text: str) -> list[str]:
    chosen = list(SCENARIOS) if text == "all" else [part for part in text.split(",") if part]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)} or all"
        )
    return chosen


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.perf",
        description="Benchmark the service against a trivial FastAPI app under the same uvicorn settings, "
        "with wrk (16 connections, 2 threads). Prints one table and writes JSON.",
    )
    parser.add_argument("--quick", action="store_true", help="3 s per scenario and fewer samples")
    parser.add_argument("--duration", type=float, help="seconds per measured wrk run (default 10, quick 3)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up before each wrk run")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for the main scenarios")
    parser.add_argument(
        "--rule-versions",
        type=int,
        default=1,
        help="rule-table versions published before the service starts (the default tables are the latest)",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--database-url",
        help="default: a fresh SQLite file in a temp dir. A postgresql:// URL "
        "names a server: a fresh database is created there and dropped afterwards",
    )
    parser.add_argument("--postgres-url", default=PG_SERVER, help="server for the PostgreSQL scaling runs")
    parser.add_argument(
        "--scenarios",
        type=_scenarios,
        default=list(SCENARIOS),
        help=f"comma-separated, from {', '.join(SCENARIOS)}; default all",
    )
    parser.add_argument("--scaling-workers", type=_csv_ints, default=[1, 2, 4])
    parser.add_argument(
        "--late-sizes", type=_csv_ints, default=[100, 1_000, 10_000], help="history sizes for the late-event scenario"
    )
    parser.add_argument(
        "--fairness-events",
        type=int,
        default=20_000,
        help="stored events of the contract the late client writes to, in the fairness scenario",
    )
    parser.add_argument("--late-requests", type=int, help="sequential late events per series (default 50, quick 20)")
    parser.add_argument(
        "--listing-contracts", type=int, help="contracts stored for the listing (default 1,000,000, quick 100,000)"
    )
    parser.add_argument("--listing-requests", type=int, help="timed pages per listing query (default 300, quick 100)")
    parser.add_argument(
        "--listing-databases", default="sqlite,postgresql", help="where to run the listing: sqlite, postgresql or both"
    )
    parser.add_argument("--batch-requests", type=int, help="timed POST /events requests (default 5, quick 3)")
    parser.add_argument("--console-requests", type=int, help="timed console page reads (default 50, quick 20)")
    parser.add_argument("--profile", type=Path, help="record each measured service run with py-spy into this dir")
    parser.add_argument("--profile-gil", action="store_true", help="sample only the thread holding the GIL")
    parser.add_argument("--py-spy", default="py-spy", help="path of the py-spy binary (for --profile)")
    parser.add_argument("--output", type=Path, default=ROOT / "perf-results" / "latest.json")
    args = parser.parse_args(argv)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.late_requests = args.late_requests or (20 if args.quick else 50)
    args.batch_requests = args.batch_requests or (3 if args.quick else 5)
    args.listing_contracts = args.listing_contracts or (100_000 if args.quick else 1_000_000)
    args.listing_requests = args.listing_requests or (100 if args.quick else 300)
    args.console_requests = args.console_requests or (20 if args.quick else 50)
    return args
