"""The one place that commits: a writer thread with group commit and serial answers.

Writes are queued as functions of a connection. The thread takes every queued write (up to a
limit) and runs them one after another in one transaction, then commits once; only then are
their results handed back, so nothing is acknowledged before its commit. Several concurrent
requests thus share one commit: each write reads what the writes before it in the group wrote,
so every answer is the one that request would get if the group had been committed one write at
a time, in queue order.

Group buffers let such writes share statements too. A write queued with ``buffered=True`` may
leave its rows in a buffer of the group (``group_buffer``): an object that serves the writes
after it what it holds, as the database would, and writes it all at once on ``flush()``. The
writer flushes the group's buffers before it runs a write that is not buffered, and before the
commit, so everything else reads the database as if each write had been written on its own.
``contracts_ahead`` names the contracts of the buffered writes to come, so that a buffer can
read them all in one statement, and without locking them again: the group holds their locks.

Writes must raise a ``DomainError`` before they write anything (services judge first, then
write), so a refused request leaves the group's transaction as if it had never run, without a
savepoint per request. Any other failure rolls the group back and runs each write again in a
transaction of its own, so one bad write cannot sink the others.

Faults:
- a connection lost before commit (a restarted or killed PostgreSQL backend) is replaced and
  the group retried once, and so is a group that lost a deadlock or serialization conflict; a
  commit that fails leaves the outcome unknown and answers 503;
- storage that cannot take writes (read-only, full, file removed or replaced) answers 503
  ``storage_unavailable``, and ``problem()`` says so until a write succeeds again;
- a full queue answers 503 ``overloaded`` at once, and a writer thread that died fails every
  pending and later write with 503 ``writer_stopped`` instead of leaving them waiting.

Group time: before any write of a group runs, the writer notes the time (``group_time(conn)``
gives it to the works). It is no later than the group's commit, and later than the answer to
any request answered before the group began, since answers leave only after their own group's
commit. Stored as each entry's commit time, it lets ``as_known_at=T`` reproduce exactly what a
client answered at or before T could read, and nothing committed after.

Hooks (``TransactionHooks``) see each group's transaction: at its start, just before its commit
(the change feed numbers what the group recorded there, so the records commit with the rows),
and after a successful commit (the feed wakes its readers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.db import queries
from app.db.storage import StorageProbe, storage_failure
from app.domain.errors import DomainError, Unavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")
Outcome = tuple[Any, BaseException | None]
_GROUP_TIME = "group_time"
_BUFFERS = "writer.buffers"
_AHEAD = "writer.contracts_ahead"


def group_time(conn: Connection) -> datetime:
    """The time (naive UTC) the current write group began; the current time off the writer
    (a command-line tool writing on its own connection)."""
    noted = conn.info.get(_GROUP_TIME)
    return noted if isinstance(noted, datetime) else datetime.now(UTC).replace(tzinfo=None)


class GroupBuffer(Protocol):
    def flush(self) -> None:
        """Write everything held, on the connection the buffer was made with."""


B = TypeVar("B", bound=GroupBuffer)


def group_buffer(conn: Connection, make: Callable[[Connection], B]) -> B | None:
    """The current group's buffer built by ``make`` (one per ``make``), built on first use;
    ``None`` off the writer, where nobody would flush it."""
    buffers: dict[Any, GroupBuffer] | None = conn.info.get(_BUFFERS)
    if buffers is None:
        return None
    found = buffers.get(make)
    if found is None:
        found = buffers[make] = make(conn)
    return found  # type: ignore[return-value]


def contracts_ahead(conn: Connection) -> frozenset[str]:
    """The contracts named (``locks``) by the running write and the buffered writes right after it;
    the group holds them (their row locks on PostgreSQL, the database's write lock on SQLite)."""
    ahead = conn.info.get(_AHEAD)
    return ahead if isinstance(ahead, frozenset) else frozenset()


class StorageState:
    """What the latest write learnt of storage: ``error`` when it refused the write, ``None`` once
    one succeeds. A worker's writers share one (its writer thread, and its event writer process
    through the process's answers), so that whichever wrote last says whether storage takes writes."""

    def __init__(self) -> None:
        self.error: str | None = None


class TransactionHooks(Protocol):
    def begin(self, conn: Connection) -> None: ...
    def before_commit(self, conn: Connection) -> None: ...
    def after_commit(self) -> None: ...


class _NoHooks:
    def begin(self, conn: Connection) -> None:
        pass

    def before_commit(self, conn: Connection) -> None:
        pass

    def after_commit(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Write:
    """One queued write: ``work(conn)``, the contracts it writes (``locks``), and whether it
    reads and writes only through group buffers (``buffered``; see ``Writer.run``)."""

    work: Callable[[Connection], Any]
    locks: Collection[str] = ()
    buffered: bool = False


@dataclass(slots=True)
class _Waiting:
    write: Write
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class Writer:
    def __init__(
        self,
        engine: Engine,
        *,
        group_max: int = 512,
        queue_max: int = 10_000,
        probe: StorageProbe | None = None,
        hooks: TransactionHooks | None = None,
        storage: StorageState | None = None,
    ) -> None:
        self._engine, self._group_max = engine, group_max
        self._hooks: TransactionHooks = hooks or _NoHooks()
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._queue_max = queue_max
        self._thread = threading.Thread(target=self._main, name="db-writer", daemon=True)
        self._probe = probe or StorageProbe(engine)
        self._lock_rows = engine.dialect.name != "sqlite"  # SQLite's BEGIN IMMEDIATE already serialises writers
        self._conn: Connection | None = None
        self._stopped: str | None = None
        self.storage = storage or StorageState()
        self.commits = 0

    def start(self) -> None:
        self._probe.problem()  # remember which file the service opened
        self._thread.start()

    def stop(self) -> None:
        """Finish every queued write, then stop."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()

    def problem(self) -> str | None:
        """Why writes would fail now, or ``None`` when they can go through."""
        if self._stopped is not None:
            return self._stopped
        if not self._thread.is_alive():
            return "The writer is not running."
        return self.storage_problem()

    def storage_problem(self) -> str | None:
        """Why storage would refuse a write now, as far as the last write and the probe know."""
        return self._probe.problem() or self.storage.error

    async def run(self, work: Callable[[Connection], T], *, locks: Collection[str] = (), buffered: bool = False) -> T:
        """Run ``work(conn)`` in the next group commit and return its result once committed.

        ``locks`` names the contracts the work writes. The group locks all of its writes'
        contracts at once, in number order, before the first write runs: writes locking their
        own contracts one after another would take a group's locks out of order, and two
        workers' groups could deadlock on PostgreSQL.

        ``buffered`` says the work reads and writes only through group buffers (``group_buffer``),
        or reads nothing they hold: the buffers are not flushed before it runs. Its result may be
        completed by the flush (ids known only once rows are written); it is handed back after."""
        if self._stopped is not None:
            raise Unavailable(self._stopped, "writer_stopped")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        # SimpleQueue (C, lock-free for the caller) with a size check: a bound that may be passed by
        # a few concurrent puts, at a fraction of queue.Queue's cost per write.
        if self._queue.qsize() >= self._queue_max:
            raise Unavailable("Too many writes are waiting; retry shortly.", "overloaded")
        self._queue.put(_Waiting(Write(work, locks, buffered), future, loop))
        if self._stopped is not None:  # the thread died between the check above and the put
            self._fail_pending()
        return await future

    def _main(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # the thread ends here; it must not leave anyone waiting
            self._stopped = f"The writer stopped after an internal error: {exc!r}."
            logger.exception("writer thread died; failing every pending write")
            self._fail_pending()

    def _fail_pending(self) -> None:
        while True:
            try:
                write = self._queue.get_nowait()
            except queue.Empty:
                return
            if write is not None:
                _deliver([write], [(None, Unavailable(self._stopped or "The writer stopped.", "writer_stopped"))])

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group, stopping = [first], False
            while len(group) < self._group_max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                group.append(nxt)
            try:
                outcomes = self.commit([waiting.write for waiting in group])
            except BaseException:
                _deliver(group, [(None, Unavailable("The writer stopped.", "writer_stopped"))] * len(group))
                raise
            _deliver(group, outcomes)
            if stopping:
                return

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
        return self._conn

    def commit(self, group: list[Write]) -> list[Outcome]:
        """Run ``group`` in one transaction on this thread and commit it: each write's (result,
        error), in order. The writer thread commits so; a process that writes on its own thread
        (app/services/event_writer.py) calls it directly, without starting the thread."""
        try:
            outcomes = self._attempt(group)
        except _Retry as retry:
            if retry.lost:
                self._discard_connection()
            try:
                outcomes = self._attempt(group)
            except _Retry as exc:
                if exc.lost:
                    return self._storage_down(group, exc.__cause__ or exc)
                if len(group) > 1:
                    return [outcome for write in group for outcome in self.commit([write])]
                busy = Unavailable("A concurrent write conflicted with this one twice; retry it.", "write_conflict")
                return [(None, busy)]
        except _StorageDown as exc:
            return self._storage_down(group, exc.__cause__ or exc)
        except Exception as exc:
            if len(group) == 1:
                logger.exception("write failed")
                return [(None, exc)]
            return [outcome for write in group for outcome in self.commit([write])]
        self.storage.error = None
        return outcomes

    def _attempt(self, group: list[Write]) -> list[Outcome]:
        """Run the group in one transaction and commit it; raise to have it retried or refused."""
        outcomes: list[Outcome] = []
        committing = False
        try:
            conn = self._connection()
            conn.info[_GROUP_TIME] = datetime.now(UTC).replace(tzinfo=None)
            with conn.begin():
                self._hooks.begin(conn)
                if self._lock_rows:
                    queries.lock_contracts(conn, {number for write in group for number in write.locks})
                buffers: dict[Any, GroupBuffer] = {}
                conn.info[_BUFFERS] = buffers
                for index, write in enumerate(group):
                    if not write.buffered:
                        _flush(buffers)
                    if index == 0 or not group[index - 1].buffered:
                        conn.info[_AHEAD] = _locks_ahead(group, index)
                    try:
                        outcomes.append((write.work(conn), None))
                    except DomainError as exc:
                        outcomes.append((None, exc))
                _flush(buffers)
                problem = self._probe.problem()
                if problem is not None:
                    raise _StorageDown(problem)
                self._hooks.before_commit(conn)
                committing = True
        except DBAPIError as exc:
            if exc.connection_invalidated and not committing:
                raise _Retry(lost=True) from exc
            if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
                raise _Retry(lost=False) from exc
            if exc.connection_invalidated or storage_failure(exc):
                raise _StorageDown(str(exc.orig)) from exc
            raise
        finally:
            if self._conn is not None:
                self._conn.info.pop(_BUFFERS, None)
                self._conn.info.pop(_AHEAD, None)
        self.commits += 1
        self._hooks.after_commit()
        return outcomes

    def _discard_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.invalidate()
            self._conn = None

    def _storage_down(self, group: list[Write], cause: BaseException) -> list[Outcome]:
        self.storage.error = f"The database cannot take writes: {_first_line(cause)}"
        logger.error("write refused: %s", self.storage.error)
        self._discard_connection()
        error = Unavailable(self.storage.error, "storage_unavailable")
        return [(None, error)] * len(group)


_TRANSIENT_SQLSTATES = ("40001", "40P01")  # serialization failure, deadlock: nothing was committed


class _Retry(Exception):
    """Nothing was committed and running the group again may succeed (on a new connection if ``lost``)."""

    def __init__(self, *, lost: bool) -> None:
        super().__init__("lost connection" if lost else "transient conflict")
        self.lost = lost


class _StorageDown(Exception):
    """Storage refused the group, or would lose it."""


def _flush(buffers: dict[Any, GroupBuffer]) -> None:
    for buffer in buffers.values():
        buffer.flush()
    buffers.clear()


def _locks_ahead(group: list[Write], start: int) -> frozenset[str]:
    """The contracts of ``group[start]`` and of the buffered writes that follow it without a break."""
    names = set(group[start].locks)
    for write in group[start + 1 :]:
        if not write.buffered:
            break
        names.update(write.locks)
    return frozenset(names)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _deliver(group: list[_Waiting], outcomes: list[Outcome]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Outcome]]] = defaultdict(list)
    for waiting, outcome in zip(group, outcomes, strict=True):
        by_loop[waiting.loop].append((waiting.future, outcome))
    for loop, pending in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_resolve, pending)


def _resolve(pending: list[tuple[asyncio.Future[Any], Outcome]]) -> None:
    for future, (result, error) in pending:
        if future.cancelled():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
