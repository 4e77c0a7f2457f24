"""Rows of the event log, from the events of GET /{number}/events (app/api/history_schemas.py).

* revocation: ``revoked`` (bool), ``revoked_at`` and ``revocation_reason``;
* a verdict changed since it was given (a late event, a revocation, a re-evaluation):
  ``previous_verdict`` ``{"status", "code", "message", "changed_at"}``, the verdict before its
  latest change and when that change committed; null if the verdict never changed.
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
            "message": previous.get("message") or "",
            "changed_at": show_instant(previous.get("changed_at")),
        }
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
        "revocation_reason": event.get("revocation_reason"),
        "previous": changed,
    }


def event_rows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event_row(event) for event in events]
