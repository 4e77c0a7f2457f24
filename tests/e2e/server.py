"""A real ``uvicorn app.main:app`` subprocess in its own process group.

The server runs in a new session, so its workers share one process group that can be
stopped (or killed, to simulate a crash) as a whole. Its output goes to a log file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

import httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_LINE = "Application startup complete."
STARTUP_SECONDS = 90.0
STOP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class UvicornServer:
    def __init__(
        self, *, database_url: str, rules_dir: Path, workers: int, log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.database_url, self.rules_dir, self.workers, self.log_path = database_url, rules_dir, workers, log_path
        self.extra_env = env or {}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and return once /health answers and every worker has started."""
        # Readiness is read from the startup lines that uvicorn logs at INFO; no API keys (an open
        # service) unless the test's ``env`` sets some.
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "RULES_DIR": str(self.rules_dir),
            "LOG_LEVEL": "INFO",
            "API_KEYS": "",
            **self.extra_env,
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
        ]
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

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        with httpx.Client(base_url=self.base_url, timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise RuntimeError(f"uvicorn exited with {self._process.returncode}:\n{self.log()}")
                if self._started_workers() >= self.workers and _healthy(client):
                    return
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"uvicorn was not ready within {STARTUP_SECONDS:.0f} s:\n{self.log()}")

    def _started_workers(self) -> int:
        return self.log().split("--- ")[-1].count(STARTUP_LINE)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: the server and its workers die mid-request."""
        self._signal_group(signal.SIGKILL)
        self._reap(STOP_SECONDS)

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL it if it has not exited in time."""
        self._signal_group(signal.SIGTERM)
        if not self._reap(STOP_SECONDS):
            self._signal_group(signal.SIGKILL)
            self._reap(STOP_SECONDS)

    def _signal_group(self, signum: signal.Signals) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signum)  # the group id is the server's pid (new session)

    def _reap(self, seconds: float) -> bool:
        if self._process is None:
            return True
        try:
            self._process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        # Workers may outlive the supervisor for a moment; wait for the group to empty.
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and _group_alive(self._process.pid):
            time.sleep(0.05)
        return not _group_alive(self._process.pid)


class ServerFactory(Protocol):
    """Starts a server with the given number of workers on the test's database, with extra settings."""

    def __call__(self, workers: int, **env: str) -> UvicornServer: ...


def _healthy(client: httpx.Client) -> bool:
    try:
        return client.get("/health").status_code == 200
    except httpx.TransportError:
        return False


def _group_alive(pgid: int) -> bool:
    """Whether a live (non-zombie) process is left in the group; orphans may not be reaped here."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False
