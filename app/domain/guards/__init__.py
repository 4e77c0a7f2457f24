"""Guards: date windows that rule tables declare and parameterise, with no Python per policy.

A guard compares the event's date with a bound: a reference date (one of the component's
declared dates, the day the event was created, or the day it was received) moved by an offset
in calendar days or in working days. ``calendar.py`` counts working days, ``window.py`` is the
check, ``params.py`` reads and validates a guard's parameters from the tables.
"""

from app.domain.guards.calendar import WorkingCalendar
from app.domain.guards.facts import Facts
from app.domain.guards.params import BUILT_IN, GUARD_KINDS, REFERENCES, read_guard
from app.domain.guards.window import DateWindow, GuardExamples

__all__ = [
    "BUILT_IN",
    "GUARD_KINDS",
    "REFERENCES",
    "DateWindow",
    "Facts",
    "GuardExamples",
    "WorkingCalendar",
    "read_guard",
]
