"""The webhook client (app/webhooks/http.py) against a real socket server: it keeps the
connection, notices one the receiver closed while idle, and honours ``connection: close``."""

from __future__ import annotations

import asyncio

from app.webhooks.http import Client, Endpoint


async def _serve(answers: list[bytes], close_after: int) -> tuple[asyncio.Server, list[int]]:
    """Answer each request with the next of ``answers``; close a connection after ``close_after``
    answers. Returns the server and the number of requests per connection."""
    per_connection: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        per_connection.append(0)
        index = len(per_connection) - 1
        while per_connection[index] < close_after:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.startswith(b"content-length")
            )
            await reader.readexactly(length)
            writer.write(answers[min(sum(per_connection), len(answers) - 1)])
            per_connection[index] += 1
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    return await asyncio.start_server(handle, "127.0.0.1", 0), per_connection


OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def test_the_connection_is_kept_and_a_closed_one_is_replaced() -> None:
    async def run() -> tuple[list[int], list[int]]:
        server, per_connection = await _serve([OK], close_after=3)
        port = server.sockets[0].getsockname()[1]
        client, endpoint = Client(), Endpoint("http", "127.0.0.1", port, "localhost")
        codes = []
        for _ in range(7):
            codes.append(await client.post("hook", endpoint, b"/x", {"host": "localhost"}, b"{}"))
            await asyncio.sleep(0.01)  # the server's close of the third answer arrives while idle
        await client.aclose()
        server.close()
        await asyncio.sleep(0.05)  # the handlers close their sockets
        return codes, per_connection

    codes, per_connection = asyncio.run(run())
    assert codes == [200] * 7
    assert per_connection == [3, 3, 1]


def test_connection_close_and_a_body_to_the_end_of_the_connection() -> None:
    answers = [b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\ndown for now"]

    async def run() -> tuple[list[int], list[int]]:
        server, per_connection = await _serve(answers, close_after=1)
        port = server.sockets[0].getsockname()[1]
        client, endpoint = Client(), Endpoint("http", "127.0.0.1", port, "localhost")
        codes = [await client.post("hook", endpoint, b"/x", {}, b"{}") for _ in range(2)]
        await client.aclose()
        server.close()
        await asyncio.sleep(0.05)  # the handlers close their sockets
        return codes, per_connection

    codes, per_connection = asyncio.run(run())
    assert codes == [503, 503]
    assert per_connection == [1, 1]
