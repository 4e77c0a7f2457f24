"""Prometheus metrics, served at ``GET /metrics``.

One set of metrics per process, made on first use. Label children are cached so a hot-path
update is a dict lookup and a locked add. Every label takes values from a fixed set, because each
new value is a new series kept for the life of the process and served by every scrape: methods
outside the standard ones are ``other`` (h11 passes any token as a method), routes are templates
(access.py), and statuses are HTTP's three-digit codes. With several uvicorn workers, set
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder shared by the workers (emptied before each
start): prometheus-client then keeps values in files there and ``/metrics`` sums all workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, TypeVar, cast

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from app.services.commands import EventOutcome

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
REPLAY_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)
M = TypeVar("M", bound=MetricWrapperBase)
OTHER = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
"""HTTP's standard methods (RFC 9110 and PATCH); any other method is labelled ``other``."""
STATUSES = {code: str(code) for code in range(100, 600)}
"""Status label of each valid code, made once; anything else an app might send is ``other``."""


def method_label(method: str) -> str:
    return method if method in METHODS else OTHER


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.request_seconds = Histogram(
            "http_request_duration_seconds",
            "Time to answer a request, by route template and method.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.requests = Counter(
            "http_requests",
            "Requests answered, by route template, method and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.events = Counter("events", "Events judged, by verdict and code.", ["verdict", "code"], registry=registry)
        self.replays = Counter(
            "event_replays", "Late events that made a component's history be replayed.", registry=registry
        )
        self.replay_length = Histogram(
            "event_replay_length",
            "Stored events re-evaluated by one late event.",
            buckets=REPLAY_BUCKETS,
            registry=registry,
        )
        self._children: dict[tuple[object, ...], MetricWrapperBase] = {}

    def _child(self, metric: M, *labels: str) -> M:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return cast(M, child)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """``route`` must come from a fixed set (a route template); method and status are bounded here."""
        method = method_label(method)
        self._child(self.request_seconds, method, route).observe(seconds)
        self._child(self.requests, method, route, STATUSES.get(status, OTHER)).inc()

    def record_outcomes(self, outcomes: Iterable[EventOutcome]) -> None:
        for outcome in outcomes:
            verdict = outcome.verdict
            self._child(self.events, "accepted" if verdict.accepted else "rejected", verdict.code).inc()
            if outcome.replayed > 0:
                self.replays.inc()
                self.replay_length.observe(outcome.replayed)


@cache
def metrics() -> Metrics:
    registry = CollectorRegistry(auto_describe=True)
    if not os.environ.get(MULTIPROC_ENV):
        ProcessCollector(registry=registry)
    return Metrics(registry)


def exposition() -> bytes:
    """The text format: this process's registry, or every worker's files in multi-process mode."""
    registry = metrics().registry
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


async def metrics_endpoint(_: Request) -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
