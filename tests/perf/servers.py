"""Real uvicorn processes on free local ports, always stopped, and their peak memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    workers: int

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: uvicorn itself with one worker, else its worker children."""
        if self.workers == 1:
            return [self.process.pid]
        return [pid for pid in _children(self.process.pid) if not _is_tracker(pid)]

    def service_pids(self) -> list[int]:
        """The workers and the processes they started: each one's event writer (and webhook
        dispatcher, once a subscription exists)."""
        workers = self.worker_pids()
        return workers + [pid for worker in workers for pid in _descendants(worker) if not _is_tracker(pid)]

    def peak_rss_mb(self) -> float:
        """VmHWM summed over the service's processes: each one's peak resident memory since it started."""
        return sum(_vm_hwm_kb(pid) for pid in self.service_pids()) / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def uvicorn_server(name: str, app: str, *, workers: int, env: Mapping[str, str]) -> Iterator[Server]:
    """Serve ``app`` like production would (no access log, uvicorn's default loop and parser)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=log, start_new_session=True
        )
        server = Server(name, f"http://127.0.0.1:{port}", process, workers)
        try:
            _wait_ready(server, log)
            yield server
        finally:
            _stop(process)


def _wait_ready(server: Server, log: IO[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{server.name} exited at start:\n{log.read().decode(errors='replace')}")
        try:
            if httpx.get(f"{server.url}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer /ready within {READY_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process group this module started (uvicorn and its workers), by its id."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for child in _children(pid):
        found.append(child)
        found.extend(_descendants(child))
    return found


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _is_tracker(pid: int) -> bool:
    """multiprocessing's resource tracker, started beside any spawned process: not the service's."""
    return "resource_tracker" in _cmdline(pid)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _vm_hwm_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
