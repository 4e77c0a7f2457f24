"""Which URLs a webhook may call: http or https, and no loopback, private, link-local or other
non-public address, checked on every address the host name resolves to: at subscription, and by the
delivery client's resolver on every connection it opens (app/webhooks/client.py), so a DNS
answer that changes later cannot redirect a delivery. A URL naming an address rather than a host
name is checked at subscription and at every delivery round (``check_literal``).
``WEBHOOK_ALLOW_PRIVATE_NETWORKS=true`` lifts the address check, for tests and for receivers
inside a private network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from app.domain.errors import Invalid


def refused_address(address: str) -> str | None:
    """Why this IP address may not be called, or None for a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, hit in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved or not ip.is_global),
    ):
        if hit:
            return f"{address} is a {reason} address"
    return None


def check_url(url: str) -> tuple[str, int]:
    """(host, port) of an acceptable URL; raises ``Invalid`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise refused(url, "only http and https URLs can receive webhooks")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise refused(url, "the port is not a number from 0 to 65535") from None
    if not parts.hostname:
        raise refused(url, "it names no host")
    return parts.hostname, port


def check_literal(url: str, *, allow_private: bool) -> None:
    """Raises ``Invalid`` if ``url`` is not acceptable or names an address it may not call; a host
    name is left to the resolver (``check``, and the delivery client's)."""
    host, _ = check_url(url)
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return
    reason = None if allow_private else refused_address(host)
    if reason is not None:
        raise refused(url, f"{reason} (set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow it)")


def refused(url: str, why: str) -> Invalid:
    return Invalid(f"Webhook URL {url!r} refused: {why}.", "webhook_url_refused")


async def check(url: str, *, allow_private: bool) -> None:
    """Raises ``Invalid`` unless ``url`` is acceptable and its host resolves to addresses it may call."""
    host, port = check_url(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise refused(url, f"its host does not resolve ({exc.strerror or exc})") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise refused(url, "its host does not resolve")
    if not allow_private:
        for address in addresses:
            reason = refused_address(address)
            if reason is not None:
                raise refused(url, f"{reason} (set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow it)")
