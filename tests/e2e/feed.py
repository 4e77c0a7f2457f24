"""Reading the change feed from a live server, and the timelines its fold must equal."""

from __future__ import annotations

from typing import Any

import httpx

from app.feed.changes import fold


def read_all(client: httpx.Client, after: int = 0) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    while True:
        page = client.get("/changes", params={"after": after, "limit": 1000})
        assert page.status_code == 200, page.text
        body = page.json()
        records += body["changes"]
        if not body["changes"]:
            return records
        after = body["next"]


def timelines(client: httpx.Client, numbers: list[str]) -> dict[str, dict[str, Any]]:
    """The service's current timelines of the contracts that exist, as the fold writes them."""
    found = {}
    for number in numbers:
        answer = client.get(f"/{number}/contract_timeline")
        if answer.status_code == 200:
            found[number] = answer.json()["components"]
    return found


def fold_mismatches(client: httpx.Client, records: list[dict[str, Any]], numbers: list[str]) -> list[str]:
    """Contracts whose folded timeline differs from the service's; empty when they agree."""
    folded, current = fold(records), timelines(client, numbers)
    return [
        f"{n}: feed {folded.get(n)} != service {current.get(n)}"
        for n in sorted(set(folded) | set(current))
        if folded.get(n) != current.get(n)
    ]


def gaps(records: list[dict[str, Any]], start: int = 0) -> list[str]:
    """Every record exactly once, in seq order, seqs consecutive from ``start + 1``."""
    problems = []
    expected = start + 1
    for record in records:
        if record["seq"] != expected:
            problems.append(f"expected seq {expected}, read {record['seq']}")
            expected = record["seq"]
        expected += 1
    return problems
