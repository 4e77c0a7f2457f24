"""Sending one delivery over HTTP: an aiohttp session that keeps connections to receivers.

Every connection the session opens to a host name goes through ``CheckedResolver``, which
refuses the same addresses as the subscription's check (``targets.refused_address``). So the
address a request is sent to is the address that was checked, even if the name's DNS answer
changes after the round's check, while the URL keeps its host name: the Host header, TLS's SNI
and the certificate check are the receiver's own. Redirects are not followed, no proxy or
``.netrc`` from the environment is used, and the answer's body is never read.
"""

from __future__ import annotations

import errno
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from app.webhooks.targets import refused_address


class CheckedResolver(AbstractResolver):
    """The system resolver, refusing names that resolve to any address a webhook may not call."""

    def __init__(self, *, allow_private: bool) -> None:
        self._system = ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._system.resolve(host, port, family)
        if not self._allow_private:
            for result in results:
                reason = refused_address(result["host"])
                if reason is not None:
                    raise OSError(errno.EACCES, f"{host} resolves to a refused address: {reason}")
        return results

    async def close(self) -> None:
        await self._system.close()


class DeliveryClient:
    """POSTs deliveries; made and closed on the event loop that uses it."""

    def __init__(self, *, timeout: float, allow_private: bool) -> None:
        self.timeout = timeout
        connector = aiohttp.TCPConnector(resolver=CheckedResolver(allow_private=allow_private), limit=0)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=timeout),
            trust_env=False,
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding",),
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        """(status code, error) of one attempt; never raises for the receiver's faults."""
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                return response.status, None
        except TimeoutError:
            return None, f"no answer within {self.timeout:g} s"
        except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a URL aiohttp cannot use
            return None, _describe(exc)

    async def close(self) -> None:
        await self._session.close()


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
