"""Working days: Monday to Friday, except the public holidays of a country and region.

The holidays come from the ``holidays`` package (maintained, with every German state's
holidays), never from a hand-written list. A calendar is built once per country and region
and shared; the package fills in a year's holidays the first time a date of that year is asked
about, so a lock guards that lookup (the writer thread and dry runs may ask at once).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import holidays

ONE_DAY = timedelta(days=1)
_LOCK = threading.Lock()


@cache
def supported_regions() -> dict[str, tuple[str, ...]]:
    """Country code to its region (subdivision) codes, as the ``holidays`` package knows them."""
    return {country: tuple(regions) for country, regions in holidays.list_supported_countries().items()}


@cache
def _holidays_of(country: str, region: str | None) -> Any:
    return holidays.country_holidays(country, subdiv=region)


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    country: str
    region: str | None = None

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        with _LOCK:
            return day not in _holidays_of(self.country, self.region)

    def shift(self, day: date, working_days: int) -> date:
        """``day`` moved by ``working_days`` working days (negative: backwards).

        Moving 0 days gives ``day`` itself, working day or not; moving 3 days from a Friday gives
        the Wednesday after, or later when a holiday falls in between."""
        step, left = (ONE_DAY, working_days) if working_days >= 0 else (-ONE_DAY, -working_days)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day
