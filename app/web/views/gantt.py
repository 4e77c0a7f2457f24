"""The contract's timeline as Gantt bars: one row per component, from start to end.

Days are whole: a bar covers its start day to its end day inclusive, so an end on the start day
still shows a one-day bar. A started component without an end runs to the right edge and is
marked open. The axis spans the dates shown, padded; it does not depend on today's date, so the
same timeline always draws the same picture.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.web.views.palette import colour_of

WIDTH, LABEL_WIDTH, ROW_HEIGHT, TOP = 760, 190, 34, 28
TICKS = 6


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def axis(days: list[date]) -> tuple[date, date]:
    """First and last day of the axis: the dates shown with a margin on both sides."""
    if not days:
        anchor = date(2000, 1, 1)
        return anchor, anchor + timedelta(days=30)
    low, high = min(days), max(days)
    pad = max(timedelta(days=3), (high - low) * 0.08)
    return low - pad, high + pad + timedelta(days=1)


def gantt(components: dict[str, dict[str, Any]], states: dict[str, list[str]]) -> dict[str, Any]:
    """View model of the bars. ``states`` maps each component to its lifecycle's states (for colours)."""
    dates = [d for t in components.values() for d in (_day(t.get("start")), _day(t.get("end"))) if d]
    first, last = axis(dates)
    span = max((last - first).days, 1)
    plot = WIDTH - LABEL_WIDTH - 16

    def x(day: date) -> float:
        return round(LABEL_WIDTH + plot * (day - first).days / span, 1)

    rows = []
    for index, (name, timeline) in enumerate(components.items()):
        start, end, state = _day(timeline.get("start")), _day(timeline.get("end")), str(timeline.get("state"))
        bar = None
        if start is not None:
            right = x(end + timedelta(days=1)) if end is not None else float(WIDTH - 4)
            bar = {"x": x(start), "width": round(max(right - x(start), 2.0), 1), "open": end is None}
        rows.append(
            {
                "component": name,
                "state": state,
                "start": timeline.get("start"),
                "end": timeline.get("end"),
                "colour": colour_of(state, states.get(name, [])),
                "y": TOP + index * ROW_HEIGHT,
                "bar": bar,
                "summary": summary(timeline),
            }
        )
    step = span / (TICKS - 1)
    ticks = [first + timedelta(days=round(i * step)) for i in range(TICKS)]
    return {
        "width": WIDTH,
        "height": TOP + len(rows) * ROW_HEIGHT + 8,
        "label_width": LABEL_WIDTH,
        "axis": {"first": first.isoformat(), "last": last.isoformat()},
        "ticks": [{"x": x(day), "label": day.isoformat()} for day in ticks],
        "rows": rows,
    }


def summary(timeline: dict[str, Any]) -> str:
    """The bar in words, for screen readers and tooltips."""
    state, start, end = timeline.get("state"), timeline.get("start"), timeline.get("end")
    if not start:
        return f"{state}: no start"
    return f"{state}: {start} to {end}" if end else f"{state}: from {start}, no end (open)"
