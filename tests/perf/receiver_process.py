"""The webhook receiver of tests/e2e/receiver.py in a process of its own, for the latency benchmark.

In the benchmark's own process the receiver shared one interpreter (and its GIL) with the four
threads of the load generator, so the time it measured included waiting for them. Here it has
its own: the parent sends the subscription's secret, then asks for the 2xx deliveries as
``(seq, committed_at, received)``, ``received`` being ``time.time()`` at arrival.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

from tests.e2e.receiver import Receiver


def _serve(conn: Connection) -> None:
    receiver = Receiver().start()
    conn.send(receiver.url("bench"))
    while True:
        command, argument = conn.recv()
        if command == "secret":
            receiver.secrets["bench"] = argument
        elif command == "delivered":
            conn.send([(d.record["seq"], d.record["committed_at"], d.received) for d in receiver.delivered("bench")])
        else:
            receiver.stop()
            conn.send(None)
            return


class ReceiverProcess:
    """Start with ``start()``, always ``stop()``."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True, name="webhook-receiver")

    def start(self) -> ReceiverProcess:
        self._process.start()
        self.url: str = self._conn.recv()
        return self

    def set_secret(self, secret: str) -> None:
        self._conn.send(("secret", secret))

    def delivered(self) -> list[tuple[int, str, float]]:
        self._conn.send(("delivered", None))
        answer: list[Any] = self._conn.recv()
        return [(int(seq), str(committed), float(received)) for seq, committed, received in answer]

    def stop(self) -> None:
        if self._process.is_alive():
            self._conn.send(("stop", None))
            self._conn.recv()
            self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
