"""An adversarial mix of requests for the differential test, and the clients that send it.

Few contracts, so concurrent requests meet in the same group commits. The mix holds single
events and batches (some spanning contracts), dry runs, exact redeliveries of events and of
whole requests, the same content under another spelling or another event id, reused event ids
with other content (conflicts, also inside one batch), late events, and events for an unknown
contract, of an unsupported type or for a component the contract does not hold.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone

import httpx

from tests.e2e.linearizability import Exchange
from tests.e2e.model import EVENT_TYPES, Item, component_of

BASE_DAY, BASE_TIME = date(2024, 1, 1), datetime(2024, 1, 1)
DAYS = 24
"""Event dates span a few weeks, so ends before starts and restarts are common."""
MINUTES_PER_REQUEST = 2
"""``created_at`` of fresh events follows the request's position, as a live feed's would."""
OFFSETS = (timedelta(hours=2), timedelta(hours=-5, minutes=-30))
UNSUPPORTED_TYPE = "solar_panel_start"
REQUEST_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
JOIN_SECONDS = 300.0


def spell(rng: random.Random, moment: datetime) -> str:
    """``created_at`` written naive, with ``Z``, or with another offset: the same instant."""
    roll = rng.random()
    if roll < 0.6:
        return moment.isoformat()
    if roll < 0.75:
        return moment.isoformat() + "Z"
    return moment.replace(tzinfo=UTC).astimezone(timezone(rng.choice(OFFSETS))).isoformat()


class Mix:
    """Draws requests; ``kinds`` counts the items drawn of each kind.

    The run moves through ``epochs``: each is a few contracts that take all new events for a
    share of the requests, so concurrent requests keep meeting on the same contracts while
    every component's history stays short enough for late events to change verdicts often
    (once a component has ended, little can change it) and ``changed`` stays under its cap.
    """

    def __init__(
        self,
        rng: random.Random,
        components: Mapping[str, Sequence[str]],
        unknown: str,
        epochs: Sequence[Sequence[str]],
    ) -> None:
        self.rng, self.components, self.unknown, self.epochs = rng, components, unknown, epochs
        self.numbers = sorted(components)
        self.active: Sequence[str] = epochs[0]
        self.types = {n: sorted(t for t in EVENT_TYPES if component_of(t) in c) for n, c in components.items()}
        self.foreign = {n: sorted(t for t in EVENT_TYPES if component_of(t) not in c) for n, c in components.items()}
        self.sent: dict[str, list[Item]] = {n: [] for n in self.numbers}
        self.kinds: Counter[str] = Counter()
        self._ids = 0

    def requests(self, count: int) -> list[tuple[list[Item], bool, bool]]:
        """``count`` requests as (items, batch, dry_run)."""
        drawn: list[tuple[list[Item], bool, bool]] = []
        for index in range(count):
            clock = index * MINUTES_PER_REQUEST
            self.active = self.epochs[index * len(self.epochs) // count]
            dry_run = self.rng.random() < 0.2
            if drawn and self.rng.random() < 0.06:
                again, batch, _ = self.rng.choice(drawn)
                self.kinds["request redelivered"] += 1
                drawn.append((again, batch, dry_run))
                continue
            if self.rng.random() < 0.45:
                drawn.append(([self.item(self.contract(), clock, [])], False, dry_run))
                continue
            spans = self.rng.random() < 0.3
            home = self.contract()
            items: list[Item] = []
            for _ in range(self.rng.randint(2, 6)):
                items.append(self.item(self.contract() if spans else home, clock, items))
            drawn.append((items, True, dry_run))
        return drawn

    def item(self, number: str, clock: int, batch: list[Item]) -> Item:
        rng, roll = self.rng, self.rng.random()
        if batch and roll < 0.06:
            self.kinds["repeated within batch"] += 1
            return rng.choice(batch)
        with_ids = [i for i in batch if i.event_id is not None and i.number == number]
        if with_ids and roll < 0.08:
            self.kinds["batch event_id reused, other content"] += 1
            return self.fresh(number, clock, event_id=rng.choice(with_ids).event_id)
        roll = rng.random()
        sent = self.sent[number]
        if sent and roll < 0.14:
            self.kinds["redelivered"] += 1
            return rng.choice(sent)
        if sent and roll < 0.20:
            self.kinds["same content, other spelling and event_id"] += 1
            old = rng.choice(sent)
            event_id = self.new_id() if rng.random() < 0.5 else None
            return Item(number, old.type, old.day, old.created_at, spell(rng, old.created_at), event_id)
        if sent and roll < 0.24:
            self.kinds["event_id reused, same content"] += 1
            old = rng.choice(sent)
            return Item(number, old.type, old.day, old.created_at, spell(rng, old.created_at), old.event_id)
        reusable = [i.event_id for i in sent if i.event_id is not None]
        if reusable and roll < 0.28:
            self.kinds["event_id reused, other content"] += 1
            return self.fresh(number, clock, event_id=rng.choice(reusable))
        elsewhere = [i.event_id for n in self.numbers if n != number for i in self.sent[n] if i.event_id is not None]
        if elsewhere and roll < 0.29:
            self.kinds["event_id of another contract"] += 1
            return self.fresh(number, clock, event_id=rng.choice(elsewhere))
        if roll < 0.32:
            self.kinds["unknown contract"] += 1
            return self.fresh(self.unknown, clock, event_types=self.types[number], event_id=None, keep=False)
        if roll < 0.34:
            self.kinds["unsupported type"] += 1
            return self.fresh(number, clock, event_types=[UNSUPPORTED_TYPE], event_id=None, keep=False)
        if roll < 0.37:
            self.kinds["component not on contract"] += 1
            lacking = rng.choice([n for n in self.active if self.foreign[n]])
            return self.fresh(lacking, clock, event_types=self.foreign[lacking], event_id=None, keep=False)
        if roll < 0.52:
            self.kinds["late"] += 1
            return self.fresh(number, rng.randrange(clock + 1))
        self.kinds["fresh"] += 1
        return self.fresh(number, clock)

    def contract(self) -> str:
        """An active contract, drawn in proportion to its components, so components fill up alike."""
        return self.rng.choices(self.active, [len(self.components[n]) for n in self.active])[0]

    def new_id(self) -> str:
        self._ids += 1
        return f"ev-{self._ids}"

    def fresh(
        self,
        number: str,
        clock: int,
        *,
        event_types: Sequence[str] | None = None,
        event_id: str | None = "",
        keep: bool = True,
    ) -> Item:
        """A new event near minute ``clock``; ``event_id=""`` draws one half of the time."""
        rng = self.rng
        created_at = BASE_TIME + timedelta(minutes=max(0, clock + rng.randint(-6, 2)))
        if event_id == "":
            event_id = self.new_id() if rng.random() < 0.5 else None
        item = Item(
            number,
            rng.choice(event_types or self.types[number]),
            BASE_DAY + timedelta(days=rng.randrange(DAYS)),
            created_at,
            spell(rng, created_at),
            event_id,
        )
        if keep:
            self.sent[number].append(item)
        return item


class Clients:
    """``threads`` clients taking requests from one queue, timing each exchange."""

    def __init__(self, base_url: str, exchanges: Sequence[Exchange], *, threads: int) -> None:
        self.base_url = base_url
        self._todo: queue.SimpleQueue[Exchange] = queue.SimpleQueue()
        for exchange in exchanges:
            self._todo.put(exchange)
        self._errors: list[BaseException] = []
        self._threads = [threading.Thread(target=self._client, name=f"diff-client-{i}") for i in range(threads)]

    def run(self) -> None:
        for thread in self._threads:
            thread.start()
        for thread in self._threads:
            thread.join(JOIN_SECONDS)
        if any(thread.is_alive() for thread in self._threads):
            raise RuntimeError(f"client threads still running after {JOIN_SECONDS:.0f} s")
        if self._errors:
            raise self._errors[0]

    def _client(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=REQUEST_TIMEOUT) as client:
                while True:
                    try:
                        exchange = self._todo.get_nowait()
                    except queue.Empty:
                        return
                    send(client, exchange)
        except BaseException as exc:  # handed to the test thread by run()
            self._errors.append(exc)


def send(client: httpx.Client, exchange: Exchange) -> None:
    path = "/events" if exchange.batch else "/event"
    body = [i.body() for i in exchange.items] if exchange.batch else exchange.items[0].body()
    params = {"dry_run": "true"} if exchange.dry_run else {}
    exchange.sent_at = time.monotonic()
    try:
        response = client.post(path, json=body, params=params)
    except httpx.TransportError as exc:
        exchange.done_at, exchange.body = time.monotonic(), repr(exc)
        return
    exchange.done_at = time.monotonic()
    exchange.status = response.status_code
    try:
        exchange.body = response.json()
    except ValueError:
        exchange.body = response.text
