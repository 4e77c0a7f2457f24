"""Checking every answer of a concurrent run against the sequential model.

Per contract, the committed order is the order of the ``events`` table's ``id`` column, and the
rows of one request are contiguous in it. A request that stored rows in a contract has a fixed
place there: just before its first row. Its answer for that contract's items must be the
model's answer at that place. A request that stored nothing in a contract (a dry run, a pure
duplicate, a refused request) has no place of its own: its answer must equal the model's answer
at some boundary between requests' rows that lies after every row of the requests that had been
answered before it was sent, and before every row of the requests sent after it was answered.
Stored requests must lie within that window too (real-time order).

Which request stored a row is read from the answers: exactly one request, not a dry run, must
have answered that content as new (``duplicate: false``), with the row's ``event_id``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.model import Content, Item, Model, Outcome, Result, Row, observed_result, state_free_result

CONFLICT = "event_id_conflict"


class Failures:
    """Failures by kind, so that a report shows a few of every kind rather than many of one."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[str]] = defaultdict(list)

    def add(self, kind: str, text: str) -> None:
        self.by_kind[kind].append(text)

    def __len__(self) -> int:
        return sum(len(texts) for texts in self.by_kind.values())

    def report(self, shown_per_kind: int) -> str:
        counts = ", ".join(f"{kind}: {len(texts)}" for kind, texts in sorted(self.by_kind.items()))
        shown = [f"[{kind}] {text}" for kind, texts in sorted(self.by_kind.items()) for text in texts[:shown_per_kind]]
        return f"{len(self)} failures ({counts}); the first {shown_per_kind} of each kind:\n\n" + "\n\n".join(shown)


@dataclass(slots=True)
class Exchange:
    """One request sent and its answer; times are ``time.monotonic()`` of the client."""

    index: int
    items: list[Item]
    batch: bool
    dry_run: bool
    sent_at: float = 0.0
    done_at: float = 0.0
    status: int | None = None
    body: Any = None

    @property
    def refused(self) -> bool:
        return self.status == 409 and isinstance(self.body, dict) and self.body.get("code") == CONFLICT

    def item_bodies(self) -> list[dict[str, Any]]:
        """The answer's per-item bodies, or [] when the answer holds none."""
        if self.status is None or self.refused or not isinstance(self.body, dict):
            return []
        if self.batch:
            results = self.body.get("results")
            return results if isinstance(results, list) else []
        return [self.body]

    def show(self) -> str:
        items = "\n".join(f"    #{i}: {item.body()}" for i, item in enumerate(self.items))
        kind = f"{'POST /events' if self.batch else 'POST /event'}{'?dry_run=true' if self.dry_run else ''}"
        return f"request {self.index}: {kind}\n{items}\n  answer: {self.status} {self.body}"


@dataclass(slots=True)
class Placement:
    """Where each request's rows landed in each contract's committed order."""

    owner: dict[str, list[int]] = field(default_factory=dict)
    """Per contract, the request that stored each row, in ``id`` order."""
    span: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    """(request, contract) → [first, last + 1) of its rows."""
    boundaries: dict[str, list[int]] = field(default_factory=dict)
    failures: Failures = field(default_factory=Failures)


def place(exchanges: Sequence[Exchange], rows: Mapping[str, Sequence[Row]], model: Model) -> Placement:
    """Attribute every stored row to the one request that answered it as new."""
    placement = Placement()
    claims: dict[tuple[str, Content], list[tuple[int, Item]]] = defaultdict(list)
    for exchange in exchanges:
        if exchange.dry_run:
            continue
        for item, body in zip(exchange.items, exchange.item_bodies(), strict=False):
            if state_free_result(item, model.components) is None and body.get("duplicate") is False:
                claims[(item.number, item.content)].append((exchange.index, item))
    claimed: set[tuple[str, Content]] = set()
    for number, contract_rows in rows.items():
        owners: list[int] = []
        for row in contract_rows:
            claim = claims.get((number, row.content), [])
            claimed.add((number, row.content))
            if len(claim) != 1:
                who = [index for index, _ in claim]
                placement.failures.add(
                    "row not stored by exactly one request",
                    f"stored row {row} was answered as new by {len(claim)} requests {who}",
                )
                owners.append(-1)
                continue
            index, item = claim[0]
            if item.event_id != row.event_id:
                placement.failures.add(
                    "row event_id", f"stored row {row} carries another event_id than request {index}: {item}"
                )
            owners.append(index)
        placement.owner[number] = owners
        placement.boundaries[number] = [
            p for p in range(len(owners) + 1) if p in (0, len(owners)) or owners[p - 1] != owners[p]
        ]
        for p, owner in enumerate(owners):
            if owner < 0:
                continue
            start, end = placement.span.get((owner, number), (p, p))
            if end != p:
                placement.failures.add(
                    "rows of a request not contiguous",
                    f"rows of request {owner} in contract {number} are not contiguous: {p}",
                )
            placement.span[(owner, number)] = (start, p + 1)
    for (number, content), claim in claims.items():
        if (number, content) not in claimed:
            placement.failures.add(
                "answered as new, never stored", f"requests {[i for i, _ in claim]} {number} {content}"
            )
    return placement


@dataclass(slots=True)
class Verification:
    failures: Failures = field(default_factory=Failures)
    fixed: int = 0
    """(request, contract) answers checked at their own place."""
    windowed: int = 0
    """(request, contract) answers checked against a window of places."""
    late: int = 0
    changed: int = 0
    duplicates: int = 0


class Checker:
    def __init__(self, exchanges: Sequence[Exchange], model: Model, placement: Placement) -> None:
        self.exchanges, self.model, self.placement = exchanges, model, placement
        self.verification = Verification(placement.failures)

    def window(self, exchange: Exchange, number: str) -> tuple[int, int]:
        """Places that real time allows: after requests answered before this one was sent,
        before requests sent after it was answered."""
        low, high = 0, len(self.model.rows[number])
        for other in self.exchanges:
            span = self.placement.span.get((other.index, number))
            if span is None or other.index == exchange.index:
                continue
            if other.done_at < exchange.sent_at:
                low = max(low, span[1])
            if other.sent_at > exchange.done_at:
                high = min(high, span[0])
        return low, high

    def places(self, exchange: Exchange, number: str) -> list[int]:
        low, high = self.window(exchange, number)
        span = self.placement.span.get((exchange.index, number))
        if span is not None:
            self.verification.fixed += 1
            if not (low <= span[0] and span[1] <= high):
                self.verification.failures.add(
                    "stored outside the real-time window",
                    f"request {exchange.index} stored rows [{span[0]}, {span[1]}) of {number} "
                    f"outside its real-time window [{low}, {high}]\n{exchange.show()}",
                )
            return [span[0]]
        self.verification.windowed += 1
        return [p for p in self.placement.boundaries[number] if low <= p <= high]

    def check(self, exchange: Exchange) -> None:
        failures = self.verification.failures
        if exchange.status is None or exchange.status >= 500 or exchange.status not in (200, 404, 409, 422):
            failures.add("unexpected status", exchange.show())
            return
        by_contract: dict[str, list[tuple[int, Item]]] = defaultdict(list)
        fixed: dict[int, Result] = {}
        for index, item in enumerate(exchange.items):
            result = state_free_result(item, self.model.components)
            if result is None:
                by_contract[item.number].append((index, item))
            else:
                fixed[index] = result
        places = {number: self.places(exchange, number) for number in by_contract}
        tried: dict[str, list[tuple[int, Outcome]]] = {number: [] for number in by_contract}

        def outcomes(number: str) -> list[tuple[int, Outcome]]:
            if not tried[number]:
                tried[number] = [(p, self.model.outcome(number, p, by_contract[number])) for p in places[number]]
            return tried[number]

        if exchange.refused:
            if not any(o.conflict for number in by_contract for _, o in outcomes(number)):
                failures.add(
                    self._kind(exchange),
                    self._mismatch(exchange, fixed, by_contract, outcomes, "refused, model does not"),
                )
            return
        bodies = exchange.item_bodies()
        if len(bodies) != len(exchange.items):
            failures.add("not one result per item", exchange.show())
            return
        observed = {
            i: observed_result(body, with_created_at=i not in fixed) for i, body in enumerate(exchange.item_bodies())
        }
        for index, expected in fixed.items():
            if observed[index] != expected:
                failures.add(
                    self._kind(exchange), self._mismatch(exchange, fixed, by_contract, outcomes, f"item #{index}")
                )
                return
        if not exchange.batch and exchange.status != observed[0].http_status:
            failures.add(self._kind(exchange), self._mismatch(exchange, fixed, by_contract, outcomes, "HTTP status"))
            return
        for number, items in by_contract.items():
            span = self.placement.span.get((exchange.index, number))
            stored_here = {
                (row.content, row.event_id)
                for p, row in enumerate(self.model.rows[number])
                if span is not None and span[0] <= p < span[1]
            }
            match = next(
                (
                    o
                    for _, o in outcomes(number)
                    if not o.conflict
                    and all(o.results[i] == observed[i] for i, _ in items)
                    and (exchange.dry_run or o.stored == stored_here)
                ),
                None,
            )
            if match is None:
                failures.add(
                    self._kind(exchange), self._mismatch(exchange, fixed, by_contract, outcomes, f"contract {number}")
                )
                return
            if not exchange.dry_run:
                self.verification.late += match.late
            self.verification.changed += sum(bool(r.changed) for r in match.results.values())
            self.verification.duplicates += sum(r.duplicate for r in match.results.values())

    @staticmethod
    def _kind(exchange: Exchange) -> str:
        kind = "dry run" if exchange.dry_run else "batch" if exchange.batch else "single event"
        return f"wrong answer to a {kind}{' refused' if exchange.refused else ''}"

    def _mismatch(
        self,
        exchange: Exchange,
        fixed: Mapping[int, Result],
        by_contract: Mapping[str, list[tuple[int, Item]]],
        outcomes: Any,
        what: str,
    ) -> str:
        lines = [f"{what}: the answer matches no serial answer", exchange.show()]
        for index, result in fixed.items():
            lines.append(f"  model: #{index}: {result.show()} (whatever the history)")
        for number in by_contract:
            for p, outcome in outcomes(number)[:4]:
                stored = sorted(str(c) for c, _ in outcome.stored)
                lines.append(f"  model, {number} after {p} stored rows: {outcome.show()} stores {stored}")
            if not outcomes(number):
                lines.append(f"  model, {number}: no place allowed by real time")
            span = self.placement.span.get((exchange.index, number))
            if span is not None:
                rows = self.model.rows[number][span[0] : span[1]]
                lines.append(f"  stored by it in {number}: {[(r.content, r.event_id) for r in rows]}")
        return "\n".join(lines)


def verify(exchanges: Sequence[Exchange], model: Model) -> Verification:
    placement = place(exchanges, model.rows, model)
    checker = Checker(exchanges, model, placement)
    for exchange in exchanges:
        checker.check(exchange)
    return checker.verification
