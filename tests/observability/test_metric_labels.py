"""Metric labels take values from fixed sets, whatever the requests: methods, routes and statuses.

Each new label value is a new series that the process keeps and every scrape serves, so a label
fed from the request would let any client grow /metrics without bound.
"""

from __future__ import annotations

import random
import string

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from starlette.routing import BaseRoute, Mount, Route

from app.api.routes import contracts, events, health, listing, revocations, rules, timelines
from app.observability.access import PLAIN_ROUTES, UNROUTED
from app.observability.metrics import METHODS, OTHER, Metrics


def label_values(exposition: str, label: str) -> set[str]:
    return {
        sample.labels[label]
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if label in sample.labels
    }


def random_token(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_uppercase, k=rng.randint(3, 12)))


def test_methods_and_statuses_outside_fixed_sets_are_other() -> None:
    registry = CollectorRegistry()
    recorder = Metrics(registry)
    for method, status in (("BREW", 200), ("get", 404), ("PURGE", 999), ("GET", 42), ("PATCH", 204)):
        recorder.observe_request(method, "/health", status, 0.001)
    counted = {
        (labels["method"], labels["status"]): value
        for family in registry.collect()
        for name, labels, value, *_ in family.samples
        if name == "http_requests_total"
    }
    assert counted == {
        ("other", "200"): 1,
        ("other", "404"): 1,
        ("other", "other"): 1,
        ("GET", "other"): 1,
        ("PATCH", "204"): 1,
    }


def test_random_methods_share_one_label(client: TestClient) -> None:
    rng = random.Random(8)
    methods = {random_token(rng) for _ in range(40)} - METHODS
    for method in methods:
        assert client.request(method, "/health").status_code == 405
    exposition = client.get("/metrics").text
    seen = label_values(exposition, "method")
    assert OTHER in seen
    assert seen <= METHODS | {OTHER}
    assert not methods & seen


def test_route_labels_are_templates_and_unknown_paths_share_one(client: TestClient) -> None:
    rng = random.Random(9)
    for _ in range(40):
        client.get(f"/{rng.randrange(10**9)}/{random_token(rng)}/{rng.randrange(10**9)}")
        client.get(f"/contract/{rng.randrange(10**9)}")
        client.get(f"/{rng.randrange(10**9)}/contract_timeline")
        client.get(f"/docs/{random_token(rng)}")
    exposition = client.get("/metrics").text
    routers = [
        route
        for module in (events, contracts, revocations, listing, timelines, rules, health)
        for route in module.router.routes
    ]
    templates = set(client.get("/openapi.json").json()["paths"]) | route_templates([*client.app.routes, *routers])  # type: ignore[attr-defined]
    routes = label_values(exposition, "route")
    assert {UNROUTED, "/contract/{contract_number}", "/{contract_number}/contract_timeline"} <= routes
    assert routes <= templates | PLAIN_ROUTES | {UNROUTED}
    assert all(status.isdigit() and len(status) == 3 for status in label_values(exposition, "status"))


def route_templates(routes: list[BaseRoute], prefix: str = "") -> set[str]:
    """Every route template the app serves, also those left out of the schema (``POST /contract``
    without its slash, which the routers list but the app does not) and those of mounted apps (the
    console's ``/ui/contracts/{number}``): other tests in the same process may have hit them, and
    the metrics registry is the process's."""
    found: set[str] = set()
    for route in routes:
        if isinstance(route, Mount):
            found |= route_templates(list(route.routes), prefix + route.path)
        elif isinstance(route, Route | APIRoute):
            found.add(prefix + route.path)
    return found
