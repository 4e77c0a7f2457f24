"""The writer on a real SQLite file: serial answers in one commit, isolation of refused and failing
writes, a bounded queue, a dead thread that fails fast, storage that cannot take writes, and group
buffers flushed before any other write reads."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from app.db.engines import Engines, create_engines
from app.db.writer import Writer, group_buffer
from app.domain.errors import Conflict, Unavailable


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[Engines]:
    engines = create_engines(f"sqlite:///{tmp_path / 'w.db'}")
    with engines.writer.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    yield engines
    engines.dispose()


def bump(conn: Connection) -> int:
    """Read, then write what was read plus one: the answer shows which writes came before it."""
    n = int(conn.execute(text("SELECT n FROM counter")).scalar_one())
    conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
    return n + 1


def refuse(conn: Connection) -> int:
    raise Conflict("refused before writing", "refused")


def crash(conn: Connection) -> int:
    conn.execute(text("UPDATE counter SET n = n + 1000"))
    raise RuntimeError("a bug after a write")


def stored(engines: Engines) -> int:
    with engines.reader.connect() as conn:
        return int(conn.execute(text("SELECT n FROM counter")).scalar_one())


async def run_group(writer: Writer, works: list[Callable[[Connection], int]]) -> list[int | BaseException]:
    """Queue every work before the thread starts, so that they share one group commit."""
    tasks = [asyncio.ensure_future(writer.run(work)) for work in works]
    await asyncio.sleep(0)
    writer.start()
    return list(await asyncio.gather(*tasks, return_exceptions=True))


def test_one_group_answers_as_if_each_write_ran_alone_in_queue_order(engines: Engines) -> None:
    writer = Writer(engines.writer)
    results = asyncio.run(run_group(writer, [bump, refuse, bump, crash, bump]))
    writer.stop()
    assert results[0::2] == [1, 2, 3]
    assert isinstance(results[1], Conflict)
    assert isinstance(results[3], RuntimeError)
    assert stored(engines) == 3, "the refused write and the failing one left nothing behind"


def test_a_full_queue_answers_overloaded_at_once(engines: Engines) -> None:
    writer = Writer(engines.writer, queue_max=2)

    async def scenario() -> list[int | BaseException]:
        tasks = [asyncio.ensure_future(writer.run(bump)) for _ in range(3)]
        await asyncio.sleep(0)
        writer.start()
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    results = asyncio.run(scenario())
    writer.stop()
    assert results[:2] == [1, 2]
    assert isinstance(results[2], Unavailable)
    assert results[2].code == "overloaded"


def test_a_dead_writer_fails_pending_and_new_writes_fast(engines: Engines) -> None:
    writer = Writer(engines.writer)

    def die(conn: Connection) -> int:
        raise SystemExit("the thread goes down")

    async def scenario() -> tuple[list[int | BaseException], BaseException | None]:
        results = await run_group(writer, [bump, die, bump])
        later: BaseException | None = None
        try:
            await asyncio.wait_for(writer.run(bump), timeout=5)
        except Unavailable as exc:
            later = exc
        return results, later

    results, later = asyncio.run(scenario())
    assert all(isinstance(r, Unavailable) and r.code == "writer_stopped" for r in results)
    assert isinstance(later, Unavailable)
    assert later.code == "writer_stopped"
    assert writer.problem() is not None
    assert stored(engines) == 0


def test_a_replaced_database_file_refuses_writes_and_says_so(engines: Engines, tmp_path: Path) -> None:
    writer = Writer(engines.writer)
    writer.start()

    async def one() -> int | BaseException:
        return (await asyncio.gather(writer.run(bump), return_exceptions=True))[0]

    assert asyncio.run(one()) == 1
    assert writer.problem() is None
    path = tmp_path / "w.db"
    os.replace(path, tmp_path / "moved.db")
    path.write_bytes(b"")
    refused = asyncio.run(one())
    assert isinstance(refused, Unavailable)
    assert refused.code == "storage_unavailable"
    assert "replaced" in (writer.problem() or "")
    writer.stop()


def test_every_write_of_a_group_sees_the_time_noted_before_the_group_ran(engines: Engines) -> None:
    """The commit time that ``as_known_at`` reads: one per group, after every earlier answer."""
    from datetime import UTC, datetime

    from app.db.writer import group_time

    def noted(conn: Connection) -> datetime:
        bump(conn)
        return group_time(conn)

    writer = Writer(engines.writer)
    writer.start()
    try:

        async def scenario() -> tuple[datetime, list[datetime], datetime, datetime]:
            before = datetime.now(UTC).replace(tzinfo=None)
            together = await asyncio.gather(*(writer.run(noted) for _ in range(5)))
            answered = datetime.now(UTC).replace(tzinfo=None)
            later = await writer.run(noted)
            return before, list(together), answered, later

        before, together, answered, later = asyncio.run(scenario())
    finally:
        writer.stop()
    assert all(before <= moment <= answered for moment in together)
    assert len(set(together)) <= 2  # one group, or two when the first write started alone
    assert later > answered


class HeldAdds:
    """A group buffer: additions to the counter, held until the writer flushes them."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.held = conn, 0

    def flush(self) -> None:
        self.conn.execute(text("UPDATE counter SET n = n + :k"), {"k": self.held})
        self.held = 0


def add_held(conn: Connection) -> int:
    """Add one through the group's buffer; answers what the counter will read once flushed."""
    buffer = group_buffer(conn, HeldAdds)
    assert buffer is not None
    buffer.held += 1
    return int(conn.execute(text("SELECT n FROM counter")).scalar_one()) + buffer.held


def test_group_buffers_are_flushed_before_other_writes_and_before_the_commit(engines: Engines) -> None:
    writer = Writer(engines.writer)

    async def scenario() -> list[int | BaseException]:
        works = [(add_held, True), (add_held, True), (bump, False), (add_held, True), (refuse, True)]
        tasks = [asyncio.ensure_future(writer.run(work, buffered=buffered)) for work, buffered in works]
        await asyncio.sleep(0)
        writer.start()
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    results = asyncio.run(scenario())
    writer.stop()
    assert results[:4] == [1, 2, 3, 4], "the plain write read the two held additions"
    assert isinstance(results[4], Conflict)
    assert writer.commits == 1
    assert stored(engines) == 4, "the last addition was written before the commit"
    with engines.writer.begin() as conn:
        assert group_buffer(conn, HeldAdds) is None, "off the writer, nobody would flush a buffer"
