"""Rows of the event log, from the history endpoint's events.

Fields the console reads beyond today's history (``id``, verdict, rules version, ...):

* revocation (issue 10): ``revoked`` (bool), ``revoked_at`` (RFC 3339), ``revoked_reason``. The
  issue names ``revoked: true`` and asks for "the reason and the time of revocation" without naming
  those two fields; ``revocation_reason`` and ``reason`` are read too.
* a verdict changed by a late event: ``previous_verdict``, an object ``{"status", "code",
  "message"?, "changed_at"?}`` holding the verdict before the latest change. No issue names this
  field yet; issue 11's change records carry the same pair (previous and current verdicts) per
  flipped event, and this is the shape the console expects the history to carry.
"""

from __future__ import annotations

from typing import Any

from app.web.views.times import show_instant

PREVIOUS_VERDICT_FIELD = "previous_verdict"


def verdict_text(status: Any, code: Any) -> str:
    return f"{status} ({code})" if code and code != status else str(status)


def event_row(event: dict[str, Any]) -> dict[str, Any]:
    previous = event.get(PREVIOUS_VERDICT_FIELD)
    changed = None
    if isinstance(previous, dict) and previous.get("status"):
        changed = {
            "verdict": verdict_text(previous.get("status"), previous.get("code")),
            "changed_at": show_instant(previous.get("changed_at")),
        }
    reason = event.get("revoked_reason") or event.get("revocation_reason") or event.get("reason")
    return {
        "id": event.get("id"),
        "created_at": show_instant(event.get("created_at")),
        "received_at": show_instant(event.get("received_at")),
        "type": event.get("type"),
        "component": event.get("component"),
        "date": event.get("date"),
        "status": event.get("status"),
        "code": event.get("code"),
        "message": event.get("message"),
        "rules_version": event.get("rules_version"),
        "rules_version_short": str(event.get("rules_version") or "")[:12],
        "event_id": event.get("event_id"),
        "revoked": bool(event.get("revoked")),
        "revoked_at": show_instant(event.get("revoked_at")),
        "revoked_reason": reason,
        "previous": changed,
    }


def event_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event_row(event) for event in events]


def carries_previous_verdicts(events: list[dict[str, Any]]) -> bool:
    """Whether the history says anything about earlier verdicts (the field exists on its events)."""
    return any(PREVIOUS_VERDICT_FIELD in event for event in events)
