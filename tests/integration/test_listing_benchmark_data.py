"""The listing benchmark's bulk-loaded contracts are data the service accepts.

The benchmark (``python -m tests.perf --scenarios listing``) writes its contracts straight into
the tables. Once the service refused to start over stored states its rules do not define, the
benchmark's rare ``paused`` rows stopped it before a single query; this keeps the two in step."""

from pathlib import Path

from sqlalchemy import text

from app.db.engines import create_engines, create_schema
from app.runtime import open_runtime
from app.settings import Settings
from tests.conftest import ROOT
from tests.perf.corrections import LISTING_RULES, RARE_COMPONENT, seed_listing

CONTRACTS = 60_000


def test_the_service_starts_on_the_listing_benchmarks_contracts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'listing.db'}"
    engines = create_engines(url)
    create_schema(engines.writer)
    engines.dispose()
    seed_listing(url, CONTRACTS)

    runtime = open_runtime(Settings(database_url=url, rules_dir=ROOT / LISTING_RULES, event_writer="thread"))
    try:
        with runtime.engines.reader.connect() as conn:
            paused = conn.execute(
                text("SELECT DISTINCT component FROM contract_components WHERE state = 'paused'")
            ).scalars()
            assert list(paused) == [RARE_COMPONENT]
            assert conn.execute(text("SELECT count(*) FROM contracts")).scalar_one() == CONTRACTS
    finally:
        runtime.close()
