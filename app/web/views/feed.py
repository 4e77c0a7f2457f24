"""Rows of the change feed and of webhook subscriptions and deliveries (issue 11).

Issue 11 names the change record's fields (``seq``, ``committed_at``, ``contract_number``,
``component``, ``kind``, ``before``, ``after``, the cause, flipped verdicts); the subscription's
(``id``, ``url``, ``components``, ``description``); and a delivery attempt's status, response
code and latency, under names it leaves open: ``status``, ``response_status`` (or
``response_code``) and ``latency_ms`` are read.
"""

from __future__ import annotations

from typing import Any

from app.web.views.times import show_instant


def _state(value: Any) -> str:
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    start, end = value.get("start") or "-", value.get("end") or "-"
    return f"{value.get('state')} ({start} → {end})"


def _cause(value: Any) -> str:
    if isinstance(value, dict):
        kind = value.get("kind") or value.get("type") or "cause"
        return f"{kind} {value.get('id') or value.get('event_id') or ''}".strip()
    return "" if value is None else str(value)


def change_row(change: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": change.get("seq"),
        "committed_at": show_instant(change.get("committed_at")),
        "contract_number": change.get("contract_number"),
        "component": change.get("component") or "",
        "kind": change.get("kind"),
        "before": _state(change.get("before")),
        "after": _state(change.get("after")),
        "cause": _cause(change.get("cause")),
    }


def change_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [change_row(c) for c in changes]


def webhook_rows(hooks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(h.get("id")),
            "url": h.get("url"),
            "components": ", ".join(h.get("components") or []) or "all",
            "description": h.get("description") or "",
            "status": h.get("status") or ("failing" if h.get("failing") else "active"),
            "deliveries": [],
        }
        for h in hooks
    ]


def delivery_rows(attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "seq": a.get("seq"),
            "at": show_instant(a.get("attempted_at") or a.get("at") or a.get("created_at")),
            "status": a.get("status"),
            "response": a.get("response_status") or a.get("response_code"),
            "latency_ms": a.get("latency_ms"),
        }
        for a in attempts
    ]
