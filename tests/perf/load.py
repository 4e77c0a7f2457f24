"""Driving a server with wrk: a warm-up, then the measured run, optionally under a profiler."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from itertools import count

from tests.perf.seeding import EPOCH
from tests.perf.servers import Server
from tests.perf.wrk import WrkResult, run_wrk

Profiler = Callable[[Server, str, float], AbstractContextManager[object]]
DAY_S = 86_400


def no_profiler(server: Server, name: str, seconds: float) -> AbstractContextManager[object]:
    return nullcontext()


@dataclass
class Load:
    seconds: float
    warmup_seconds: float
    threads: int = 2
    connections: int = 16
    profiler: Profiler = no_profiler
    _days: count[int] = field(default_factory=lambda: count(30))

    def next_base(self) -> int:
        """A fresh day for a run's ``created_at`` values, after every earlier run's (and the seeds')."""
        return int(EPOCH.timestamp()) + next(self._days) * DAY_S

    def drive(self, server: Server, script: str, args: Callable[[], list[str]], name: str) -> WrkResult:
        """Warm up, then measure; ``args`` is called per run so each run gets fresh event times."""
        run_wrk(
            server.url, script, args(), seconds=self.warmup_seconds, threads=self.threads, connections=self.connections
        )
        with self.profiler(server, name, self.seconds):
            return run_wrk(
                server.url, script, args(), seconds=self.seconds, threads=self.threads, connections=self.connections
            )

    def post_event(self, server: Server, *, prefix: str, contracts: int, name: str) -> WrkResult:
        return self.drive(
            server, "post_event", lambda: [str(self.next_base()), str(contracts), prefix, str(self.threads)], name
        )

    def get_timeline(self, server: Server, *, prefix: str, contracts: int, name: str) -> WrkResult:
        return self.drive(server, "get_timeline", lambda: [str(contracts), prefix, str(self.threads)], name)
