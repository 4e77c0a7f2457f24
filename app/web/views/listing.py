"""Rows of the contracts listing (GET /contracts, issue 10)."""

from __future__ import annotations

from typing import Any

from app.web.views.times import show_instant

FILTERS = ("prefix", "component", "state", "active_on")


def components_of(item: dict[str, Any]) -> list[dict[str, Any]]:
    """An item's components as a list, whether the API gives a mapping by name or a list."""
    raw = item.get("components") or {}
    if isinstance(raw, dict):
        return [{"component": name, **(value or {})} for name, value in raw.items()]
    return [c if isinstance(c, dict) else {"component": str(c)} for c in raw]


def listing_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "contract_number": item.get("contract_number"),
            "created_at": show_instant(item.get("created_at")),
            "components": [
                {
                    "component": c.get("component") or c.get("name"),
                    "state": c.get("state"),
                    "start": c.get("start"),
                    "end": c.get("end"),
                }
                for c in components_of(item)
            ],
        }
        for item in items
    ]


def filters_from(query: dict[str, str]) -> dict[str, str]:
    return {name: query[name].strip() for name in FILTERS if query.get(name, "").strip()}
