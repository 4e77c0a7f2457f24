"""The delivery side of webhooks against real sockets and a real child process: the client's
address check on every connection, the per-round check of literal addresses, and the
dispatcher process's pipe, which never blocks the worker and ends the child with the worker."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from app.db.engines import create_engines, create_schema
from app.domain.errors import Invalid
from app.settings import Settings
from app.webhooks.client import DeliveryClient
from app.webhooks.process import DispatcherProcess
from app.webhooks.targets import check_literal

ROOT = Path(__file__).resolve().parents[2]


async def _answering(status: int) -> tuple[web.AppRunner, int, list[web.Request]]:
    seen: list[web.Request] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request)
        return web.Response(status=status, headers={"location": "http://127.0.0.1:9/elsewhere"})

    app = web.Application()
    app.router.add_post("/{path}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1], seen


def test_the_client_refuses_a_host_name_that_resolves_to_a_loopback_address() -> None:
    async def run() -> tuple[tuple[int | None, str | None], tuple[int | None, str | None], int]:
        runner, port, seen = await _answering(200)
        strict = DeliveryClient(timeout=5, allow_private=False)
        lenient = DeliveryClient(timeout=5, allow_private=True)
        try:
            refused = await strict.post(f"http://localhost:{port}/a", b"{}", {"content-type": "application/json"})
            allowed = await lenient.post(f"http://localhost:{port}/a", b"{}", {"content-type": "application/json"})
        finally:
            await strict.close()
            await lenient.close()
            await runner.cleanup()
        return refused, allowed, len(seen)

    refused, allowed, requests = asyncio.run(run())
    assert refused[0] is None
    assert refused[1] is not None
    assert "refused address" in refused[1]
    assert "loopback" in refused[1]
    assert allowed == (200, None)
    assert requests == 1  # the refused attempt never reached the receiver


def test_the_client_follows_no_redirect_and_reports_a_timeout() -> None:
    async def run() -> tuple[tuple[int | None, str | None], tuple[int | None, str | None]]:
        runner, port, _ = await _answering(307)
        client = DeliveryClient(timeout=0.5, allow_private=True)
        held: list[asyncio.StreamWriter] = []

        async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            held.append(writer)  # accepts, never answers

        silent = await asyncio.start_server(hold, "127.0.0.1", 0)
        silent_port = silent.sockets[0].getsockname()[1]
        try:
            redirected = await client.post(f"http://127.0.0.1:{port}/a", b"{}", {})
            timed_out = await client.post(f"http://127.0.0.1:{silent_port}/a", b"{}", {})
        finally:
            await client.close()
            await runner.cleanup()
            for writer in held:
                writer.close()
            silent.close()
            await silent.wait_closed()
        return redirected, timed_out

    redirected, timed_out = asyncio.run(run())
    assert redirected == (307, None)  # a 3xx is a failed attempt, not a hop elsewhere
    assert timed_out == (None, "no answer within 0.5 s")


@pytest.mark.parametrize(
    ("url", "allow_private", "refused"),
    [
        ("http://127.0.0.1:8080/hooks", False, "loopback"),
        ("http://[::1]/hooks", False, "loopback"),
        ("http://10.1.2.3/hooks", False, "private"),
        ("http://169.254.169.254/latest", False, "link-local"),
        ("http://127.0.0.1:8080/hooks", True, None),
        ("https://billing.example.com/hooks", False, None),  # a host name is left to the resolver
        ("ftp://billing.example.com/hooks", False, "only http and https"),
    ],
)
def test_literal_addresses_are_checked_at_every_round(url: str, allow_private: bool, refused: str | None) -> None:
    if refused is None:
        check_literal(url, allow_private=allow_private)
        return
    with pytest.raises(Invalid, match=refused):
        check_literal(url, allow_private=allow_private)


def _on_a_new_database(tmp_path: Path) -> DispatcherProcess:
    url = f"sqlite:///{tmp_path / 'hooks.db'}"
    engines = create_engines(url)
    create_schema(engines.writer)
    engines.dispose()
    return DispatcherProcess(Settings(database_url=url, rules_dir=ROOT / "rules"))


@pytest.fixture
def dispatcher(tmp_path: Path) -> Iterator[DispatcherProcess]:
    process = _on_a_new_database(tmp_path)
    process.start(0)
    yield process
    asyncio.run(process.stop())


def _child_pid(process: DispatcherProcess) -> int:
    child = process._process
    assert child is not None
    assert child.pid is not None
    return child.pid


def test_announcing_never_blocks_even_when_the_child_reads_nothing(dispatcher: DispatcherProcess) -> None:
    pid = _child_pid(dispatcher)
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        for head in range(100_000):  # 800 kB: far beyond a pipe's buffer
            dispatcher.announce(head)
        assert time.monotonic() - started < 5.0
    finally:
        os.kill(pid, signal.SIGCONT)


def test_the_child_ends_with_the_pipe(dispatcher: DispatcherProcess) -> None:
    pid = _child_pid(dispatcher)
    assert dispatcher.running
    asyncio.run(dispatcher.stop())
    assert not dispatcher.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    dispatcher.announce(7)  # after the stop: a no-op, not an error


def test_a_child_that_dies_is_replaced(tmp_path: Path) -> None:
    process = _on_a_new_database(tmp_path)

    async def scenario() -> tuple[int, int]:
        watching = asyncio.create_task(process.keep_running(lambda: 0))
        try:
            first = await _started(process)
            os.kill(first, signal.SIGKILL)
            second = await _started(process, other_than=first)
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
            await process.stop()
        return first, second

    first, second = asyncio.run(scenario())
    assert second != first
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)  # stopped with the worker


async def _started(process: DispatcherProcess, *, other_than: int | None = None) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        child = process._process
        if child is not None and child.pid is not None and child.pid != other_than and child.is_alive():
            return child.pid
        await asyncio.sleep(0.05)
    raise AssertionError("no dispatcher process started")
