"""PostgreSQL specifics: contract rows locked for the writing transaction, ordering keys compared byte-wise."""

import threading
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event, select, text
from sqlalchemy.exc import OperationalError

from app.db import queries
from app.db.engines import Engines
from app.db.tables import contracts
from app.domain.ordering import sort_key

CREATED = datetime(2024, 1, 1)


def _lock_now(connection: Connection, number: str) -> None:
    """Lock one contract row, failing at once (no waiting) when another transaction holds it."""
    connection.execute(select(contracts.c.id).where(contracts.c.number == number).with_for_update(nowait=True))


def test_lock_contracts_locks_the_rows_in_number_order_until_commit(postgres_engines: Engines) -> None:
    engine = postgres_engines.writer
    with engine.begin() as connection:
        for number in ("a", "b", "c"):
            queries.insert_contract(connection, number, CREATED, ["energy_supply"], {"energy_supply": "not_started"})
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with engine.connect() as holder, engine.connect() as other:
        event.listen(holder, "before_cursor_execute", record)
        with holder.begin():
            assert set(queries.lock_contracts(holder, {"b", "a", "missing"})) == {"a", "b"}
            for number in ("a", "b"):
                with other.begin(), pytest.raises(OperationalError, match="could not obtain lock"):
                    _lock_now(other, number)
            with other.begin():
                _lock_now(other, "c")  # a contract not asked for stays free
        with other.begin():
            _lock_now(other, "a")  # released by the commit
    locking = statements[0].replace("\n", " ")
    assert "ORDER BY contracts.number FOR UPDATE" in locking


KEY_TYPES = ["b_start", "B-start", "a.start", "a_start", "A_start", "ab_start", "a start"]


def _event_row(contract_id: int, key: str, event_type: str) -> dict[str, Any]:
    return {
        "contract_id": contract_id,
        "component": "energy_supply",
        "type": event_type,
        "day": date(2024, 1, 1),
        "created_at": CREATED,
        "sort_key": key,
        "event_id": None,
        "received_at": CREATED,
        "accepted": True,
        "code": "accepted",
        "message": "ok",
        "rules_version": "v",
        "state_after": "started",
        "start_after": None,
        "end_after": None,
        "committed_at": CREATED,
        "revoked": False,
        "dates_after": None,
    }


def test_ordering_keys_sort_byte_wise(postgres_engines: Engines) -> None:
    """Keys that differ only in case and punctuation come back in Python's (byte) order, whatever
    the database's default collation (the test databases use ICU en-US)."""
    keys = {sort_key(CREATED, 0, date(2024, 1, 1), t): t for t in KEY_TYPES}
    with postgres_engines.writer.begin() as connection:
        cid = queries.insert_contract(connection, "1", CREATED, ["energy_supply"], {"energy_supply": "not_started"})
        queries.insert_events(connection, [_event_row(cid, key, t) for key, t in keys.items()])
    with postgres_engines.reader.connect() as connection:
        assert [row.sort_key for row in queries.contract_events(connection, cid)] == sorted(keys)
        first = min(keys)
        after_first = [
            row.sort_key for row in queries.events_after(connection, cid, "energy_supply", first, first_chunk=2)
        ]
        assert after_first == sorted(keys)[1:]
        collations = connection.execute(
            text(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns "
                "WHERE column_name IN ('sort_key', 'last_key') ORDER BY table_name"
            )
        ).all()
    assert [tuple(row) for row in collations] == [("contract_components", "last_key", "C"), ("events", "sort_key", "C")]


def test_a_writer_that_waited_for_the_lock_sees_what_the_holder_committed(postgres_engines: Engines) -> None:
    """The second writer must read the components after the lock, not from before it waited."""
    engine = postgres_engines.writer
    with engine.begin() as connection:
        queries.insert_contract(connection, "w", CREATED, ["energy_supply"], {"energy_supply": "not_started"})
    seen: list[dict[tuple[int, str], queries.ComponentRow]] = []
    with engine.connect() as holder, engine.connect() as waiter:
        holder_tx = holder.begin()
        ids, _ = queries.contracts_with_components(holder, {"w"})
        queries.update_components(
            holder,
            [
                {
                    "b_contract_id": ids["w"],
                    "b_component": "energy_supply",
                    "state": "started",
                    "start_date": date(2024, 1, 1),
                    "end_date": None,
                    "dates": None,
                    "last_key": "k1",
                }
            ],
        )

        def wait_for_lock() -> None:
            with waiter.begin():
                seen.append(queries.contracts_with_components(waiter, {"w"})[1])

        thread = threading.Thread(target=wait_for_lock)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive(), "the second writer must wait for the contract lock"
        holder_tx.commit()
        thread.join(timeout=30)
    [components] = seen
    row = components[(ids["w"], "energy_supply")]
    assert (row.timeline.state, row.last_key) == ("started", "k1")
