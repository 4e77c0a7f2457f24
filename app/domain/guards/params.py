"""Reading a guard's parameters from the tables, with a plain-language problem per mistake.

A guard is written under ``guards:`` as, for example::

    end_notice:
      code: end_notice_too_short
      kind: not_before               # the event's date may not be before the bound
      of: received                   # the bound starts from the day the event was received
      offset: {working_days_after: 3}
      calendar: {country: DE, region: BW}

The two guards that existed before guards had parameters keep working by name alone:
``date_not_before_start`` and ``date_not_after_end`` are presets of the same kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.guards.calendar import WorkingCalendar, supported_regions
from app.domain.guards.window import DateWindow

GUARD_KINDS = ("not_before", "not_after")
REFERENCES = ("created", "received")
"""References every lifecycle has; a lifecycle's declared dates are references too."""
OFFSETS = {
    "days_before": (-1, False),
    "days_after": (1, False),
    "working_days_before": (-1, True),
    "working_days_after": (1, True),
}
"""Offset key to (direction, counts working days)."""
BUILT_IN: Mapping[str, DateWindow] = {
    "date_not_before_start": DateWindow("not_before", "start"),
    "date_not_after_end": DateWindow("not_after", "end"),
}

Problem = tuple[int, str, str]
"""(line, message, fix) of one mistake in a guard's parameters."""


def _line(value: Any, key: str) -> int:
    line_of = getattr(value, "line_of", None)
    return int(line_of(key)) if line_of else 0


def read_guard(name: str, value: Mapping[str, Any], line: int) -> tuple[DateWindow | None, list[Problem]]:
    """The guard's window, or the problems that keep it from having one."""
    if "kind" not in value:
        if name in BUILT_IN:
            return BUILT_IN[name], []
        return None, [
            (
                line,
                f"Guard '{name}' has no 'kind'.",
                f"Add 'kind: not_before' or 'kind: not_after' with 'of' and 'offset', or use a preset: "
                f"{', '.join(BUILT_IN)}.",
            )
        ]
    problems: list[Problem] = []
    if "of" not in value:
        problems.append((line, f"Guard '{name}' does not say what its date is compared with.", _OF_FIX))
    offset, calendar = _offset(name, value, line, problems), _calendar(name, value, problems)
    if offset is not None and offset[1] and calendar is None and "calendar" not in value:
        problems.append(
            (
                _line(value, "offset"),
                f"Guard '{name}' counts working days but names no calendar.",
                "Add for example 'calendar: {country: DE, region: BW}'.",
            )
        )
    if offset is None or problems:
        return None, problems
    return DateWindow(value["kind"], value["of"], offset[0], calendar if offset[1] else None), []


_OF_FIX = "Add 'of: received', 'of: created', or 'of:' one of the lifecycle's dates such as 'start'."


def _offset(name: str, value: Mapping[str, Any], line: int, problems: list[Problem]) -> tuple[int, bool] | None:
    offset = value.get("offset")
    if not offset:
        problems.append(
            (
                line if offset is None else _line(value, "offset"),
                f"Guard '{name}' has no offset.",
                "Add 'offset: {days_before: 0}' for none, or the days it allows, such as {days_before: 30}.",
            )
        )
        return None
    if len(offset) != 1:
        problems.append(
            (
                _line(value, "offset"),
                f"Guard '{name}' has {len(offset)} offsets; it takes exactly one.",
                f"Keep one of {', '.join(OFFSETS)}.",
            )
        )
        return None
    [(unit, amount)] = offset.items()
    if amount < 0:
        problems.append(
            (
                _line(offset, unit),
                f"Guard '{name}': the offset {unit}: {amount} is negative.",
                "Offsets are counted forward; say the direction with the key: days_before or days_after.",
            )
        )
        return None
    sign, working = OFFSETS[unit]
    return sign * amount, working


def _calendar(name: str, value: Mapping[str, Any], problems: list[Problem]) -> WorkingCalendar | None:
    calendar = value.get("calendar")
    if calendar is None:
        return None
    country, region = str(calendar.get("country", "")), calendar.get("region")
    regions = supported_regions()
    if country not in regions:
        problems.append(
            (
                _line(calendar, "country"),
                f"Guard '{name}': '{country}' is not a country the holiday calendar knows.",
                "Use an ISO 3166 country code such as DE, AT, FR or NL.",
            )
        )
        return None
    if region is not None and str(region) not in regions[country]:
        problems.append(
            (
                _line(calendar, "region"),
                f"Guard '{name}': '{region}' is not a region of {country} that the holiday calendar knows.",
                f"Use one of {', '.join(regions[country][:20])}, or leave the region out for nationwide holidays.",
            )
        )
        return None
    return WorkingCalendar(country, None if region is None else str(region))
