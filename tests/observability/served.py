"""Real uvicorn servers for another ASGI target or other uvicorn options, and raw HTTP/1.1 exchanges.

tests/e2e/server.py serves ``app.main:app`` with fixed options; these tests also need a target
with failing routes and ``--http h11``, which passes any token as a method (httptools refuses
unknown methods with its own 400, so the app would never see them).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.e2e.server import ROOT, UvicornServer

MAX_RESPONSE = 1 << 20


class TargetServer(UvicornServer):
    """One worker serving ``target`` with extra uvicorn ``options``; stop it with ``stop()``."""

    def __init__(self, *, target: str, options: list[str], database_url: str, rules_dir: Path, log_path: Path) -> None:
        super().__init__(database_url=database_url, rules_dir=rules_dir, workers=1, log_path=log_path)
        self.target, self.options = target, options

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.database_url, "RULES_DIR": str(self.rules_dir), "API_KEYS": ""}
        command = [sys.executable, "-m", "uvicorn", self.target, "--port", str(self.port), "--no-access-log"]
        command += self.options
        with self.log_path.open("ab") as log:
            log.write(f"--- {' '.join(command[1:])}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_ready()


def exchange(port: int, method: str, path: str) -> tuple[bytes, bytes]:
    """Send one request on a new connection and read until the server closes it: (head, rest).

    Raw bytes, because an HTTP client would not send an arbitrary method, and would not show
    whether a HEAD answer carried body bytes.
    """
    request = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("ascii")
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        while chunk := sock.recv(65536):
            received += chunk
            assert len(received) < MAX_RESPONSE
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    return head, rest


def status_and_headers(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers
