"""Rows of the change feed and of webhook subscriptions and deliveries (issue 11).

Shapes as the API serves them (app/feed/schemas.py, app/webhooks/schemas.py): a change record has
``seq``, ``committed_at``, ``contract_number``, ``component``, ``kind``, ``before``/``after`` (a
component's timeline, or ``{"components": {...}}`` for a contract-level change), ``cause``
``{kind, id}`` and ``verdicts`` it flipped; a subscription has ``id``, ``url``, ``components``
(null: all), ``description``, ``status`` (active/failing), ``position`` (the last seq delivered),
``attempt`` and ``next_attempt_at``; a delivery attempt has ``seq``, ``attempt``,
``attempted_at``, ``outcome`` (delivered/failed), ``response_code``, ``latency_ms`` and ``error``.
"""

from __future__ import annotations

from typing import Any

from app.web.views.times import show_instant


def _state(value: Any) -> str:
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    if isinstance(value.get("components"), dict):  # a contract-level change: every component
        return "; ".join(f"{name}: {_state(t)}" for name, t in value["components"].items())
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
        "verdicts": [
            f"{v.get('event_id')}: {_verdict(v.get('previous'))} → {_verdict(v.get('current'))}"
            for v in change.get("verdicts") or []
            if isinstance(v, dict)
        ],
    }


def _verdict(envelope: Any) -> str:
    if not isinstance(envelope, dict):
        return ""
    status, code = envelope.get("status"), envelope.get("code")
    return f"{status} ({code})" if code and code != status else str(status)


def change_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [change_row(c) for c in changes]


def webhook_rows(hooks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(h.get("id")),
            "url": h.get("url"),
            "components": ", ".join(h.get("components") or []) or "all",
            "description": h.get("description") or "",
            "status": h.get("status") or "active",
            "position": h.get("position") or 0,
            "attempt": h.get("attempt") or 0,
            "next_attempt_at": show_instant(h.get("next_attempt_at")),
            "created_at": show_instant(h.get("created_at")),
            "deliveries": [],
        }
        for h in hooks
    ]


def delivery_rows(attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "seq": a.get("seq"),
            "attempt": a.get("attempt"),
            "at": show_instant(a.get("attempted_at")),
            "outcome": a.get("outcome"),
            "response": "" if a.get("response_code") is None else a.get("response_code"),
            "latency_ms": "" if a.get("latency_ms") is None else f"{float(a['latency_ms']):.1f}",
            "error": a.get("error") or "",
        }
        for a in attempts
    ]
