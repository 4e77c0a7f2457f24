"""When to try a failed delivery again, and when a subscription counts as failing. Pure.

Attempt n (n = 1 after the first failure) waits ``schedule[n - 1]`` seconds, the last step
repeating. Once the first failure of the change being retried is ``max_age`` old, the
subscription is marked failing: it keeps its position, and is still tried at the last step's
interval, so a receiver that comes back resumes where it stopped (``replay`` resumes at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_SCHEDULE = "5,30,120,600,1800,3600"


def parse_schedule(text: str) -> tuple[float, ...]:
    steps = tuple(float(part) for part in text.split(",") if part.strip())
    if not steps or any(step <= 0 for step in steps):
        raise ValueError("WEBHOOK_RETRY_SCHEDULE must list positive seconds, comma-separated")
    return steps


@dataclass(frozen=True, slots=True)
class Retry:
    attempt: int
    first_failure_at: datetime
    next_attempt_at: datetime
    failing: bool


def after_failure(
    *, attempt: int, first_failure_at: datetime | None, now: datetime, schedule: Sequence[float], max_age: timedelta
) -> Retry:
    """The state after failed attempt number ``attempt + 1`` at one change."""
    attempt += 1
    first = first_failure_at or now
    failing = now - first >= max_age
    delay = schedule[min(attempt, len(schedule)) - 1]
    return Retry(attempt, first, now + timedelta(seconds=delay), failing)
