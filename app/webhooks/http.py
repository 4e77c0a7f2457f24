"""A small HTTP/1.1 client for webhook deliveries: one kept-alive connection per subscription.

Deliveries to one subscription go one at a time (the next is sent only after the previous one's
2xx, so a failure holds back the later ones), so their rate is one over the round trip. httpx
spent about 1 ms of CPU per POST here (its transport layers, anyio, h11), which capped a
subscription at a few hundred deliveries per second on a busy worker; this client writes the
request in one ``write`` on a TCP_NODELAY socket and parses the answer with ``httptools``
(the C parser uvicorn uses), about 0.1 ms per POST.

What it does, and no more: POST to the already checked address (app/webhooks/targets.py), with
TLS and SNI for https; read the status line, headers and body of the answer (the body is
discarded); keep the connection when the answer allows it. A connection the receiver closed
while idle is noticed before reuse, and a request that got no byte of answer on a reused
connection is sent once more on a new one (the same delivery, same ``webhook-id``: at least
once). Redirects are not followed: a 3xx is a failed attempt, as before.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from dataclasses import dataclass

import httptools

_READ = 65536


class ResponseError(Exception):
    """The receiver's answer was cut short or was not HTTP."""


@dataclass(frozen=True, slots=True)
class ClosedBeforeAnswer(ResponseError):
    """The connection closed before any byte of the answer."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a connection goes: the checked address, and the host name for Host and SNI."""

    scheme: str
    address: str
    port: int
    host: str


class _Answer:
    """httptools callbacks: whether the headers and the whole message have arrived, and whether
    the connection may be kept (read when the headers end: llhttp forgets it once the message is
    complete)."""

    __slots__ = ("complete", "headers_done", "keep_alive", "parser")

    def __init__(self) -> None:
        self.headers_done = self.complete = self.keep_alive = False
        self.parser: httptools.HttpResponseParser | None = None

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    def on_message_complete(self) -> None:
        self.complete = True


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class Connection:
    def __init__(self, endpoint: Endpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.endpoint, self._reader, self._writer = endpoint, reader, writer
        self.used = False

    @classmethod
    async def open(cls, endpoint: Endpoint) -> Connection:
        tls = _tls_context() if endpoint.scheme == "https" else None
        reader, writer = await asyncio.open_connection(
            endpoint.address, endpoint.port, ssl=tls, server_hostname=endpoint.host if tls else None
        )
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(endpoint, reader, writer)

    @property
    def reusable(self) -> bool:
        """False once the receiver has closed its side (seen while the connection was idle)."""
        return not (self._writer.is_closing() or self._reader.at_eof())

    async def post(self, target: bytes, headers: dict[str, str], body: bytes) -> tuple[int, bool]:
        """(status code, keep-alive) of one POST. Raises ``OSError`` or ``ResponseError``."""
        head = [b"POST ", target, b" HTTP/1.1\r\ncontent-length: ", str(len(body)).encode(), b"\r\n"]
        for name, value in headers.items():
            head += (name.encode(), b": ", value.encode("latin-1"), b"\r\n")
        head.append(b"\r\n")
        self._writer.write(b"".join(head) + body)
        self.used = True
        answer = _Answer()
        parser = answer.parser = httptools.HttpResponseParser(answer)
        received = False
        while not answer.complete:
            data = await self._reader.read(_READ)
            if not data:
                if answer.headers_done:  # a body that ends with the connection
                    return parser.get_status_code(), False
                if received:
                    raise ResponseError("the connection closed in the middle of the answer")
                raise ClosedBeforeAnswer("the connection closed before an answer")
            received = True
            try:
                parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                return parser.get_status_code(), False
            except httptools.HttpParserError as exc:
                raise ResponseError(f"not an HTTP answer: {exc}") from None
        return parser.get_status_code(), answer.keep_alive

    def close(self) -> None:
        self._writer.close()


class Client:
    """One connection per key (a subscription), opened on demand, kept while the receiver allows."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}

    async def post(self, key: str, endpoint: Endpoint, target: bytes, headers: dict[str, str], body: bytes) -> int:
        """The status code; raises ``OSError``/``ResponseError`` (the connection is then dropped).
        The caller bounds the time with ``asyncio.timeout``; a cancelled POST drops it too."""
        conn = self._connections.pop(key, None)
        if conn is not None and (conn.endpoint != endpoint or not conn.reusable):
            conn.close()
            conn = None
        reused = conn is not None
        while True:
            if conn is None:
                conn = await Connection.open(endpoint)
            try:
                status, keep = await conn.post(target, headers, body)
            except (OSError, ResponseError) as exc:
                conn.close()
                conn = None
                if not reused or not isinstance(exc, ConnectionError | ClosedBeforeAnswer):
                    raise
                reused = False  # the receiver dropped the idle connection as we reused it: once more, on a new one
                continue
            except BaseException:
                conn.close()
                raise
            if keep:
                self._connections[key] = conn
            else:
                conn.close()
            return status

    def forget(self, key: str) -> None:
        conn = self._connections.pop(key, None)
        if conn is not None:
            conn.close()

    async def aclose(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()
