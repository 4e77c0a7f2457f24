"""The feed's pure parts: which changes become records, their shape, the fold, retries, targets."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.domain.errors import Invalid
from app.domain.timeline import ACCEPTED, ComponentTimeline, Verdict
from app.feed.changes import (
    CONTRACT_CREATED,
    CONTRACT_DELETED,
    Cause,
    Change,
    ContractChange,
    Flip,
    component_change,
    fold,
    to_record,
)
from app.webhooks.schedule import after_failure, parse_schedule
from app.webhooks.targets import check_url, refused_address

STARTED = ComponentTimeline("started", date(2024, 3, 3))
NOT_STARTED = ComponentTimeline("not_started")
REJECTED = Verdict(False, "end_before_start", "End event cannot occur before start event.")
NOW = datetime(2024, 3, 3, 10, 0)


def test_a_change_that_changes_nothing_is_no_record() -> None:
    assert component_change("1", "battery_optimization", STARTED, STARTED.copy(), cause=Cause("event", "ev_1")) is None


def test_a_timeline_change_and_a_verdicts_only_change_have_their_kinds() -> None:
    moved = component_change("1", "b", NOT_STARTED, STARTED, cause=Cause("event", "ev_1"))
    flipped = component_change(
        "1", "b", STARTED, STARTED, cause=Cause("late_event", "ev_2"), flips=[Flip("ev_1", ACCEPTED, REJECTED)]
    )
    assert moved is not None
    assert moved.kind == "timeline"
    assert flipped is not None
    assert flipped.kind == "verdicts"


def test_a_record_carries_seq_time_sides_cause_and_flipped_verdicts() -> None:
    change = component_change(
        "1", "b", NOT_STARTED, STARTED, cause=Cause("late_event", "ev_9"), flips=[Flip("ev_4", ACCEPTED, REJECTED)]
    )
    assert change is not None
    assert to_record(change, 7, NOW) == {
        "seq": 7,
        "committed_at": "2024-03-03T10:00:00.000000Z",
        "contract_number": "1",
        "component": "b",
        "kind": "timeline",
        "before": {"start": None, "end": None, "state": "not_started"},
        "after": {"start": "2024-03-03", "end": None, "state": "started"},
        "cause": {"kind": "late_event", "id": "ev_9"},
        "verdicts": [
            {
                "event_id": "ev_4",
                "previous": {"status": "accepted", "code": "accepted", "message": ACCEPTED.message},
                "current": {"status": "rejected", "code": "end_before_start", "message": REJECTED.message},
            }
        ],
    }


def test_the_fold_applies_afters_in_order_and_forgets_deleted_contracts() -> None:
    created = ContractChange("1", CONTRACT_CREATED, Cause("contract", "1"), after={"b": NOT_STARTED, "s": NOT_STARTED})
    moved = component_change("1", "b", NOT_STARTED, STARTED, cause=Cause("event", "ev_1"))
    other = ContractChange("2", CONTRACT_CREATED, Cause("contract", "2"), after={"s": NOT_STARTED})
    deleted = ContractChange("2", CONTRACT_DELETED, Cause("contract", "2"), before={"s": NOT_STARTED})
    assert moved is not None
    changes: list[Change] = [created, moved, other, deleted]
    records = [to_record(c, i, NOW) for i, c in enumerate(changes, start=1)]
    assert fold(records) == {
        "1": {
            "b": {"start": "2024-03-03", "end": None, "state": "started"},
            "s": {"start": None, "end": None, "state": "not_started"},
        }
    }


def test_retries_follow_the_schedule_then_mark_the_subscription_failing() -> None:
    schedule = parse_schedule("5,30,120")
    first = after_failure(attempt=0, first_failure_at=None, now=NOW, schedule=schedule, max_age=timedelta(hours=1))
    assert (first.attempt, first.next_attempt_at, first.failing) == (1, NOW + timedelta(seconds=5), False)
    later = NOW + timedelta(minutes=30)
    third = after_failure(attempt=2, first_failure_at=NOW, now=later, schedule=schedule, max_age=timedelta(hours=1))
    assert third.next_attempt_at == later + timedelta(seconds=120)
    beyond = after_failure(
        attempt=9, first_failure_at=NOW, now=NOW + timedelta(hours=2), schedule=schedule, max_age=timedelta(hours=1)
    )
    assert beyond.failing
    assert beyond.first_failure_at == NOW
    assert beyond.next_attempt_at == NOW + timedelta(hours=2, seconds=120)  # the last step repeats
    with pytest.raises(ValueError, match="positive"):
        parse_schedule("5,-1")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "address"),
        ("100.64.0.1", "reserved"),
        ("93.184.216.34", None),
        ("2606:4700::6810:84e5", None),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str | None) -> None:
    found = refused_address(address)
    assert (found is None) if reason is None else (found is not None and reason in found)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://h/", "http:///nohost", "http://h:99999/"]
)
def test_only_http_and_https_urls_with_a_host_are_accepted(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_url(url)
    assert refused.value.code == "webhook_url_refused"


def test_a_plain_https_url_is_accepted() -> None:
    assert check_url("https://billing.example.com/hooks") == ("billing.example.com", 443)
