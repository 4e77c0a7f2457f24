"""Where a worker's events are judged and committed: a writer thread, or a process of its own.

A worker's event loop and its writer thread share one interpreter lock, so under ``POST /event``
load they take turns on one core, while the machine has another: the writer's judging and SQL were
about 40% of a request's CPU time (103 to 113 µs of 245 to 265, measured 2026-11-27).
``EventWriterProcess`` (the default, ``EVENT_WRITER=process``) judges and commits a worker's events
in a child process instead, on the other core. It costs CPU (pickling, a pipe, a second loop: about
600 µs per request in all where the thread took 470 µs, on a slower day) and memory (a second
interpreter with SQLAlchemy and the rules, about 100 MB at the benchmark's peak), and buys the
worker's loop the writer's share: ``POST /event`` went from 31% to 41% of the trivial app in one
full benchmark run. ``WriterThreadEvents`` keeps events on the worker's writer thread
(``EVENT_WRITER=thread``: tests and tools that run the app in-process, where a child per app would
cost a second's start each, and hosts short of memory).

Both run the same ``record_events`` through the same ``Writer.commit``: the same group commit, the
same serial answers, the same retries and 503s. Only the transport differs:

- The worker sends, once per turn of its loop, every request that arrived in that turn as one
  message on a pipe: an id, the commands, and the worker's rule-versions mark.
- The child reads what has arrived, commits it as one group (at most ``GROUP_COMMIT_MAX``), and
  answers with one message: each request's outcome or error, the feed head its commit reached
  (the worker wakes its feed readers with it) and whether storage took the commit (the worker's
  ``StorageState``, which ``/health`` reads).
- Rules: a request carrying a mark other than the child's makes the child load the versions
  first, so the child never judges with rules older than those the worker had when the request
  arrived.
- Faults: when the child ends (a crash, the OOM killer), its pipe closes; every waiting and later
  event then answers 503 ``writer_stopped`` and ``/health`` says so, as when the writer thread
  dies. When the worker ends, even by SIGKILL, the child reads the end of its pipe and stops.

Other writes (contracts, revocations, subscriptions) stay on the worker's writer thread: they are
rare, and the database serialises the two writers as it does several workers'.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import itertools
import logging
import multiprocessing
import os
import pickle
import select
import signal
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from multiprocessing.connection import Connection
from typing import Any, Protocol

from app.child_processes import join_or_kill
from app.db import queries
from app.db.engines import Engines, create_engines
from app.db.writer import Outcome, StorageState, Write, Writer
from app.domain.errors import DomainError, Unavailable
from app.domain.timeline import Verdict
from app.feed.outbox import FeedHooks
from app.logging_setup import configure_logging
from app.services.commands import ChangedEvent, EventCommand, EventOutcome
from app.services.event_log import record_events
from app.services.rule_versions import catalog_of
from app.services.rules_watcher import CatalogHolder, RulesWatcher
from app.settings import Settings

logger = logging.getLogger(__name__)
READY_TIMEOUT = 60.0  # seconds a child may take to start (imports, rules, connecting)
STOP_WAIT = 10.0  # seconds a child may take to finish its group once the worker closes its pipe
QUEUE_MAX = 10_000  # events waiting for the child before new ones answer 503 overloaded
_READY = b"ready"
_HEADER = struct.Struct("!Q")


class EventStore(Protocol):
    """Judges and stores one request's commands in the next group commit."""

    async def record(self, commands: list[EventCommand], *, batch: bool) -> list[EventOutcome]: ...

    def problem(self) -> str | None:
        """Why events could not be stored now, or ``None``."""

    async def stop(self) -> None: ...


class WriterThreadEvents:
    """Events judged and committed on the worker's writer thread."""

    def __init__(self, writer: Writer, rules: CatalogHolder, *, max_rejudge: int | None) -> None:
        self._writer, self._rules, self._max_rejudge = writer, rules, max_rejudge

    async def record(self, commands: list[EventCommand], *, batch: bool) -> list[EventOutcome]:
        rules = self._rules.catalog.engine_at
        work = partial(record_events, commands=commands, rules=rules, batch=batch, max_rejudge=self._max_rejudge)
        outcomes: list[EventOutcome] = await self._writer.run(
            work, locks={c.contract_number for c in commands}, buffered=True
        )
        return outcomes

    def problem(self) -> str | None:
        return None  # the writer thread's problem is the runtime's writer problem

    async def stop(self) -> None:
        pass  # the runtime stops the writer thread


@dataclass(frozen=True, slots=True)
class _Request:
    id: int
    commands: list[EventCommand]
    batch: bool
    mark: tuple[int, int]


# On the pipe, requests and answers travel as plain tuples: pickling the slotted dataclasses costs
# about four times as much (measured: 24 against 7.5 µs for four requests, 18 against 4.7 µs for
# their answers), on the worker's loop.
_WireRequest = tuple[int, list[tuple[Any, ...]], bool, tuple[int, int]]
_WireOutcome = tuple[bool, str, str, datetime | None, str | None, bool, int, list[ChangedEvent], int]
_WireAnswer = tuple[int, list[_WireOutcome] | None, BaseException | None]
_WireReply = tuple[list[_WireAnswer], int | None, str | None]
"""Each request's answer, the feed head the commit reached, and what it learnt of storage."""


def _to_wire(outcome: EventOutcome) -> _WireOutcome:
    verdict = outcome.verdict
    return (
        verdict.accepted,
        verdict.code,
        verdict.message,
        outcome.created_at,
        outcome.id,
        outcome.duplicate,
        outcome.replayed,
        outcome.changed,
        outcome.changed_total,
    )


def _from_wire(fields: _WireOutcome) -> EventOutcome:
    accepted, code, message, created_at, public_id, duplicate, replayed, changed, changed_total = fields
    return EventOutcome(
        Verdict(accepted, code, message), created_at, public_id, duplicate, replayed, changed, changed_total
    )


def frame(payload: bytes) -> bytes:
    """``payload`` with its length in front, as ``Frames`` reads it back."""
    return _HEADER.pack(len(payload)) + payload


class Frames:
    """Splits a byte stream back into the payloads that ``frame`` wrapped."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """The payloads completed by ``data``; a partial one waits for the next call."""
        buffer = self._buffer
        buffer += data
        payloads, start = [], 0
        while len(buffer) - start >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer, start)
            end = start + _HEADER.size + size
            if end > len(buffer):
                break
            payloads.append(bytes(buffer[start + _HEADER.size : end]))
            start = end
        del buffer[:start]
        return payloads


class EventWriterProcess:
    """The worker's side: starts the child, sends it requests, hands back its answers."""

    def __init__(
        self, settings: Settings, rules: CatalogHolder, announce: Callable[[int], None], storage: StorageState
    ) -> None:
        self._settings, self._rules, self._announce, self._storage = settings, rules, announce, storage
        self._process: multiprocessing.process.BaseProcess | None = None
        self._requests: Connection | None = None
        self._replies: Connection | None = None
        self._transport: asyncio.WriteTransport | None = None
        self._attaching: asyncio.Future[None] | None = None
        self._ids = itertools.count()
        self._waiting: dict[int, asyncio.Future[list[EventOutcome]]] = {}
        self._outbox: list[_WireRequest] = []
        self._sending = False  # a send is scheduled for this turn of the loop
        self._in_flight = 0  # requests sent and not yet answered
        self._stopped: str | None = None

    def start(self) -> None:
        """Start the child and wait until it can take requests; raise if it cannot start."""
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no copy of the worker's threads
        child_requests, self._requests = context.Pipe(duplex=False)
        self._replies, child_replies = context.Pipe(duplex=False)
        process = context.Process(
            target=serve, args=(self._settings, child_requests, child_replies), name="event-writer", daemon=True
        )
        process.start()
        child_requests.close()
        child_replies.close()
        self._process = process
        atexit.register(self._close_pipe)  # before multiprocessing's own exit handler, which joins the child
        if not self._replies.poll(READY_TIMEOUT) or _read_frame(self._replies.fileno()) != _READY:
            process.kill()
            process.join()
            raise RuntimeError(f"the event writer process did not start (exit code {process.exitcode})")
        logger.info("event writer started in process %s", process.pid)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def record(self, commands: list[EventCommand], *, batch: bool) -> list[EventOutcome]:
        if self._stopped is not None:
            raise Unavailable(self._stopped, "writer_stopped")
        if len(self._waiting) >= QUEUE_MAX:
            raise Unavailable("Too many writes are waiting; retry shortly.", "overloaded")
        if self._transport is None:
            # From a context of its own: the pipes' callbacks must not log with this request's id.
            await asyncio.get_running_loop().create_task(self._attach(), context=contextvars.Context())
            if self._stopped is not None:  # the child was gone before the pipes were served
                raise Unavailable(self._stopped, "writer_stopped")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[EventOutcome]] = loop.create_future()
        request_id = next(self._ids)
        self._waiting[request_id] = future
        self._outbox.append((request_id, [tuple(c) for c in commands], batch, self._rules.mark))
        if not self._in_flight and not self._sending:
            self._sending = True
            loop.call_soon(self._send)  # at the end of this turn of the loop, with every request of the turn
        return await future

    def problem(self) -> str | None:
        return self._stopped  # storage problems are the shared ``StorageState``'s, which the writer reports

    async def stop(self) -> None:
        """Close the pipe to the child and wait for it to finish its group."""
        self._stopped = self._stopped or "The service is stopping."
        if self._transport is not None:
            self._transport.close()  # done by the loop, while this waits below
        elif self._requests is not None:
            self._requests.close()
        self._requests = None
        process, self._process = self._process, None
        if process is None:
            return
        await join_or_kill(process, STOP_WAIT, "event writer")

    def _close_pipe(self) -> None:
        """End the child's input, so that it stops: it ignores SIGINT and SIGTERM, and ends when its
        worker does, after its group."""
        if self._requests is not None:
            self._requests.close()

    async def _attach(self) -> None:
        """Serve the pipes from this loop (once; concurrent first requests wait for the same)."""
        if self._attaching is None:
            loop = asyncio.get_running_loop()
            self._attaching = loop.create_future()
            requests, replies = self._requests, self._replies
            assert requests is not None, "record() refuses writes once stop() has run"
            assert replies is not None
            try:
                transport, _ = await loop.connect_write_pipe(asyncio.Protocol, requests)
                await loop.connect_read_pipe(partial(_Replies, self), replies)
            except BaseException as exc:
                self._attaching.set_exception(exc)
                raise
            self._transport = transport
            self._attaching.set_result(None)
        await asyncio.shield(self._attaching)

    def _send(self) -> None:
        """Send what waits. While the child commits what it was sent, requests wait here and go
        together once it has answered: it could not start them sooner, and one message per group
        instead of one per turn of the loop saves the worker a pipe write and the child a wake-up
        each (measured: the writes were 8% of the worker's samples under POST /event load)."""
        self._sending = False
        requests, self._outbox = self._outbox, []
        if not requests:
            return
        self._in_flight += len(requests)
        assert self._transport is not None
        self._transport.write(frame(pickle.dumps(requests, protocol=pickle.HIGHEST_PROTOCOL)))

    def _answer(self, reply: _WireReply) -> None:
        answers, head, self._storage.error = reply
        if head is not None:
            self._announce(head)
        self._in_flight -= len(answers)
        if not self._in_flight:
            self._send()
        for request_id, outcomes, error in answers:
            future = self._waiting.pop(request_id, None)
            if future is None or future.done():
                continue
            if error is None and outcomes is not None:
                future.set_result([_from_wire(outcome) for outcome in outcomes])
            else:
                future.set_exception(error or RuntimeError("the event writer answered neither outcomes nor an error"))

    def _lost(self) -> None:
        """The child's pipe closed: fail everything waiting, and everything after."""
        if self._stopped is None:  # not stopped by the worker: the child ended on its own
            process = self._process
            exitcode = None if process is None else process.exitcode
            self._stopped = f"The event writer process stopped (exit code {exitcode}); restart the service."
            logger.error("event writer process ended (exit code %s); failing every pending event", exitcode)
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(Unavailable(self._stopped, "writer_stopped"))


class _Replies(asyncio.Protocol):
    def __init__(self, owner: EventWriterProcess) -> None:
        self._owner, self._frames = owner, Frames()

    def data_received(self, data: bytes) -> None:
        for payload in self._frames.feed(data):
            self._owner._answer(pickle.loads(payload))  # noqa: S301 (our own child, on a pipe only we hold)

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._lost()


def serve(settings: Settings, requests: Connection, replies: Connection) -> None:
    """The child's main: commit what the worker sends until it closes the pipe."""
    from app.runtime import settle_garbage_collector  # noqa: PLC0415 (the runtime imports this module)

    # Ctrl-C and a SIGTERM to the whole process group (systemd's default) are for the worker, which
    # then finishes its requests; this process must outlive them, and ends with the worker's pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging(settings.log_level)
    engines = create_engines(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        with engines.reader.connect() as conn:
            holder = CatalogHolder(catalog_of(queries.rule_versions(conn)), queries.rule_versions_mark(conn))
        child = _Child(settings, engines, holder)
        settle_garbage_collector()
        inbound, outbound, frames = requests.fileno(), replies.fileno(), Frames()
        _write_all(outbound, frame(_READY))
        while (received := _read_available(inbound, frames)) is not None:
            wire: list[_WireRequest] = [r for payload in received for r in pickle.loads(payload)]  # noqa: S301 (see above)
            pending = [
                _Request(i, [EventCommand(*c) for c in commands], batch, mark) for i, commands, batch, mark in wire
            ]
            for start in range(0, len(pending), settings.group_commit_max):
                reply = child.commit(pending[start : start + settings.group_commit_max])
                _write_all(outbound, frame(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)))
    finally:
        engines.dispose()


class _Child:
    """The child's writer: one group commit per batch of requests."""

    def __init__(self, settings: Settings, engines: Engines, holder: CatalogHolder) -> None:
        self._heads: list[int] = []
        hooks = FeedHooks(self._heads.append, enabled=settings.feed_outbox)
        self._writer = Writer(engines.writer, group_max=settings.group_commit_max, hooks=hooks)
        self._writer.storage_problem()  # the probe remembers which file the worker opened
        self._holder, self._versions = holder, RulesWatcher(engines.reader, holder, interval=0)
        self._max_rejudge = settings.rejudge_limit

    def commit(self, group: list[_Request]) -> _WireReply:
        if any(request.mark != self._holder.mark for request in group):
            self._versions.poll()  # the worker knows of versions this process has not loaded yet
        record = partial(record_events, rules=self._holder.catalog.engine_at, max_rejudge=self._max_rejudge)
        writes = [
            Write(partial(record, commands=r.commands, batch=r.batch), {c.contract_number for c in r.commands}, True)
            for r in group
        ]
        self._heads.clear()
        outcomes = self._writer.commit(writes)
        head = self._heads[-1] if self._heads else None
        return _answers(group, outcomes), head, self._writer.storage.error


def _answers(group: Sequence[_Request], outcomes: list[Outcome]) -> list[_WireAnswer]:
    """Each request's answer, ready to pickle: an unexpected error that would not pickle becomes a
    RuntimeError naming it (it answers 500 either way); domain errors travel as they are."""
    answers: list[_WireAnswer] = []
    for request, (result, error) in zip(group, outcomes, strict=True):
        if error is None:
            answers.append((request.id, [_to_wire(outcome) for outcome in result], None))
            continue
        sent = error
        if not isinstance(error, DomainError):
            try:
                pickle.dumps(error)
            except Exception:
                sent = RuntimeError(f"{type(error).__name__}: {error}")
        answers.append((request.id, None, sent))
    return answers


def _read_available(fd: int, frames: Frames) -> list[bytes] | None:
    """Every whole message that has arrived, waiting for one if none has; ``None`` once the pipe
    has closed and nothing is left."""
    received: list[bytes] = []
    while not received or select.select([fd], [], [], 0)[0]:
        data = os.read(fd, 1 << 20)
        if not data:
            return received or None
        received += frames.feed(data)
    return received


def _read_frame(fd: int) -> bytes:
    frames = Frames()
    while True:
        data = os.read(fd, 1 << 16)
        if not data:
            return b""
        found = frames.feed(data)
        if found:
            return found[0]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
