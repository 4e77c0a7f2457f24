"""Client threads posting requests to a server and recording every answer."""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.e2e.scenario import Fact

REQUEST_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
JOIN_SECONDS = 300.0


@dataclass(slots=True)
class Answer:
    facts: list[Fact]
    via_batch: bool
    status: int | None = None
    """``None``: no answer (the connection failed or the server died)."""
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        """Committed: a 2xx, or a single event's rule rejection (409), which is stored too."""
        if self.status is None:
            return False
        return 200 <= self.status < 300 or (not self.via_batch and self.status == 409)


class Load:
    """``threads`` clients taking requests from one queue. With ``stop_on_failure`` a client
    stops at its first failed connection (the server is gone) and sends nothing more."""

    def __init__(self, base_url: str, requests: Sequence[list[Fact]], *, threads: int, stop_on_failure: bool) -> None:
        self.base_url, self.stop_on_failure = base_url, stop_on_failure
        self._todo: queue.SimpleQueue[list[Fact]] = queue.SimpleQueue()
        for request in requests:
            self._todo.put(request)
        self._answers: list[Answer] = []
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, name=f"e2e-client-{i}") for i in range(threads)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> list[Answer]:
        for thread in self._threads:
            thread.join(JOIN_SECONDS)
        if any(thread.is_alive() for thread in self._threads):
            raise RuntimeError(f"client threads still running after {JOIN_SECONDS:.0f} s")
        if self._errors:
            raise self._errors[0]
        return self._answers

    def _client(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=REQUEST_TIMEOUT) as client:
                while True:
                    try:
                        request = self._todo.get_nowait()
                    except queue.Empty:
                        return
                    answer = _post(client, request)
                    with self._lock:
                        self._answers.append(answer)
                    if answer.status is None and self.stop_on_failure:
                        return
        except BaseException as exc:  # handed to the test thread by join()
            with self._lock:
                self._errors.append(exc)


def _post(client: httpx.Client, request: list[Fact]) -> Answer:
    via_batch = len(request) > 1
    answer = Answer(request, via_batch)
    try:
        if via_batch:
            response = client.post("/events", json=[f.body() for f in request])
        else:
            response = client.post("/event", json=request[0].body())
    except httpx.TransportError:
        return answer
    answer.status = response.status_code
    if response.status_code < 500:
        body = response.json()
        answer.results = body.get("results", []) if via_batch else [body]
    return answer
