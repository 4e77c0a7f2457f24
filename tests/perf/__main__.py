"""``python -m tests.perf``: the service and a trivial FastAPI app, side by side under wrk.

See ``python -m tests.perf --help``. Every server is a real uvicorn subprocess on a free
127.0.0.1 port and is stopped on exit; PostgreSQL databases made for the run are dropped.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

from sqlalchemy.engine import make_url

from app.domain.replay import MAX_REJUDGE
from tests.perf import console, corrections, fairness, late, scenarios, seeding
from tests.perf.load import Load
from tests.perf.options import parse
from tests.perf.postgres import fresh_database
from tests.perf.profiling import py_spy_profiler
from tests.perf.report import Report, Row, print_table, write_json
from tests.perf.servers import Server, uvicorn_server
from tests.perf.wrk import require_wrk

SERVICE, TRIVIAL = "app.main:app", "tests.perf.trivial_app:app"


@contextmanager
def database(url: str | None, tmp: Path, name: str) -> Iterator[tuple[str, str]]:
    """(URL, how its schema was made): a fresh SQLite file, a fresh PostgreSQL database, or ``url`` as given."""
    if url and make_url(url).get_backend_name() == "postgresql":
        with fresh_database(url) as made:
            yield made
        return
    url = url or f"sqlite:///{tmp / f'{name}.db'}"
    from app.db.engines import create_engines, create_schema

    engines = create_engines(url)  # made before the workers start, so they do not race to make it
    try:
        create_schema(engines.writer)
    finally:
        engines.dispose()
    yield url, "app.db.engines.create_schema"


def service(stack: ExitStack, db_url: str, workers: int, **env: str) -> Server:
    settings = {"DATABASE_URL": db_url, "RULES_DIR": "rules", "LOG_LEVEL": "WARNING", "API_KEYS": "", **env}
    return stack.enter_context(uvicorn_server("service", SERVICE, workers=workers, env=settings))


def main_section(args: argparse.Namespace, load: Load, report: Report, tmp: Path) -> None:
    chosen, label = set(args.scenarios), f"{args.workers}w"
    with ExitStack() as stack:
        trivial = stack.enter_context(uvicorn_server("trivial", TRIVIAL, workers=args.workers, env={}))
        if chosen & {"post_event", "timeline", "batch", "late", "fairness", "console"}:
            db_url, schema = stack.enter_context(database(args.database_url, tmp, "main"))
            label = f"{make_url(db_url).get_backend_name()}, {label}"
            report.facts["schema"] = schema
            if chosen & {"post_event", "fairness"}:
                seconds = scenarios.create_event_contracts(db_url)
                report.facts["creating 10,000 contracts in one transaction (services.contracts)"] = f"{seconds:.1f} s"
            if chosen & {"timeline", "batch"}:
                scenarios.create_timeline_contracts(db_url)
            if "late" in chosen:
                late.create_late_contracts(db_url, args.late_sizes)
            if "fairness" in chosen:
                fairness.create_fairness_contracts(db_url)
            if "console" in chosen:
                console.create_console_contract(db_url)
            if args.rule_versions > 1:
                seeding.publish_rule_versions(db_url, args.rule_versions)
                report.facts["rule versions published"] = str(args.rule_versions)
            server = service(stack, db_url, args.workers)
            if "post_event" in chosen:
                report.add(scenarios.post_event(load, server, trivial, label))
                report.facts["service peak RSS after the POST /event load"] = f"{server.peak_rss_mb():.0f} MB"
            if chosen & {"timeline", "batch"}:
                scenarios.seed_timeline_events(server)
            if "timeline" in chosen:
                report.add(scenarios.get_timeline(load, server, trivial, label))
            if "batch" in chosen:
                report.add(scenarios.batch(load, server, args.batch_requests, label))
            if "late" in chosen:
                for size in args.late_sizes:
                    for variant in late.VARIANTS:
                        report.add(late.late_series(server.url, size, variant, args.late_requests, label))
            if "fairness" in chosen:
                started = time.perf_counter()
                fairness.seed_histories(server, args.fairness_events)
                sizes = f"{args.fairness_events:,} events twice, {MAX_REJUDGE + 1:,} once"
                report.facts[f"seeding the fairness contracts ({sizes}; POST /events)"] = (
                    f"{time.perf_counter() - started:.1f} s"
                )
                for row in fairness.fairness(load, server, args.fairness_events, label):
                    report.add(row)
            if "console" in chosen:
                for row in console.contract_page(server.url, args.console_requests, label):
                    report.add(row)
            rss = server.peak_rss_mb()
            report.add(
                Row(
                    f"peak RSS of the service ({label})",
                    "MB",
                    rss,
                    None,
                    None,
                    target="<=150 MB",
                    met=rss <= 150,
                    notes="VmHWM, summed over the workers and their event writers, after all scenarios above",
                )
            )
        if "sync_full" in chosen:
            with ExitStack() as full:
                db_url, _ = full.enter_context(database(None, tmp, "full"))
                scenarios.create_event_contracts(db_url)
                server = service(full, db_url, args.workers, SQLITE_SYNCHRONOUS="FULL")
                report.add(
                    scenarios.post_event(
                        load,
                        server,
                        trivial,
                        f"sqlite SYNCHRONOUS=FULL, {args.workers}w",
                        min_ratio=0.25,
                        max_p99_ms=None,
                        target=">=25% of trivial",
                    )
                )
        report.facts["trivial app peak RSS"] = f"{trivial.peak_rss_mb():.0f} MB"


def corrections_section(args: argparse.Namespace, report: Report, tmp: Path) -> None:
    """Issue 10: ``as_known_at`` on 1,000 events; GET /contracts over many stored contracts."""
    chosen = set(args.scenarios)
    if "as_known_at" in chosen:
        with ExitStack() as stack:
            db_url, _ = stack.enter_context(database(args.database_url, tmp, "known"))
            corrections.create_known_contract(db_url)
            server = service(stack, db_url, args.workers)
            report.add_all(corrections.as_known_at_rows(server.url, args.listing_requests, f"{args.workers}w"))
    if "listing" in chosen:
        for backend in args.listing_databases.split(","):
            with ExitStack() as stack:
                url = args.postgres_url if backend == "postgresql" else None
                db_url, _ = stack.enter_context(database(url, tmp, "listing"))
                seconds = corrections.seed_listing(db_url, args.listing_contracts)
                report.facts[f"listing seed ({backend})"] = f"{args.listing_contracts:,} contracts in {seconds:.0f} s"
                server = service(stack, db_url, args.workers, RULES_DIR=corrections.LISTING_RULES)
                report.add_all(
                    corrections.listing_rows(server.url, args.listing_contracts, args.listing_requests, backend)
                )


def scaling_section(args: argparse.Namespace, load: Load, report: Report, tmp: Path) -> None:
    for workers in args.scaling_workers:
        with ExitStack() as stack:
            trivial = stack.enter_context(uvicorn_server("trivial", TRIVIAL, workers=workers, env={}))
            baseline = load.post_event(trivial, prefix="c", contracts=scenarios.EVENT_CONTRACTS, name="trivial")
            for backend in ("sqlite", "postgresql"):
                with ExitStack() as run:
                    url = args.postgres_url if backend == "postgresql" else None
                    db_url, schema = run.enter_context(database(url, tmp, f"scale{workers}"))
                    scenarios.create_event_contracts(db_url)
                    server = service(run, db_url, workers)
                    measured = load.post_event(
                        server, prefix="c", contracts=scenarios.EVENT_CONTRACTS, name=f"post_event {backend} {workers}w"
                    )
                    row = scenarios.wrk_row(f"scaling: POST /event ({backend}, {workers}w)", measured, baseline)
                    row.notes += f"; peak RSS {server.peak_rss_mb():.0f} MB"
                    report.add(row)
                    if backend == "postgresql":
                        report.facts["PostgreSQL schema"] = schema


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def main() -> None:
    args = parse()
    require_wrk()
    if args.profile and not shutil.which(args.py_spy):
        raise SystemExit(f"--profile needs py-spy ({args.py_spy} not found); e.g. pip install py-spy in a venv")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    load = Load(args.duration, args.warmup, args.threads, args.connections)
    if args.profile:
        load.profiler = py_spy_profiler(args.py_spy, args.profile, gil_only=args.profile_gil)
    report = Report({k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()})
    print(
        f"wrk -t{args.threads} -c{args.connections}, {args.duration:.0f} s per run after "
        f"{args.warmup:.0f} s warm-up; scenarios: {', '.join(args.scenarios)}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="perf-") as tmp:
        try:
            main_section(args, load, report, Path(tmp))
            corrections_section(args, report, Path(tmp))
            if "scaling" in args.scenarios:
                scaling_section(args, load, report, Path(tmp))
        finally:
            print_table(report)
            write_json(report, args.output)
            print(f"\nresults written to {args.output}")
            print(
                "The machine is shared: absolute figures are noisy; the ratios to the trivial app, "
                "measured in the same run, are the figures to compare."
            )


if __name__ == "__main__":
    main()
