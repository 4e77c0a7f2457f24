"""The webhook receiver of the latency benchmark, in a process of its own.

In the benchmark's process the receiver would share an interpreter lock with the event sender,
and its arrival times would measure that contention as much as the service. It is an aiohttp
server on uvloop, as a receiver built for volume would be, and verifies every signature with
the ``standardwebhooks`` library. Run as ``python -m tests.perf.receiver_process``, it prints its
port, then obeys lines on stdin:

- ``secret <path> <secret>``: verify deliveries to ``/<path>`` with this secret;
- ``dump``: print one JSON line listing every delivery so far;
- end of input: stop.

``RemoteReceiver`` starts it and speaks that protocol.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import asdict
from types import TracebackType

import uvloop
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.e2e.receiver import Delivery


async def serve() -> None:
    secrets: dict[str, Webhook] = {}
    deliveries: list[Delivery] = []

    async def receive(request: web.Request) -> web.Response:
        body = await request.text()
        path = request.path.strip("/")
        status = 200
        try:
            secrets[path].verify(body, dict(request.headers))
        except (WebhookVerificationError, KeyError):
            status = 400
        deliveries.append(Delivery(path, request.headers["webhook-id"], json.loads(body), status, time.time()))
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/{path}", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command, *args = line.split()
        if command == "secret":
            secrets[args[0]] = Webhook(args[1])
            print("ok", flush=True)
        elif command == "dump":
            print(json.dumps([asdict(d) for d in deliveries]), flush=True)
    await runner.cleanup()


class RemoteReceiver:
    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.perf.receiver_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self._ask(None))

    def _ask(self, line: str | None) -> str:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        if line is not None:
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
        return self._process.stdout.readline()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def set_secret(self, path: str, secret: str) -> None:
        assert self._ask(f"secret {path} {secret}").strip() == "ok"

    def delivered(self, path: str) -> list[Delivery]:
        """The deliveries to ``path`` answered 2xx, in arrival order."""
        return [
            Delivery(**d) for d in json.loads(self._ask("dump")) if d["path"] == path and 200 <= d["answered"] < 300
        ]

    def __enter__(self) -> RemoteReceiver:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()


if __name__ == "__main__":
    uvloop.run(serve())
